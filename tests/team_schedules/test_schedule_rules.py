"""The database's own rules for schedules (migration 0020), and the service's checks beside them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.team_schedules.models import ScheduleException, TimeOff, WorkingHours
from app.team_schedules.service import add_time_off, load_schedules, set_exception, set_week
from app.venues.hours import Range
from tests.booking.helpers import make_bookable_venue


@pytest.fixture
def member(ctx, provider):
    venue, _service = make_bookable_venue(provider, team=1)
    return venue.team[0]


def refused(*rows) -> None:
    savepoint = db.session.begin_nested()
    db.session.add_all(rows)
    with pytest.raises(IntegrityError):
        db.session.flush()
    savepoint.rollback()


def test_overlapping_weekly_ranges_are_refused_by_the_database(member):
    db.session.add(WorkingHours(team_member_id=member.id, weekday=0, starts_minute=540, ends_minute=780))
    db.session.flush()
    refused(WorkingHours(team_member_id=member.id, weekday=0, starts_minute=720, ends_minute=900))
    refused(WorkingHours(team_member_id=member.id, weekday=7, starts_minute=60, ends_minute=120))
    refused(WorkingHours(team_member_id=member.id, weekday=1, starts_minute=600, ends_minute=600))
    refused(WorkingHours(team_member_id=member.id, weekday=1, starts_minute=600, ends_minute=1441))
    # Touching is fine: a lunch break ends where the afternoon starts.
    db.session.add(WorkingHours(team_member_id=member.id, weekday=0, starts_minute=780, ends_minute=900))
    db.session.flush()


def test_a_day_off_exception_cannot_stand_beside_ranges_of_that_date(member):
    day = date(2030, 1, 7)
    db.session.add(ScheduleException(team_member_id=member.id, day=day, note=""))
    db.session.flush()
    refused(ScheduleException(team_member_id=member.id, day=day, starts_minute=600, ends_minute=660, note=""))
    refused(ScheduleException(team_member_id=member.id, day=day, note=""))
    refused(ScheduleException(team_member_id=member.id, day=day + timedelta(days=1), starts_minute=600, note=""))


def test_time_off_is_days_or_times_never_both_and_never_backwards(member):
    now = datetime(2030, 1, 7, 9, tzinfo=UTC)
    first = date(2030, 1, 7)
    refused(
        TimeOff(
            team_member_id=member.id,
            kind="holiday",
            reason="",
            starts_on=first,
            ends_on=first,
            starts_at=now,
            ends_at=now + timedelta(hours=1),
        )
    )
    refused(
        TimeOff(team_member_id=member.id, kind="holiday", reason="", starts_on=first, ends_on=first - timedelta(days=1))
    )
    refused(TimeOff(team_member_id=member.id, kind="holiday", reason="", starts_at=now, ends_at=now))
    refused(TimeOff(team_member_id=member.id, kind="nap", reason="", starts_on=first, ends_on=first))
    refused(TimeOff(team_member_id=member.id, kind="holiday", reason=""))


def test_the_service_replaces_a_week_and_a_date(member):
    set_week(member, {0: [Range(540, 780), Range(840, 1080)], 2: [Range(600, 720)]})
    set_week(member, {1: [Range(600, 660)]})
    later = datetime.now(UTC) + timedelta(days=2)
    schedules = load_schedules([member.id], later, later + timedelta(days=1))
    assert schedules[member.id].weekly == {1: [(600, 660)]}
    day = later.date()
    set_exception(member, day, [Range(600, 700)], "")
    set_exception(member, day, [], "Off")  # replaces the ranges of that date
    schedules = load_schedules([member.id], later, later + timedelta(days=1))
    assert schedules[member.id].exceptions == {day: ()}
    set_week(member, None)
    assert load_schedules([member.id], later, later + timedelta(days=1))[member.id].weekly is None


def test_the_service_refuses_what_makes_no_sense(member):
    with pytest.raises(ValidationFailed, match="overlap"):
        set_week(member, {0: [Range(540, 780), Range(700, 800)]})
    with pytest.raises(ValidationFailed, match="at least one working range"):
        set_week(member, {0: []})
    with pytest.raises(ValidationFailed, match="holiday, sickness or other"):
        add_time_off(member, kind="nap", reason="", days=(date(2030, 1, 1), date(2030, 1, 2)))
    with pytest.raises(ValidationFailed, match="days off, or a start and an end"):
        add_time_off(member, kind="other", reason="")
