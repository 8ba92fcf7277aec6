"""The slot engine, as a specification: examples for DST days, properties for everything."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Rules, ServiceSpec, available_slots, bookable_days

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
MASSAGE = ServiceSpec(id=1, duration=timedelta(minutes=60))
NO_NOTICE = Rules(slot_interval=timedelta(minutes=30), min_notice=timedelta(0), max_advance=timedelta(days=365))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def every_day(opens: int, closes: int) -> dict[int, list[tuple[int, int]]]:
    return {weekday: [(opens, closes)] for weekday in range(7)}


def local_times(slots, tz: str) -> list[str]:
    return [s.start.astimezone(ZoneInfo(tz)).strftime("%H:%M") for s in slots]


def slots_on(day: date, tz: str, hours, **kwargs):
    kwargs.setdefault("closures", [])
    kwargs.setdefault("service", MASSAGE)
    kwargs.setdefault("busy", [])
    kwargs.setdefault("now", LONG_AGO)
    kwargs.setdefault("rules", NO_NOTICE)
    return available_slots(day=day, tz=tz, hours=hours, **kwargs)


# -- examples ---------------------------------------------------------------------------


def test_a_plain_day_offers_every_half_hour_that_fits():
    slots = slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 12 * 60))
    assert local_times(slots, LONDON) == ["09:00", "09:30", "10:00", "10:30", "11:00"]
    assert slots[0].start == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # BST is UTC+1
    assert all(s.remaining == 1 for s in slots)


def test_ranges_that_meet_are_one_open_period():
    """09:00-12:00 and 12:00-14:00 are open from 9 to 2 without a break: an hour may start at
    11:30, as it may when the hours are one range (the search index keeps them merged)."""
    day = date(2026, 6, 1)
    split = {weekday: [(12 * 60, 14 * 60), (9 * 60, 12 * 60)] for weekday in range(7)}
    assert "11:30" in local_times(slots_on(day, LONDON, split), LONDON)
    assert local_times(slots_on(day, LONDON, split), LONDON) == local_times(
        slots_on(day, LONDON, every_day(9 * 60, 14 * 60)), LONDON
    )
    apart = {weekday: [(9 * 60, 12 * 60), (12 * 60 + 30, 14 * 60)] for weekday in range(7)}
    assert "11:30" not in local_times(slots_on(day, LONDON, apart), LONDON)


def test_spring_forward_in_london_skips_the_missing_hour():
    # 2026-03-29: clocks go from 01:00 to 02:00 local.
    slots = slots_on(date(2026, 3, 29), LONDON, every_day(0, 4 * 60), service=ServiceSpec(1, timedelta(minutes=30)))
    times = local_times(slots, LONDON)
    assert "01:00" not in times and "01:30" not in times
    assert times == ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]
    # 00:30 GMT is 00:30 UTC; 02:00 BST is 01:00 UTC: half a real hour apart, as it should be.
    assert slots[2].start - slots[1].start == timedelta(minutes=30)


def test_fall_back_in_london_offers_the_repeated_hour_twice_once_per_offset():
    # 2026-10-25: clocks go from 02:00 BST back to 01:00 GMT; 01:00-01:59 happens twice.
    slots = slots_on(date(2026, 10, 25), LONDON, every_day(0, 3 * 60), service=ServiceSpec(1, timedelta(minutes=30)))
    times = local_times(slots, LONDON)
    assert times == ["00:00", "00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30"]
    assert [s.start.astimezone(ZoneInfo(LONDON)).tzname() for s in slots[2:6]] == ["BST", "BST", "GMT", "GMT"]
    # In real time they are half an hour apart all night: 01:30 BST, then 01:00 GMT.
    assert all(b.start - a.start == timedelta(minutes=30) for a, b in pairwise(slots))
    assert len({s.start for s in slots}) == len(slots)


def test_starts_all_inside_the_repeated_hour_are_offered_in_both_offsets():
    # Open 01:00-02:30 local: every start of a 60-minute service is a repeated time.
    slots = slots_on(date(2026, 10, 25), LONDON, every_day(60, 150))
    assert [s.start for s in slots] == [datetime(2026, 10, 25, h, m, tzinfo=UTC) for h in (0, 1) for m in (0, 30)]


def test_spring_forward_in_new_york():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    slots = slots_on(date(2026, 3, 8), NEW_YORK, every_day(60, 5 * 60))
    times = local_times(slots, NEW_YORK)
    assert "02:00" not in times and "02:30" not in times
    # A 60-minute service at 01:30 EST ends at 03:30 EDT, inside opening hours.
    assert "01:30" in times


def test_fall_back_in_new_york_keeps_services_inside_the_real_hours():
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST. Open 00:00-02:00 local lasts 3 real hours.
    slots = slots_on(date(2026, 11, 1), NEW_YORK, every_day(0, 2 * 60))
    starts_utc = [s.start for s in slots]
    close_utc = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert all(s.end <= close_utc for s in slots)
    assert len(starts_utc) == len(set(starts_utc))


def test_a_closure_removes_the_whole_day():
    hours = every_day(9 * 60, 17 * 60)
    assert slots_on(date(2026, 6, 2), LONDON, hours, closures=[(date(2026, 6, 1), date(2026, 6, 3))]) == []


def test_capacity_counts_overlapping_bookings_of_the_same_service():
    yoga = ServiceSpec(id=7, duration=timedelta(minutes=60), capacity=3)
    start = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # 10:00 BST
    busy = [Busy(start, start + timedelta(hours=1), quantity=2, service_id=7)]
    slots = slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 12 * 60), service=yoga, busy=busy)
    by_time = dict(zip(local_times(slots, LONDON), [s.remaining for s in slots], strict=True))
    assert by_time["10:00"] == 1 and by_time["09:30"] == 1 and by_time["10:30"] == 1
    assert by_time["09:00"] == 3 and by_time["11:00"] == 3


def test_buffer_keeps_the_next_start_free():
    cleaned = ServiceSpec(id=1, duration=timedelta(minutes=60), buffer=timedelta(minutes=30))
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 BST
    busy = [Busy(start, start + timedelta(hours=1), service_id=1, buffer=timedelta(minutes=30))]
    times = local_times(
        slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 13 * 60), service=cleaned, busy=busy), LONDON
    )
    assert "10:00" not in times and "10:30" in times


def test_an_expired_hold_is_ignored_even_before_cleanup():
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    hold = Busy(start, start + timedelta(hours=1), service_id=1, expires_at=now - timedelta(minutes=1))
    live_hold = Busy(start, start + timedelta(hours=1), service_id=1, expires_at=now + timedelta(minutes=29))
    hours = every_day(9 * 60, 11 * 60)
    assert "09:00" in local_times(slots_on(date(2026, 6, 1), LONDON, hours, busy=[hold], now=now), LONDON)
    assert "09:00" not in local_times(slots_on(date(2026, 6, 1), LONDON, hours, busy=[live_hold], now=now), LONDON)


def test_team_members_limit_the_slot_and_are_listed():
    massage = ServiceSpec(id=1, duration=timedelta(minutes=60), capacity=3, team_member_ids=frozenset({10, 11}))
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 BST
    other_service = Busy(start, start + timedelta(hours=1), service_id=2, team_member_id=10)
    slots = slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 11 * 60), service=massage, busy=[other_service])
    first = slots[0]
    assert local_times([first], LONDON) == ["09:00"]
    assert first.team_member_ids == (11,) and first.remaining == 1


def test_a_member_block_and_a_venue_block():
    massage = ServiceSpec(id=1, duration=timedelta(minutes=60), team_member_ids=frozenset({10}))
    start = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    member_block = Busy(start, start + timedelta(hours=1), team_member_id=10)
    venue_block = Busy(start + timedelta(hours=2), start + timedelta(hours=3))
    hours = every_day(9 * 60, 13 * 60)
    times = local_times(
        slots_on(date(2026, 6, 1), LONDON, hours, service=massage, blocks=[member_block, venue_block]), LONDON
    )
    assert "09:00" not in times and "09:30" not in times and "10:00" in times
    assert "11:00" not in times and "12:00" in times


def test_minimum_notice_and_maximum_advance():
    now = datetime(2026, 6, 1, 8, 10, tzinfo=UTC)  # 09:10 BST
    rules = Rules(slot_interval=timedelta(minutes=30), min_notice=timedelta(hours=1), max_advance=timedelta(days=30))
    times = local_times(slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 13 * 60), now=now, rules=rules), LONDON)
    assert times[0] == "10:30"
    assert slots_on(date(2026, 7, 2), LONDON, every_day(9 * 60, 13 * 60), now=now, rules=rules) == []


def test_bookable_days_marks_closed_and_open_days():
    hours = {0: [(9 * 60, 12 * 60)]}  # Mondays only
    days = bookable_days(
        first_day=date(2026, 6, 1),
        days=8,
        tz=LONDON,
        hours=hours,
        closures=[],
        service=MASSAGE,
        busy=[],
        now=LONG_AGO,
        rules=NO_NOTICE,
    )
    assert days[date(2026, 6, 1)] == 5 and days[date(2026, 6, 8)] == 5
    assert days[date(2026, 6, 2)] == 0


# -- properties ---------------------------------------------------------------------------

ZONES = st.sampled_from([LONDON, NEW_YORK, "Asia/Kolkata", "Australia/Sydney", "UTC"])
DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def opening_hours(draw):
    ranges = []
    cursor = draw(st.integers(0, 12 * 60)) // 15 * 15
    for _ in range(draw(st.integers(1, 3))):
        opens = cursor + draw(st.integers(0, 120)) // 15 * 15
        closes = opens + draw(st.integers(30, 8 * 60)) // 15 * 15
        if closes > 24 * 60:
            break
        ranges.append((opens, closes))
        cursor = closes
    return dict.fromkeys(range(7), ranges)


@st.composite
def services(draw):
    members = draw(st.frozensets(st.integers(1, 4), max_size=3))
    return ServiceSpec(
        id=1,
        duration=timedelta(minutes=draw(st.sampled_from([15, 30, 45, 60, 90, 120]))),
        buffer=timedelta(minutes=draw(st.sampled_from([0, 10, 15, 30]))),
        capacity=draw(st.integers(1, 5)),
        team_member_ids=members,
    )


@st.composite
def bookings_on(draw, day: date):
    base = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=14)
    result = []
    for _ in range(draw(st.integers(0, 6))):
        start = base + timedelta(minutes=draw(st.integers(0, 52 * 60)) // 15 * 15)
        result.append(
            Busy(
                start=start,
                end=start + timedelta(minutes=draw(st.sampled_from([30, 60, 90]))),
                quantity=draw(st.integers(1, 3)),
                service_id=draw(st.sampled_from([1, 2])),
                team_member_id=draw(st.none() | st.integers(1, 4)),
            )
        )
    return result


@settings(max_examples=150, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_no_slot_lies_outside_opening_hours(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    zone = ZoneInfo(tz)
    for slot in slots_on(day, tz, hours, service=service, busy=busy):
        local_start = slot.start.astimezone(zone)
        assert local_start.date() == day
        minute = local_start.hour * 60 + local_start.minute
        fitting = [(o, c) for o, c in hours[day.weekday()] if o <= minute < c]
        assert fitting, f"{local_start} is outside {hours[day.weekday()]}"
        assert slot.end - slot.start == service.duration


@settings(max_examples=150, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_capacity_is_never_exceeded(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    for slot in slots_on(day, tz, hours, service=service, busy=busy):
        used = sum(
            b.quantity
            for b in busy
            if b.service_id == service.id and b.start < slot.end + service.buffer and slot.start < b.busy_until
        )
        assert 0 < slot.remaining <= service.capacity - used
        if service.team_member_ids:
            assert slot.remaining <= len(slot.team_member_ids)
            assert set(slot.team_member_ids) <= service.team_member_ids


@settings(max_examples=150, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_adding_a_booking_never_adds_a_slot(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    extra = data.draw(bookings_on(day))
    before = {s.start: s.remaining for s in slots_on(day, tz, hours, service=service, busy=busy)}
    after = {s.start: s.remaining for s in slots_on(day, tz, hours, service=service, busy=busy + extra)}
    assert set(after) <= set(before)
    assert all(after[start] <= before[start] for start in after)


@settings(max_examples=100, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services())
def test_no_slot_inside_a_closure(day, tz, hours, service):
    closure = [(day - timedelta(days=1), day + timedelta(days=1))]
    assert slots_on(day, tz, hours, service=service, closures=closure) == []
