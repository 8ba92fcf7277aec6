"""Free in this window: which venues can actually take a booking between two instants.

The answer comes from the bookings slot engine (``app.booking.availability.get_slots``), so it
sees opening hours, closures, bookings, live holds, time blocks, minimum notice and team
assignments exactly as checkout does. A venue is free when at least one active service has a
slot that starts and ends inside the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking.availability import get_slots
from app.extensions import db
from app.venues.models import TeamMember, Venue, VenueStatus


def local_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """The local dates (in ``tz``) the window [start, end) touches."""
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def venues_free_between(
    venue_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime | None = None
) -> set[int]:
    """Ids of the approved venues among ``venue_ids`` with a bookable slot inside [start, end)."""
    ids = sorted(set(venue_ids))
    if not ids or end <= start:
        return set()
    venues = db.session.scalars(
        select(Venue)
        .where(Venue.id.in_(ids), Venue.status == VenueStatus.APPROVED)
        .options(
            selectinload(Venue.services),
            selectinload(Venue.opening_hours),
            selectinload(Venue.closures),
            selectinload(Venue.team).selectinload(TeamMember.services),
        )
    )
    free: set[int] = set()
    for venue in venues:
        days = local_days(start, end, venue.timezone)
        if any(
            slot.start >= start and slot.end <= end
            for service in venue.active_services
            for day in days
            for slot in get_slots(service, day, now=now)
        ):
            free.add(venue.id)
    return free
