"""The client book listens: a paid online order makes its customer a client of each venue
(``order_paid``), and a blocked client's cart is refused (``cart_adding``)."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import cart_adding, order_paid
from app.booking.models import Order
from app.clients.service import blocked_message, link_order


@order_paid.connect
def add_to_client_book(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    link_order(order)


@cart_adding.connect
def refuse_blocked_client(_sender: str, *, venue_ids: set[int], user_id: int | None = None) -> str | None:
    return blocked_message(user_id, venue_ids)
