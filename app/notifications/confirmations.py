"""What follows a paid order for the customer: one email per payment (the booking confirmation
with its receipt and calendar file, or the receipt alone), a text message if they chose one,
and reminders before each appointment. All of it listens to ``order_paid``
(app/booking/events.py) and runs in the transaction that confirmed the order: the email, the
text and the reminders are jobs, sent only if it commits."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.booking.events import order_paid
from app.booking.ics import calendar
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking, Order
from app.booking.policy import describe_booking_rules
from app.notifications.activity import site_path
from app.notifications.centre import notify
from app.notifications.preferences import EMAIL, SMS, channels_for, get_sms_number
from app.notifications.reminders import plan_reminders
from app.notifications.sms import send_sms_later
from app.platform.email import send_email, speaking_to
from app.platform.timefmt import local_start
from app.platform.urls import absolute_url
from app.venues.deposits import booking_paid_label


@order_paid.connect
def confirm_to_customer(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    if order.bookings and not notify_customer(order):
        return  # this order's confirmation was told before (order_paid came again)
    send_confirmation(order)
    for booking in order.bookings:
        plan_reminders(booking, now=now)


def notify_customer(order: Order) -> bool:
    """The customer's notice of a paid order's bookings; False if they had it already."""
    first = order.bookings[0]
    link = (
        site_path("booking.booking_detail", reference=first.reference)
        if len(order.bookings) == 1
        else site_path("booking.my_bookings")
    )
    return (
        notify(
            order.customer,
            "booking_confirmed",
            _l("Booked: %(venues)s", venues=", ".join(sorted({b.venue.name for b in order.bookings}))),
            body=lambda: "\n".join(
                f"{b.service.name}, {booking_time_short(b)} (ref {b.reference})" for b in order.bookings
            ),
            link=link,
            key=f"order-paid:{order.id}",
        )
        is not None
    )


def send_confirmation(order: Order) -> None:
    """One email per payment: the bookings with the receipt when the customer wants booking
    confirmations by email, else the receipt alone (a payment record always comes by email);
    a text message too if they chose that channel."""
    channels = channels_for(order.customer, "booking_confirmations") if order.bookings else set()
    if SMS in channels:
        booked = "; ".join(
            f"{b.service.name} at {b.venue.name}, {booking_time_short(b)} (ref {b.reference})" for b in order.bookings
        )
        send_sms_later(
            get_sms_number(order.customer_id) or "",
            f"CozyWish: booked. {booked}. Details: {absolute_url('booking.my_bookings')}",
            user_id=order.customer_id,
        )
    receipt_url = absolute_url("payments.receipt", order_id=order.id)
    if EMAIL not in channels:
        send_email(
            order.customer.email,
            _l("Receipt %(receipt_number)s from CozyWish", receipt_number=order.receipt_number),
            "receipt",
            user=order.customer,
            order=order,
            receipt_url=receipt_url,
        )
        return
    ics = calendar(order.bookings, name="CozyWish bookings")
    with speaking_to(order.customer):  # dates and policies in the customer's language
        bookings = [(b, local_start(b), terms_line(b)) for b in order.bookings]
    send_email(
        order.customer.email,
        _l(
            "Booked: %(venues)s (receipt %(receipt_number)s)",
            venues=", ".join(sorted({b.venue.name for b in order.bookings})),
            receipt_number=order.receipt_number,
        ),
        "booking_confirmed",
        user=order.customer,
        order=order,
        bookings=bookings,
        bookings_url=absolute_url("booking.my_bookings"),
        receipt_url=receipt_url,
        attachment=("cozywish-booking.ics", ics, "text/calendar"),
    )


def terms_line(booking: Booking) -> str:
    """What was paid online and is due at the venue (if anything is), then the policy and fees."""
    policy = describe_booking_rules(booking)
    paid = booking_paid_label(booking)
    return f"{paid}. {policy}" if paid else policy
