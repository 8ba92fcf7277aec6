"""Booking from the calendar grid (issue 45, item 1): a click on a free time of the day grid opens
the desk's New booking with that day, person and time filled in (the times listed from the
clicked one, a member's only service picked), and a booking made from there goes back to the
calendar's day, where it is drawn."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.booking.models import Booking
from app.platform.extensions import db
from tests.booking.helpers import future_slot

LONDON = ZoneInfo("Europe/London")


def offered(page: str) -> list[str]:
    times = page[page.index('id="desk-time"') : page.index("</select>", page.index('id="desk-time"'))]
    return re.findall(r">(\d\d:\d\d)</option>", times)


def selected_time(page: str) -> str | None:
    found = re.search(r"<option value=\"[^\"]+\" selected>(\d\d:\d\d)</option>", page)
    return found.group(1) if found else None


def test_a_click_on_a_members_column_fills_the_day_person_time_and_their_only_service(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    page = web.get(f"/provider/desk/new?date={day}&member={masseur.id}&time=14:15").get_data(as_text=True)
    assert f'<option value="{massage.id}" selected' in page  # Max does massages only
    times = offered(page)
    assert times[0] == "14:15" and "09:00" not in times  # from the clicked time on
    assert selected_time(page) == "14:15"
    assert 'name="return" value="calendar"' in page


def test_a_member_with_several_services_leaves_the_choice_and_a_taken_time_offers_the_next(
    web, provider, salon, customer
):
    _venue, massage, _facial, both, _masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    page = web.get(f"/provider/desk/new?date={day}&member={both.id}&time=10:00").get_data(as_text=True)
    assert "selected>Deep tissue" not in page and "Choose a service to see the free times." in page
    page = web.get(f"/provider/desk/new?date={day}&member={both.id}&time=17:50&service={massage.id}")
    assert offered(page.get_data(as_text=True))[0] == "09:00"  # nothing left after it: every time


def test_a_time_that_isnt_one_is_ignored(web, provider, salon):
    _venue, _massage, _facial, _both, masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    response = web.get(f"/provider/desk/new?date={day}&member={masseur.id}&time=25:99")
    assert response.status_code == 200 and offered(response.get_data(as_text=True))[0] == "09:00"


def test_a_booking_made_from_the_grid_goes_back_to_the_calendars_day(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    start = future_slot(days=3, hour=14)
    day = start.astimezone(LONDON).date()
    web.sign_in_as(provider)
    response = web.post(
        "/provider/desk/new",
        {
            "service": massage.id,
            "member": masseur.id,
            "date": day.isoformat(),
            "starts_at": start.isoformat(),
            "new_name": "Walk In",
            "new_phone": "+44 7700 900000",
            "return": "calendar",
        },
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/provider/calendar?view=day&date={day.isoformat()}")
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    calendar = web.get(response.location).get_data(as_text=True)
    assert f'data-booking-id="{booking.id}"' in calendar


def test_a_refused_booking_from_the_grid_keeps_going_back_to_the_calendar(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    start = future_slot(days=3, hour=14)
    web.sign_in_as(provider)
    response = web.post(
        "/provider/desk/new",
        {
            "service": massage.id,
            "member": masseur.id,
            "date": start.astimezone(LONDON).date().isoformat(),
            "starts_at": start.isoformat(),
            "new_name": "",
            "return": "calendar",
        },
    )
    assert response.status_code == 422
    assert 'name="return" value="calendar"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Booking.id).where(Booking.channel == "desk")) is None


def test_the_day_grid_knows_where_a_click_books(web, provider, salon):
    web.sign_in_as(provider)
    day = future_slot(days=3).astimezone(LONDON).date()
    page = web.get(f"/provider/calendar?view=day&date={day}").get_data(as_text=True)
    assert 'data-new-booking="/provider/desk/new"' in page


def test_the_desks_services_show_their_length_and_price(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get("/provider/desk/new").get_data(as_text=True)
    assert "Deep tissue massage (60 min, £60.00)" in page and "Facial (45 min, £45.00)" in page
