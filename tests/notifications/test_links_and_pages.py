"""The one-tap link in reminders (signed, expiring, one booking, only its customer), the
venue's reminder times page, and the admins' SMS log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from app.notifications.reminders import LINK_SALT, get_reminder_offsets, make_link_token
from app.notifications.sms import deliver_sms
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.notifications.helpers import planned


@pytest.fixture
def booking(ctx, provider, customer):
    _, service = make_bookable_venue(provider)
    made = book(customer, service, future_slot(days=3))
    db.session.commit()
    return made


def link(token: str) -> str:
    return f"/r/{token}"


# -- the one-tap link ---------------------------------------------------------------------------


def test_the_token_is_short_enough_for_a_text_message(booking):
    assert len(make_link_token(booking)) <= 48


def test_the_customer_signed_in_goes_straight_to_the_booking_page(web, booking, customer):
    web.sign_in_as(customer)
    response = web.get(link(make_link_token(booking)))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/bookings/{booking.reference}"
    page = web.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cancel booking" in page


def test_signed_out_the_link_asks_to_sign_in_and_comes_back(client, booking):
    response = client.get(link(make_link_token(booking)))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/account/sign-in?next=/bookings/{booking.reference}"


def test_another_signed_in_user_gets_a_403_that_names_nothing(web, booking, make_user):
    web.sign_in_as(make_user(role="customer"))
    response = web.get(link(make_link_token(booking)))
    assert response.status_code == 403
    body = response.get_data(as_text=True)
    assert booking.reference not in body and "Calm Rooms" not in body


def test_a_tampered_token_is_refused(client, booking):
    token = make_link_token(booking)
    forged = URLSafeTimedSerializer("not-our-secret", salt=LINK_SALT).dumps(booking.id)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, "x" * 300, "abc"):
        response = client.get(link(bad))
        assert response.status_code == 400, bad
        assert "This link isn&#39;t valid" in response.get_data(as_text=True)


def test_a_token_for_another_purpose_is_refused(client, booking, app):
    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="cozywish.data-export").dumps(booking.id)
    assert client.get(link(other)).status_code == 400


def test_an_expired_token_is_refused(client, booking, app, monkeypatch):
    token = make_link_token(booking)
    monkeypatch.setitem(app.config, "REMINDER_LINK_MAX_AGE_HOURS", 0)
    import time

    time.sleep(1.1)  # itsdangerous counts whole seconds
    response = client.get(link(token))
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_a_token_for_a_booking_that_does_not_exist_is_a_404(client, app):
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=LINK_SALT).dumps(10**9)
    assert client.get(link(token)).status_code == 404


# -- the venue's reminder times -----------------------------------------------------------------

PAGE = "/provider/reminders"


def test_the_owner_chooses_24_and_2_hours_with_htmx(web, provider, booking):
    web.sign_in_as(provider)
    assert "Now: 24 hours before." in web.get(PAGE).get_data(as_text=True)
    response = web.post(PAGE, {"offset": ["24", "2"]}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    toast = json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"]
    assert toast == "Reminder times saved; 1 upcoming booking re-planned."
    assert "Now: 24 hours, 2 hours before." in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_reminder_offsets(booking.venue_id) == (24 * 60, 120)
    assert planned(booking) == {(1440, "email"), (1440, "sms"), (120, "email"), (120, "sms")}


@pytest.mark.parametrize("values", [[], ["24", "2", "1", "48"], ["5"], ["abc"], ["9" * 5000], ["²"]])
def test_bad_reminder_times_are_refused_and_nothing_changes(web, provider, booking, values):
    web.sign_in_as(provider)
    response = web.post(PAGE, {"offset": values})
    assert response.status_code == 422
    assert 'role="alert"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_reminder_offsets(booking.venue_id) == (24 * 60,)


def test_saving_without_the_csrf_token_is_refused(web, provider, booking):
    web.sign_in_as(provider)
    assert web.post(PAGE, {"offset": ["2"]}, csrf=False).status_code == 400
    db.session.expire_all()
    assert get_reminder_offsets(booking.venue_id) == (24 * 60,)


def test_a_provider_only_ever_changes_their_own_venue(web, booking, make_user):
    other_owner = make_user(role="provider")
    other_venue, _ = make_bookable_venue(other_owner, name="Other Rooms")
    db.session.commit()
    web.sign_in_as(other_owner)
    assert web.post(PAGE, {"offset": ["2"]}).status_code == 303
    db.session.expire_all()
    assert get_reminder_offsets(other_venue.id) == (120,)
    assert get_reminder_offsets(booking.venue_id) == (24 * 60,)


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_only_venue_owners_reach_the_reminder_times(web, make_user, role, booking):
    web.sign_in_as(make_user(role=role))
    assert web.get(PAGE).status_code == 403
    assert web.post(PAGE, {"offset": ["2"]}).status_code == 403


def test_signed_out_the_reminder_times_page_asks_to_sign_in(client):
    assert client.get(PAGE).status_code == 302


# -- the admins' SMS log ------------------------------------------------------------------------


def test_admins_read_the_sms_log(web, admin, ctx):
    deliver_sms("+447911123456", "CozyWish reminder: test", key="k1", user_id=None)
    db.session.commit()
    web.sign_in_as(admin)
    html = web.get("/admin/sms").get_data(as_text=True)
    assert "+447911123456" in html and "CozyWish reminder: test" in html


@pytest.mark.parametrize("role", ["customer", "provider"])
def test_nobody_else_reads_the_sms_log(web, make_user, role):
    web.sign_in_as(make_user(role=role))
    assert web.get("/admin/sms").status_code == 403


def test_the_reminder_link_in_a_message_opens_the_booking(web, booking, customer):
    """End to end: the link a reminder carries is the one that works."""
    from app.notifications.reminders import compose

    message = compose(booking, booking.starts_at - timedelta(hours=25))
    path = message["link"].removeprefix("http://localhost")
    web.sign_in_as(customer)
    assert web.get(path).headers["Location"] == f"/bookings/{booking.reference}"
