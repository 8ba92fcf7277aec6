"""Which start times can a service be booked at, on one local day of one venue?

Everything is plain data: opening ranges in local minutes, closures as local dates,
existing bookings and blocks as UTC intervals. Slots are built per local date in the
venue's time zone, so they follow DST changes: a local time that does not exist (the hour
skipped in spring) is not offered, and a local time that happens twice (autumn) is offered
once, at its first occurrence.

Speed: the busy intervals are indexed once per call (sorted by start, per team member, for
the service and for venue-wide blocks), so each candidate start looks only at the few
intervals that can meet it (a bisection) instead of scanning every booking of the window;
a month calendar builds the index once for all its days. Instants are compared as integer
microseconds since the epoch, which is exact.

Team members' schedules (``MemberSchedule``): a member works inside their own local ranges of
the day (weekly pattern, or a date's exception), never on a day off, never in part-day time
off; a member without a pattern works whenever the venue is open. Opening hours and closures
still bound everything: a start is only ever tried inside them.

One module on purpose, over 500 lines: the engine is one algorithm, and its private parts (the
DST arithmetic, the index of busy intervals, the walk over candidate starts) serve every
question it answers (``available_slots``, ``bookable_days``, ``free_start_minutes``,
``has_slot_within``); split up, they would have to become public.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Any
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
    # Rooms and equipment one booking takes for its whole time, buffer included: (resource id,
    # units per booking, units the venue has). A booking takes ``units`` distinct units, each
    # free for all of it; with a team each person is a booking, without one a group is one.
    needs: tuple[tuple[int, int, int], ...] = ()
    # Rooms and equipment a sitting takes once, however many guests side by side share it (a
    # couples massage's double room): as ``needs``, but one set for a group's places at once.
    shared_needs: tuple[tuple[int, int, int], ...] = ()
    # Processing time: (gap start, gap end) from the booking's start. In the gap the client stays
    # (capacity and rooms count the whole time) but the team member is free for someone else.
    gap: tuple[timedelta, timedelta] | None = None


@dataclass(slots=True)
class Busy:
    """A live booking or hold (or a block when ``service_id`` is None) as a UTC interval.

    A plain (not frozen) class with slots, read and never changed: a busy month is thousands of
    them, and a frozen dataclass costs 2.6 us each to build against 1.4 us (docs/benchmarks.md,
    "A spa's menu").

    ``end`` excludes the buffer; the engine adds the buffer of the booked service.
    ``team_member_id`` None on a block means the whole venue is blocked.
    With ``resource_id``: one unit (``unit``, from 1) of a room or equipment taken by a booking,
    ``end`` its ``blocks_until`` (buffer included); it counts only for services that need that
    resource, and never as a booking of a service or a team member.
    """

    start: datetime
    end: datetime
    quantity: int = 1
    service_id: int | None = None
    team_member_id: int | None = None
    buffer: timedelta = timedelta(0)
    expires_at: datetime | None = None  # a hold; ignored once expired, cleanup or not
    resource_id: int | None = None
    unit: int = 0
    gap: tuple[datetime, datetime] | None = None  # a processing gap: its team member is free in it

    def occupies(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now

    @property
    def busy_until(self) -> datetime:
        return self.end + self.buffer


@dataclass(frozen=True)
class MemberSchedule:
    """When one team member works, as local wall-clock minutes in the venue's zone.

    ``weekly`` None: no pattern of their own, so they work the venue's opening hours (the
    default for every member). A weekday missing from ``weekly`` is a day off. ``exceptions``
    give a date its own ranges (an empty tuple: off that date); ``days_off`` are whole days of
    time off (local dates, both ends included); ``time_off`` part-day time off in UTC.
    """

    weekly: Mapping[int, Sequence[tuple[int, int]]] | None = None
    exceptions: Mapping[date, Sequence[tuple[int, int]]] = field(default_factory=dict)
    days_off: tuple[tuple[date, date], ...] = ()
    time_off: tuple[tuple[datetime, datetime], ...] = ()

    def ranges_on(self, day: date) -> Sequence[tuple[int, int]] | None:
        """The member's working ranges on local ``day``; None: whenever the venue is open."""
        if any(first <= day <= last for first, last in self.days_off):
            return ()
        if day in self.exceptions:
            return self.exceptions[day]
        if self.weekly is None:
            return None
        return self.weekly.get(day.weekday(), ())


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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MINUTE = 60_000_000  # microseconds


def _us(moment: datetime) -> int:
    """Microseconds since the epoch: exact, and far cheaper to compare than datetimes."""
    return (moment - _EPOCH) // _MICROSECOND


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


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


def _range_starts(day: date, minutes: range, zone: ZoneInfo) -> list[int]:
    """The UTC instants (microseconds) of the local start minutes that exist, in minute order.

    A time skipped by a spring-forward change has none; a time repeated by a fall-back change
    has two (fold 0, then fold 1), so both 01:30s of such a night are offered.
    When the first and last start have the same UTC offset (and the last is not repeated) the
    whole range has it (no zone changes its offset twice within one day), so the instants are
    plain arithmetic; a range that crosses a DST change is converted minute by minute.
    """
    if not minutes:
        return []
    first, last = minutes[0], minutes[-1]
    if last < MINUTES_PER_DAY:
        first_utc, last_utc = _local_to_utc(day, first, zone), _local_to_utc(day, last, zone)
        if first_utc is not None and last_utc is not None and _repeat_of(day, last, zone, last_utc) is None:
            base = _us(first_utc)
            if _us(last_utc) - base == (last - first) * _MINUTE:
                return [base + (minute - first) * _MINUTE for minute in minutes]
    starts: list[int] = []
    for minute in minutes:
        instant = _local_to_utc(day, minute, zone)
        if instant is None:
            continue
        starts.append(_us(instant))
        repeat = _repeat_of(day, minute, zone, instant)
        if repeat is not None:
            starts.append(_us(repeat))
    return starts


def _repeat_of(day: date, minute: int, zone: ZoneInfo, first: datetime) -> datetime | None:
    """The second occurrence (fold=1) of a local time a fall-back change repeats, else None."""
    if minute >= MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), minute - MINUTES_PER_DAY
    second = datetime.combine(day, time(minute // 60, minute % 60, fold=1), tzinfo=zone).astimezone(UTC)
    return second if second != first else None


@lru_cache(maxsize=1024)
def _plain_midnight(day: date, zone: ZoneInfo) -> int | None:
    """Local midnight of ``day`` (microseconds) when the whole day has one UTC offset, else None."""
    first, last = _local_to_utc(day, 0, zone), _local_to_utc(day, MINUTES_PER_DAY, zone)
    if first is None or last is None or _us(last) - _us(first) != MINUTES_PER_DAY * _MINUTE:
        return None
    return _us(first)


def _gap_end(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The instant a DST gap holding local ``minute`` ends: the first local minute after it that exists."""
    for later in range(minute + 1, minute + MINUTES_PER_DAY):
        instant = _local_to_utc(day, later, zone)
        if instant is not None:
            return instant
    raise ValueError(f"no local time after minute {minute} on {day} in {zone}")


@lru_cache(maxsize=4096)
def _working_spans(
    day: date, ranges: tuple[tuple[int, int], ...], zone: ZoneInfo
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A member's local working ranges on ``day`` as merged UTC spans (starts, ends), microseconds.

    Remembered (a pure function of a date, a few ranges and a zone): a visit asks about one
    start at a time, and each question would convert the same day's hours again (docs/visits.md).

    On a spring-forward day a start or end inside the skipped hour becomes the instant of the
    change, so every instant of a span reads, on the wall clock, inside the range it came from.
    On a fall-back day a range that runs past the repeated hour holds it twice, as worked.
    """
    spans = []
    midnight = _plain_midnight(day, zone)
    for opens, closes in ranges:
        if midnight is not None:  # one offset all day: plain arithmetic
            spans.append((midnight + opens * _MINUTE, midnight + closes * _MINUTE))
            continue
        # A start or an end in a skipped hour moves to the instant the clocks change: before it
        # the wall clock reads earlier than the gap, from it later.
        start = _local_to_utc(day, opens, zone) or _gap_end(day, opens, zone)
        end = _local_to_utc(day, closes, zone) or _gap_end(day, closes, zone)
        if end > start:
            spans.append((_us(start), _us(end)))
    starts: list[int] = []
    ends: list[int] = []
    for start, end in sorted(spans):
        if ends and start <= ends[-1]:  # touching ranges (09:00-12:00, 12:00-17:00) make one
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return tuple(starts), tuple(ends)


def member_works(schedule: MemberSchedule, tz: str, start: datetime, end: datetime) -> bool:
    """Does ``schedule`` have its member working through [start, end) (aware instants)?

    Judged on the local date of ``start``; a member without a pattern of their own works
    whenever the venue is open, so only their time off can rule them out.
    """
    zone = ZoneInfo(tz)
    day = start.astimezone(zone).date()
    first, last = _us(start), _us(end)
    if any(_us(off_start) < last and first < _us(off_end) for off_start, off_end in schedule.time_off):
        return False
    ranges = schedule.ranges_on(day)
    if ranges is None:
        return True
    starts, ends = _working_spans(day, tuple(ranges), zone)
    k = bisect_right(starts, first)
    return bool(k) and ends[k - 1] >= last


class _Intervals:
    """Half-open intervals ``[start, end)`` sorted by start, with the longest length kept, so
    the ones meeting a window are found by bisection: only an interval starting in
    ``[window start - longest, window end)`` can overlap it."""

    __slots__ = ("ends", "longest", "starts", "weights")

    def __init__(self, intervals: Iterable[tuple[int, int, int]]) -> None:
        ordered = sorted(intervals)
        self.starts = [start for start, _, _ in ordered]
        self.ends = [end for _, end, _ in ordered]
        self.weights = [weight for _, _, weight in ordered]
        self.longest = max([0, *(end - start for start, end, _ in ordered)])

    def overlaps(self, start: int, end: int) -> bool:
        starts, ends = self.starts, self.ends
        nearby = range(bisect_left(starts, start - self.longest), bisect_left(starts, end))
        return any(ends[i] > start for i in nearby)

    def weight(self, start: int, end: int) -> int:
        starts, ends, weights = self.starts, self.ends, self.weights
        total = 0
        for i in range(bisect_left(starts, start - self.longest), bisect_left(starts, end)):
            if ends[i] > start:
                total += weights[i]
        return total


class _Occupied:
    """When one person (or the whole venue) is busy: intervals that overlap are merged, so
    the merged ones are disjoint and sorted by start and by end alike, and a window meets
    them iff it meets the last one starting before the window ends: one bisection.

    Only strictly overlapping intervals are merged (touching ones stay apart), so even an
    empty window (a zero-length service) meets the merged set exactly when it met one of the
    originals. Zero-length and inverted intervals, which the database never holds, keep the
    general check of ``_Intervals``.
    """

    __slots__ = ("ends", "odd", "starts")

    def __init__(self, intervals: Iterable[tuple[int, int]]) -> None:
        proper, odd = [], []
        for start, end in intervals:
            (proper if end > start else odd).append((start, end))
        starts: list[int] = []
        ends: list[int] = []
        for start, end in sorted(proper):
            if ends and start < ends[-1]:
                ends[-1] = max(ends[-1], end)
            else:
                starts.append(start)
                ends.append(end)
        self.starts, self.ends = starts, ends
        self.odd = _Intervals((start, end, 1) for start, end in odd) if odd else None

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self.starts, end)
        if i and self.ends[i - 1] > start:
            return True
        return self.odd is not None and self.odd.overlaps(start, end)


@dataclass(frozen=True)
class _BusyIndex:
    """What can stop a start time of one service: its own bookings (capacity), each of its
    team members' bookings and blocks, and venue-wide blocks."""

    same_service: _Intervals
    members: dict[int, _Occupied]
    venue_blocks: _Occupied
    # Each needed resource: (units per booking, when each of its units is taken, its units'
    # free gaps for the one-unit question: ``_AnyFree``).
    units: tuple[tuple[int, tuple[_Occupied, ...], _AnyFree | None], ...] = ()
    shared_units: tuple[tuple[int, tuple[_Occupied, ...], _AnyFree | None], ...] = ()  # one set a sitting
    # What the units were counted for (``ServiceSpec.needs`` and ``shared_needs``).
    needs: tuple[tuple[tuple[int, int, int], ...], tuple[tuple[int, int, int], ...]] = ((), ())

    @classmethod
    def build(
        cls,
        service: ServiceSpec,
        busy: Iterable[Busy],
        blocks: Iterable[Busy],
        now: datetime,
        schedules: Mapping[int, MemberSchedule] | None = None,
        *,
        like: _BusyIndex | None = None,
    ) -> _BusyIndex:
        """The index of ``service``. ``like``: an index built from the same busy intervals, blocks
        and schedules for another service (a visit's other treatment): a team member's intervals
        and the venue's blocks don't depend on the service, nor the units on more than the
        needs, so when ``like`` has every team member of this one they are taken from it and
        only the service's own bookings (and units of other needs) are read again."""
        needs = (service.needs, service.shared_needs)
        if like is not None and like.members.keys() >= set(service.team_member_ids):
            return cls(
                same_service=_same_service(service.id, busy, now),
                members={m: like.members[m] for m in service.team_member_ids},
                venue_blocks=like.venue_blocks,
                units=like.units if like.needs[0] == needs[0] else _units_taken(needs[0], busy, now),
                shared_units=like.shared_units if like.needs[1] == needs[1] else _units_taken(needs[1], busy, now),
                needs=needs,
            )
        per_member: dict[int, list[tuple[int, int]]] = {m: [] for m in service.team_member_ids}
        same_service: list[tuple[int, int, int]] = []
        # One pass, each instant converted once: a busy month is thousands of intervals.
        epoch, micro = _EPOCH, _MICROSECOND
        for b in busy:
            if b.expires_at is not None and b.expires_at <= now:  # not b.occupies(now)
                continue
            member = b.team_member_id
            if b.service_id == service.id or member in per_member:
                start, until = (b.start - epoch) // micro, (b.end + b.buffer - epoch) // micro  # _us(), inline
                if b.service_id == service.id:
                    same_service.append((start, until, b.quantity))
                if member in per_member:
                    if b.gap is None:
                        per_member[member].append((start, until))
                    else:  # working parts only: the member is free in a processing gap
                        per_member[member].append((start, (b.gap[0] - epoch) // micro))
                        per_member[member].append(((b.gap[1] - epoch) // micro, until))
        venue_blocks: list[tuple[int, int]] = []
        for b in blocks:
            if b.team_member_id is None:
                venue_blocks.append((_us(b.start), _us(b.end)))  # a venue block has no buffer
            elif b.team_member_id in per_member:
                per_member[b.team_member_id].append((_us(b.start), _us(b.busy_until)))
        for member, schedule in (schedules or {}).items():
            if member in per_member:  # part-day time off: busy, like a block
                per_member[member].extend((_us(start), _us(end)) for start, end in schedule.time_off)
        return cls(
            same_service=_Intervals(same_service),
            members={m: _Occupied(intervals) for m, intervals in per_member.items()},
            venue_blocks=_Occupied(venue_blocks),
            units=_units_taken(service.needs, busy, now) if service.needs else (),
            shared_units=_units_taken(service.shared_needs, busy, now) if service.shared_needs else (),
            needs=needs,
        )


def _same_service(service_id: int, busy: Iterable[Busy], now: datetime) -> _Intervals:
    """The bookings of one service (its capacity), as ``_BusyIndex.build`` reads them."""
    epoch, micro = _EPOCH, _MICROSECOND
    return _Intervals(
        ((b.start - epoch) // micro, (b.end + b.buffer - epoch) // micro, b.quantity)
        for b in busy
        if b.service_id == service_id and (b.expires_at is None or b.expires_at > now)
    )


class _AnyFree:
    """Is one unit (any) of a resource free for all of a window? Every unit's free gaps (between
    its merged busy intervals, open at both ends), sorted by start, with the latest end among
    the gaps starting so far: a window fits a gap iff a gap starting at or before it ends at or
    after its end. One bisection, whatever the number of units."""

    __slots__ = ("latest_ends", "starts")

    def __init__(self, units: Sequence[_Occupied]) -> None:
        gaps = []
        for occupied in units:
            previous = -(1 << 62)
            for start, end in zip(occupied.starts, occupied.ends, strict=True):
                gaps.append((previous, start))
                previous = end
            gaps.append((previous, 1 << 62))
        gaps.sort()
        self.starts = [start for start, _ in gaps]
        self.latest_ends: list[int] = []
        latest = -(1 << 62)
        for _, end in gaps:
            latest = max(latest, end)
            self.latest_ends.append(latest)

    def fits(self, start: int, end: int) -> bool:
        k = bisect_right(self.starts, start)
        return bool(k) and self.latest_ends[k - 1] >= end


def _units_taken(
    needs: tuple[tuple[int, int, int], ...], busy: Iterable[Busy], now: datetime
) -> tuple[tuple[int, tuple[_Occupied, ...], _AnyFree | None], ...]:
    """For each resource of ``needs``: the units one booking takes, and when each unit of the
    resource is taken (live units of other bookings; a hold's once it ran out are free)."""
    taken: dict[int, list[list[tuple[int, int]]]] = {rid: [[] for _ in range(qty)] for rid, _, qty in needs}
    epoch, micro = _EPOCH, _MICROSECOND
    for b in busy:  # as in _BusyIndex.build: attributes read once, _us() and occupies() inline
        resource = b.resource_id
        if resource is None or (units := taken.get(resource)) is None:
            continue
        number, expires = b.unit, b.expires_at
        if 0 < number <= len(units) and (expires is None or expires > now):
            units[number - 1].append(((b.start - epoch) // micro, (b.end - epoch) // micro))
    found = []
    for rid, per_booking, _ in needs:
        units = tuple(_Occupied(intervals) for intervals in taken[rid])
        plain = all(occupied.odd is None for occupied in units)  # zero-length intervals: the long way
        found.append((per_booking, units, _AnyFree(units) if plain and per_booking == 1 else None))
    return tuple(found)


def _unit_sets(
    units: tuple[tuple[int, tuple[_Occupied, ...], _AnyFree | None], ...], start: int, end: int, wanted: int
) -> int:
    """How many bookings (``wanted`` at most) the free units leave room for in [start, end): per
    resource, the units free for all of it (each unit on its own: two half-overlapping bookings
    in two rooms can leave no one room free) divided by the units a booking takes; the fewest
    over the needs. Counting stops once ``wanted`` bookings fit (the first free room, mostly)."""
    sets = wanted
    for per_booking, unit_busy, _ in units:
        enough = sets * per_booking
        free = 0
        for occupied in unit_busy:
            i = bisect_left(occupied.starts, end)
            if not (i and occupied.ends[i - 1] > start) and not (
                occupied.odd is not None and occupied.odd.overlaps(start, end)
            ):
                free += 1
                if free == enough:
                    break
        sets = free // per_booking
        if not sets:
            return 0
    return sets


def open_periods(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """A day's opening ranges as open periods, in order: ranges that meet (09:00-12:00 and
    12:00-18:00) are one period, so a slot may run across the join, and the slots are the
    same whether the hours were entered as one range or two (the search index keeps them
    merged)."""
    periods: list[tuple[int, int]] = []
    for opens, closes in sorted(ranges):
        if periods and opens <= periods[-1][1]:
            periods[-1] = (periods[-1][0], max(periods[-1][1], closes))
        else:
            periods.append((opens, closes))
    return periods


def _free_starts(
    day: date,
    zone: ZoneInfo,
    hours: dict[int, Sequence[tuple[int, int]]],
    service: ServiceSpec,
    index: _BusyIndex,
    earliest: int,
    latest: int,
    step: int,
    schedules: Mapping[int, MemberSchedule] | None = None,
    *,
    first_only: bool = False,
    only: Sequence[int] | None = None,
) -> list[tuple[int, int, tuple[int, ...]]]:
    """(start, remaining, free team members) of each free start on ``day``, by start; with
    ``first_only``, only the first one found (whether a day has one, not which is earliest);
    with ``only`` (instants on ``day``, microseconds, in order), those starts alone, on the step or
    not (a visit's later treatments start when the ones before them end)."""
    duration = service.duration // _MICROSECOND
    occupied = duration + service.buffer // _MICROSECOND
    duration_minutes = int(service.duration.total_seconds() // 60)
    capacity = service.capacity
    team = [(m, index.members[m]) for m in sorted(service.team_member_ids)]
    # Members with working ranges of their own today: (starts, ends) of their merged spans.
    working: dict[int, tuple[tuple[int, ...], tuple[int, ...]]] = {}
    if team and schedules:
        converted: dict[tuple[tuple[int, int], ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}
        for m, _ in team:
            schedule = schedules.get(m)
            ranges = schedule.ranges_on(day) if schedule is not None else None
            if ranges is not None:
                key = tuple(ranges)
                if key not in converted:  # members often share a pattern
                    converted[key] = _working_spans(day, key, zone)
                working[m] = converted[key]
        team = [(m, busy) for m, busy in team if m not in working or working[m][0]]
        if not team:
            return []  # nobody who performs it works today
    # The loop below runs for every candidate start of every day of a calendar, so the common
    # checks are written out (a bisection each) instead of calling the index's methods.
    # A processing gap: the member must be free for the working parts, [start, gap start) and
    # [gap end, end + buffer); the plain checks below are for one working part.
    gap = (service.gap[0] // _MICROSECOND, service.gap[1] // _MICROSECOND) if service.gap else None
    plain = gap is None and all(b.odd is None for _, b in team)
    plain_team = [(m, busy.starts, busy.ends) for m, busy in team] if plain else None
    # With schedules: (member, busy starts, busy ends, working starts, working ends); None: always working.
    plain_working = (
        [(m, starts, ends, *working.get(m, (None, None))) for m, starts, ends in plain_team]
        if working and plain_team is not None
        else None
    )
    same = index.same_service
    same_starts, same_ends, same_weights, longest = same.starts, same.ends, same.weights, same.longest
    venue_blocks = index.venue_blocks
    needed_units, shared_units = index.units, index.shared_units
    # One resource, one unit a booking (a massage, a treatment room): one bisection a start.
    single_unit = needed_units[0][2] if len(needed_units) == 1 else None
    found: list[tuple[int, int, tuple[int, ...]]] = []
    seen: set[int] = set()
    for opens, closes in open_periods(hours.get(day.weekday(), ())):
        range_end = _us(_range_end_utc(day, closes, zone))
        if only is None:
            candidates = _range_starts(day, range(opens, closes - duration_minutes + 1, step), zone)
        else:
            opening = _local_to_utc(day, opens, zone) or _gap_end(day, opens, zone)
            candidates = [start for start in only if _us(opening) <= start]
        for start in candidates:
            if start in seen:
                continue
            if start + duration > range_end or start < earliest or start > latest:
                continue
            occupied_until = start + occupied
            if venue_blocks.overlaps(start, occupied_until):
                continue
            remaining = capacity
            first = bisect_left(same_starts, start - longest)
            for i in range(first, bisect_left(same_starts, occupied_until, first)):
                if same_ends[i] > start:
                    remaining -= same_weights[i]
            if remaining <= 0:
                continue
            members: tuple[int, ...] = ()
            if team:
                if plain_working is not None:
                    # As below, and the service must fit in one of the member's working spans.
                    ends_at = start + duration
                    members = tuple(
                        [
                            m
                            for m, starts, ends, w_starts, w_ends in plain_working
                            if not ((k := bisect_left(starts, occupied_until)) and ends[k - 1] > start)
                            and (
                                w_starts is None or ((j := bisect_right(w_starts, start)) and w_ends[j - 1] >= ends_at)
                            )
                        ]
                    )
                elif plain_team is not None:
                    # Free unless the last merged interval starting before the end reaches past the start.
                    members = tuple(
                        [
                            m
                            for m, starts, ends in plain_team
                            if not ((k := bisect_left(starts, occupied_until)) and ends[k - 1] > start)
                        ]
                    )
                elif gap is None:
                    members = tuple([m for m, busy in team if not busy.overlaps(start, occupied_until)])
                else:
                    gap_from, gap_to = start + gap[0], start + gap[1]
                    members = tuple(
                        [
                            m
                            for m, busy in team
                            if not busy.overlaps(start, gap_from) and not busy.overlaps(gap_to, occupied_until)
                        ]
                    )
                if working and plain_working is None:
                    ends_at = start + duration
                    members = tuple(
                        [
                            m
                            for m in members
                            if m not in working
                            or ((k := bisect_right(working[m][0], start)) and working[m][1][k - 1] >= ends_at)
                        ]
                    )
                remaining = min(remaining, len(members))
            if needed_units and remaining > 0:
                # A team's places are a booking each; without a team a group is one booking.
                if single_unit is not None and (remaining == 1 or not team):
                    if not single_unit.fits(start, occupied_until):
                        remaining = 0
                elif team:
                    remaining = _unit_sets(needed_units, start, occupied_until, remaining)
                elif not _unit_sets(needed_units, start, occupied_until, 1):
                    remaining = 0
            if shared_units and remaining > 0 and not _unit_sets(shared_units, start, occupied_until, 1):
                remaining = 0  # the room a sitting shares is taken
            if remaining > 0:
                seen.add(start)
                found.append((start, remaining, members))
                if first_only:
                    return found
    found.sort(key=lambda free: free[0])
    return found


@dataclass(frozen=True)
class SlotInputs:
    """What each question to the engine is asked about, given to it by keyword: the venue's
    time zone ``tz``, opening ``hours`` (weekday to local minute ranges) and ``closures`` (local
    dates, both ends included), the ``service``, what is ``busy`` (live bookings and holds) and
    the ``blocks``, the time ``now``, the booking ``rules`` and the team's ``schedules``."""

    tz: str
    hours: dict[int, Sequence[tuple[int, int]]]
    closures: Iterable[tuple[date, date]]
    service: ServiceSpec
    busy: Iterable[Busy]
    now: datetime
    blocks: Iterable[Busy] = ()
    rules: Rules = Rules()
    schedules: Mapping[int, MemberSchedule] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "closures", tuple(self.closures))  # read once a day

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def limits(self) -> tuple[int, int, int]:
        """(earliest start, latest start, step in minutes) the rules allow from ``now``."""
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        step = max(1, int(self.rules.slot_interval.total_seconds() // 60))
        return _us(self.now + self.rules.min_notice), _us(self.now + self.rules.max_advance), step

    def closed(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.closures)

    def index(self, *, like: _BusyIndex | None = None) -> _BusyIndex:
        return _BusyIndex.build(self.service, self.busy, self.blocks, self.now, self.schedules, like=like)

    def open_days(self, days: Iterable[date]) -> Iterator[tuple[date, _BusyIndex]]:
        """Each of ``days`` the venue is not closed on, with the busy intervals' index, built
        once when the first open day comes (a window of closed days builds none)."""
        index: _BusyIndex | None = None
        for day in days:
            if self.closed(day):
                continue
            if index is None:
                index = self.index()
            yield day, index

    def free_starts(
        self,
        day: date,
        index: _BusyIndex,
        limits: tuple[int, int, int],
        *,
        first_only: bool = False,
        only: Sequence[int] | None = None,
    ) -> list[tuple[int, int, tuple[int, ...]]]:
        """``_free_starts`` on local ``day`` within ``limits`` (earliest, latest, step)."""
        return _free_starts(
            day, self.zone, self.hours, self.service, index, *limits, self.schedules, first_only=first_only, only=only
        )


def has_slot_within(*, days: Iterable[date], start: datetime, end: datetime, **inputs: Any) -> bool:
    """Does the service have a slot on one of the local ``days`` that starts and ends inside
    [start, end)? The same answer as looking through ``available_slots`` day by day, without
    building every slot: the window bounds the start times tried, the busy intervals are
    indexed once for all the days, and the first free start found answers. ``inputs``: as
    ``SlotInputs`` names them."""
    asked = SlotInputs(**inputs)
    earliest, latest, step = asked.limits()
    earliest = max(earliest, _us(start))
    latest = min(latest, _us(end) - asked.service.duration // _MICROSECOND)  # it must end by ``end``
    if earliest > latest:
        return False
    return any(
        asked.free_starts(day, index, (earliest, latest, step), first_only=True) for day, index in asked.open_days(days)
    )


def free_start_minutes(*, days: Iterable[date], **inputs: Any) -> list[int]:
    """Every free start of the service on the local ``days``, as whole minutes since the epoch
    (UTC), in order: the slots of ``available_slots`` for each day, with the busy intervals
    indexed once for all the days (what the search's table of free time keeps). ``inputs``: as
    ``SlotInputs`` names them."""
    asked = SlotInputs(**inputs)
    limits = asked.limits()
    return [
        start // _MINUTE
        for day, index in asked.open_days(days)
        for start, _, _ in asked.free_starts(day, index, limits)
    ]


def available_slots(*, day: date, **inputs: Any) -> list[Slot]:
    """Start times on local ``day`` with the remaining capacity and free (working) team members.
    ``inputs``: as ``SlotInputs`` names them."""
    asked = SlotInputs(**inputs)
    limits = asked.limits()
    if asked.closed(day):
        return []
    duration = asked.service.duration
    return [
        Slot(start=_instant(start), end=_instant(start) + duration, remaining=remaining, team_member_ids=members)
        for start, remaining, members in asked.free_starts(day, asked.index(), limits)
    ]


def bookable_days(*, first_day: date, days: int, **inputs: Any) -> dict[date, int]:
    """For a calendar: each day in the window with how many start times are free. ``inputs``:
    as ``SlotInputs`` names them."""
    asked = SlotInputs(**inputs)
    limits = asked.limits()
    index = asked.index()  # once for the whole window
    result = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        result[day] = 0 if asked.closed(day) else len(asked.free_starts(day, index, limits))
    return result


def slot_at(*, start: datetime, **inputs: Any) -> Slot | None:
    """The slot starting exactly at ``start`` (on the step of ``rules`` or not), if it is free.
    ``inputs``: as ``SlotInputs`` names them."""
    asked = SlotInputs(**inputs)
    day = start.astimezone(asked.zone).date()
    if asked.closed(day):
        return None
    found = asked.free_starts(day, asked.index(), asked.limits(), only=[_us(start)])
    if not found:
        return None
    at, remaining, members = found[0]
    return Slot(_instant(at), _instant(at) + asked.service.duration, remaining, members)
