"""The indexed slot engine gives exactly the answers of the obvious one.

``reference_slots`` is the engine as it was before the busy intervals were indexed: every
start time checks every booking and block of the window (a start repeated by a fall-back
change counts twice, once per offset). It is slow and plainly right, so
hypothesis compares the two on random venues, bookings, holds and blocks, across DST days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Rules, ServiceSpec, Slot, available_slots, bookable_days, has_slot_within

ZONES = st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"])
# Around the DST changes of 2026 as well as ordinary days.
DAYS = st.sampled_from(
    [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25), date(2026, 11, 1)]
) | st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


# -- the reference: the engine before indexing ----------------------------------------


def _overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    if minute >= 24 * 60:
        day, minute = day + timedelta(days=1), minute - 24 * 60
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    instant = local.astimezone(UTC)
    round_trip = instant.astimezone(zone)
    if (round_trip.date(), round_trip.hour, round_trip.minute) != (day, minute // 60, minute % 60):
        return None
    return instant


def _range_end_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    exact = _local_to_utc(day, minute, zone)
    if exact is not None:
        return exact
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def _starts(day: date, minutes: range, zone: ZoneInfo) -> list[datetime]:
    """Every instant of each local start minute: none if skipped, both if repeated."""
    starts = []
    for minute in minutes:
        first = _local_to_utc(day, minute, zone)
        if first is None:
            continue
        starts.append(first)
        later_day, later_minute = (day, minute) if minute < 24 * 60 else (day + timedelta(days=1), minute - 24 * 60)
        local = datetime.combine(later_day, time(later_minute // 60, later_minute % 60, fold=1), tzinfo=zone)
        if local.astimezone(UTC) != first:
            starts.append(local.astimezone(UTC))
    return starts


def _periods(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The open periods of a day: ranges that meet or overlap are one period."""
    minutes = sorted({m for opens, closes in ranges for m in range(opens, closes)})
    periods: list[tuple[int, int]] = []
    for minute in minutes:
        if periods and periods[-1][1] == minute:
            periods[-1] = (periods[-1][0], minute + 1)
        else:
            periods.append((minute, minute + 1))
    return periods


def reference_slots(
    *,
    day: date,
    tz: str,
    hours: dict[int, Sequence[tuple[int, int]]],
    closures: list[tuple[date, date]],
    service: ServiceSpec,
    busy: list[Busy],
    blocks: list[Busy],
    now: datetime,
    rules: Rules,
) -> list[Slot]:
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
    for opens, closes in _periods(hours.get(day.weekday(), ())):
        range_end = _range_end_utc(day, closes, zone)
        for start in _starts(day, range(opens, closes - duration_minutes + 1, step), zone):
            if start in seen:
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


# -- random venues -------------------------------------------------------------------------------


@st.composite
def opening_hours(draw):
    """Per weekday up to three ranges, which may meet or overlap each other (one open period:
    the engine must not offer a start twice) and may run to midnight."""

    def day_ranges():
        ranges = []
        for _ in range(draw(st.integers(0, 3))):
            opens = draw(st.integers(0, 23 * 60)) // 15 * 15
            closes = min(24 * 60, opens + draw(st.integers(15, 10 * 60)) // 15 * 15)
            ranges.append((opens, closes))
        return ranges

    return {weekday: day_ranges() for weekday in range(7)}


@st.composite
def services(draw):
    return ServiceSpec(
        id=1,
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120, 240]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 5, 10, 15, 30]))),
        capacity=draw(st.integers(1, 5)),
        team_member_ids=draw(st.frozensets(st.integers(1, 4), max_size=4)),
    )


@st.composite
def busy_around(draw, day: date, days: int, *, blocks: bool):
    """Bookings, holds (some expired) or blocks spread over ``days`` days around ``day``."""
    base = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=14)
    span = (days * 24 + 28) * 60
    result = []
    for _ in range(draw(st.integers(0, 25))):
        start = base + timedelta(minutes=draw(st.integers(0, span)) // 5 * 5)
        length = timedelta(minutes=draw(st.sampled_from([0, 15, 30, 60, 90, 300])))
        result.append(
            Busy(
                start=start,
                end=start + length,
                quantity=1 if blocks else draw(st.integers(1, 3)),
                service_id=None if blocks else draw(st.sampled_from([1, 2, None])),
                team_member_id=draw(st.none() | st.integers(1, 5)),
                buffer=timedelta(0) if blocks else timedelta(minutes=draw(st.sampled_from([0, 10, 30]))),
                expires_at=None if blocks else draw(st.none() | st.sampled_from([NOW - timedelta(minutes=1), NOW])),
            )
        )
    return result


NOW = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
RULES = st.builds(
    Rules,
    slot_interval=st.sampled_from([timedelta(minutes=m) for m in (5, 15, 30, 60)]),
    min_notice=st.sampled_from([timedelta(0), timedelta(hours=1)]),
    max_advance=st.sampled_from([timedelta(days=800), timedelta(days=400)]),
)


@settings(max_examples=300, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), rules=RULES, data=st.data())
def test_one_day_matches_the_reference(day, tz, hours, service, rules, data):
    busy = data.draw(busy_around(day, 1, blocks=False))
    blocks = data.draw(busy_around(day, 1, blocks=True))
    now = data.draw(st.sampled_from([NOW, datetime.combine(day, time(10), tzinfo=UTC)]))
    closures = data.draw(st.lists(st.tuples(DAYS, st.integers(0, 3)), max_size=2))
    closures = [(start, start + timedelta(days=length)) for start, length in closures]
    arguments = {
        "day": day,
        "tz": tz,
        "hours": hours,
        "closures": closures,
        "service": service,
        "busy": busy,
        "blocks": blocks,
        "now": now,
        "rules": rules,
    }
    assert available_slots(**arguments) == reference_slots(**arguments)


@settings(max_examples=100, deadline=None)
@given(first_day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_a_month_calendar_matches_the_reference_day_by_day(first_day, tz, hours, service, data):
    days = data.draw(st.integers(1, 35))
    busy = data.draw(busy_around(first_day, days, blocks=False))
    blocks = data.draw(busy_around(first_day, days, blocks=True))
    rules = Rules(slot_interval=timedelta(minutes=15), min_notice=timedelta(0), max_advance=timedelta(days=800))
    closures = [(first_day + timedelta(days=2), first_day + timedelta(days=3))]
    calendar = bookable_days(
        first_day=first_day,
        days=days,
        tz=tz,
        hours=hours,
        closures=closures,
        service=service,
        busy=busy,
        blocks=blocks,
        now=NOW,
        rules=rules,
    )
    expected = {
        first_day + timedelta(days=n): len(
            reference_slots(
                day=first_day + timedelta(days=n),
                tz=tz,
                hours=hours,
                closures=closures,
                service=service,
                busy=busy,
                blocks=blocks,
                now=NOW,
                rules=rules,
            )
        )
        for n in range(days)
    }
    assert calendar == expected


@settings(max_examples=200, deadline=None)
@given(first_day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), rules=RULES, data=st.data())
def test_has_slot_within_agrees_with_the_slots_in_the_window(first_day, tz, hours, service, rules, data):
    """The search's existence test gives the answer of listing every slot of every day and
    looking for one that starts and ends inside the window, including windows that cut a day
    in two, end before a slot can end, or lie before ``now`` plus the notice."""
    days = [first_day + timedelta(days=n) for n in range(data.draw(st.integers(1, 3)))]
    busy = data.draw(busy_around(first_day, len(days), blocks=False))
    blocks = data.draw(busy_around(first_day, len(days), blocks=True))
    closures = [(first_day + timedelta(days=1), first_day + timedelta(days=1))] if data.draw(st.booleans()) else []
    now = data.draw(st.sampled_from([NOW, datetime.combine(first_day, time(9), tzinfo=UTC)]))
    midnight = datetime.combine(first_day, time(0), tzinfo=ZoneInfo(tz))
    start = midnight + timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60)) // 5 * 5)
    end = start + timedelta(minutes=data.draw(st.integers(0, 2 * 24 * 60)) // 5 * 5)
    common = {"tz": tz, "hours": hours, "closures": closures, "service": service, "busy": busy, "blocks": blocks}
    common |= {"now": now, "rules": rules}
    listed = any(slot.start >= start and slot.end <= end for day in days for slot in available_slots(day=day, **common))
    assert has_slot_within(days=days, start=start, end=end, **common) == listed
