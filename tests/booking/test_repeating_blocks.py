"""Repeating time blocks: one row holds a weekly rule, the slot engine and the calendar expand
it inside their window, and the rule is checked (weekdays, an end, at most a year)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.booking.availability import find_slot, get_slots
from app.booking.models import TimeBlock
from app.booking.time_blocks import add_time_block, find_time_blocks, remove_time_block
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import make_bookable_venue

LONDON = ZoneInfo("Europe/London")


def _at(day: date, hour: int, tz=LONDON) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def _next(weekday: int, *, after: int = 2) -> date:
    day = datetime.now(UTC).date() + timedelta(days=after)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def _weekly_tuesday_block(venue, *, weeks: int = 8):
    first = _next(1)  # a Tuesday
    return first, add_time_block(
        venue,
        member_id=None,
        starts_at=_at(first, 13),
        ends_at=_at(first, 14),
        reason="Team lunch",
        repeat_weekdays=[1],
        repeat_until=first + timedelta(weeks=weeks),
    )


def test_one_row_blocks_every_tuesday_in_the_engine(venue_and_service):
    venue, service = venue_and_service
    first, _block = _weekly_tuesday_block(venue)
    assert db.session.scalar(select(func.count()).select_from(TimeBlock)) == 1
    for week in (0, 3, 8):
        tuesday = first + timedelta(weeks=week)
        starts = {s.start for s in get_slots(service, tuesday)}
        assert _at(tuesday, 13) not in starts, f"week {week}"
        assert _at(tuesday, 12) in starts and _at(tuesday, 14) in starts
        assert find_slot(service, _at(tuesday, 13)) is None
    wednesday = first + timedelta(days=1)
    assert _at(wednesday, 13) in {s.start for s in get_slots(service, wednesday)}
    after_the_end = first + timedelta(weeks=9)
    assert _at(after_the_end, 13) in {s.start for s in get_slots(service, after_the_end)}


def test_the_occurrence_keeps_its_local_time_across_a_clock_change(ctx, provider):
    venue, service = make_bookable_venue(provider)
    # The last Sunday of October: British clocks go back; a series from before keeps 13:00 local.
    today = datetime.now(UTC).date()
    year = today.year + (1 if today >= date(today.year, 10, 1) else 0)
    change = max(date(year, 10, d) for d in range(25, 32) if date(year, 10, d).weekday() == 6)
    first = change - timedelta(days=7)
    add_time_block(
        venue,
        member_id=None,
        starts_at=_at(first, 13),
        ends_at=_at(first, 14),
        reason="",
        repeat_weekdays=[6],
        repeat_until=change + timedelta(days=7),
    )
    later = change + timedelta(days=7)
    assert find_slot(service, _at(later, 13), now=_at(first, 8)) is None
    assert find_slot(service, _at(later, 14), now=_at(first, 8)) is not None
    [shown] = find_time_blocks(venue, _at(later, 0), _at(later, 23))
    assert shown.starts_at == _at(later, 13) and shown.ends_at == _at(later, 14)


def test_the_booking_page_offers_no_time_inside_an_occurrence(web, venue_and_service):
    venue, service = venue_and_service
    first, _block = _weekly_tuesday_block(venue)
    db.session.commit()
    tuesday = first + timedelta(weeks=2)
    page = web.get(f"/venues/{venue.slug}/book/{service.id}?day={tuesday.isoformat()}").get_data(as_text=True)
    assert _at(tuesday, 12).strftime("%Y-%m-%dT%H:%M") in page or "12:00" in page
    assert "13:00" not in page


def test_the_calendar_shows_each_occurrence_and_deleting_removes_the_series(venue_and_service):
    venue, service = venue_and_service
    first, block = _weekly_tuesday_block(venue, weeks=3)
    week = find_time_blocks(venue, _at(first, 0), _at(first + timedelta(weeks=4), 0))
    assert [b.starts_at for b in week] == [_at(first + timedelta(weeks=n), 13) for n in range(4)]
    assert {b.id for b in week} == {block.id}
    remove_time_block(venue, block.id)
    db.session.flush()
    assert find_slot(service, _at(first + timedelta(weeks=1), 13)) is not None


@pytest.mark.parametrize(
    ("weekdays", "until_days", "message"),
    [
        ([], 30, "at least one weekday"),
        ([1], None, "date the repeat ends"),
        ([1], -1, "on or after the first day"),
        ([1], 367, "at most a year"),
    ],
)
def test_a_bad_repeat_rule_is_refused(venue_and_service, weekdays, until_days, message):
    venue, _service = venue_and_service
    first = _next(1)
    with pytest.raises(ValidationFailed, match=message):
        add_time_block(
            venue,
            member_id=None,
            starts_at=_at(first, 13),
            ends_at=_at(first, 14),
            reason="",
            repeat_weekdays=weekdays,
            repeat_until=None if until_days is None else first + timedelta(days=until_days),
        )
    assert db.session.scalar(select(func.count()).select_from(TimeBlock)) == 0


def test_the_calendar_form_saves_a_series_and_refuses_a_bad_one(web, provider, venue_and_service):
    _venue, service = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    first = _next(1)
    data = {
        "date": first.isoformat(),
        "start": "13:00",
        "end": "14:00",
        "team_member_id": "",
        "reason": "Lunch",
        "repeat_days": ["1", "3"],
        "repeat_until": (first + timedelta(days=400)).isoformat(),
    }
    refused = web.post("/provider/calendar/blocks", data)
    assert refused.status_code == 422 and "at most a year" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TimeBlock)) == 0
    data["repeat_until"] = (first + timedelta(weeks=4)).isoformat()
    assert web.post("/provider/calendar/blocks", data).status_code == 302
    block = db.session.scalar(select(TimeBlock))
    assert block.repeat_weekdays == 0b1010 and block.repeat_until == first + timedelta(weeks=4)
    thursday = first + timedelta(days=9)
    assert find_slot(service, _at(thursday, 13)) is None
    calendar = web.get(f"/provider/calendar?date={thursday.isoformat()}").get_data(as_text=True)
    assert "Every Tue, Thu until" in calendar and "Remove the series" in calendar
