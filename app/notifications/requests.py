"""A request-to-book the venue accepted: the customer is told by email that it is confirmed
(catalogue.request_accepted). A declined or lapsed request is a venue cancellation: the
cancellation email says why (app/notifications/cancellations.py)."""

from __future__ import annotations

from app.booking.events import request_answered
from app.booking.models import Booking
from app.notifications import catalogue


@request_answered.connect_via("accepted")
def on_accepted(_state: str, *, booking: Booking, refund_minor: int) -> None:
    catalogue.request_accepted.send(booking.customer, booking=booking)
