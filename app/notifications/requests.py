"""A request-to-book the venue accepted: the customer is told by email that it is confirmed.
A declined or lapsed request is a venue cancellation: the cancellation email says why
(app/notifications/cancellations.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.booking.events import request_answered
from app.booking.models import Booking
from app.platform.email import send_email, speaking_to
from app.platform.timefmt import local_start
from app.platform.urls import absolute_url


@request_answered.connect_via("accepted")
def on_accepted(_state: str, *, booking: Booking, refund_minor: int) -> None:
    customer = booking.customer
    with speaking_to(customer):  # the date in the customer's language
        when = local_start(booking)
    send_email(
        customer.email,
        _l("Confirmed: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        "booking_request_accepted",
        user=customer,
        booking=booking,
        when=when,
        booking_url=absolute_url("booking.booking_detail", reference=booking.reference),
    )
