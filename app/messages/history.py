"""A client's messages with the venue, for the front desk's client profile (app/web/client_profile.py):
the latest messages of some bookings' threads, newest first, hidden ones left out."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from app.messages.models import BookingMessage, Moderation
from app.platform.extensions import db


def latest_messages(booking_ids: Collection[int], *, limit: int = 20) -> list[BookingMessage]:
    """The newest ``limit`` messages of these bookings' threads (one statement), hidden ones out."""
    if not booking_ids:
        return []
    return list(
        db.session.scalars(
            select(BookingMessage)
            .where(
                BookingMessage.booking_id.in_(list(booking_ids)),
                BookingMessage.moderation.is_distinct_from(Moderation.HIDDEN),
            )
            .order_by(BookingMessage.created_at.desc(), BookingMessage.id.desc())
            .limit(limit)
        )
    )
