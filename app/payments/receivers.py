"""Payments react to a booking's cancellation and no-show: the policy's fee is recorded once,
kept from what was paid online first, and its rest charged to the saved card by a job."""

from __future__ import annotations

from app.booking.events import booking_cancelled, booking_marked
from app.booking.models import Booking, BookingStatus
from app.payments.fees import record_fee


@booking_cancelled.connect_via(BookingStatus.CANCELLED_BY_CUSTOMER)
def late_cancellation_fee(status: str, *, booking: Booking, fee_due: bool) -> None:
    if fee_due:
        record_fee(booking, "late_cancellation")


@booking_marked.connect_via("no_show")
def no_show_fee(action: str, *, booking: Booking) -> None:
    if booking.no_show_fee_percent:
        record_fee(booking, "no_show")
