"""Rooms and equipment in the slot engine (issue 44, item 4): a start is offered only when, for
each resource the service needs, enough distinct units are each free for the whole booking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Rules, ServiceSpec, available_slots, bookable_days, free_start_minutes
from app.slot_engine.engine import _BusyIndex

LONDON = "Europe/London"
DAY = date(2026, 6, 1)
NO_NOTICE = Rules(slot_interval=timedelta(minutes=30), min_notice=timedelta(0), max_advance=timedelta(days=365))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
ROOM, DOUBLE, TABLE = 10, 11, 12  # resource ids: treatment rooms, the double room, hot-stone tables
MASSAGE = ServiceSpec(id=1, duration=timedelta(minutes=60), capacity=3, team_member_ids=frozenset({1, 2, 3}))


def every_day(opens: int, closes: int) -> dict[int, list[tuple[int, int]]]:
    return {weekday: [(opens, closes)] for weekday in range(7)}


def at(hhmm: str, day: date = DAY, tz: str = LONDON) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def unit(resource: int, number: int, start: str, end: str, **kwargs) -> Busy:
    """Unit ``number`` of ``resource`` taken from ``start`` to ``end`` (local, buffer included)."""
    return Busy(start=at(start), end=at(end), resource_id=resource, unit=number, **kwargs)


def slots(service: ServiceSpec, busy=(), *, day: date = DAY, tz: str = LONDON, hours=None, now=LONG_AGO):
    return available_slots(
        day=day,
        tz=tz,
        hours=hours or every_day(9 * 60, 13 * 60),
        closures=[],
        service=service,
        busy=list(busy),
        now=now,
        rules=NO_NOTICE,
    )


def times(found) -> list[str]:
    return [s.start.astimezone(ZoneInfo(LONDON)).strftime("%H:%M") for s in found]


def remaining_at(found, hhmm: str) -> int:
    return next((s.remaining for s in found if s.start == at(hhmm)), 0)


def test_units_are_free_per_unit_not_by_count():
    """Two rooms, each taken for half of 10:00-11:00 (room 1 until 10:30, room 2 from 10:30):
    at no moment are both taken, yet no one room is free for the whole hour."""
    massage = replace(MASSAGE, needs=((ROOM, 1, 2),))
    busy = [unit(ROOM, 1, "09:30", "10:30"), unit(ROOM, 2, "10:30", "11:30")]
    found = slots(massage, busy)
    assert "10:00" not in times(found)
    assert remaining_at(found, "09:00") == 1  # room 2 is free until 10:30
    assert remaining_at(found, "11:30") == 2
    assert remaining_at(found, "10:30") == 1  # room 1 is free from 10:30, room 2 isn't
    assert remaining_at(slots(massage, busy[:1]), "10:00") == 1


def test_remaining_is_capped_by_the_free_units_with_a_team():
    """Three therapists, two rooms: two places at most; one room taken, one place."""
    massage = replace(MASSAGE, needs=((ROOM, 1, 2),))
    assert remaining_at(slots(massage), "10:00") == 2
    assert remaining_at(slots(massage, [unit(ROOM, 2, "10:00", "11:00")]), "10:00") == 1
    both = [unit(ROOM, 1, "10:00", "11:00"), unit(ROOM, 2, "10:00", "11:00")]
    assert "10:00" not in times(slots(massage, both))
    assert remaining_at(slots(massage, both), "11:00") == 2  # taken until 11:00 exactly


def test_a_couples_massage_needs_the_one_double_room_a_massage_a_treatment_room():
    couples = ServiceSpec(id=2, duration=timedelta(minutes=90), needs=((DOUBLE, 1, 1),))
    massage = replace(MASSAGE, needs=((ROOM, 1, 2),))
    double_taken = [unit(DOUBLE, 1, "10:00", "11:30")]
    assert "10:00" not in times(slots(couples, double_taken))
    assert "11:30" in times(slots(couples, double_taken))
    # The double room doesn't stop a massage, which needs a treatment room.
    assert remaining_at(slots(massage, double_taken), "10:00") == 2
    # A service that needs two units of a resource of two: both must be free.
    both_rooms = ServiceSpec(id=3, duration=timedelta(minutes=60), needs=((ROOM, 2, 2),))
    assert remaining_at(slots(both_rooms), "10:00") == 1
    assert "10:00" not in times(slots(both_rooms, [unit(ROOM, 1, "10:00", "11:00")]))


def test_needs_of_two_resources_at_once():
    hot_stones = replace(MASSAGE, needs=((ROOM, 1, 2), (TABLE, 1, 1)))
    assert remaining_at(slots(hot_stones), "10:00") == 1  # one table
    assert "10:00" not in times(slots(hot_stones, [unit(TABLE, 1, "10:30", "11:00")]))
    rooms_taken = [unit(ROOM, 1, "10:00", "11:00"), unit(ROOM, 2, "09:00", "10:30")]
    assert "10:00" not in times(slots(hot_stones, rooms_taken))
    assert "10:30" in times(slots(hot_stones, rooms_taken))


def test_a_group_without_a_team_is_one_booking_of_the_units():
    """A class for 6 with no team takes one studio per booking (a group is one booking), so a
    free studio leaves every place; no free studio leaves none."""
    yoga = ServiceSpec(id=4, duration=timedelta(minutes=60), capacity=6, needs=((ROOM, 1, 1),))
    assert remaining_at(slots(yoga), "10:00") == 6
    assert "10:00" not in times(slots(yoga, [unit(ROOM, 1, "10:00", "11:00")]))


def test_the_buffer_keeps_the_unit_too():
    massage = replace(MASSAGE, buffer=timedelta(minutes=30), needs=((ROOM, 1, 1),))
    busy = [unit(ROOM, 1, "11:00", "12:00")]
    assert "10:00" not in times(slots(massage, busy))  # 10:00-11:00 + 30 minutes' buffer meets it
    assert "09:30" in times(slots(massage, busy))


def test_an_expired_holds_unit_is_free():
    now = datetime(2026, 5, 31, 12, 0, tzinfo=UTC)
    massage = replace(MASSAGE, needs=((ROOM, 1, 1),))
    expired = unit(ROOM, 1, "10:00", "11:00", expires_at=now - timedelta(minutes=1))
    live = unit(ROOM, 1, "10:00", "11:00", expires_at=now + timedelta(minutes=1))
    assert "10:00" in times(slots(massage, [expired], now=now))
    assert "10:00" not in times(slots(massage, [live], now=now))


def test_units_of_other_resources_and_bad_unit_numbers_are_ignored():
    massage = replace(MASSAGE, needs=((ROOM, 1, 1),))
    busy = [unit(DOUBLE, 1, "10:00", "11:00"), unit(ROOM, 2, "10:00", "11:00")]  # room 2 of 1: gone
    assert remaining_at(slots(massage, busy), "10:00") == 1


def test_a_service_without_needs_is_unchanged_by_units():
    busy = [unit(ROOM, 1, "09:00", "13:00"), unit(ROOM, 2, "09:00", "13:00")]
    assert slots(MASSAGE, busy) == slots(MASSAGE)
    massage = replace(MASSAGE, needs=((ROOM, 1, 2),))
    assert times(slots(massage)) == times(slots(MASSAGE))  # rooms all free: the same times
    assert {s.remaining for s in slots(massage)} == {2}  # two places: two rooms


def test_spring_forward_day_is_unchanged_with_free_rooms():
    spring = date(2026, 3, 29)
    hours = {weekday: [(0, 4 * 60)] for weekday in range(7)}
    massage = replace(MASSAGE, needs=((ROOM, 1, 2),))
    assert times(slots(massage, day=spring, hours=hours)) == times(slots(MASSAGE, day=spring, hours=hours))
    assert "01:30" not in times(slots(massage, day=spring, hours=hours))  # the missing hour stays missing


def test_calendar_and_free_minutes_count_units():
    massage = replace(MASSAGE, needs=((ROOM, 1, 1),))
    busy = [unit(ROOM, 1, "09:00", "13:00")]
    common = {
        "tz": LONDON,
        "hours": every_day(9 * 60, 13 * 60),
        "closures": [],
        "busy": busy,
        "now": LONG_AGO,
        "rules": NO_NOTICE,
    }
    assert bookable_days(first_day=DAY, days=2, service=massage, **common) == {DAY: 0, DAY + timedelta(days=1): 7}
    assert bookable_days(first_day=DAY, days=1, service=MASSAGE, **common) == {DAY: 7}
    assert len(free_start_minutes(days=[DAY, DAY + timedelta(days=1)], service=massage, **common)) == 7


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.integers(1, 3),
    taken=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 7), st.integers(1, 4)), max_size=6),
)
def test_a_slot_has_a_unit_free_for_all_of_it(quantity, taken):
    """Property: every offered start has, for as many places as it says, distinct units each
    free for the whole service (checked against a plain scan of the units)."""
    massage = replace(MASSAGE, needs=((ROOM, 1, quantity),))
    busy = [
        Busy(
            start=at("09:00") + timedelta(minutes=30 * begin),
            end=at("09:00") + timedelta(minutes=30 * (begin + length)),
            resource_id=ROOM,
            unit=number,
        )
        for number, begin, length in taken
    ]
    for slot in slots(massage, busy):
        free = [
            n
            for n in range(1, quantity + 1)
            if not any(b.unit == n and b.start < slot.end and b.end > slot.start for b in busy)
        ]
        assert slot.remaining == min(3, len(free)) and slot.remaining >= 1


def _shape(index) -> tuple:
    """An index as plain lists, to compare two indexes."""

    def occupied(o) -> tuple:
        return (o.starts, o.ends, None if o.odd is None else (o.odd.starts, o.odd.ends))

    def units(found) -> list:
        return [(per, [occupied(u) for u in taken]) for per, taken, _ in found]

    same = index.same_service
    return (
        (same.starts, same.ends, same.weights),
        {m: occupied(o) for m, o in index.members.items()},
        occupied(index.venue_blocks),
        units(index.units),
        units(index.shared_units),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 40),  # start, in 15-minute steps from 09:00
            st.integers(1, 8),  # length, in 15-minute steps
            st.sampled_from([1, 2, 3]),  # service
            st.sampled_from([None, 1, 2, 3, 4]),  # team member
            st.sampled_from([None, ROOM, DOUBLE]),  # a unit row of this resource, or a booking
            st.integers(1, 2),  # unit number
            st.booleans(),  # a hold that ran out
        ),
        max_size=30,
    )
)
def test_an_index_built_like_another_services_is_the_same_as_one_built_alone(rows):
    """A visit's second treatment takes its team's intervals and rooms from the first's index
    (``_BusyIndex.build(like=...)``): the result is the index it would have built alone."""
    now = at("08:00")
    busy = [
        Busy(
            start=at("09:00") + timedelta(minutes=15 * start),
            end=at("09:00") + timedelta(minutes=15 * (start + length)),
            service_id=None if resource else service,
            team_member_id=None if resource else member,
            resource_id=resource,
            unit=number if resource else 0,
            expires_at=at("07:00") if ran_out else None,
        )
        for start, length, service, member, resource, number, ran_out in rows
    ]
    blocks = [Busy(start=at("12:00"), end=at("12:30")), Busy(start=at("10:00"), end=at("10:15"), team_member_id=2)]
    wide = replace(MASSAGE, team_member_ids=frozenset({1, 2, 3, 4}), needs=((ROOM, 1, 2),))
    for other in (
        replace(MASSAGE, id=2, team_member_ids=frozenset({1, 4}), needs=((ROOM, 1, 2),)),
        replace(MASSAGE, id=3, team_member_ids=frozenset({2}), needs=((DOUBLE, 1, 2),), shared_needs=((ROOM, 1, 2),)),
        replace(MASSAGE, id=2, team_member_ids=frozenset()),
    ):
        first = _BusyIndex.build(wide, busy, blocks, now)
        assert _shape(_BusyIndex.build(other, busy, blocks, now, like=first)) == _shape(
            _BusyIndex.build(other, busy, blocks, now)
        )
