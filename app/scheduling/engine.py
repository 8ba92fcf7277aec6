"""Which start times can a service be booked at, on one local day of one venue?

Everything is plain data: opening ranges in local minutes, closures as local dates,
existing bookings and blocks as UTC intervals. Slots are built per local date in the
venue's time zone, so they follow DST changes: a local time that does not exist (the hour
skipped in spring) is not offered, and a local time that happens twice (autumn) is offered
once, at its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class ServiceSpec:
    id: int
    duration: timedelta
    buffer: timedelta = timedelta(0)
    capacity: int = 1  # people at once
    # Who can perform it. Empty: the service needs no particular person (a class, a sauna).
    team_member_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Busy:
    """A live booking or hold (or a block when ``service_id`` is None) as a UTC interval.

    ``end`` excludes the buffer; the engine adds the buffer of the booked service.
    ``team_member_id`` None on a block means the whole venue is blocked.
    """

    start: datetime
    end: datetime
    quantity: int = 1
    service_id: int | None = None
    team_member_id: int | None = None
    buffer: timedelta = timedelta(0)
    expires_at: datetime | None = None  # a hold; ignored once expired, cleanup or not

    def occupies(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    @property
    def busy_until(self) -> datetime:
        return self.end + self.buffer


@dataclass(frozen=True)
class Rules:
    slot_interval: timedelta = timedelta(minutes=15)
    min_notice: timedelta = timedelta(hours=1)
    max_advance: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC, without the buffer
    remaining: int
    team_member_ids: tuple[int, ...] = field(default=())

    def local_start(self, tz: str) -> datetime:
        return self.start.astimezone(ZoneInfo(tz))


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None if that time does not exist."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)  # fold=0: first occurrence
    instant = local.astimezone(UTC)
    round_trip = instant.astimezone(zone)
    if (round_trip.date(), round_trip.hour, round_trip.minute) != (day, minute // 60, minute % 60):
        return None  # skipped by a spring-forward change
    return instant


def _range_end_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Closing instant; a closing time inside a DST gap closes at the gap's end."""
    exact = _local_to_utc(day, minute, zone)
    if exact is not None:
        return exact
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def available_slots(
    *,
    day: date,
    tz: str,
    hours: dict[int, Sequence[tuple[int, int]]],
    closures: Iterable[tuple[date, date]],
    service: ServiceSpec,
    busy: Iterable[Busy],
    blocks: Iterable[Busy] = (),
    now: datetime,
    rules: Rules = Rules(),
) -> list[Slot]:
    """Start times on local ``day`` with the remaining capacity and free team members."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if any(start <= day <= end for start, end in closures):
        return []
    zone = ZoneInfo(tz)
    live = [b for b in busy if b.occupies(now)]
    same_service = [b for b in live if b.service_id == service.id]
    venue_blocks = [b for b in blocks if b.team_member_id is None]
    member_busy = [b for b in [*live, *blocks] if b.team_member_id is not None]
    earliest = now + rules.min_notice
    latest = now + rules.max_advance
    step = max(1, int(rules.slot_interval.total_seconds() // 60))
    duration_minutes = int(service.duration.total_seconds() // 60)

    slots: list[Slot] = []
    seen: set[datetime] = set()
    for opens, closes in sorted(hours.get(day.weekday(), ())):
        range_end = _range_end_utc(day, closes, zone)
        for minute in range(opens, closes - duration_minutes + 1, step):
            start = _local_to_utc(day, minute, zone)
            if start is None or start in seen:
                continue
            end = start + service.duration
            if end > range_end or start < earliest or start > latest:
                continue
            occupied_until = end + service.buffer
            if any(_overlaps(start, occupied_until, b.start, b.end) for b in venue_blocks):
                continue
            used = sum(b.quantity for b in same_service if _overlaps(start, occupied_until, b.start, b.busy_until))
            remaining = service.capacity - used
            members: tuple[int, ...] = ()
            if service.team_member_ids:
                members = tuple(
                    sorted(
                        m
                        for m in service.team_member_ids
                        if not any(
                            b.team_member_id == m and _overlaps(start, occupied_until, b.start, b.busy_until)
                            for b in member_busy
                        )
                    )
                )
                remaining = min(remaining, len(members))
            if remaining > 0:
                seen.add(start)
                slots.append(Slot(start=start, end=end, remaining=remaining, team_member_ids=members))
    slots.sort(key=lambda s: s.start)
    return slots


def bookable_days(
    *,
    first_day: date,
    days: int,
    tz: str,
    hours: dict[int, Sequence[tuple[int, int]]],
    closures: Iterable[tuple[date, date]],
    service: ServiceSpec,
    busy: Iterable[Busy],
    blocks: Iterable[Busy] = (),
    now: datetime,
    rules: Rules = Rules(),
) -> dict[date, int]:
    """For a calendar: each day in the window with how many start times are free."""
    busy, blocks, closures = list(busy), list(blocks), list(closures)
    result = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        result[day] = len(
            available_slots(
                day=day,
                tz=tz,
                hours=hours,
                closures=closures,
                service=service,
                busy=busy,
                blocks=blocks,
                now=now,
                rules=rules,
            )
        )
    return result
