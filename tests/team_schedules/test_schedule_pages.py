"""A team member's schedule page (app/team_schedules/views.py): who may reach it, bad input, the
conflict warning, copying a week, and that the slot engine then honours what was saved."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.booking.availability import get_slots
from app.booking.models import Booking, BookingStatus
from app.notifications import confirmations
from app.platform.extensions import db
from app.team_schedules.models import ScheduleException, TimeOff, WorkingHours
from tests.booking.helpers import book, future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _confirmations_without_customer_pages(app, monkeypatch):
    if "booking.my_bookings" not in app.view_functions:
        monkeypatch.setattr(confirmations, "send_confirmation", lambda order: None)


@pytest.fixture
def salon(ctx, provider):
    """The provider's venue, open 09:00-18:00 daily, a 60-minute service done by two therapists."""
    venue, service = make_bookable_venue(provider, team=2)
    return venue, service


@pytest.fixture
def rival_member(ctx, make_user):
    owner = make_user(role="provider", name="Rhea Rival")
    venue, _service = make_bookable_venue(owner, team=1, name="Rival Rooms")
    return venue.team[0]


def page_of(member) -> str:
    return f"/provider/venue/team/{member.id}/schedule"


def week_form(mode: str = "own", **days: list[tuple[str, str]]) -> dict:
    """The week form: ``mon=[("09:00", "13:00")]``; a weekday not given is off."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data: dict = {"mode": mode}
    for weekday, name in enumerate(names):
        ranges = days.get(name, [])
        data[f"day-{weekday}-opens"] = [r[0] for r in ranges] or [""]
        data[f"day-{weekday}-closes"] = [r[1] for r in ranges] or [""]
    return data


def local_day(days_ahead: int) -> date:
    return datetime.now(UTC).astimezone(LONDON).date() + timedelta(days=days_ahead)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def working_times(service, day: date, member_id: int) -> set[str]:
    return {
        s.local_start("Europe/London").strftime("%H:%M")
        for s in get_slots(service, day)
        if member_id in s.team_member_ids
    }


# -- access -----------------------------------------------------------------------------------------


def routes(member_id: int) -> list[tuple[str, str]]:
    base = f"/provider/venue/team/{member_id}/schedule"
    return [
        ("get", base),
        ("post", f"{base}/week"),
        ("post", f"{base}/copy"),
        ("post", f"{base}/exceptions"),
        ("post", f"{base}/exceptions/2030-01-01/delete"),
        ("post", f"{base}/time-off"),
        ("post", f"{base}/time-off/1/delete"),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(web, salon):
    venue, _ = salon
    for method, path in routes(venue.team[0].id):
        response = web.get(path) if method == "get" else web.post(path, {})
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/account/sign-in"), path


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_customers_and_admins_are_refused(web, salon, make_user, role):
    venue, _ = salon
    web.sign_in_as(make_user(role=role))
    for method, path in routes(venue.team[0].id):
        response = web.get(path) if method == "get" else web.post(path, {})
        assert response.status_code == 403, path


def test_another_venues_member_is_not_found_and_unchanged(web, provider, salon, rival_member):
    web.sign_in_as(provider)
    for method, path in routes(rival_member.id):
        data = {**week_form(mon=[("09:00", "12:00")]), "day": "2030-01-01", "off": "y", "starts_on": "2030-01-01"}
        response = web.get(path) if method == "get" else web.post(path, data)
        assert response.status_code == 404, path
    # Nor can another venue's member be a copy target.
    own = salon[0].team[0]
    assert web.post(f"{page_of(own)}/copy", {"member_ids": [str(rival_member.id)]}).status_code == 404
    assert count(WorkingHours) == count(ScheduleException) == count(TimeOff) == 0


def test_another_venues_time_off_is_not_found(web, provider, salon, rival_member):
    off = TimeOff(
        team_member_id=rival_member.id, kind="holiday", reason="", starts_on=local_day(5), ends_on=local_day(6)
    )
    db.session.add(off)
    db.session.flush()
    web.sign_in_as(provider)
    own = salon[0].team[0]
    assert web.post(f"{page_of(own)}/time-off/{off.id}/delete", {}).status_code == 404
    assert db.session.get(TimeOff, off.id) is not None


def test_posts_without_a_csrf_token_are_refused(web, provider, salon):
    web.sign_in_as(provider)
    member = salon[0].team[0]
    for method, path in routes(member.id):
        if method == "post":
            assert web.post(path, week_form(mon=[("09:00", "12:00")]), csrf=False).status_code == 400, path
    assert count(WorkingHours) == 0


# -- the page ---------------------------------------------------------------------------------------


def test_the_team_page_links_to_each_schedule_and_the_page_starts_from_venue_hours(web, provider, salon):
    venue, _ = salon
    web.sign_in_as(provider)
    team_page = web.get("/provider/venue/team").get_data(as_text=True)
    for member in venue.team:
        assert page_of(member) in team_page
    page = web.get(page_of(venue.team[0])).get_data(as_text=True)
    assert 'id="mode-venue" value="venue" checked' in page
    assert "No time off planned." in page and "No exceptions coming up" in page


def test_saving_a_week_limits_the_slots_to_it(web, provider, salon):
    venue, service = salon
    anna, ben = venue.team
    web.sign_in_as(provider)
    everyday = {d: [("10:00", "12:00"), ("14:00", "15:00")] for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    response = web.post(f"{page_of(anna)}/week", week_form(**everyday))
    assert response.status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(select(WorkingHours).where(WorkingHours.team_member_id == anna.id)).all()
    assert len(rows) == 14
    day = local_day(3)
    assert working_times(service, day, anna.id) == {"10:00", "10:15", "10:30", "10:45", "11:00", "14:00"}
    assert "09:00" in working_times(service, day, ben.id)  # Ben still works the venue's hours
    page = web.get(page_of(anna)).get_data(as_text=True)
    assert 'id="mode-own" value="own" checked' in page and 'value="14:00"' in page


def test_a_week_of_htmx_answers_with_the_panel_and_a_toast(web, provider, salon):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    response = web.post(f"{page_of(anna)}/week", week_form(mon=[("09:00", "17:00")]), headers=HTMX)
    assert response.status_code == 200
    assert "cw:toast" in response.headers["HX-Trigger"]
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Working week" in body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (week_form(mon=[("09:00", "13:00"), ("12:00", "15:00")]), "overlap"),
        (week_form(mon=[("9 am", "13:00")]), "is not a time"),
        (week_form(mon=[("13:00", "09:00")]), "ends before it starts"),
        (week_form(mon=[("09:00", "")]), "Enter both"),
        (week_form(), "Add at least one working range"),
        (week_form(mode="sometimes", mon=[("09:00", "13:00")]), "Choose whether"),
        (week_form(mon=[("09:00", "25:00")]), "is not a time of day"),
    ],
)
def test_a_bad_week_is_refused_with_a_message_and_nothing_changes(web, provider, salon, data, message):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    response = web.post(f"{page_of(anna)}/week", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(WorkingHours) == 0


def test_back_to_the_venue_hours_clears_the_week(web, provider, salon):
    venue, service = salon
    anna = venue.team[0]
    web.sign_in_as(provider)
    web.post(f"{page_of(anna)}/week", week_form(mon=[("10:00", "11:00")]))
    assert count(WorkingHours) == 1
    assert web.post(f"{page_of(anna)}/week", {"mode": "venue"}).status_code == 302
    assert count(WorkingHours) == 0
    assert "09:00" in working_times(service, local_day(3), anna.id)


def test_rows_can_be_added_without_javascript_and_nothing_is_saved(web, provider, salon):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    response = web.post(f"{page_of(anna)}/week", {**week_form(mon=[("09:00", "12:00")]), "add_range": "0"})
    assert response.status_code == 200
    assert "not saved until" in response.get_data(as_text=True)
    assert count(WorkingHours) == 0


# -- exceptions and time off --------------------------------------------------------------------------


def test_an_exception_gives_a_date_its_own_hours_or_a_day_off(web, provider, salon):
    venue, service = salon
    anna = venue.team[0]
    web.sign_in_as(provider)
    day, other = local_day(4), local_day(5)
    assert web.post(f"{page_of(anna)}/exceptions", {"day": day.isoformat(), "hours": "12:00-14:00"}).status_code == 302
    assert working_times(service, day, anna.id) == {"12:00", "12:15", "12:30", "12:45", "13:00"}
    assert (
        web.post(f"{page_of(anna)}/exceptions", {"day": other.isoformat(), "off": "y", "note": "Course"}).status_code
        == 302
    )
    assert working_times(service, other, anna.id) == set()
    page = web.get(page_of(anna)).get_data(as_text=True)
    assert "Off all day" in page and "Course" in page and "12:00–14:00" in page
    # Removing the exception gives the usual hours back.
    assert web.post(f"{page_of(anna)}/exceptions/{other.isoformat()}/delete", {}).status_code == 302
    assert "09:00" in working_times(service, other, anna.id)
    assert web.post(f"{page_of(anna)}/exceptions/{other.isoformat()}/delete", {}).status_code == 404
    assert web.post(f"{page_of(anna)}/exceptions/not-a-date/delete", {}).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"hours": "10:00-12:00"}, "Enter the date"),
        ({"day": "2030-02-30", "hours": "10:00-12:00"}, "Not a valid date"),
        ({"day": "DAY"}, "Enter the hours that day"),
        ({"day": "DAY", "hours": "10:00"}, "is not a range of times"),
        ({"day": "DAY", "hours": "10:00-12:00, 11:00-13:00"}, "overlap"),
        ({"day": "DAY", "hours": "14:00-12:00"}, "ends before it starts"),
        ({"day": "9999-01-01", "off": "y"}, "Check the year"),
        ({"day": "DAY", "off": "y", "note": "x" * 201}, "at most 200"),
    ],
)
def test_a_bad_exception_is_refused_and_nothing_changes(web, provider, salon, data, message):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    data = {k: (local_day(3).isoformat() if v == "DAY" else v) for k, v in data.items()}
    response = web.post(f"{page_of(anna)}/exceptions", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(ScheduleException) == 0


def test_whole_days_of_time_off_close_the_member(web, provider, salon):
    venue, service = salon
    anna, ben = venue.team
    web.sign_in_as(provider)
    first, last = local_day(3), local_day(4)
    data = {"kind": "holiday", "starts_on": first.isoformat(), "ends_on": last.isoformat(), "reason": "Lisbon"}
    assert web.post(f"{page_of(anna)}/time-off", data).status_code == 302
    for day in (first, last):
        assert working_times(service, day, anna.id) == set()
        slots = get_slots(service, day)
        assert slots and all(s.team_member_ids == (ben.id,) for s in slots)  # "any" picks Ben
    assert "09:00" in working_times(service, local_day(5), anna.id)
    page = web.get(page_of(anna)).get_data(as_text=True)
    assert "Holiday" in page and "Lisbon" in page


def test_part_day_time_off_in_local_time(web, provider, salon):
    venue, service = salon
    anna = venue.team[0]
    web.sign_in_as(provider)
    day = local_day(3)
    data = {"kind": "sickness", "starts_on": day.isoformat(), "from_time": "12:00", "until_time": "15:00"}
    assert web.post(f"{page_of(anna)}/time-off", data).status_code == 302
    off = db.session.scalar(select(TimeOff))
    assert off.starts_at == datetime.combine(day, datetime.min.time().replace(hour=12), tzinfo=LONDON)
    times = working_times(service, day, anna.id)
    assert "11:00" in times and "15:00" in times
    assert not times & {"11:15", "12:00", "13:00", "14:00", "14:45"}
    # Removing it reopens the time.
    assert web.post(f"{page_of(anna)}/time-off/{off.id}/delete", {}).status_code == 302
    assert "12:00" in working_times(service, day, anna.id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "holiday"}, "Enter the first day"),
        ({"kind": "nap", "starts_on": "DAY"}, "Not a valid choice"),
        ({"kind": "holiday", "starts_on": "DAY", "ends_on": "BEFORE"}, "can&#39;t be before the first day"),
        ({"kind": "holiday", "starts_on": "DAY", "from_time": "noon"}, "is not a time"),
        (
            {"kind": "holiday", "starts_on": "DAY", "from_time": "15:00", "until_time": "14:00"},
            "must end after it starts",
        ),
        ({"kind": "holiday", "starts_on": "DAY", "reason": "x" * 201}, "at most 200"),
        ({"kind": "holiday", "starts_on": "DAY", "ends_on": "9999-01-01"}, "Check the year"),
        ({"kind": "holiday", "starts_on": "DAY", "ends_on": "LATER"}, "at most a year"),
    ],
)
def test_bad_time_off_is_refused_and_nothing_changes(web, provider, salon, data, message):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    values = {"DAY": local_day(3).isoformat(), "BEFORE": local_day(2).isoformat(), "LATER": local_day(500).isoformat()}
    response = web.post(f"{page_of(anna)}/time-off", {k: values.get(v, v) for k, v in data.items()})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(TimeOff) == 0


# -- copying a week -----------------------------------------------------------------------------------


def test_copy_week_gives_others_the_same_pattern(web, provider, salon):
    venue, _service = salon
    anna, ben = venue.team
    web.sign_in_as(provider)
    web.post(f"{page_of(anna)}/week", week_form(tue=[("10:00", "12:00")], thu=[("13:00", "16:00")]))
    response = web.post(f"{page_of(anna)}/copy", {"member_ids": [str(ben.id)]})
    assert response.status_code == 302
    pattern = lambda m: sorted(  # noqa: E731
        (r.weekday, r.starts_minute, r.ends_minute)
        for r in db.session.scalars(select(WorkingHours).where(WorkingHours.team_member_id == m.id))
    )
    assert pattern(ben) == pattern(anna) == [(1, 600, 720), (3, 780, 960)]


def test_copy_week_needs_someone_to_copy_to(web, provider, salon):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    response = web.post(f"{page_of(anna)}/copy", {})
    assert response.status_code == 422
    assert "Choose at least one other team member" in response.get_data(as_text=True)
    assert web.post(f"{page_of(anna)}/copy", {"member_ids": "x"}).status_code == 404


# -- conflicts with bookings ----------------------------------------------------------------------------


@pytest.fixture
def annas_booking(salon, customer):
    venue, service = salon
    anna = venue.team[0]
    return book(customer, service, future_slot(days=3, hour=16), team_member_id=anna.id)


def test_a_change_that_leaves_a_booking_outside_hours_warns_and_saves_nothing(web, provider, salon, annas_booking):
    venue, _service = salon
    anna = venue.team[0]
    web.sign_in_as(provider)
    everyday = {d: [("09:00", "13:00")] for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    response = web.post(f"{page_of(anna)}/week", week_form(**everyday))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    warning = page[page.index('id="schedule-conflicts"') :]
    assert "16:00–17:00" in warning and annas_booking.customer.name in warning
    assert "Deep tissue massage" in warning and "Save anyway" in warning
    assert count(WorkingHours) == 0
    # The confirmation sends the same week back.
    assert 'name="confirm" value="yes"' in warning and 'name="day-0-opens" value="09:00"' in warning


def test_confirming_saves_and_keeps_the_booking(web, provider, salon, annas_booking):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    everyday = {d: [("09:00", "13:00")] for d in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    response = web.post(f"{page_of(anna)}/week", {**week_form(**everyday), "confirm": "yes"}, follow_redirects=True)
    assert response.status_code == 200
    assert "1 booking now falls outside working time and still stands" in response.get_data(as_text=True)
    assert count(WorkingHours) == 7
    db.session.expire_all()
    booking = db.session.get(Booking, annas_booking.id)
    assert booking.status == BookingStatus.CONFIRMED and booking.team_member_id == anna.id


def test_time_off_over_a_booking_warns_too(web, provider, salon, annas_booking):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    day = annas_booking.starts_at.astimezone(LONDON).date().isoformat()
    data = {"kind": "sickness", "starts_on": day}
    response = web.post(f"{page_of(anna)}/time-off", data, headers=HTMX)
    assert response.status_code == 409
    assert "schedule-conflicts" in response.get_data(as_text=True)
    assert count(TimeOff) == 0
    assert web.post(f"{page_of(anna)}/time-off", {**data, "confirm": "yes"}).status_code == 302
    assert count(TimeOff) == 1


def test_an_exception_that_keeps_the_booking_inside_saves_at_once(web, provider, salon, annas_booking):
    anna = salon[0].team[0]
    web.sign_in_as(provider)
    day = annas_booking.starts_at.astimezone(LONDON).date().isoformat()
    assert web.post(f"{page_of(anna)}/exceptions", {"day": day, "hours": "15:00-18:00"}).status_code == 302
    # A booking already outside is not listed again for an unrelated change.
    assert (
        web.post(f"{page_of(anna)}/exceptions", {"day": day, "hours": "09:00-12:00", "confirm": "yes"}).status_code
        == 302
    )
    other = local_day(10).isoformat()
    assert web.post(f"{page_of(anna)}/exceptions", {"day": other, "off": "y"}).status_code == 302


def test_copying_a_week_warns_about_the_targets_bookings(web, provider, salon, annas_booking):
    venue, _ = salon
    anna, ben = venue.team
    web.sign_in_as(provider)
    web.post(f"{page_of(ben)}/week", week_form(mon=[("09:00", "10:00")]))
    response = web.post(f"{page_of(ben)}/copy", {"member_ids": [str(anna.id)]})
    assert response.status_code == 409
    assert re.search(r"Therapist 1", response.get_data(as_text=True))
    assert db.session.scalar(select(func.count()).where(WorkingHours.team_member_id == anna.id)) == 0
