"""A venue cancelling its customers' bookings: each through booking's own cancellation
(app/booking/lifecycle.cancel_by_venue: the booking_cancelled receivers email the customer and
the venue), then refunded in full (app/payments/service.refund_booking: a job pays the card back).
The calendar's Cancel button, a venue closing (docs/pause-and-close.md) and an owner's erasure
(app/privacy/deletion.py) all cancel this way: there is no second refund path."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.booking import lifecycle
from app.booking.models import Booking, BookingStatus
from app.payments.service import refund_booking
from app.platform.extensions import db


def cancel_and_refund(
    booking: Booking, *, actor: Any, reason: str, refund_reason: str, now: datetime | None = None
) -> None:
    refund = lifecycle.cancel_by_venue(booking, actor=actor, reason=reason, now=now)
    refund_booking(booking, refund, reason=refund_reason)


def upcoming_bookings(venue_id: int, now: datetime, *, for_update: bool = False) -> list[Booking]:
    """The venue's confirmed bookings still to come, soonest first."""
    query = (
        select(Booking)
        .where(Booking.venue_id == venue_id, Booking.status == BookingStatus.CONFIRMED, Booking.starts_at > now)
        .order_by(Booking.starts_at, Booking.id)
    )
    return list(db.session.scalars(query.with_for_update() if for_update else query))


def count_upcoming(venue_id: int, now: datetime) -> int:
    query = select(func.count()).where(
        Booking.venue_id == venue_id, Booking.status == BookingStatus.CONFIRMED, Booking.starts_at > now
    )
    return db.session.scalar(query) or 0


def cancel_upcoming(venue_id: int, *, actor: Any, reason: str, refund_reason: str, now: datetime) -> int:
    """Cancel and refund in full every booking still to come; returns how many."""
    bookings = upcoming_bookings(venue_id, now, for_update=True)
    for booking in bookings:
        cancel_and_refund(
            booking, actor=actor, reason=reason, refund_reason=f"{refund_reason} ({booking.reference})", now=now
        )
    return len(bookings)
