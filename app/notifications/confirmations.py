"""What follows a paid order for the customer: one email per payment (the booking confirmation
with its receipt and calendar file, or the receipt alone), a text message if they chose one,
and reminders before each appointment. All of it listens to ``order_paid``
(app/booking/events.py) and runs in the transaction that confirmed the order: the email, the
text and the reminders are jobs, sent only if it commits."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import order_paid
from app.booking.models import Order
from app.notifications import catalogue
from app.notifications.preferences import EMAIL
from app.notifications.reminders import plan_reminders


@order_paid.connect
def confirm_to_customer(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    if not send_confirmation(order):
        return  # this order's confirmation was told before (order_paid came again)
    for booking in order.bookings:
        plan_reminders(booking, now=now)


def send_confirmation(order: Order) -> bool:
    """The customer's notice of the order's bookings, and one email per payment: the bookings
    with the receipt when they want booking confirmations by email, else the receipt alone (a
    payment record always comes by email); a text message too if they chose that channel.
    False when this order's bookings were told before (then nothing is sent)."""
    if not order.bookings:
        catalogue.receipt.send(order.customer, order=order)
        return True
    channels = catalogue.booked.send(order.customer, order=order)
    if channels is None:
        return False
    if EMAIL not in channels:
        catalogue.receipt.send(order.customer, order=order)
    return True
