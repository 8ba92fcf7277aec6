"""The slot engine fed from the database: one place that turns rows into engine inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, or_, select

from app.booking.models import LIVE_STATUSES, Booking, TimeBlock
from app.extensions import db
from app.scheduling import Busy, Rules, ServiceSpec, Slot, available_slots, bookable_days
from app.venues.models import Service, Venue


def booking_rules() -> Rules:
    config = current_app.config
    return Rules(
        slot_interval=timedelta(minutes=config["SLOT_INTERVAL_MINUTES"]),
        min_notice=timedelta(minutes=config["BOOKING_MIN_NOTICE_MINUTES"]),
        max_advance=timedelta(days=config["BOOKING_MAX_ADVANCE_DAYS"]),
    )


def service_spec(service: Service) -> ServiceSpec:
    members = frozenset(m.id for m in service.venue.team if service in m.services)
    return ServiceSpec(
        id=service.id,
        duration=timedelta(minutes=service.duration_minutes),
        buffer=timedelta(minutes=service.buffer_minutes),
        capacity=service.capacity,
        team_member_ids=members,
    )


def venue_hours(venue: Venue) -> dict[int, list[tuple[int, int]]]:
    hours: dict[int, list[tuple[int, int]]] = {}
    for h in venue.opening_hours:
        hours.setdefault(h.weekday, []).append((h.opens_minute, h.closes_minute))
    return hours


Busyness = tuple[list[Busy], list[Busy]]  # (bookings and holds, time blocks)


def get_busy(venue: Venue, start: datetime, end: datetime) -> Busyness:
    """Live bookings and holds (expired holds included: the engine ignores them) and blocks."""
    return get_busy_for_venues([venue], start, end)[venue.id]


def get_busy_for_venues(venues: list[Venue], start: datetime, end: datetime) -> dict[int, Busyness]:
    """``get_busy`` for many venues in two queries, whatever their number (cards, carts)."""
    venue_ids = {v.id for v in venues}
    member_venue = {m.id: v.id for v in venues for m in v.team}
    found: dict[int, Busyness] = {v.id: ([], []) for v in venues}
    rows = db.session.scalars(
        select(Booking).where(
            Booking.status.in_(list(LIVE_STATUSES)),
            Booking.starts_at < end,
            Booking.blocks_until > start,
            or_(Booking.venue_id.in_(venue_ids or [-1]), Booking.team_member_id.in_(list(member_venue) or [-1])),
        )
    )
    for b in rows:
        busy = Busy(
            start=b.starts_at,
            end=b.ends_at,
            quantity=b.quantity,
            service_id=b.service_id,
            team_member_id=b.team_member_id,
            buffer=b.blocks_until - b.ends_at,
            expires_at=b.hold_expires_at if b.status == "held" else None,
        )
        # A booking counts at its venue, and wherever its team member works.
        for venue_id in {b.venue_id, member_venue.get(b.team_member_id)} & venue_ids:
            found[venue_id][0].append(busy)
    blocks = db.session.scalars(
        select(TimeBlock).where(
            and_(TimeBlock.venue_id.in_(venue_ids or [-1]), TimeBlock.starts_at < end, TimeBlock.ends_at > start)
        )
    )
    for t in blocks:
        found[t.venue_id][1].append(Busy(start=t.starts_at, end=t.ends_at, team_member_id=t.team_member_id))
    return found


def _window(day: date, days: int = 1) -> tuple[datetime, datetime]:
    # Generous by a day on each side: local days span up to 26 hours of UTC.
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    return start, start + timedelta(days=days + 2)


def busy_window(first_day: date, days: int = 1) -> tuple[datetime, datetime]:
    """The span whose busyness ``get_slots``/``get_bookable_days`` read for these days."""
    return _window(first_day, days)


def get_slots(service: Service, day: date, *, now: datetime | None = None, busy: Busyness | None = None) -> list[Slot]:
    """Free slots of ``service`` on ``day``; ``busy`` (covering ``busy_window(day)``) saves the queries."""
    venue = service.venue
    now = now or datetime.now(UTC)
    busy, blocks = busy or get_busy(venue, *_window(day))
    return available_slots(
        day=day,
        tz=venue.timezone,
        hours=venue_hours(venue),
        closures=[(c.starts_on, c.ends_on) for c in venue.closures],
        service=service_spec(service),
        busy=busy,
        blocks=blocks,
        now=now,
        rules=booking_rules(),
    )


def get_bookable_days(
    service: Service, first_day: date, days: int, *, now: datetime | None = None, busy: Busyness | None = None
) -> dict[date, int]:
    venue = service.venue
    busy, blocks = busy or get_busy(venue, *_window(first_day, days))
    return bookable_days(
        first_day=first_day,
        days=days,
        tz=venue.timezone,
        hours=venue_hours(venue),
        closures=[(c.starts_on, c.ends_on) for c in venue.closures],
        service=service_spec(service),
        busy=busy,
        blocks=blocks,
        now=now or datetime.now(UTC),
        rules=booking_rules(),
    )


def find_slot(
    service: Service, starts_at: datetime, *, now: datetime | None = None, busy: Busyness | None = None
) -> Slot | None:
    """The slot starting exactly at ``starts_at``, if it is free now."""
    # Compare in UTC: Python never finds a time in a repeated (autumn) hour equal to one in
    # another zone, so 01:30 Europe/London on a fall-back day would match no slot.
    starts_at = starts_at.astimezone(UTC)
    local_day = starts_at.astimezone(ZoneInfo(service.venue.timezone)).date()
    return next((s for s in get_slots(service, local_day, now=now, busy=busy) if s.start == starts_at), None)
