"""The calendar's week as a time grid (app/booking/calendar_grid.py ``build_week``; docs/front-desk.md,
"The week grid"): seven days on one time axis, each split into a column per team member, events
placed in rows and lanes, an event across midnight clipped to each day; and who is off, shaded
in the day and the week (app/team_schedules/calendar.py ``working_week``)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.booking.calendar_forms import CalendarQuery
from app.booking.calendar_grid import OffTime, build_day, build_week
from app.booking.models import TimeBlock
from app.platform.extensions import db
from app.team_schedules.calendar import working_week
from app.team_schedules.models import TimeOff, WorkingHours
from app.venues.hours import Range
from app.venues.models import Closure
from app.venues.service import set_day_hours
from tests.booking.helpers import book, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
CALENDAR = "/provider/calendar"


def monday_ahead(weeks: int = 1) -> date:
    today = datetime.now(UTC).astimezone(LONDON).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def block(venue, member, starts: datetime, ends: datetime, reason: str = "Training") -> TimeBlock:
    row = TimeBlock(
        venue_id=venue.id, team_member_id=member.id if member else None, starts_at=starts, ends_at=ends, reason=reason
    )
    db.session.add(row)
    db.session.flush()
    return row


def week_of(venue, first_day: date, *, bookings=(), blocks=(), member_id=None) -> dict:
    query = CalendarQuery("week", first_day, member_id=member_id)
    working = working_week(venue, first_day, 7, member_id=member_id)
    return build_week(venue, query, list(bookings), list(blocks), LONDON, date(2000, 1, 1), working=working)


def day_of(venue, day: date, *, bookings=(), blocks=(), member_id=None) -> dict:
    query = CalendarQuery("day", day, member_id=member_id)
    working = working_week(venue, day, 1, member_id=member_id)
    return build_day(venue, query, list(bookings), list(blocks), LONDON, working=working)


def column(found: dict, day: date, key) -> object:
    days = found.get("days")
    columns = next(d["columns"] for d in days if d["day"] == day) if days else found["columns"]
    return next(c for c in columns if c.key == str(key))


@pytest.fixture
def salon(ctx, provider):
    """Open 09:00-18:00 every day, two therapists."""
    venue, service = make_bookable_venue(provider, team=2)
    return venue, service


# -- placement ---------------------------------------------------------------------------------------


def test_each_day_has_a_column_per_member_with_rows_and_lanes(salon, customer, make_user):
    venue, service = salon
    anna, ben = venue.team
    monday = monday_ahead()
    tuesday = monday + timedelta(days=1)
    first = book(customer, service, at(monday, 10), team_member_id=anna.id)
    second = book(make_user(), service, at(tuesday, 15), team_member_id=ben.id)
    training = block(venue, anna, at(monday, 10, 30), at(monday, 11, 30))  # beside Anna's booking
    closing = block(venue, None, at(tuesday, 17), at(tuesday, 18), "Team meeting")  # the whole venue

    week = week_of(venue, monday, bookings=[first, second], blocks=[training, closing])

    assert [d["day"] for d in week["days"]] == [monday + timedelta(days=n) for n in range(7)]
    assert all([c.key for c in d["columns"]] == [str(anna.id), str(ben.id)] for d in week["days"])  # no "Unassigned"
    assert week["per_day"] == 2
    assert (week["first_minute"], week["rows"]) == (9 * 60, 36)  # 09:00-18:00 on every day
    assert week["hours"][0] == (1, "09:00") and week["hours"][-1] == (33, "17:00")
    monday_anna = column(week, monday, anna.id)
    booked, blocked = monday_anna.events
    assert (booked.kind, booked.row, booked.span, booked.lane) == ("booking", 5, 4, 1)  # 10:00-11:00
    assert (blocked.kind, blocked.row, blocked.span, blocked.lane) == ("block", 7, 4, 2)  # 10:30-11:30, beside it
    assert monday_anna.lanes == 2
    assert column(week, monday, ben.id).events == []
    (moved,) = [e for e in column(week, tuesday, ben.id).events if e.kind == "booking"]
    assert (moved.id, moved.row, moved.span, moved.lane) == (second.id, 25, 4, 1)  # 15:00
    # The venue's block is in both members' columns that day, each its own copy.
    meeting = [e for c in week["days"][1]["columns"] for e in c.events if e.kind == "block"]
    assert [(e.row, e.span) for e in meeting] == [(33, 4), (33, 4)] and meeting[0] is not meeting[1]


def test_an_event_across_midnight_shows_on_both_days_clipped(salon):
    venue, _ = salon
    anna, _ben = venue.team
    monday = monday_ahead()
    night = block(venue, anna, at(monday, 22), at(monday + timedelta(days=1), 2), "Night shift")
    ending = block(venue, anna, at(monday + timedelta(days=2), 21), at(monday + timedelta(days=3), 0), "Late")

    week = week_of(venue, monday, blocks=[night, ending])

    assert (week["first_minute"], week["rows"]) == (0, 96)  # widened to the whole day to fit them
    (first,) = column(week, monday, anna.id).events
    (second,) = column(week, monday + timedelta(days=1), anna.id).events
    assert (first.row, first.span) == (89, 8)  # 22:00 to midnight
    assert (second.row, second.span) == (1, 8)  # midnight to 02:00
    assert column(week, monday + timedelta(days=2), anna.id).events[0].span == 12  # 21:00-24:00
    assert column(week, monday + timedelta(days=3), anna.id).events == []  # ending at midnight: not the next day


def test_the_grid_spans_the_earliest_opening_to_the_latest_closing_of_the_week(salon):
    venue, _ = salon
    set_day_hours(venue, 2, [Range(7 * 60 + 30, 12 * 60)])  # Wednesday 07:30-12:00
    set_day_hours(venue, 5, [Range(10 * 60, 21 * 60)])  # Saturday until 21:00
    db.session.flush()
    db.session.expire(venue, ["opening_hours"])
    week = week_of(venue, monday_ahead())
    assert (week["first_minute"], week["rows"]) == (7 * 60, (21 - 7) * 4)  # whole hours


def test_one_member_asked_for_has_one_column_a_day_and_no_unassigned(salon, customer):
    venue, service = salon
    _anna, ben = venue.team
    monday = monday_ahead()
    mine = book(customer, service, at(monday, 11), team_member_id=ben.id)
    week = week_of(venue, monday, bookings=[mine], member_id=ben.id)
    assert week["per_day"] == 1
    assert all([c.key for c in d["columns"]] == [str(ben.id)] for d in week["days"])


def test_a_booking_without_a_member_gets_an_unassigned_column(ctx, provider, customer):
    venue, service = make_bookable_venue(provider)  # no team at all
    monday = monday_ahead()
    booking = book(customer, service, at(monday, 12))
    week = week_of(venue, monday, bookings=[booking])
    assert week["per_day"] == 1
    (only,) = column(week, monday, "unassigned").events
    assert only.id == booking.id and column(week, monday, "unassigned").member_id is None


# -- off time, shaded -------------------------------------------------------------------------------


def test_a_member_on_holiday_all_day_has_the_whole_column_shaded(salon):
    venue, _ = salon
    anna, ben = venue.team
    monday = monday_ahead()
    wednesday = monday + timedelta(days=2)
    db.session.add(TimeOff(team_member_id=anna.id, kind="holiday", reason="", starts_on=wednesday, ends_on=wednesday))
    db.session.flush()

    week = week_of(venue, monday)

    off = column(week, wednesday, anna.id)
    assert off.off == [OffTime(1, 36, "Holiday")]
    assert off.off_text == "Holiday" and not off.working and off.hours == "Off"
    assert column(week, wednesday, ben.id).off == []  # Ben works the venue's hours: nothing shaded
    assert column(week, monday, anna.id).off == []
    assert day_of(venue, wednesday)["columns"][0].off == [OffTime(1, 36, "Holiday")]  # the day view too


def test_a_member_working_the_morning_has_the_afternoon_shaded(salon):
    venue, _ = salon
    anna, _ben = venue.team
    monday = monday_ahead()
    db.session.add(WorkingHours(team_member_id=anna.id, weekday=0, starts_minute=9 * 60, ends_minute=13 * 60))
    db.session.flush()

    week = week_of(venue, monday)

    morning = column(week, monday, anna.id)
    assert morning.off == [OffTime(17, 20, "Outside working hours 13:00–18:00")]  # 13:00 is row 17
    assert morning.hours == "09:00–13:00" and morning.working
    # Her week has no other weekday: off all day, and said so.
    assert column(week, monday + timedelta(days=1), anna.id).off == [OffTime(1, 36, "Off")]


def test_part_day_time_off_and_hours_past_the_venues_are_shaded(salon):
    venue, _ = salon
    anna, ben = venue.team
    monday = monday_ahead()
    db.session.add_all(
        [
            WorkingHours(team_member_id=anna.id, weekday=0, starts_minute=7 * 60, ends_minute=12 * 60),
            TimeOff(team_member_id=ben.id, kind="other", reason="", starts_at=at(monday, 14), ends_at=at(monday, 16)),
        ]
    )
    db.session.flush()
    found = day_of(venue, monday)
    anna_day, ben_day, unassigned = found["columns"]
    # Her own 07:00 start is outside the venue's hours: only 09:00-12:00 is worked.
    assert anna_day.off == [OffTime(13, 24, "Outside working hours 12:00–18:00")]
    assert ben_day.off == [OffTime(21, 8, "Time off 14:00–16:00")]
    assert unassigned.off == []  # the venue is open all the grid's hours


def test_a_venue_closure_shades_every_column(salon):
    venue, _ = salon
    monday = monday_ahead()
    thursday = monday + timedelta(days=3)
    db.session.add(Closure(venue_id=venue.id, starts_on=thursday, ends_on=thursday, reason="Refit"))
    db.session.flush()
    db.session.expire(venue, ["closures"])

    week = week_of(venue, monday)
    assert [c.off for c in week["days"][3]["columns"]] == [[OffTime(1, 36, "Venue closed")]] * 2
    found = day_of(venue, thursday)
    assert [c.off for c in found["columns"]] == [[OffTime(1, 36, "Venue closed")]] * 3  # "Unassigned" too


# -- the page ---------------------------------------------------------------------------------------


def day_section(page: str, day: date) -> str:
    match = re.search(rf'<section [^>]*data-drop-day="{day.isoformat()}".*?</section>', page, re.S)
    assert match, f"no day {day}"
    return match.group(0)


def test_the_week_page_carries_the_day_grids_drop_and_click_contract(web, provider, salon, customer):
    venue, service = salon
    anna, ben = venue.team
    monday = monday_ahead()
    tuesday = monday + timedelta(days=1)
    booking = book(customer, service, at(tuesday, 10), team_member_id=ben.id)
    db.session.add(TimeOff(team_member_id=anna.id, kind="holiday", reason="", starts_on=tuesday, ends_on=tuesday))
    db.session.flush()
    web.sign_in_as(provider)

    page = web.get(f"{CALENDAR}?view=week&date={monday.isoformat()}").get_data(as_text=True)

    assert page.count("data-drop-day=") == 7 and "data-drop-date" not in page
    section = day_section(page, tuesday)
    opening = section[: section.index(">")]
    assert 'data-first-minute="540"' in opening and 'data-rows="36"' in opening
    assert "data-new-booking=" in opening  # the owner may open the desk's New booking
    columns = re.findall(r'<ol class="cal-col [^"]*"[^>]*data-drop-member="(\d*)"[^>]*>(.*?)</ol>', section, re.S)
    assert [member for member, _ in columns] == [str(anna.id), str(ben.id)]
    (anna_html, ben_html) = [html for _, html in columns]
    assert f'data-booking-id="{booking.id}"' in ben_html and "data-booking-id" not in anna_html
    assert "cal-row-5 cal-span-4 cal-lane-1" in ben_html  # 10:00-11:00 on the shared axis
    assert '<li class="cal-off cal-row-1 cal-span-36" aria-hidden="true"' in anna_html
    assert re.search(r'<li class="visually-hidden" data-off-text>Holiday</li>', anna_html)
    assert "cal-off" not in ben_html
    # The heads: the day's link to its day view, and who works.
    assert f'href="/provider/calendar?view=day&amp;date={tuesday.isoformat()}"' in section
    assert re.search(rf'data-member-id="{anna.id}"[^>]*><span[^>]*>Therapist 1</span> <span[^>]*>Off</span>', section)


def test_the_day_page_shades_a_members_off_time_with_words_for_screen_readers(web, provider, salon):
    venue, _ = salon
    anna, _ben = venue.team
    monday = monday_ahead()
    db.session.add(WorkingHours(team_member_id=anna.id, weekday=0, starts_minute=9 * 60, ends_minute=13 * 60))
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?date={monday.isoformat()}").get_data(as_text=True)
    match = re.search(rf'<ol [^>]*aria-labelledby="cal-col-{anna.id}"[^>]*>.*?</ol>', page, re.S)
    assert match
    assert '<li class="cal-off cal-row-17 cal-span-20" aria-hidden="true"' in match.group(0)
    assert "Outside working hours 13:00–18:00" in match.group(0)


def test_the_week_in_spanish_says_the_off_time_in_spanish(web, provider, salon):
    venue, _ = salon
    anna, _ben = venue.team
    monday = monday_ahead()
    db.session.add(WorkingHours(team_member_id=anna.id, weekday=0, starts_minute=9 * 60, ends_minute=13 * 60))
    db.session.flush()
    web.sign_in_as(provider)
    page = web.get(f"{CALENDAR}?view=week&date={monday.isoformat()}", headers={"Accept-Language": "es"})
    text = page.get_data(as_text=True)
    assert "Fuera del horario de trabajo 13:00–18:00" in text
