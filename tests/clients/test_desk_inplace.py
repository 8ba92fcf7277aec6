"""Book or block from the calendar grid, in place (issue 45, item 1): the calendar's "New" dialog
fetches the desk's form (desk_new, part=dialog) or the block form (part=block) filled in from the
clicked time; saving answers the calendar with the booking or block drawn, and a refusal the
form again, in the dialog. The desk's form shows every problem at once, each beside its field."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.booking.models import Booking, TimeBlock
from app.clients.models import VenueClient
from app.platform.extensions import db
from tests.booking.helpers import future_slot

LONDON = ZoneInfo("Europe/London")
HTMX = {"HX-Request": "true"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _triggers(response) -> dict:
    return json.loads(response.headers["HX-Trigger"])


# -- the dialog's booking form ------------------------------------------------------------------------


def test_the_dialog_gets_only_the_desks_form_filled_from_the_click(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    url = f"/provider/desk/new?part=dialog&date={day}&time=14:15&member={masseur.id}&cal_view=week&cal_member=all"
    page = web.get(url, headers=HTMX).get_data(as_text=True)
    assert page.lstrip().startswith('<div id="desk-form-box">')  # the form alone: no page around it
    assert "New booking at the desk" not in page and "<html" not in page
    assert 'hx-post="/provider/desk/new"' in page and 'hx-target="#desk-form-box"' in page
    assert 'name="in_dialog" value="1"' in page and 'name="cal_view" value="week"' in page
    assert f'<option value="{massage.id}" selected' in page  # Max's only service
    assert re.search(r'<option value="[^"]+" selected>14:15</option>', page)  # the clicked time
    assert 'class="col-md-6"' in page  # side by side in a wide dialog, one under the other on a phone


def test_the_dialogs_parts_opened_as_a_page_are_the_desks_page(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get("/provider/desk/new?part=dialog&cal_view=day").get_data(as_text=True)
    assert "New booking at the desk" in page and 'name="in_dialog"' not in page
    page = web.get("/provider/desk/new?part=block").get_data(as_text=True)
    assert "New booking at the desk" in page and 'id="new-block-form"' not in page


def test_the_full_page_keeps_its_plain_form(web, provider, salon):
    web.sign_in_as(provider)
    page = web.get("/provider/desk/new").get_data(as_text=True)
    assert "New booking at the desk" in page and 'id="desk-form-box"' in page
    assert "hx-post" not in page[page.index('id="desk-form"') - 200 : page.index('id="desk-form"') + 300]
    assert 'name="in_dialog"' not in page


def test_a_booking_made_in_the_dialog_answers_the_calendar_with_it_drawn(web, provider, salon):
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
            "new_name": "Dina Dialog",
            "new_phone": "+44 7700 900222",
            "return": "calendar",
            "in_dialog": "1",
            "cal_view": "week",
            "cal_member": "all",
            "cal_service": "all",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert booking is not None and booking.client.name == "Dina Dialog"
    assert response.headers["HX-Retarget"] == "#calendar" and response.headers["HX-Reswap"] == "outerHTML"
    assert response.headers["HX-Push-Url"] == f"/provider/calendar?view=week&date={day.isoformat()}"
    triggers = _triggers(response)
    assert triggers["cw:calendar-booked"] == {"booking": booking.id}
    assert "Dina Dialog" in triggers["cw:toast"][0]["message"]
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="calendar"') and f'data-booking-id="{booking.id}"' in body


def test_without_htmx_a_booking_marked_in_dialog_still_redirects(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    start = future_slot(days=3, hour=15)
    web.sign_in_as(provider)
    response = web.post(
        "/provider/desk/new",
        {
            "service": massage.id,
            "member": masseur.id,
            "date": start.astimezone(LONDON).date().isoformat(),
            "starts_at": start.isoformat(),
            "new_name": "No Script",
            "return": "calendar",
            "in_dialog": "1",
        },
    )
    assert response.status_code == 302 and "/provider/calendar?view=day" in response.location


# -- every problem at once ------------------------------------------------------------------------------


def _bad_post(web, massage, **changes):
    start = future_slot(days=2)
    data = {
        "service": massage.id,
        "member": "any",
        "date": start.astimezone(LONDON).date().isoformat(),
        "starts_at": start.isoformat(),
        "new_name": "Walk In",
    }
    data.update(changes)
    return web.post("/provider/desk/new", data, headers=HTMX if data.get("in_dialog") else {})


@pytest.mark.parametrize("in_dialog", ["", "1"])
def test_three_bad_fields_show_three_messages_each_beside_its_field(web, provider, salon, in_dialog):
    _venue, massage, _facial, _both, _masseur = salon
    web.sign_in_as(provider)
    response = _bad_post(web, massage, member="999999", starts_at="tomorrow", new_phone="call me", in_dialog=in_dialog)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    messages = {
        "desk-member": "Pick a team member of your venue, or “Any”.",
        "desk-time": "Pick one of the offered times.",
        "new-phone": "Enter a valid phone number (digits, spaces, +, - and brackets), or leave it empty.",
    }
    summary = page[page.index('id="desk-errors"') : page.index("</div>", page.index('id="desk-errors"'))]
    for field_id, message in messages.items():
        assert f'<a class="alert-link" href="#{field_id}"' in summary and message in summary  # listed, linked
        assert f'id="{field_id}-error">{message}</div>' in page  # and beside the field
    assert page.count('aria-invalid="true"') == 3
    for field_id in messages:
        assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true" aria-describedby="{field_id}-error"', page)
    assert 'id="desk-error"' not in page  # no refusal: nothing else at the top
    assert _count(Booking) == 0 and _count(VenueClient) == 0
    if in_dialog:
        assert page.lstrip().startswith('<div id="desk-form-box">') and 'name="in_dialog" value="1"' in page


def test_no_client_and_a_bad_email_are_both_shown(web, provider, salon):
    _venue, massage, _facial, _both, _masseur = salon
    web.sign_in_as(provider)
    response = _bad_post(web, massage, new_name="", new_email="not-an-email", service="999999")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field_id in ("new-name", "new-email", "desk-service"):
        assert f'href="#{field_id}"' in page and f'id="{field_id}-error"' in page
    assert "add a new one with their name" in page and "valid email" in page and "Pick one of your venue" in page
    assert _count(Booking) == 0 and _count(VenueClient) == 0


def test_a_refusal_from_booking_stays_one_message_at_the_top(web, provider, salon):
    _venue, massage, _facial, _both, masseur = salon
    start = future_slot(days=3, hour=11)
    day = start.astimezone(LONDON).date().isoformat()
    web.sign_in_as(provider)
    fields = {"service": massage.id, "member": masseur.id, "date": day, "starts_at": start.isoformat()}
    assert web.post("/provider/desk/new", {**fields, "new_name": "First"}).status_code == 302
    response = web.post(
        "/provider/desk/new", {**fields, "new_name": "Second", "in_dialog": "1", "cal_view": "day"}, headers=HTMX
    )
    assert response.status_code in (409, 422)
    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="desk-form-box">')
    assert page.count('role="alert"') == 1 and 'id="desk-error"' in page and 'id="desk-errors"' not in page
    assert _count(Booking) == 1


# -- blocking from the dialog ------------------------------------------------------------------------------


def test_the_dialogs_block_form_is_filled_from_the_click_for_an_hour(web, provider, salon):
    _venue, _massage, _facial, _both, masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    url = f"/provider/desk/new?part=block&date={day}&time=14:15&member={masseur.id}&cal_view=day"
    page = web.get(url, headers=HTMX).get_data(as_text=True)
    assert 'id="new-block-form"' in page and 'name="in_dialog" value="1"' in page
    assert f'id="new-date" name="date" required type="date" value="{day.isoformat()}"' in page
    assert 'value="14:15"' in page and 'value="15:15"' in page
    assert re.search(rf'<option selected value="{masseur.id}">Max Massage</option>', page)
    assert 'id="date"' not in page and 'id="block-form"' not in page  # its own ids: the panel has the same form
    assert 'for="new-start"' in page and 'id="new-repeat_days-0"' in page


def test_a_late_click_blocks_until_midnight(web, provider, salon):
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    page = web.get(f"/provider/desk/new?part=block&date={day}&time=23:30", headers=HTMX).get_data(as_text=True)
    assert 'value="23:30"' in page and 'value="00:00"' in page
    assert '<option selected value="">Whole venue</option>' in page  # no member: the whole venue


def test_a_block_saved_from_the_dialog_answers_the_calendar_and_a_bad_one_the_dialogs_form(web, provider, salon):
    _venue, _massage, _facial, _both, masseur = salon
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    fields = {"date": day.isoformat(), "team_member_id": str(masseur.id), "view": "day", "in_dialog": "1"}
    bad = web.post("/provider/calendar/blocks", {**fields, "start": "15:00", "end": "14:00"}, headers=HTMX)
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == "#new-block-form"
    page = bad.get_data(as_text=True)
    assert 'id="new-block-form"' in page and 'id="new-end-error"' in page and "The end must be after the start." in page
    assert _count(TimeBlock) == 0
    good = web.post("/provider/calendar/blocks", {**fields, "start": "14:00", "end": "15:00"}, headers=HTMX)
    assert good.status_code == 200 and "HX-Retarget" not in good.headers
    block = db.session.scalar(select(TimeBlock))
    assert block is not None and block.team_member_id == masseur.id
    assert block.ends_at - block.starts_at == timedelta(hours=1)
    assert f'data-block-id="{block.id}"' in good.get_data(as_text=True)


def test_the_side_panels_block_form_still_answers_in_the_panel(web, provider, salon):
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    bad = web.post(
        "/provider/calendar/blocks", {"date": day.isoformat(), "start": "15:00", "end": "14:00"}, headers=HTMX
    )
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == "#block-form"
    assert 'id="end-error"' in bad.get_data(as_text=True)


def test_the_calendar_carries_the_dialog_for_the_front_desk(web, provider, salon):
    day = future_slot(days=3).astimezone(LONDON).date()
    web.sign_in_as(provider)
    page = web.get(f"/provider/calendar?view=day&date={day}").get_data(as_text=True)
    assert '<dialog class="cal-new-dialog' in page and 'aria-labelledby="cal-new-title"' in page
    assert 'data-new-kind="block"' in page and "css/desk-dialog" in page
