"""Booking's answer to calendar sync (app/team_schedules/calendar_sync.py): a team member's
confirmed bookings as plain values, so the sync, which sits below booking, reads no booking
table. Connected on import (app/booking/wiring.py imports this module)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.booking.models import Booking, BookingStatus
from app.platform.extensions import db
from app.team_schedules.events import BookedTime, calendar_events_wanted
from app.venues.models import Service


@calendar_events_wanted.connect_via("calendar_sync")
def member_bookings(sender: str, *, member_id: int, start: datetime, end: datetime) -> list[BookedTime]:
    """The member's confirmed bookings meeting ``start``..``end``, in one statement."""
    rows = db.session.execute(
        select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.reference, Service.name)
        .join(Service, Service.id == Booking.service_id)
        .where(
            Booking.team_member_id == member_id,
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at < end,
            Booking.ends_at > start,
        )
        .order_by(Booking.starts_at)
    )
    return [
        BookedTime(booking_id=i, starts_at=s, ends_at=e, summary=f"{name} · CozyWish {reference}")
        for i, s, e, reference, name in rows
    ]
