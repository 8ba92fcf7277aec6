"""Gift vouchers react to an order's money changing hands: a released order gives its voucher
part back, and a released order paid late takes it again (or refuses, if it's gone)."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import order_released, order_retaken
from app.booking.models import Order
from app.vouchers.ledger import release_for_order, retake_for_order


@order_released.connect
def give_back(reason: str, *, order: Order, now: datetime) -> None:
    release_for_order(order)


@order_retaken.connect
def take_again(sender: str, *, order: Order) -> bool:
    return retake_for_order(order)
