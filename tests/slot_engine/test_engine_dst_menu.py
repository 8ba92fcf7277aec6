"""DST properties of a spa's menu (issue 44, item 7): on the days the clocks change, in several
zones, a visit's treatments follow one another in real minutes, and a processing gap is free for
the team member for exactly its real minutes, whatever the wall clock does."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Part, Rules, ServiceSpec, available_slots, slot_at, visit_starts

MIN = timedelta(minutes=1)
RULES = Rules(slot_interval=timedelta(minutes=15), min_notice=timedelta(0), max_advance=timedelta(days=3650))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
STYLIST = 1
# (zone, a day its clocks change): spring forward and fall back, north and south.
CHANGES = st.sampled_from(
    [
        ("Europe/London", date(2026, 3, 29)),
        ("Europe/London", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Australia/Sydney", date(2026, 4, 5)),
        ("Australia/Sydney", date(2026, 10, 4)),
    ]
)
LENGTHS = st.integers(2, 8).map(lambda n: n * 15)


def inputs(tz: str, busy=()) -> dict:
    # Open through the night, so the change (01:00-03:00 local) falls inside opening hours.
    return {
        "tz": tz,
        "hours": {d: [(0, 8 * 60)] for d in range(7)},
        "closures": [],
        "busy": list(busy),
        "now": LONG_AGO,
    }


@settings(max_examples=60, deadline=None)
@given(change=CHANGES, first=LENGTHS, second=LENGTHS, buffer=st.sampled_from([0, 10, 15]))
def test_a_visits_treatments_follow_in_real_minutes_across_a_clock_change(change, first, second, buffer):
    tz, day = change
    facial = ServiceSpec(id=1, duration=first * MIN, buffer=buffer * MIN, team_member_ids=frozenset({1}))
    massage = ServiceSpec(id=2, duration=second * MIN, team_member_ids=frozenset({2}))
    found = visit_starts(day=day, parts=[Part(facial, RULES), Part(massage, RULES)], **inputs(tz))
    assert found  # a quiet night: the visit fits somewhere
    for one, two in found:
        assert two.start - one.start == (first + buffer) * MIN  # real minutes, not wall-clock ones
        assert (one.end - one.start, two.end - two.start) == (first * MIN, second * MIN)


@settings(max_examples=60, deadline=None)
@given(change=CHANGES, after=LENGTHS, gap=LENGTHS, finish=LENGTHS, data=st.data())
def test_a_booked_gap_stays_free_for_its_real_minutes_across_a_clock_change(change, after, gap, finish, data):
    """Booking a colour never takes its gap from the stylist: a start inside the gap that was free
    before the colour was booked is still free after, and a start in the working parts is not."""
    tz, day = change
    colour = ServiceSpec(
        id=1,
        duration=(after + gap + finish) * MIN,
        team_member_ids=frozenset({STYLIST}),
        gap=(after * MIN, (after + gap) * MIN),
    )
    starts = [s.start for s in available_slots(day=day, service=colour, rules=RULES, **inputs(tz))]
    if not starts:
        return
    start = data.draw(st.sampled_from(starts))
    booked = Busy(
        start=start,
        end=start + colour.duration,
        service_id=1,
        team_member_id=STYLIST,
        gap=(start + after * MIN, start + (after + gap) * MIN),
    )
    short = ServiceSpec(id=2, duration=15 * MIN, team_member_ids=frozenset({STYLIST}))
    for offset in range(0, gap - 15 + 1, 15):  # every quarter hour that fits in the gap
        at = start + (after + offset) * MIN
        if slot_at(start=at, service=short, rules=RULES, **inputs(tz)) is not None:
            assert slot_at(start=at, service=short, rules=RULES, **inputs(tz, [booked])) is not None
    assert slot_at(start=start, service=short, rules=RULES, **inputs(tz, [booked])) is None  # applying
    last = start + (after + gap) * MIN  # finishing
    assert slot_at(start=last, service=short, rules=RULES, **inputs(tz, [booked])) is None
