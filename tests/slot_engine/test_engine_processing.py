"""Processing time in the slot engine (issue 44, item 3): a service that is work, a gap, then work
keeps its team member only for the working parts; in the gap they are offered to other clients."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.slot_engine import Busy, Rules, ServiceSpec, available_slots

LONDON = "Europe/London"
DAY = date(2026, 6, 1)
RULES = Rules(slot_interval=timedelta(minutes=15), min_notice=timedelta(0), max_advance=timedelta(days=365))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
STYLIST = 7
MIN = timedelta(minutes=1)
# A colour: 30 minutes applying, 30 processing, 15 finishing; two clients may sit at once.
COLOUR = ServiceSpec(
    id=1, duration=75 * MIN, capacity=2, team_member_ids=frozenset({STYLIST}), gap=(30 * MIN, 60 * MIN)
)
BLOW_DRY = ServiceSpec(id=2, duration=30 * MIN, team_member_ids=frozenset({STYLIST}))


def at(hhmm: str, day: date = DAY) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


def colour_at(hhmm: str, day: date = DAY) -> Busy:
    """A booked colour of the stylist from ``hhmm``, with its gap."""
    start = at(hhmm, day)
    return Busy(
        start=start,
        end=start + 75 * MIN,
        service_id=1,
        team_member_id=STYLIST,
        gap=(start + 30 * MIN, start + 60 * MIN),
    )


def times(service: ServiceSpec, busy, *, day: date = DAY, hours=(9 * 60, 14 * 60)) -> list[str]:
    found = available_slots(
        day=day,
        tz=LONDON,
        hours={weekday: [hours] for weekday in range(7)},
        closures=[],
        service=service,
        busy=list(busy),
        now=LONG_AGO,
        rules=RULES,
    )
    return [s.start.astimezone(ZoneInfo(LONDON)).strftime("%H:%M") for s in found]


def test_another_client_fits_in_the_processing_gap():
    offered = times(BLOW_DRY, [colour_at("10:00")])
    assert "10:30" in offered  # exactly the gap, 10:30-11:00
    assert "10:15" not in offered  # would overlap the applying, 10:00-10:30
    assert "10:45" not in offered  # would overlap the finishing, 11:00-11:15
    assert "11:15" in offered


def test_the_same_work_without_a_gap_keeps_the_stylist_throughout():
    start = at("10:00")
    solid = Busy(start=start, end=start + 75 * MIN, service_id=1, team_member_id=STYLIST)
    offered = times(BLOW_DRY, [solid])
    assert not {"10:00", "10:15", "10:30", "10:45"} & set(offered)


def test_two_colours_interleave_when_their_working_parts_do_not_meet():
    """Colour A at 10:00 works 10:00-10:30 and 11:00-11:15. Colour B at 10:30 works 10:30-11:00
    (A's gap) and 11:30-11:45, its gap 11:00-11:30 taking A's finishing: offered. At 10:15 B's
    applying would meet A's: not offered."""
    offered = times(COLOUR, [colour_at("10:00")])
    assert "10:30" in offered
    assert "10:15" not in offered
    assert "10:45" not in offered  # B's applying 10:45-11:15 meets A's finishing 11:00-11:15


def test_a_new_colour_needs_the_stylist_only_for_its_working_parts():
    """A blow-dry booked 10:30-11:00: a colour starting at 10:00 has its gap exactly there."""
    start = at("10:30")
    blow_dry = Busy(start=start, end=start + 30 * MIN, service_id=2, team_member_id=STYLIST)
    offered = times(COLOUR, [blow_dry])
    assert "10:00" in offered
    assert "09:45" not in offered  # applying 09:45-10:15, gap 10:15-10:45 meets the blow-dry's first half


def test_a_buffer_counts_as_work_after_the_end():
    buffered = ServiceSpec(
        id=1, duration=75 * MIN, buffer=15 * MIN, team_member_ids=frozenset({STYLIST}), gap=(30 * MIN, 60 * MIN)
    )
    start = at("11:15")
    blow_dry = Busy(start=start, end=start + 30 * MIN, service_id=2, team_member_id=STYLIST)
    assert "10:00" not in times(buffered, [blow_dry])  # finishing 11:00-11:15 then the buffer to 11:30
    assert "10:00" in times(COLOUR, [blow_dry])


def test_a_gap_across_a_clock_change_keeps_real_minutes():
    """On the night clocks go back (25 Oct 2026, 02:00 BST -> 01:00 GMT), a colour from 00:30
    processes for 30 real minutes: its gap, 01:00-01:30 BST, is the blow-dry's free time."""
    night = date(2026, 10, 25)
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 00:30 BST
    colour = Busy(
        start=start,
        end=start + 75 * MIN,
        service_id=1,
        team_member_id=STYLIST,
        gap=(start + 30 * MIN, start + 60 * MIN),
    )
    found = available_slots(
        day=night,
        tz=LONDON,
        hours={weekday: [(0, 4 * 60)] for weekday in range(7)},
        closures=[],
        service=BLOW_DRY,
        busy=[colour],
        now=LONG_AGO,
        rules=RULES,
    )
    starts = {s.start for s in found}
    assert start + 30 * MIN in starts  # 00:00 UTC, 01:00 BST: the gap
    assert start + 15 * MIN not in starts
    assert start + 45 * MIN not in starts


WORK = st.integers(min_value=1, max_value=8).map(lambda n: n * 15)


@settings(max_examples=120, deadline=None)
@given(
    first=WORK,
    gap=WORK,
    last=WORK,
    booked=st.lists(st.tuples(st.integers(0, 16), WORK, st.booleans()), max_size=4),
)
def test_offered_exactly_when_working_minutes_do_not_meet(first, gap, last, booked):
    """Against a reference that counts minutes: a start is offered iff the new booking's working
    minutes share none with the stylist's booked working minutes (each booked one, with or without
    a gap of 15 minutes after its first 15)."""
    service = ServiceSpec(
        id=1,
        duration=(first + gap + last) * MIN,
        team_member_ids=frozenset({STYLIST}),
        gap=(first * MIN, (first + gap) * MIN),
    )
    busy, taken = [], set()
    opening = at("09:00")
    for slot, length, with_gap in booked:
        start = opening + slot * 15 * MIN
        end = start + (length + (30 if with_gap else 0)) * MIN
        if with_gap:
            busy.append(
                Busy(
                    start=start, end=end, service_id=2, team_member_id=STYLIST, gap=(start + 15 * MIN, start + 30 * MIN)
                )
            )
            minutes = [*range(0, 15), *range(30, length + 30)]
        else:
            busy.append(Busy(start=start, end=end, service_id=2, team_member_id=STYLIST))
            minutes = list(range(length))
        base = (start - opening) // MIN
        taken.update(base + m for m in minutes)
    offered = set(times(service, busy, hours=(9 * 60, 17 * 60)))
    expected = set()
    for offset in range(0, 8 * 60 - (first + gap + last) + 1, 15):
        working = {*range(offset, offset + first), *range(offset + first + gap, offset + first + gap + last)}
        if not working & taken:
            expected.add((opening + offset * MIN).astimezone(ZoneInfo(LONDON)).strftime("%H:%M"))
    assert offered == expected
