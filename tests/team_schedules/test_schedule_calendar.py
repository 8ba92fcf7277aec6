"""The provider's calendar week view shows who works when (app/team_schedules/calendar.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.platform.extensions import db
from app.team_schedules.models import ScheduleException, TimeOff, WorkingHours
from tests.booking.helpers import make_bookable_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider, team=2)
    return venue, service


def day_section(page: str, day) -> str:
    match = re.search(rf'<section [^>]*aria-labelledby="cal-day-{day.isoformat()}".*?</section>', page, re.S)
    assert match, f"no day {day}"
    return match.group(0)


def line_of(section: str, member_id: int) -> str:
    match = re.search(rf'<li [^>]*data-member-id="{member_id}"[^>]*>.*?</li>', section, re.S)
    assert match, f"no line for member {member_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))).strip()


def test_the_week_view_shows_each_members_working_hours(web, provider, salon):
    venue, _ = salon
    anna, ben = venue.team
    today = datetime.now(UTC).astimezone(LONDON).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    db.session.add_all(
        [WorkingHours(team_member_id=anna.id, weekday=w, starts_minute=600, ends_minute=720) for w in range(5)]
        + [
            WorkingHours(team_member_id=anna.id, weekday=0, starts_minute=780, ends_minute=900),
            ScheduleException(team_member_id=anna.id, day=monday + timedelta(days=2), note=""),
            TimeOff(
                team_member_id=ben.id,
                kind="sickness",
                reason="",
                starts_at=datetime.combine(
                    monday + timedelta(days=1), datetime.min.time().replace(hour=14), tzinfo=LONDON
                ),
                ends_at=datetime.combine(
                    monday + timedelta(days=1), datetime.min.time().replace(hour=16), tzinfo=LONDON
                ),
            ),
            TimeOff(
                team_member_id=ben.id,
                kind="holiday",
                reason="",
                starts_on=monday + timedelta(days=3),
                ends_on=monday + timedelta(days=3),
            ),
        ]
    )
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"/provider/calendar?view=week&date={monday.isoformat()}").get_data(as_text=True)
    days = [day_section(page, monday + timedelta(days=n)) for n in range(7)]
    assert line_of(days[0], anna.id) == "Therapist 1 10:00–12:00, 13:00–15:00"
    assert line_of(days[0], ben.id) == "Therapist 2 09:00–18:00"  # no schedule: the venue's hours
    assert line_of(days[1], ben.id) == "Therapist 2 09:00–18:00 · time off 14:00–16:00"
    assert line_of(days[2], anna.id) == "Therapist 1 Off"  # the exception
    assert line_of(days[3], ben.id) == "Therapist 2 Off"  # the holiday
    assert line_of(days[5], anna.id) == "Therapist 1 Off"  # Saturday is not in her week
    # Filtered to one member, only that member's line shows.
    one = web.get(f"/provider/calendar?view=week&date={monday.isoformat()}&member={ben.id}").get_data(as_text=True)
    assert f'data-member-id="{anna.id}"' not in one and f'data-member-id="{ben.id}"' in one
