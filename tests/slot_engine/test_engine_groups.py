"""Couples and groups in the slot engine (issue 44, item 6): guests start together, each with
their own treatments back to back; guests having the same treatment at the same time sit
together (as many places and people as guests); no team member is given two treatments that
meet; a service's places count rooms as the engine does for one booking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.slot_engine import Busy, Part, Rules, ServiceSpec, group_days, group_starts

LONDON = "Europe/London"
DAY = date(2026, 6, 1)
RULES = Rules(slot_interval=timedelta(minutes=15), min_notice=timedelta(0), max_advance=timedelta(days=365))
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
MIN = timedelta(minutes=1)
AMY, BEN, CAT = 1, 2, 3  # therapists
DOUBLE = 10  # the double room
MASSAGE = ServiceSpec(id=1, duration=60 * MIN, capacity=4, team_member_ids=frozenset({AMY, BEN, CAT}))
COUPLES = ServiceSpec(
    id=2, duration=90 * MIN, capacity=2, team_member_ids=frozenset({AMY, BEN}), shared_needs=((DOUBLE, 1, 1),)
)
FACIAL = ServiceSpec(id=3, duration=60 * MIN, capacity=2, team_member_ids=frozenset({CAT, BEN}))


def at(hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, hours, minutes, tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


def inputs(busy=()) -> dict:
    return {
        "tz": LONDON,
        "hours": {weekday: [(9 * 60, 17 * 60)] for weekday in range(7)},
        "closures": [],
        "busy": list(busy),
        "now": LONG_AGO,
    }


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo(LONDON)).strftime("%H:%M")


def starts(guests, busy=()) -> dict[str, tuple]:
    return {local(found[0].slot.start): found for found in group_starts(day=DAY, guests=guests, **inputs(busy))}


def booked(member: int, start: str, end: str) -> Busy:
    return Busy(start=at(start), end=at(end), service_id=99, team_member_id=member)


def test_two_guests_of_one_treatment_take_two_people_side_by_side():
    found = starts([[Part(MASSAGE, RULES)], [Part(MASSAGE, RULES)]], [booked(AMY, "09:00", "10:00")])
    first = found["09:00"]
    assert {p.team_member_id for p in first} == {BEN, CAT}
    assert {p.slot.start for p in first} == {at("09:00")}
    busy = [booked(AMY, "09:00", "10:00"), booked(BEN, "09:00", "10:00")]
    assert "09:00" not in starts([[Part(MASSAGE, RULES)], [Part(MASSAGE, RULES)]], busy)  # Cat alone


def test_a_couple_shares_the_double_room_the_service_shares():
    """One double room: a couples massage for two guests takes it once; another couple at the
    same time finds it taken."""
    couple = [[Part(COUPLES, RULES)], [Part(COUPLES, RULES)]]
    assert "09:00" in starts(couple)
    room_taken = [Busy(start=at("09:00"), end=at("10:30"), resource_id=DOUBLE, unit=1)]
    assert "09:00" not in starts(couple, room_taken)


def test_each_guest_has_their_own_sequence_and_no_one_is_given_two_at_once():
    """Guest 1: couples massage then facial; guest 2 the same. Massages 09:00-10:30 by Amy and
    Ben; facials 10:30-11:30 need two of Cat and Ben: Ben is free again, so both fit."""
    couple = [[Part(COUPLES, RULES), Part(FACIAL, RULES)], [Part(COUPLES, RULES), Part(FACIAL, RULES)]]
    found = starts(couple)["09:00"]
    massages = [p for p in found if p.part.service.id == COUPLES.id]
    facials = [p for p in found if p.part.service.id == FACIAL.id]
    assert {p.team_member_id for p in massages} == {AMY, BEN}
    assert {p.team_member_id for p in facials} == {BEN, CAT}
    assert {local(p.slot.start) for p in facials} == {"10:30"}
    assert "09:00" not in starts(couple, [booked(CAT, "10:30", "11:00")])  # one facialist left


def test_different_treatments_at_once_need_different_people():
    """Guest 1 a massage (Amy, Ben or Cat), guest 2 a facial (Cat or Ben) at once: with Amy and Ben
    busy, Cat can't do both."""
    guests = [[Part(MASSAGE, RULES)], [Part(FACIAL, RULES)]]
    assert "09:00" in starts(guests, [booked(AMY, "09:00", "10:00")])
    assert "09:00" not in starts(guests, [booked(AMY, "09:00", "10:00"), booked(BEN, "09:00", "10:00")])


def test_a_chosen_person_is_given_their_guests_treatment_only():
    guests = [[Part(MASSAGE, RULES, team_member_id=CAT)], [Part(MASSAGE, RULES, team_member_id=CAT)]]
    assert starts(guests) == {}  # one person can't do two at once
    guests = [[Part(MASSAGE, RULES, team_member_id=CAT)], [Part(MASSAGE, RULES)]]
    found = starts(guests)["09:00"]
    assert found[0].team_member_id == CAT and found[1].team_member_id in {AMY, BEN}


def test_too_few_places_for_the_sitting_is_refused():
    small = ServiceSpec(id=1, duration=60 * MIN, capacity=1, team_member_ids=frozenset({AMY, BEN, CAT}))
    assert starts([[Part(small, RULES)], [Part(small, RULES)]]) == {}


def test_group_days_says_which_days_the_group_fits():
    found = group_days(first_day=DAY, days=2, guests=[[Part(COUPLES, RULES)], [Part(COUPLES, RULES)]], **inputs())
    assert found == {DAY: True, DAY + timedelta(days=1): True}
