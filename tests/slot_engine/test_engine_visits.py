"""A visit of several treatments in the slot engine (issue 44, item 5): each treatment starts when
the one before it ends (buffer included), so a start is offered only when the whole sequence fits;
``slot_at`` checks one exact start, on the step or not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Part, Rules, ServiceSpec, available_slots, slot_at, visit_days, visit_starts

LONDON = "Europe/London"
DAY = date(2026, 6, 1)
RULES = Rules(slot_interval=timedelta(minutes=15), min_notice=timedelta(0), max_advance=timedelta(days=365))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
FACIALIST, THERAPIST = 1, 2
FACIAL = ServiceSpec(id=1, duration=60 * MIN, team_member_ids=frozenset({FACIALIST}))
MASSAGE = ServiceSpec(id=2, duration=60 * MIN, team_member_ids=frozenset({THERAPIST}))


def at(hhmm: str, day: date = DAY) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


def inputs(busy=(), hours=(9 * 60, 14 * 60)) -> dict:
    return {
        "tz": LONDON,
        "hours": {weekday: [hours] for weekday in range(7)},
        "closures": [],
        "busy": list(busy),
        "now": LONG_AGO,
    }


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(LONDON)).strftime("%H:%M")


def starts(parts, busy=(), **kwargs) -> list[str]:
    return [local(found[0].start) for found in visit_starts(day=DAY, parts=parts, **inputs(busy), **kwargs)]


def booked(member: int, start: str, end: str) -> Busy:
    return Busy(start=at(start), end=at(end), service_id=99, team_member_id=member)


def test_a_start_is_offered_only_when_the_whole_sequence_fits():
    parts = [Part(FACIAL, RULES), Part(MASSAGE, RULES)]
    offered = starts(parts, [booked(THERAPIST, "11:00", "12:00")])
    assert "10:00" not in offered  # the massage would start at 11:00
    assert "09:45" not in offered  # ... at 10:45, meeting 11:00
    assert "09:00" in offered and "11:00" in offered  # massage 10:00, or 12:00
    assert offered[-1] == "12:00"  # the massage must end by closing, 14:00


def test_each_part_starts_after_the_one_before_and_its_buffer():
    buffered = ServiceSpec(id=1, duration=60 * MIN, buffer=15 * MIN, team_member_ids=frozenset({FACIALIST}))
    [found] = visit_starts(
        day=DAY, parts=[Part(buffered, RULES), Part(MASSAGE, RULES)], **inputs(hours=(9 * 60, 11 * 60 + 15))
    )
    facial, massage = found
    assert (local(facial.start), local(massage.start), local(massage.end)) == ("09:00", "10:15", "11:15")


def test_a_later_part_may_start_off_the_step():
    fifty = ServiceSpec(id=1, duration=50 * MIN, team_member_ids=frozenset({FACIALIST}))
    found = visit_starts(day=DAY, parts=[Part(fifty, RULES), Part(MASSAGE, RULES)], **inputs())
    assert [local(s.start) for s in found[0]] == ["09:00", "09:50"]


def test_a_chosen_team_member_must_be_free_for_their_part():
    both = ServiceSpec(id=2, duration=60 * MIN, team_member_ids=frozenset({THERAPIST, 3}))
    busy = [booked(THERAPIST, "10:00", "11:00")]
    anyone = starts([Part(FACIAL, RULES), Part(both, RULES)], busy)
    chosen = starts([Part(FACIAL, RULES), Part(both, RULES, team_member_id=THERAPIST)], busy)
    assert "09:00" in anyone and "09:00" not in chosen


def test_the_same_team_member_may_do_every_part():
    solo = ServiceSpec(id=2, duration=60 * MIN, team_member_ids=frozenset({FACIALIST}))
    found = visit_starts(day=DAY, parts=[Part(FACIAL, RULES), Part(solo, RULES)], **inputs())
    assert FACIALIST in found[0][1].team_member_ids  # free again when the facial ends


def test_visit_days_says_which_days_have_a_start():
    closes_early = {weekday: [(9 * 60, 10 * 60 + 30)] for weekday in range(7)}
    closes_early[DAY.weekday()] = [(9 * 60, 14 * 60)]
    found = visit_days(
        first_day=DAY,
        days=3,
        parts=[Part(FACIAL, RULES), Part(MASSAGE, RULES)],
        **{**inputs(), "hours": closes_early},
    )
    assert found == {DAY: True, DAY + timedelta(days=1): False, DAY + timedelta(days=2): False}


def test_a_visit_across_a_clock_change_keeps_real_minutes():
    """25 Oct 2026: 02:00 BST becomes 01:00 GMT. A facial from 00:30 BST ends 60 real minutes later,
    at 01:30 BST, and the massage starts then (23:30 UTC + 60 minutes)."""
    night = date(2026, 10, 25)
    found = visit_starts(day=night, parts=[Part(FACIAL, RULES), Part(MASSAGE, RULES)], **{**inputs(hours=(0, 4 * 60))})
    first = next(f for f in found if f[0].start == datetime(2026, 10, 24, 23, 30, tzinfo=UTC))
    assert first[1].start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert first[1].end - first[0].start == 120 * MIN


def test_slot_at_checks_one_exact_start():
    assert slot_at(start=at("10:50"), service=MASSAGE, rules=RULES, **inputs()) is not None
    assert slot_at(start=at("13:10"), service=MASSAGE, rules=RULES, **inputs()) is None  # past closing
    assert slot_at(start=at("08:50"), service=MASSAGE, rules=RULES, **inputs()) is None  # before opening
    busy = [booked(THERAPIST, "11:00", "11:30")]
    assert slot_at(start=at("10:10"), service=MASSAGE, rules=RULES, **inputs(busy)) is None


@settings(max_examples=80, deadline=None)
@given(
    first=st.sampled_from([30, 45, 50, 60]),
    buffer=st.sampled_from([0, 10, 15]),
    booked_at=st.lists(st.tuples(st.integers(0, 18), st.sampled_from([1, 2])), max_size=5),
)
def test_a_visit_start_is_exactly_a_free_first_part_and_a_free_second_part(first, buffer, booked_at):
    """Against the one-service answers: a start is offered iff the first treatment has that slot
    and the second is free (``slot_at``) when the first's time, buffer included, ends."""
    facial = ServiceSpec(id=1, duration=first * MIN, buffer=buffer * MIN, team_member_ids=frozenset({FACIALIST}))
    busy = [
        Busy(
            start=at("09:00") + slot * 15 * MIN,
            end=at("09:00") + (slot * 15 + 30) * MIN,
            service_id=9,
            team_member_id=m,
        )
        for slot, m in booked_at
    ]
    offered = [
        f[0].start for f in visit_starts(day=DAY, parts=[Part(facial, RULES), Part(MASSAGE, RULES)], **inputs(busy))
    ]
    expected = [
        s.start
        for s in available_slots(day=DAY, service=facial, rules=RULES, **inputs(busy))
        if slot_at(start=s.start + (first + buffer) * MIN, service=MASSAGE, rules=RULES, **inputs(busy)) is not None
    ]
    assert offered == expected
