"""Notification preferences: defaults, the settings page (full page and HTMX), bad input,
and every sender asking channels_for(user, kind)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.booking import lifecycle
from app.notifications import preferences
from app.notifications.models import NotificationPreference, SmsNumber
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.privacy import consent
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.notifications.helpers import sms_to
from tests.statements import statements_sent

NUMBER = "+447911123456"
PAGE = "/account/notifications"


def form(choices: dict[str, dict[str, bool]], number: str = "") -> dict[str, str]:
    data = {"sms_number": number}
    for kind, channels in choices.items():
        for channel, on in channels.items():
            if on:
                data[f"{kind}-{channel}"] = "on"
    return data


def stored_rows(user) -> int:
    return db.session.scalar(
        select(func.count()).select_from(NotificationPreference).where(NotificationPreference.user_id == user.id)
    )


# -- the rules ----------------------------------------------------------------------------------


def test_by_default_booking_messages_come_by_email_and_nothing_by_sms(ctx, customer):
    for kind in ("booking_confirmations", "reminders", "changes", "waitlist_offers"):
        assert preferences.channels_for(customer, kind) == ("email",)
    assert preferences.channels_for(customer, "marketing") == ()  # no consent recorded


def test_an_unknown_kind_is_a_programming_error(ctx, customer):
    with pytest.raises(ValueError, match="unknown kind"):
        preferences.channels_for(customer, "newsletter")


def test_sms_is_never_chosen_without_a_number(ctx, customer):
    db.session.add(NotificationPreference(user_id=customer.id, kind="reminders", channel="sms", enabled=True))
    db.session.flush()
    assert preferences.channels_for(customer, "reminders") == ("email",)
    db.session.add(SmsNumber(user_id=customer.id, number=NUMBER))
    db.session.flush()
    assert preferences.channels_for(customer, "reminders") == ("email", "sms")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("07911 123456", "+447911123456"), ("+44 (0)7911-123456", "+447911123456"), ("+1 415 555 0123", "+14155550123")],
)
def test_numbers_are_stored_in_e164(raw, expected):
    assert preferences.normalize_sms_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("hello", "Enter a mobile number"),
        ("0791112", "isn't a valid phone number"),
        ("020 7946 0123", "landline"),
        ("+44" + "1" * 40, "too long"),
    ],
)
def test_bad_numbers_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValidationFailed, match=message):
        preferences.normalize_sms_number(raw)


def test_marketing_by_email_is_the_recorded_consent(ctx, customer):
    choices = preferences.get_choices(customer)
    choices["marketing"]["email"] = True
    preferences.save_preferences(customer, choices, sms_number="")
    assert consent.has_marketing_consent(customer.id)
    assert consent.get_latest(customer.id).source == "settings"
    assert preferences.channels_for(customer, "marketing") == ("email",)


def test_each_kinds_channels_are_what_the_preferences_page_shows_read_with_that_kinds_rows_only(ctx, customer):
    choices = preferences.get_choices(customer)
    choices["reminders"]["sms"] = True
    choices["changes"]["email"] = False
    choices["marketing"]["email"] = True  # recorded as consent, not as a row
    preferences.save_preferences(customer, choices, sms_number=NUMBER)
    shown = preferences.get_choices(customer)
    for kind in preferences.KINDS:
        texts = shown[kind]["sms"] and kind not in preferences.EMAIL_ONLY
        expected = tuple(channel for channel, on in (("email", shown[kind]["email"]), ("sms", texts)) if on)
        with statements_sent() as sent:
            assert preferences.channels_for(customer, kind) == expected, kind
        # this kind's rows; the number when a text is chosen; the consent for marketing only
        assert len(sent) == 1 + texts + (kind == "marketing"), (kind, sent)
    assert preferences.channels_for(customer, "reminders") == ("email", "sms")
    assert preferences.channels_for(customer, "changes") == ()


# -- the page -----------------------------------------------------------------------------------


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]


def test_the_page_shows_the_defaults(web, customer):
    web.sign_in_as(customer)
    html = web.get(PAGE).get_data(as_text=True)
    assert 'id="reminders-email" name="reminders-email" value="on" checked' in html
    assert 'id="reminders-sms" name="reminders-sms" value="on">' in html
    assert "Reminders before an appointment by text message" in html  # a label for screen readers


def test_turning_sms_on_for_reminders_with_htmx_saves_and_toasts(web, customer):
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"reminders": {"email": True, "sms": True}}
    response = web.post(PAGE, form(choices, "07911 123456"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert (
        json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"] == "Your notification choices are saved."
    )
    body = response.get_data(as_text=True)
    assert "<html" not in body  # the fragment only
    assert 'value="+44 7911 123456"' in body
    db.session.expire_all()
    assert preferences.channels_for(customer, "reminders") == ("email", "sms")
    assert preferences.get_sms_number(customer.id) == NUMBER


def test_without_javascript_a_save_redirects_back_with_a_message(web, customer):
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"changes": {"email": False, "sms": False}}
    response = web.post(PAGE, form(choices))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(PAGE)
    db.session.expire_all()
    assert preferences.channels_for(customer, "changes") == ()


def test_sms_without_a_number_is_refused_and_nothing_changes(web, customer):
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"reminders": {"email": False, "sms": True}}
    response = web.post(PAGE, form(choices, ""), headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Add your mobile number to get text messages" in response.get_data(as_text=True)
    db.session.expire_all()
    assert stored_rows(customer) == 0
    assert preferences.channels_for(customer, "reminders") == ("email",)


def test_a_bad_number_is_refused_and_nothing_changes(web, customer):
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"reminders": {"email": True, "sms": True}}
    response = web.post(PAGE, form(choices, "not a number"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a mobile number" in html
    assert 'value="not a number"' in html  # what they typed stays in the box
    db.session.expire_all()
    assert stored_rows(customer) == 0
    assert preferences.get_sms_number(customer.id) is None


def test_a_save_without_the_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"reminders": {"email": False, "sms": False}}
    response = web.post(PAGE, form(choices), csrf=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert stored_rows(customer) == 0


def test_one_user_saving_never_touches_another(web, customer, make_user):
    other = make_user(role="customer")
    preferences.save_preferences(other, preferences.DEFAULTS, sms_number="+447400123456")
    db.session.commit()
    web.sign_in_as(customer)
    choices = preferences.DEFAULTS | {"reminders": {"email": True, "sms": True}}
    assert web.post(PAGE, form(choices, NUMBER)).status_code == 303
    db.session.expire_all()
    assert preferences.get_sms_number(other.id) == "+447400123456"
    assert preferences.channels_for(other, "reminders") == ("email",)


# -- every sender asks channels_for -------------------------------------------------------------


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def test_confirmations_follow_the_customers_channels(venue_and_service, customer, outbox, run_jobs):
    _, service = venue_and_service
    choices = preferences.DEFAULTS | {"booking_confirmations": {"email": False, "sms": True}}
    preferences.save_preferences(customer, choices, sms_number=NUMBER)
    booking = book(customer, service, future_slot(days=3))
    run_jobs()
    # The receipt is a payment record, not a booking message: it always comes by email.
    assert [m.subject.split(" ")[0] for m in outbox if m.to == [customer.email]] == ["Receipt"]
    [sms] = sms_to(NUMBER)
    assert sms.body.startswith("CozyWish: booked. Deep tissue massage at Calm Rooms, ")
    assert f"(ref {booking.reference})" in sms.body


def test_cancellations_follow_each_persons_channels(venue_and_service, customer, provider, outbox, run_jobs):
    _, service = venue_and_service
    booking = book(customer, service, future_slot(days=3))
    run_jobs()
    outbox.clear()
    # The owner hears of their venue's bookings on the channels of "venue_activity".
    preferences.save_preferences(
        provider, preferences.DEFAULTS | {"venue_activity": {"email": False, "sms": True}}, sms_number="+447400123456"
    )
    lifecycle.cancel_by_customer(booking, customer=customer)
    run_jobs()
    assert [m.to for m in outbox] == [[customer.email]]  # the owner chose SMS only
    [sms] = sms_to("+447400123456")
    assert sms.body.startswith("CozyWish: cancelled Deep tissue massage at Calm Rooms")
    assert sms_to(NUMBER) == []
