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

from app.booking.availability import busy_window, get_busy_for_venues, get_slots
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
    venues = list(venues)
    days = {venue.id: local_days(start, end, venue.timezone) for venue in venues}
    if not venues:
        return set()
    # Every venue's bookings, blocks and team schedules for all the days, in two queries
    # (get_busy_for_venues), instead of two per service and day.
    first = min(day for d in days.values() for day in d)
    last = max(day for d in days.values() for day in d)
    busy = get_busy_for_venues(venues, *busy_window(first, (last - first).days + 1))
    free: set[int] = set()
    for venue in venues:
        if any(
            slot.start >= start and slot.end <= end
            for service in venue.active_services
            for day in days[venue.id]
            for slot in get_slots(service, day, now=now, busy=busy[venue.id])
        ):
            free.add(venue.id)
    return free
