"""Promo codes react to an order's money changing hands: a released order gives its use back
(and the code returns to the cart); one paid late after all counts it again if the limits allow."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import order_paid, order_released
from app.booking.models import Order
from app.promos import redemption


@order_released.connect
def give_back_use(reason: str, *, order: Order, now: datetime) -> None:
    redemption.release(order, now=now)


@order_paid.connect
def count_again_when_paid_late(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    if order.released_at is not None:  # paid after its release: the price paid is honoured either way
        redemption.take_back(order)
