"""The slot engine fed from the database: one place that turns rows into engine inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    inspect,
    literal,
    null,
    or_,
    select,
    union_all,
)

from app.booking.models import LIVE_STATUSES, Booking, BookingStatus, TimeBlock
from app.extensions import db
from app.schedules.service import schedule_selects, schedules_from_rows
from app.scheduling import Busy, MemberSchedule, Rules, ServiceSpec, Slot, available_slots, bookable_days
from app.venues.models import Service, TeamMember, Venue, team_member_services


def booking_rules() -> Rules:
    config = current_app.config
    return Rules(
        slot_interval=timedelta(minutes=config["SLOT_INTERVAL_MINUTES"]),
        min_notice=timedelta(minutes=config["BOOKING_MIN_NOTICE_MINUTES"]),
        max_advance=timedelta(days=config["BOOKING_MAX_ADVANCE_DAYS"]),
    )


def service_spec(service: Service) -> ServiceSpec:
    venue = service.venue
    if "team" not in inspect(venue).unloaded and all("services" not in inspect(m).unloaded for m in venue.team):
        # A page that loaded the team with its services (cards, carts): no query per service.
        members = frozenset(m.id for m in venue.team if service in m.services)
    else:
        # One query for who performs it (not the venue's team and each member's services).
        members = frozenset(
            db.session.scalars(
                select(team_member_services.c.team_member_id)
                .join(TeamMember, TeamMember.id == team_member_services.c.team_member_id)
                .where(team_member_services.c.service_id == service.id, TeamMember.venue_id == service.venue_id)
            )
        )
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


# (bookings and holds, time blocks, team members' schedules: weekly hours, exceptions, time off)
Busyness = tuple[list[Busy], list[Busy], dict[int, MemberSchedule]]


def _live_bookings(
    start: datetime, end: datetime, *whose, excluding: int | None = None
) -> list[tuple[int, int | None, Busy]]:
    """(venue id, team member id, Busy) of live bookings and holds meeting ``start``..``end``
    that match ``whose`` (or-ed), except booking ``excluding`` (one being moved). Expired
    holds are included: the engine ignores them.

    Plain columns, not ORM objects: a busy month is thousands of rows, and building a
    ``Booking`` for each costs more than the whole slot computation.
    """
    rows = db.session.execute(
        select(
            Booking.starts_at,
            Booking.ends_at,
            Booking.blocks_until,
            Booking.quantity,
            Booking.service_id,
            Booking.team_member_id,
            Booking.status,
            Booking.hold_expires_at,
            Booking.venue_id,
        ).where(
            Booking.status.in_(list(LIVE_STATUSES)),
            Booking.starts_at < end,
            Booking.blocks_until > start,
            or_(*whose),
            *([Booking.id != excluding] if excluding is not None else []),
        )
    )
    return [
        (
            venue_id,
            member_id,
            Busy(
                start=starts_at,
                end=ends_at,
                quantity=quantity,
                service_id=service_id,
                team_member_id=member_id,
                buffer=blocks_until - ends_at,
                expires_at=expires if status == "held" else None,
            ),
        )
        for starts_at, ends_at, blocks_until, quantity, service_id, member_id, status, expires, venue_id in rows
    ]


def _blocks_and_schedules(
    venue_ids: list[int], member_ids: list[int], start: datetime, end: datetime
) -> tuple[list[tuple[int, Busy]], dict[int, MemberSchedule]]:
    """(venue id, Busy) of the venues' time blocks meeting ``start``..``end``, and the schedules
    of these team members: one statement (a union), since every slot page needs both."""
    no_date, no_int = cast(null(), Date), cast(null(), Integer)
    blocks = select(
        literal("b", String).label("kind"),
        TimeBlock.team_member_id.label("member"),
        TimeBlock.venue_id.label("number"),
        no_date.label("on"),
        no_date.label("until"),
        no_int.label("opens"),
        no_int.label("closes"),
        TimeBlock.starts_at.label("off_from"),
        TimeBlock.ends_at.label("off_until"),
    ).where(TimeBlock.venue_id.in_(venue_ids or [-1]), TimeBlock.starts_at < end, TimeBlock.ends_at > start)
    statement = union_all(blocks, *schedule_selects(member_ids, start, end)) if member_ids else blocks
    rows = db.session.execute(statement).all()
    found = [
        (venue_id, Busy(start=starts_at, end=ends_at, team_member_id=member_id))
        for kind, member_id, venue_id, _, _, _, _, starts_at, ends_at in rows
        if kind == "b"
    ]
    return found, schedules_from_rows(rows)


def get_busy(
    venue_id: int,
    service: ServiceSpec,
    start: datetime,
    end: datetime,
    *,
    venue_wide: bool = False,
    excluding_booking_id: int | None = None,
) -> Busyness:
    """What can stop ``service`` between ``start`` and ``end``: live bookings and holds of the
    service or of its team members, the venue's blocks, and its team members' schedules.
    ``venue_wide``: every booking of the venue too (for all its services).
    ``excluding_booking_id``: leave that booking out (a reschedule may overlap its own time)."""
    busy = _live_bookings(
        start,
        end,
        Booking.venue_id == venue_id if venue_wide else Booking.service_id == service.id,
        Booking.team_member_id.in_(sorted(service.team_member_ids) or [-1]),
        excluding=excluding_booking_id,
    )
    blocks, schedules = _blocks_and_schedules([venue_id], sorted(service.team_member_ids), start, end)
    return [b for _, _, b in busy], [b for _, b in blocks], schedules


def get_busy_for_venues(venues: list[Venue], start: datetime, end: datetime) -> dict[int, Busyness]:
    """What can stop any service of these venues (their bookings, their teams' bookings and
    their blocks and their teams' schedules), in two queries whatever their number: for cards
    and carts."""
    venue_ids = {v.id for v in venues}
    member_venue = {m.id: v.id for v in venues for m in v.team}
    found: dict[int, Busyness] = {v.id: ([], [], {}) for v in venues}
    for venue_id, member_id, busy in _live_bookings(
        start, end, Booking.venue_id.in_(venue_ids or [-1]), Booking.team_member_id.in_(list(member_venue) or [-1])
    ):
        # A booking counts at its venue, and wherever its team member works.
        for counted_at in {venue_id, member_venue.get(member_id)} & venue_ids:
            found[counted_at][0].append(busy)
    blocks, schedules = _blocks_and_schedules(sorted(venue_ids), sorted(member_venue), start, end)
    for venue_id, block in blocks:
        found[venue_id][1].append(block)
    for member_id, schedule in schedules.items():
        found[member_venue[member_id]][2][member_id] = schedule
    return found


def busy_window(first_day: date, days: int = 1) -> tuple[datetime, datetime]:
    """The span whose busyness ``get_slots``/``get_bookable_days`` read for these days."""
    return _window(first_day, days)


def _window(day: date, days: int = 1) -> tuple[datetime, datetime]:
    # Generous by a day on each side: local days span up to 26 hours of UTC.
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    return start, start + timedelta(days=days + 2)


def get_slots(service: Service, day: date, *, now: datetime | None = None, busy: Busyness | None = None) -> list[Slot]:
    """Free slots of ``service`` on ``day``; ``busy`` (covering ``busy_window(day)``) saves the queries."""
    venue = service.venue
    now = now or datetime.now(UTC)
    spec = service_spec(service)
    busy, blocks, schedules = busy or get_busy(venue.id, spec, *_window(day))
    return available_slots(
        day=day,
        tz=venue.timezone,
        hours=venue_hours(venue),
        closures=[(c.starts_on, c.ends_on) for c in venue.closures],
        service=spec,
        busy=busy,
        blocks=blocks,
        now=now,
        rules=booking_rules(),
        schedules=schedules,
    )


def get_bookable_days(
    service: Service, first_day: date, days: int, *, now: datetime | None = None, busy: Busyness | None = None
) -> dict[date, int]:
    venue = service.venue
    spec = service_spec(service)
    busy, blocks, schedules = busy or get_busy(venue.id, spec, *_window(first_day, days))
    return bookable_days(
        first_day=first_day,
        days=days,
        tz=venue.timezone,
        hours=venue_hours(venue),
        closures=[(c.starts_on, c.ends_on) for c in venue.closures],
        service=spec,
        busy=busy,
        blocks=blocks,
        now=now or datetime.now(UTC),
        rules=booking_rules(),
        schedules=schedules,
    )


def get_venue_bookable_days(
    venue: Venue, first_day: date, days: int, *, now: datetime | None = None
) -> dict[int, dict[date, int]]:
    """Every active service's calendar (service id -> day -> free start times), reading the
    venue's bookings, blocks and team once for all of them instead of once a service."""
    now = now or datetime.now(UTC)
    services = [s for s in venue.services if s.is_active]
    performers: dict[int, set[int]] = {s.id: set() for s in services}
    for member_id, service_id in db.session.execute(
        select(team_member_services.c.team_member_id, team_member_services.c.service_id)
        .join(TeamMember, TeamMember.id == team_member_services.c.team_member_id)
        .where(TeamMember.venue_id == venue.id)
    ):
        performers.setdefault(service_id, set()).add(member_id)
    specs = [
        ServiceSpec(
            id=s.id,
            duration=timedelta(minutes=s.duration_minutes),
            buffer=timedelta(minutes=s.buffer_minutes),
            capacity=s.capacity,
            team_member_ids=frozenset(performers[s.id]),
        )
        for s in services
    ]
    # Everything any of them can meet: the venue's own bookings and its team's.
    everything = ServiceSpec(id=-1, duration=timedelta(0), team_member_ids=frozenset().union(*performers.values()))
    busy, blocks, schedules = get_busy(venue.id, everything, *_window(first_day, days), venue_wide=True)
    common = {
        "first_day": first_day,
        "days": days,
        "tz": venue.timezone,
        "hours": venue_hours(venue),
        "closures": [(c.starts_on, c.ends_on) for c in venue.closures],
        "busy": busy,
        "blocks": blocks,
        "now": now,
        "rules": booking_rules(),
        "schedules": schedules,
    }
    return {spec.id: bookable_days(service=spec, **common) for spec in specs}


def find_slot(
    service: Service, starts_at: datetime, *, now: datetime | None = None, busy: Busyness | None = None
) -> Slot | None:
    """The slot starting exactly at ``starts_at``, if it is free now."""
    # Compare in UTC: Python never finds a time in a repeated (autumn) hour equal to one in
    # another zone, so 01:30 Europe/London on a fall-back day would match no slot.
    starts_at = starts_at.astimezone(UTC)
    local_day = starts_at.astimezone(ZoneInfo(service.venue.timezone)).date()
    return next((s for s in get_slots(service, local_day, now=now, busy=busy) if s.start == starts_at), None)


def taken_by_bookings(
    service: Service, starts_at: datetime, *, quantity: int, team_member_id: int | None, now: datetime
) -> str | None:
    """One query, no slot engine: is ``starts_at`` already ruled out by live bookings alone?

    "full" when they leave fewer than ``quantity`` places (or free team members), "member"
    when the chosen team member is booked then, None when only ``find_slot`` can tell. It
    counts bookings exactly as the engine does and ignores blocks, hours and closures, so it
    never refuses a time the engine would offer: a cheap first look for checkout.
    """
    until = starts_at + timedelta(minutes=service.duration_minutes + service.buffer_minutes)
    live = and_(
        Booking.status.in_(list(LIVE_STATUSES)),
        or_(Booking.status != BookingStatus.HELD, Booking.hold_expires_at > now),
        Booking.starts_at < until,
        Booking.blocks_until > starts_at,
    )
    performers = (
        select(team_member_services.c.team_member_id)
        .join(TeamMember, TeamMember.id == team_member_services.c.team_member_id)
        .where(team_member_services.c.service_id == service.id, TeamMember.venue_id == service.venue_id)
    )
    used = select(func.coalesce(func.sum(Booking.quantity), 0)).where(live, Booking.service_id == service.id)
    busy = select(Booking.team_member_id).where(live, Booking.team_member_id.in_(performers)).distinct()
    chosen_busy = (
        exists().where(live, Booking.team_member_id == team_member_id) if team_member_id is not None else false()
    )
    count = func.count()
    used_places, people, busy_people, chosen_is_busy = db.session.execute(
        select(
            used.scalar_subquery(),
            select(count).select_from(performers.subquery()).scalar_subquery(),
            select(count).select_from(busy.subquery()).scalar_subquery(),
            chosen_busy,
        )
    ).one()
    remaining = service.capacity - used_places
    if people:
        remaining = min(remaining, people - busy_people)
    if remaining < quantity:
        return "full"
    return "member" if chosen_is_busy else None
