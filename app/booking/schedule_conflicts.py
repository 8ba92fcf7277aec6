"""Bookings a schedule change would leave outside their team member's working time: the
schedules page lists them and asks before saving (a change never moves or cancels them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from app.booking.models import Booking, BookingStatus
from app.platform.extensions import db
from app.slot_engine import member_works
from app.team_schedules.service import load_schedules
from app.venues.models import TeamMember, Venue


def find_bookings_outside_hours(venue: Venue, members: list[TeamMember], *, now: datetime) -> list[Booking]:
    """Upcoming live bookings of ``members`` that their schedules, as they stand in this
    transaction, leave outside working time (or inside time off)."""
    ids = [m.id for m in members]
    bookings = list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.venue_id == venue.id,
                Booking.team_member_id.in_(ids or [-1]),
                Booking.ends_at > now,
                or_(
                    Booking.status == BookingStatus.CONFIRMED,
                    and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now),
                ),
            )
            .options(selectinload(Booking.customer), selectinload(Booking.service))
            .order_by(Booking.starts_at, Booking.id)
        )
    )
    if not bookings:
        return []
    schedules = load_schedules(ids, bookings[0].starts_at, max(b.ends_at for b in bookings))
    return [
        b
        for b in bookings
        if b.team_member_id in schedules
        and not member_works(schedules[b.team_member_id], venue.timezone, b.starts_at, b.ends_at)
    ]
