"""The slot engine fed from the database: one place that turns rows into engine inputs.

One module on purpose, over 500 lines: what the engine is fed (bookings and holds, the units of
rooms and equipment they take, blocks, schedules, what services need) is read here in a fixed
few statements for a page, a calendar, a venue or a list of cards, and checkout's first look
counts the same things in SQL; split, the two readings of one rule would drift apart.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    case,
    cast,
    inspect,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)

from app.booking.models import LIVE_STATUSES, Booking, BookingResource, BookingStatus
from app.booking.time_blocks import occurrences_query
from app.platform.extensions import db
from app.platform.sqlutil import in_ids
from app.platform.timefmt import venue_zone
from app.slot_engine import (
    Busy,
    MemberSchedule,
    Part,
    Placed,
    Rules,
    ServiceSpec,
    Slot,
    available_slots,
    bookable_days,
    group_days,
    group_starts,
    slot_at,
)
from app.team_schedules.calendar_sync import busy_select
from app.team_schedules.service import schedule_selects, schedules_from_rows
from app.venues.addons import Choice
from app.venues.models import (
    Resource,
    Service,
    ServiceResource,
    TeamMember,
    Venue,
    VenueStatus,
    team_member_services,
)
from app.venues.processing import gap_within


def booking_rules(service: Service | None = None) -> Rules:
    """The slot engine's rules for ``service``: its own minimum notice and maximum advance
    (docs/booking-rules.md), the advance never past the platform's BOOKING_MAX_ADVANCE_DAYS
    (search and the calendars look no further); without a service, the platform's own."""
    config = current_app.config
    notice = config["BOOKING_MIN_NOTICE_MINUTES"] if service is None else min_notice_minutes(service)
    advance = config["BOOKING_MAX_ADVANCE_DAYS"] if service is None else max_advance_days(service)
    return Rules(
        slot_interval=timedelta(minutes=config["SLOT_INTERVAL_MINUTES"]),
        min_notice=timedelta(minutes=notice),
        max_advance=timedelta(days=advance),
    )


def min_notice_minutes(service: Service) -> int:
    """How long before the start ``service`` can be booked at the latest: its own, else the platform's."""
    own = service.min_notice_minutes
    return current_app.config["BOOKING_MIN_NOTICE_MINUTES"] if own is None else own


def max_advance_days(service: Service) -> int:
    """How many days ahead ``service`` can be booked: its own limit under the platform's."""
    platform = current_app.config["BOOKING_MAX_ADVANCE_DAYS"]
    return platform if service.max_advance_days is None else min(platform, service.max_advance_days)


def service_spec(service: Service, *, choice: Choice | None = None) -> ServiceSpec:
    """The slot engine's view of ``service``, booked as ``choice`` (its option's length plus its
    add-ons' minutes; None: the service as it is)."""
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
    return _spec(service, (choice or Choice()).minutes(service), members)


def _spec(service: Service, minutes: int, members: frozenset[int]) -> ServiceSpec:
    """The slot engine's view of ``service`` booked for ``minutes``, performed by ``members``."""
    return ServiceSpec(
        id=service.id,
        duration=timedelta(minutes=minutes),
        buffer=timedelta(minutes=service.buffer_minutes),
        capacity=service.capacity,
        team_member_ids=members,
        gap=gap_within(service, minutes),
    )


def with_needs(spec: ServiceSpec, needs: Needs) -> ServiceSpec:
    """``spec`` with what its service needs of rooms and equipment (read with the busyness)."""
    wanted = needs.get(spec.id, ())
    if not wanted:
        return spec
    each = tuple((rid, units, qty) for rid, units, qty, shared in wanted if not shared)
    shared = tuple((rid, units, qty) for rid, units, qty, shared in wanted if shared)
    return replace(spec, needs=each, shared_needs=shared)


def venue_hours(venue: Venue) -> dict[int, list[tuple[int, int]]]:
    hours: dict[int, list[tuple[int, int]]] = {}
    for h in venue.opening_hours:
        hours.setdefault(h.weekday, []).append((h.opens_minute, h.closes_minute))
    return hours


# What services need of rooms and equipment: service id -> ((resource id, units, quantity), ...).
# (resource id, units, quantity, shared by a sitting's guests), by service id.
Needs = dict[int, tuple[tuple[int, int, int, bool], ...]]
# (bookings and holds with the units of rooms they take, time blocks, team members' schedules:
# weekly hours, exceptions, time off, and what the services need of rooms and equipment)
Busyness = tuple[list[Busy], list[Busy], dict[int, MemberSchedule], Needs]


def _live_bookings(
    start: datetime, end: datetime, *whose, units: Any, excluding: Collection[int] = ()
) -> list[tuple[int, int | None, Busy]]:
    """(venue id, team member id, Busy) of live bookings and holds meeting ``start``..``end``
    that match ``whose`` (or-ed), and of the units of rooms and equipment they take that match
    ``units`` (a condition on ``booking_resources``), except the bookings ``excluding`` (being
    moved: one, or a whole visit). Expired holds are included: the engine ignores them. One statement (a union).

    Plain columns, not ORM objects: a busy month is thousands of rows, and building a
    ``Booking`` for each costs more than the whole slot computation.
    """
    no_int, no_time = cast(null(), Integer), cast(null(), DateTime(timezone=True))
    bookings = select(
        Booking.starts_at,
        Booking.ends_at,
        Booking.blocks_until,
        Booking.quantity,
        Booking.service_id,
        Booking.team_member_id,
        Booking.status,
        Booking.hold_expires_at,
        Booking.venue_id,
        no_int.label("resource_id"),
        no_int.label("unit"),
        Booking.gap_starts_at,
        Booking.gap_ends_at,
    ).where(
        Booking.status.in_(list(LIVE_STATUSES)),
        Booking.starts_at < end,
        Booking.blocks_until > start,
        or_(*whose),
        *([Booking.id.not_in(list(excluding))] if excluding else []),
    )
    taken = (
        select(
            BookingResource.starts_at,
            BookingResource.blocks_until,
            BookingResource.blocks_until,
            literal(1, Integer),
            no_int,
            no_int,
            Booking.status,
            Booking.hold_expires_at,
            Booking.venue_id,
            BookingResource.resource_id,
            BookingResource.unit,
            no_time,
            no_time,
        )
        .join(Booking, Booking.id == BookingResource.booking_id)
        .where(
            BookingResource.live,
            BookingResource.starts_at < end,
            BookingResource.blocks_until > start,
            units,
            *([BookingResource.booking_id.not_in(list(excluding))] if excluding else []),
        )
    )
    found = []
    # Unpacked, not read by name: a month of a busy venue is thousands of rows, and a row's
    # attribute costs more than a tuple's place (bench/availability: 30 days with reads, +5 ms).
    for (
        starts_at,
        ends_at,
        until,
        quantity,
        service_id,
        member_id,
        status,
        expires,
        venue_id,
        resource,
        unit,
        gap_from,
        gap_to,
    ) in db.session.execute(union_all(bookings, taken)).all():
        busy = Busy(
            start=starts_at,
            end=ends_at,
            quantity=quantity,
            service_id=service_id,
            team_member_id=member_id,
            buffer=until - ends_at,
            expires_at=expires if status == "held" else None,
            resource_id=resource,
            unit=unit or 0,
            gap=(gap_from, gap_to) if gap_from is not None else None,
        )
        found.append((venue_id, member_id, busy))
    return found


def _blocks_and_schedules(
    venue_ids: list[int], member_ids: list[int], start: datetime, end: datetime, *, needs: Any
) -> tuple[list[tuple[int, Busy]], dict[int, MemberSchedule], Needs]:
    """(venue id, Busy) of the venues' time blocks meeting ``start``..``end``, the schedules
    of these team members, and what the services matching ``needs`` (a condition on
    ``service_resources``) need of rooms and equipment: one statement (a union), since every
    slot page needs them all."""
    no_date, no_int = cast(null(), Date), cast(null(), Integer)
    found = occurrences_query(venue_ids, start, end)  # single blocks, and repeating ones expanded
    blocks = select(
        literal("b", String).label("kind"),
        found.c.member.label("member"),
        found.c.number.label("number"),
        no_date.label("on"),
        no_date.label("until"),
        no_int.label("opens"),
        no_int.label("closes"),
        found.c.off_from.label("off_from"),
        found.c.off_until.label("off_until"),
    )
    no_time = cast(null(), DateTime(timezone=True))
    # kind "n" (or "s": shared by a sitting's guests): a service (member), a resource (number),
    # units (opens), quantity (closes)
    wanted = (
        select(
            case((ServiceResource.shared, literal("s", String)), else_=literal("n", String)),
            ServiceResource.service_id,
            ServiceResource.resource_id,
            no_date,
            no_date,
            ServiceResource.units,
            Resource.quantity,
            no_time,
            no_time,
        )
        .join(Resource, Resource.id == ServiceResource.resource_id)
        .where(needs)
    )
    # The members' schedules, and the busy times of their own calendars as part-day time off.
    schedules = [*schedule_selects(member_ids, start, end), busy_select(member_ids, start, end)] if member_ids else []
    statement = union_all(blocks, wanted, *schedules)
    rows = db.session.execute(statement).all()
    found = [
        (venue_id, Busy(start=starts_at, end=ends_at, team_member_id=member_id))
        for kind, member_id, venue_id, _, _, _, _, starts_at, ends_at in rows
        if kind == "b"
    ]
    wants: dict[int, list[tuple[int, int, int, bool]]] = {}
    for kind, service_id, resource_id, _, _, units, quantity, _, _ in rows:
        if kind in ("n", "s"):
            wants.setdefault(service_id, []).append((resource_id, units, quantity, kind == "s"))
    return found, schedules_from_rows(rows), {service_id: tuple(sorted(w)) for service_id, w in wants.items()}


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
    ``excluding_booking_id``: leave that booking out (a reschedule may overlap its own time).
    With the units of the rooms and equipment the service needs (every one of the venue's when
    ``venue_wide``) and what it needs of them, in the same two statements."""
    needed = select(ServiceResource.resource_id).where(ServiceResource.service_id == service.id)
    busy = _live_bookings(
        start,
        end,
        Booking.venue_id == venue_id if venue_wide else Booking.service_id == service.id,
        in_ids(Booking.team_member_id, sorted(service.team_member_ids)),
        units=Booking.venue_id == venue_id if venue_wide else BookingResource.resource_id.in_(needed.scalar_subquery()),
        excluding=() if excluding_booking_id is None else (excluding_booking_id,),
    )
    blocks, schedules, needs = _blocks_and_schedules(
        [venue_id],
        sorted(service.team_member_ids),
        start,
        end,
        needs=Resource.venue_id == venue_id if venue_wide else ServiceResource.service_id == service.id,
    )
    return [b for _, _, b in busy], [b for _, b in blocks], schedules, needs


def get_busy_for_venues(venues: list[Venue], start: datetime, end: datetime) -> dict[int, Busyness]:
    """What can stop any service of these venues (their bookings, their teams' bookings and
    their blocks and their teams' schedules), in two queries whatever their number: for cards
    and carts."""
    return get_busy_for_teams({v.id: [m.id for m in v.team] for v in venues}, start, end)


def get_busy_for_teams(teams: dict[int, list[int]], start: datetime, end: datetime) -> dict[int, Busyness]:
    """get_busy_for_venues by ids: ``teams`` maps each venue id to its team members' ids."""
    venue_ids = set(teams)
    member_venue = {member_id: venue_id for venue_id, members in teams.items() for member_id in members}
    found: dict[int, Busyness] = {venue_id: ([], [], {}, {}) for venue_id in teams}
    for venue_id, member_id, busy in _live_bookings(
        start,
        end,
        in_ids(Booking.venue_id, venue_ids),
        in_ids(Booking.team_member_id, member_venue),
        units=in_ids(Booking.venue_id, venue_ids),
    ):
        # A booking counts at its venue, and wherever its team member works (its rooms: at its venue).
        for counted_at in {venue_id, member_venue.get(member_id)} & venue_ids:
            found[counted_at][0].append(busy)
    blocks, schedules, needs = _blocks_and_schedules(
        sorted(venue_ids), sorted(member_venue), start, end, needs=in_ids(Resource.venue_id, venue_ids)
    )
    for venue_id, block in blocks:
        found[venue_id][1].append(block)
    for member_id, schedule in schedules.items():
        found[member_venue[member_id]][2][member_id] = schedule
    for venue_id in venue_ids:  # by service id: each venue's services are found there
        found[venue_id][3].update(needs)
    return found


def busy_window(first_day: date, days: int = 1) -> tuple[datetime, datetime]:
    """The span whose busyness ``get_slots``/``get_bookable_days`` read for these days: generous
    by a day on each side, since local days span up to 26 hours of UTC."""
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC) - timedelta(days=1)
    return start, start + timedelta(days=days + 2)


def _venue_inputs(
    venue: Venue, now: datetime, busy: list[Busy], blocks: list[Busy], schedules: dict[int, MemberSchedule]
) -> dict[str, Any]:
    """What the slot engine reads of a venue: its time zone, opening hours and closures, and
    what is busy there (bookings and holds, blocks, its team's schedules) as of ``now``."""
    return {
        "tz": venue.timezone,
        "hours": venue_hours(venue),
        "closures": [(c.starts_on, c.ends_on) for c in venue.closures],
        "busy": busy,
        "blocks": blocks,
        "now": now,
        "schedules": schedules,
    }


def _service_inputs(
    service: Service,
    window: tuple[datetime, datetime],
    now: datetime | None,
    busy: Busyness | None,
    choice: Choice | None = None,
) -> dict[str, Any]:
    """The slot engine's arguments for one service (booked as ``choice``): its venue's, its own,
    and what is busy in ``window`` (read unless ``busy`` is given)."""
    now = now or datetime.now(UTC)
    spec = service_spec(service, choice=choice)
    busy, blocks, schedules, needs = busy or get_busy(service.venue.id, spec, *window)
    return {
        **_venue_inputs(service.venue, now, busy, blocks, schedules),
        "service": with_needs(spec, needs),
        "rules": booking_rules(service),
    }


def get_slots(
    service: Service,
    day: date,
    *,
    now: datetime | None = None,
    busy: Busyness | None = None,
    choice: Choice | None = None,
) -> list[Slot]:
    """Free slots of ``service`` (as long as ``choice``; None: its own length) on ``day``; ``busy``
    (covering ``busy_window(day)``) saves the queries."""
    return available_slots(day=day, **_service_inputs(service, busy_window(day), now, busy, choice))


def get_bookable_days(
    service: Service,
    first_day: date,
    days: int,
    *,
    now: datetime | None = None,
    busy: Busyness | None = None,
    choice: Choice | None = None,
) -> dict[date, int]:
    return bookable_days(
        first_day=first_day,
        days=days,
        **_service_inputs(service, busy_window(first_day, days), now, busy, choice),
    )


def _group_inputs(
    venue: Venue,
    guests: list[list[Part]],
    window: tuple[datetime, datetime],
    now: datetime | None,
    excluding: Collection[int] = (),
) -> dict[str, Any]:
    """The engine's arguments for a visit of one guest or a group (app/booking/visits.py): the
    venue's bookings, blocks and team read once for all of its parts, each part with what its
    service needs of rooms and equipment. ``excluding``: bookings left out (a visit being moved)."""
    now = now or datetime.now(UTC)
    team = sorted(frozenset().union(*(p.service.team_member_ids for parts in guests for p in parts)))
    service_ids = sorted({p.service.id for parts in guests for p in parts})
    # What can stop any of its parts: their services' bookings, their team's, and the units of
    # the rooms they need (not the whole venue's: a visit asks about a few services).
    needed = select(ServiceResource.resource_id).where(ServiceResource.service_id.in_(service_ids))
    found = _live_bookings(
        *window,
        Booking.service_id.in_(service_ids),
        in_ids(Booking.team_member_id, team),
        units=BookingResource.resource_id.in_(needed.scalar_subquery()),
        excluding=excluding,
    )
    blocks, schedules, needs = _blocks_and_schedules(
        [venue.id], team, *window, needs=ServiceResource.service_id.in_(service_ids)
    )
    with_rooms = [[replace(p, service=with_needs(p.service, needs)) for p in parts] for parts in guests]
    return {
        **_venue_inputs(venue, now, [b for _, _, b in found], [b for _, b in blocks], schedules),
        "guests": with_rooms,
    }


def get_group_starts(
    venue: Venue,
    guests: list[list[Part]],
    day: date,
    *,
    now: datetime | None = None,
    excluding: Collection[int] = (),
) -> list[tuple[Placed, ...]]:
    """The start times on ``day`` at which every guest's treatments fit, each with every treatment
    placed; the bookings ``excluding`` left out (a visit being moved)."""
    inputs = _group_inputs(venue, guests, busy_window(day), now, excluding)
    return group_starts(day=day, **inputs)


def get_group_days(
    venue: Venue,
    guests: list[list[Part]],
    first_day: date,
    days: int,
    *,
    now: datetime | None = None,
    excluding: Collection[int] = (),
) -> dict[date, bool]:
    """Whether each day from ``first_day`` has a start at which the visit fits (its calendar)."""
    inputs = _group_inputs(venue, guests, busy_window(first_day, days), now, excluding)
    return group_days(first_day=first_day, days=days, **inputs)


def get_visit_starts(
    venue: Venue, parts: list[Part], day: date, *, now: datetime | None = None
) -> list[tuple[Slot, ...]]:
    """One guest's visit: the start times on ``day`` at which ``parts`` fit back to back, with their slots."""
    return [tuple(p.slot for p in placed) for placed in get_group_starts(venue, [parts], day, now=now)]


def get_visit_days(
    venue: Venue, parts: list[Part], first_day: date, days: int, *, now: datetime | None = None
) -> dict[date, bool]:
    """One guest's visit: whether each day from ``first_day`` has a start at which it fits."""
    return get_group_days(venue, [parts], first_day, days, now=now)


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
    specs = [_spec(s, s.duration_minutes, frozenset(performers[s.id])) for s in services]
    # Everything any of them can meet: the venue's own bookings and its team's.
    everything = ServiceSpec(id=-1, duration=timedelta(0), team_member_ids=frozenset().union(*performers.values()))
    busy, blocks, schedules, needs = get_busy(venue.id, everything, *busy_window(first_day, days), venue_wide=True)
    common = {**_venue_inputs(venue, now, busy, blocks, schedules), "first_day": first_day, "days": days}
    return {
        spec.id: bookable_days(service=with_needs(spec, needs), rules=booking_rules(s), **common)
        for spec, s in zip(specs, services, strict=True)
    }


def find_slot(
    service: Service,
    starts_at: datetime,
    *,
    now: datetime | None = None,
    busy: Busyness | None = None,
    choice: Choice | None = None,
    on_step: bool = True,
) -> Slot | None:
    """The slot starting exactly at ``starts_at`` (as long as ``choice``), if it is free now and,
    with ``on_step``, one the booking page offers (on the service's step). A visit's later
    treatment starts when the one before it ends, on the step or not (``on_step`` False)."""
    # In UTC: Python never finds a time in a repeated (autumn) hour equal to one in another
    # zone, so 01:30 Europe/London on a fall-back day is named by its instant.
    starts_at = starts_at.astimezone(UTC)
    local_day = starts_at.astimezone(venue_zone(service.venue)).date()
    inputs = _service_inputs(service, busy_window(local_day), now, busy, choice)
    if not on_step:
        return slot_at(start=starts_at, **inputs)
    return next((s for s in available_slots(day=local_day, **inputs) if s.start == starts_at), None)


# Checkout's first look, in SQL: for each wanted time, its service and venue, and what live
# bookings alone say of it, counted exactly as the slot engine counts them. ``{wanted}`` is a
# relation of (item_id, service_id, option_id, addon_ids, starts_at, quantity, team_member_id,
# position): the customer's cart, or one time (``taken_by_bookings``); the span is the option's (or
# the service's) length plus the chosen add-ons' minutes (those still the service's). It ignores
# blocks, hours and closures, so it never refuses a time the engine would offer. Rooms and equipment: a unit that a live
# booking holds at any moment of the time is not free for all of it, so a resource with fewer
# untouched units than one booking needs rules the time out, as the engine would ("no_room").
_FIRST_LOOK = """
WITH wanted AS ({wanted}),
lengths AS (
    SELECT w.*, s.venue_id, s.capacity, s.name AS service_name, s.is_active, s.currency, s.buffer_minutes,
           s.processing_after_minutes, s.processing_minutes,
           coalesce(o.duration_minutes, s.duration_minutes)
           + coalesce((SELECT sum(a.extra_minutes) FROM service_addons a
                       WHERE a.id = ANY(w.addon_ids) AND a.service_id = w.service_id), 0)::integer AS minutes
    FROM wanted w JOIN services s ON s.id = w.service_id
    LEFT JOIN service_options o ON o.id = w.option_id AND o.service_id = w.service_id
),
gaps AS (  -- the processing gap in minutes from the start (NULL: none, or none that fits: gap_within)
    SELECT l.*, l.minutes + l.buffer_minutes AS total,
           CASE WHEN l.processing_after_minutes + l.processing_minutes < l.minutes
                THEN l.processing_after_minutes END AS gap_from,
           CASE WHEN l.processing_after_minutes + l.processing_minutes < l.minutes
                THEN l.processing_after_minutes + l.processing_minutes END AS gap_to
    FROM lengths l
),
spans AS (
    SELECT g.*, g.starts_at + make_interval(mins => g.total) AS until,
           tstzmultirange(
               tstzrange(g.starts_at, g.starts_at + make_interval(mins => coalesce(g.gap_from, g.total))),
               tstzrange(g.starts_at + make_interval(mins => coalesce(g.gap_to, g.total)),
                         g.starts_at + make_interval(mins => g.total))) AS working
    FROM gaps g
),
performers AS (
    SELECT DISTINCT sp.service_id, tms.team_member_id
    FROM spans sp
    JOIN team_member_services tms ON tms.service_id = sp.service_id
    JOIN team_members tm ON tm.id = tms.team_member_id AND tm.venue_id = sp.venue_id
)
SELECT sp.item_id, sp.service_id, sp.starts_at, sp.quantity, sp.capacity, sp.service_name,
       sp.is_active, sp.currency, v.name AS venue_name, v.timezone, v.status AS venue_status,
       (SELECT coalesce(sum(b.quantity), 0) FROM bookings b
         WHERE b.service_id = sp.service_id AND {live}) AS used_places,
       (SELECT count(*) FROM performers p WHERE p.service_id = sp.service_id) AS people,
       (SELECT count(DISTINCT b.team_member_id) FROM bookings b
         WHERE {live} AND {working} AND b.team_member_id IN (
             SELECT p.team_member_id FROM performers p WHERE p.service_id = sp.service_id)) AS busy_people,
       (sp.team_member_id IS NOT NULL AND EXISTS (
           SELECT 1 FROM bookings b
           WHERE {live} AND {working} AND b.team_member_id = sp.team_member_id)) AS chosen_busy,
       EXISTS (
           SELECT 1 FROM service_resources sr JOIN resources r ON r.id = sr.resource_id
           WHERE sr.service_id = sp.service_id
             AND r.quantity - (SELECT count(DISTINCT br.unit) FROM booking_resources br
                               JOIN bookings b ON b.id = br.booking_id
                               WHERE br.resource_id = r.id AND br.live AND {live}) < sr.units) AS no_room
FROM spans sp JOIN venues v ON v.id = sp.venue_id
ORDER BY sp.position, sp.item_id
"""
_LIVE = (
    "b.status IN ('held', 'confirmed') AND (b.status <> 'held' OR b.hold_expires_at > :now)"
    " AND b.starts_at < sp.until AND b.blocks_until > sp.starts_at"
)
# A team member is busy only in working parts: a booking's, less its processing gap, meeting the
# wanted time's (as the exclusion constraint of migration 0074 compares them).
_WORKING = (
    "tstzmultirange(tstzrange(b.starts_at, coalesce(b.gap_starts_at, b.blocks_until)),"
    " tstzrange(coalesce(b.gap_ends_at, b.blocks_until), b.blocks_until)) && sp.working"
)
assert tuple(LIVE_STATUSES) == (BookingStatus.HELD, BookingStatus.CONFIRMED)  # as _LIVE spells them
_CART_ITEMS = (
    "SELECT ci.id AS item_id, ci.service_id, ci.option_id, ci.addon_ids, ci.starts_at, ci.quantity, ci.team_member_id,"
    " ci.created_at AS position FROM cart_items ci WHERE ci.user_id = :user_id AND ci.expires_at > :now"
)
_ONE_TIME = (
    "SELECT 0 AS item_id, CAST(:service_id AS integer) AS service_id, CAST(:option_id AS integer) AS option_id,"
    " CAST(:addon_ids AS integer[]) AS addon_ids, CAST(:starts_at AS timestamptz) AS starts_at,"
    " CAST(:quantity AS integer) AS quantity, CAST(:team_member_id AS integer) AS team_member_id, 0 AS position"
)
FIRST_LOOK_AT_CART = text(_FIRST_LOOK.format(wanted=_CART_ITEMS, live=_LIVE, working=_WORKING))
FIRST_LOOK_AT_TIME = text(_FIRST_LOOK.format(wanted=_ONE_TIME, live=_LIVE, working=_WORKING))


@dataclass(frozen=True)
class FirstLook:
    """One wanted time as checkout's first look sees it."""

    item_id: int
    service_id: int
    starts_at: datetime
    service_name: str
    venue_name: str
    timezone: str
    currency: str
    offered: bool  # the service is active at an approved venue
    taken: str | None  # "full", "member" (the chosen team member is booked then) or None


def _first_look(row: Any) -> FirstLook:
    remaining = row.capacity - row.used_places
    if row.people:
        remaining = min(remaining, row.people - row.busy_people)
    full = remaining < row.quantity or row.no_room
    taken = "full" if full else ("member" if row.chosen_busy else None)
    return FirstLook(
        item_id=row.item_id,
        service_id=row.service_id,
        starts_at=row.starts_at,
        service_name=row.service_name,
        venue_name=row.venue_name,
        timezone=row.timezone,
        currency=row.currency,
        offered=row.is_active and row.venue_status == VenueStatus.APPROVED,
        taken=taken,
    )


def first_look_at_cart(user_id: int, now: datetime) -> list[FirstLook]:
    """Every unexpired item of ``user_id``'s cart, in cart order, in one statement."""
    rows = db.session.execute(FIRST_LOOK_AT_CART, {"user_id": user_id, "now": now})
    return [_first_look(row) for row in rows]


def taken_by_bookings(
    service: Service,
    starts_at: datetime,
    *,
    quantity: int,
    team_member_id: int | None,
    now: datetime,
    choice: Choice | None = None,
) -> str | None:
    """Is ``starts_at`` already ruled out by live bookings alone? "full" when they leave fewer
    than ``quantity`` places (or free team members), "member" when the chosen team member is
    booked then, None when only ``find_slot`` can tell. The first look for one time."""
    params = {
        "service_id": service.id,
        "option_id": choice.option.id if choice is not None and choice.option is not None else None,
        "addon_ids": [addon.id for addon in choice.addons] if choice is not None else [],
        "starts_at": starts_at,
        "quantity": quantity,
        "team_member_id": team_member_id,
        "now": now,
    }
    return _first_look(db.session.execute(FIRST_LOOK_AT_TIME, params).one()).taken
