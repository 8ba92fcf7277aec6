"""The slot engine with team members' schedules: weekly ranges, exceptions, days off and
part-day time off (app.slot_engine.MemberSchedule). Examples for DST days, properties for the rest.

Working ranges are local wall-clock times in the venue's zone, like opening hours; the
properties read every minute of every offered slot back on the wall clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import MemberSchedule, ServiceSpec, bookable_days, member_works
from tests.slot_engine.test_engine import (
    DAYS,
    LONDON,
    NEW_YORK,
    NO_NOTICE,
    ZONES,
    bookings_on,
    every_day,
    local_times,
    opening_hours,
    services,
    slots_on,
)

SYDNEY = "Australia/Sydney"
HALF_HOUR = ServiceSpec(1, timedelta(minutes=30), team_member_ids=frozenset({7}))
TWO = ServiceSpec(1, timedelta(minutes=60), team_member_ids=frozenset({7, 8}))


def week_of(ranges: list[tuple[int, int]]) -> dict[int, list[tuple[int, int]]]:
    return dict.fromkeys(range(7), ranges)


# -- examples ---------------------------------------------------------------------------------------


def test_a_member_is_offered_only_inside_their_ranges():
    schedule = MemberSchedule(weekly=week_of([(10 * 60, 12 * 60), (14 * 60, 15 * 60)]))
    slots = slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 18 * 60), service=HALF_HOUR, schedules={7: schedule})
    assert local_times(slots, LONDON) == ["10:00", "10:30", "11:00", "11:30", "14:00", "14:30"]


def test_any_member_picks_among_those_working():
    schedules = {8: MemberSchedule(weekly=week_of([(13 * 60, 18 * 60)]))}  # 7 works the venue's hours
    slots = slots_on(date(2026, 6, 1), LONDON, every_day(9 * 60, 18 * 60), service=TWO, schedules=schedules)
    by_time = {s.start.astimezone(ZoneInfo(LONDON)).strftime("%H:%M"): s for s in slots}
    assert by_time["09:00"].team_member_ids == (7,) and by_time["09:00"].remaining == 1
    assert by_time["13:00"].team_member_ids == (7, 8) and by_time["13:00"].remaining == 1


def test_a_weekday_missing_from_the_week_is_a_day_off_and_the_venue_still_bounds_the_day():
    schedule = MemberSchedule(weekly={0: [(6 * 60, 23 * 60)]})  # Mondays only, longer than the venue
    monday, tuesday = date(2026, 6, 1), date(2026, 6, 2)
    hours = every_day(9 * 60, 11 * 60)
    assert local_times(slots_on(monday, LONDON, hours, service=HALF_HOUR, schedules={7: schedule}), LONDON) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
    ]
    assert slots_on(tuesday, LONDON, hours, service=HALF_HOUR, schedules={7: schedule}) == []
    assert (
        slots_on(monday, LONDON, hours, service=HALF_HOUR, schedules={7: schedule}, closures=[(monday, monday)]) == []
    )


def test_exceptions_days_off_and_time_off():
    day = date(2026, 6, 3)
    hours = every_day(9 * 60, 13 * 60)
    own_hours = MemberSchedule(exceptions={day: [(11 * 60, 12 * 60)]})
    assert local_times(slots_on(day, LONDON, hours, service=HALF_HOUR, schedules={7: own_hours}), LONDON) == [
        "11:00",
        "11:30",
    ]
    off = MemberSchedule(exceptions={day: ()})
    assert slots_on(day, LONDON, hours, service=HALF_HOUR, schedules={7: off}) == []
    holiday = MemberSchedule(days_off=((day - timedelta(days=2), day),))
    assert slots_on(day, LONDON, hours, service=HALF_HOUR, schedules={7: holiday}) == []
    assert slots_on(day + timedelta(days=1), LONDON, hours, service=HALF_HOUR, schedules={7: holiday}) != []
    # 10:00-11:00 BST off: nothing that meets it.
    dentist = MemberSchedule(time_off=((datetime(2026, 6, 3, 9, tzinfo=UTC), datetime(2026, 6, 3, 10, tzinfo=UTC)),))
    times = local_times(slots_on(day, LONDON, hours, service=HALF_HOUR, schedules={7: dentist}), LONDON)
    assert times == ["09:00", "09:30", "11:00", "11:30", "12:00", "12:30"]


def test_a_calendar_counts_only_the_days_a_member_works():
    schedule = MemberSchedule(weekly={0: [(9 * 60, 11 * 60)], 2: [(9 * 60, 10 * 60)]})
    days = bookable_days(
        first_day=date(2026, 6, 1),
        days=7,
        tz=LONDON,
        hours=every_day(9 * 60, 18 * 60),
        closures=[],
        service=HALF_HOUR,
        busy=[],
        now=datetime(2026, 1, 1, tzinfo=UTC),
        rules=NO_NOTICE,
        schedules={7: schedule},
    )
    assert days[date(2026, 6, 1)] == 4 and days[date(2026, 6, 3)] == 2
    assert [days[date(2026, 6, d)] for d in (2, 4, 5, 6, 7)] == [0, 0, 0, 0, 0]


def test_member_works_reads_a_booking_against_the_schedule():
    schedule = MemberSchedule(weekly=week_of([(9 * 60, 13 * 60)]))
    start = datetime(2026, 6, 1, 11, tzinfo=ZoneInfo(LONDON))
    assert member_works(schedule, LONDON, start, start + timedelta(hours=2))
    assert not member_works(schedule, LONDON, start, start + timedelta(hours=3))
    assert member_works(MemberSchedule(), LONDON, start, start + timedelta(hours=9))  # venue hours: not ruled out
    sick = MemberSchedule(time_off=((start + timedelta(hours=1), start + timedelta(hours=5)),))
    assert not member_works(sick, LONDON, start, start + timedelta(hours=2))


# -- DST: working ranges are local wall-clock times ---------------------------------------------------


def test_spring_forward_in_london_a_member_range_skips_the_missing_hour():
    # 2026-03-29: 01:00 GMT becomes 02:00 BST. The member works 00:00-03:00 local: 2 real hours.
    schedule = MemberSchedule(weekly=week_of([(0, 3 * 60)]))
    slots = slots_on(date(2026, 3, 29), LONDON, every_day(0, 4 * 60), service=HALF_HOUR, schedules={7: schedule})
    assert local_times(slots, LONDON) == ["00:00", "00:30", "02:00", "02:30"]


def test_spring_forward_a_range_ending_in_the_missing_hour_ends_when_the_clocks_change():
    schedule = MemberSchedule(weekly=week_of([(0, 90)]))  # until 01:30, which does not exist that night
    slots = slots_on(date(2026, 3, 29), LONDON, every_day(0, 4 * 60), service=HALF_HOUR, schedules={7: schedule})
    assert local_times(slots, LONDON) == ["00:00", "00:30"]
    assert slots[-1].end == datetime(2026, 3, 29, 1, tzinfo=UTC)  # the change itself


def test_fall_back_in_london_the_repeated_hour_is_worked_and_offered_twice():
    # 2026-10-25: 02:00 BST becomes 01:00 GMT. Working 01:00-02:00 local is two real hours.
    schedule = MemberSchedule(weekly=week_of([(60, 120)]))
    day = date(2026, 10, 25)
    slots = slots_on(day, LONDON, every_day(0, 3 * 60), service=HALF_HOUR, schedules={7: schedule})
    # Each repeated time is offered once per offset (BST, then GMT), as the booking page labels them.
    assert local_times(slots, LONDON) == ["01:00", "01:30", "01:00", "01:30"]
    hour = ServiceSpec(1, timedelta(minutes=60), team_member_ids=frozenset({7}))
    long = slots_on(day, LONDON, every_day(0, 3 * 60), service=hour, schedules={7: schedule})
    # 01:30 BST + 60 min is 01:30 GMT: still inside the member's 01:00-02:00; 01:30 GMT + 60 min
    # is 02:30, past it.
    assert local_times(long, LONDON) == ["01:00", "01:30", "01:00"]


def test_new_york_and_sydney_ranges_follow_their_own_changes():
    # New York springs forward 2026-03-08 at 02:00; Sydney falls back 2026-04-05 at 03:00.
    ny = MemberSchedule(weekly=week_of([(60, 4 * 60)]))
    ny_slots = slots_on(date(2026, 3, 8), NEW_YORK, every_day(0, 5 * 60), service=HALF_HOUR, schedules={7: ny})
    assert local_times(ny_slots, NEW_YORK) == ["01:00", "01:30", "03:00", "03:30"]
    sydney = MemberSchedule(weekly=week_of([(2 * 60, 3 * 60)]))
    syd_slots = slots_on(date(2026, 4, 5), SYDNEY, every_day(0, 5 * 60), service=HALF_HOUR, schedules={7: sydney})
    # 02:00-03:00 happens twice that night (AEDT, then AEST): two real hours, each time offered twice.
    assert local_times(syd_slots, SYDNEY) == ["02:00", "02:30", "02:00", "02:30"]
    assert syd_slots[-1].end - syd_slots[0].start == timedelta(minutes=120)


# -- properties ---------------------------------------------------------------------------------------


@st.composite
def local_ranges(draw, max_size: int = 3):
    ranges, cursor = [], draw(st.integers(0, 14 * 60)) // 15 * 15
    for _ in range(draw(st.integers(0, max_size))):
        opens = cursor + draw(st.integers(0, 180)) // 15 * 15
        closes = opens + draw(st.integers(15, 6 * 60)) // 15 * 15
        if closes > 24 * 60:
            break
        ranges.append((opens, closes))
        cursor = closes
    return ranges


@st.composite
def schedules_for(draw, day: date, members: frozenset[int]):
    """Each member: no schedule, or a weekly pattern, maybe an exception, days off, time off."""
    found = {}
    for member in sorted(members):
        if draw(st.booleans()):
            continue
        weekly = draw(st.none() | st.dictionaries(st.integers(0, 6), local_ranges(), max_size=7))
        exceptions = {day: tuple(draw(local_ranges()))} if draw(st.booleans()) else {}
        days_off = ((day, day),) if draw(st.integers(0, 5)) == 0 else ()
        base = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=14)
        time_off = []
        for _ in range(draw(st.integers(0, 2))):
            start = base + timedelta(minutes=draw(st.integers(0, 52 * 60)) // 15 * 15)
            time_off.append((start, start + timedelta(minutes=draw(st.integers(15, 8 * 60)))))
        found[member] = MemberSchedule(
            weekly=weekly, exceptions=exceptions, days_off=days_off, time_off=tuple(time_off)
        )
    return found


def _works_every_minute(schedule: MemberSchedule, day: date, zone: ZoneInfo, start: datetime, end: datetime) -> bool:
    """Read on the wall clock, is every minute of [start, end) inside the member's ranges on ``day``?"""
    ranges = schedule.ranges_on(day)
    if ranges is None:
        return True
    moment = start
    while moment < end:
        local = moment.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if local.date() != day or not any(o <= minute < c for o, c in ranges):
            return False
        moment += timedelta(minutes=1)
    return True


@settings(max_examples=200, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_no_member_is_offered_outside_their_working_ranges_or_in_time_off(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    schedules = data.draw(schedules_for(day, service.team_member_ids))
    zone = ZoneInfo(tz)
    for slot in slots_on(day, tz, hours, service=service, busy=busy, schedules=schedules):
        assert slot.start.astimezone(zone).date() == day
        if service.team_member_ids:
            assert slot.team_member_ids and slot.remaining <= len(slot.team_member_ids)
        for member in slot.team_member_ids:
            schedule = schedules.get(member)
            if schedule is None:
                continue
            assert _works_every_minute(schedule, day, zone, slot.start, slot.end), (member, slot, schedule)
            assert not any(s < slot.end and slot.start < e for s, e in schedule.time_off), (member, slot)
            assert not any(first <= day <= last for first, last in schedule.days_off)


@settings(max_examples=150, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_schedules_only_ever_take_slots_away(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    schedules = data.draw(schedules_for(day, service.team_member_ids))
    before = {s.start: s for s in slots_on(day, tz, hours, service=service, busy=busy)}
    after = slots_on(day, tz, hours, service=service, busy=busy, schedules=schedules)
    for slot in after:
        assert slot.start in before
        assert slot.remaining <= before[slot.start].remaining
        assert set(slot.team_member_ids) <= set(before[slot.start].team_member_ids)


@settings(max_examples=100, deadline=None)
@given(day=DAYS, tz=ZONES, hours=opening_hours(), service=services(), data=st.data())
def test_a_member_without_a_schedule_of_their_own_works_the_venue_hours(day, tz, hours, service, data):
    busy = data.draw(bookings_on(day))
    plain = slots_on(day, tz, hours, service=service, busy=busy)
    defaults = dict.fromkeys(service.team_member_ids, MemberSchedule())
    whole_days = {m: MemberSchedule(weekly=week_of([(0, 24 * 60)])) for m in service.team_member_ids}
    assert slots_on(day, tz, hours, service=service, busy=busy, schedules=defaults) == plain
    assert slots_on(day, tz, hours, service=service, busy=busy, schedules=whole_days) == plain
