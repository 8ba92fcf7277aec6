"""Marketing consent: opt-in at sign-up, a choice in settings, every decision recorded with the
words shown, the current state read from the latest record."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import User
from app.platform.extensions import db
from app.privacy import consent
from app.privacy.models import ConsentRecord
from tests.privacy.conftest import count

SIGN_UP = "/account/sign-up"
MARKETING = "/account/privacy/marketing"


def sign_up(web, email: str, **extra):
    form = {"role": "customer", "name": "Nora Newcomer", "email": email, "password": "copper-meadow-lantern-77"}
    form.update(extra)
    response = web.post(SIGN_UP, form)
    assert response.status_code == 302, response.text
    return db.session.scalar(select(User).where(User.email == email))


def records(user_id: int) -> list[ConsentRecord]:
    return consent.find_records(user_id)


def test_the_sign_up_box_is_not_ticked_and_shows_the_wording_and_the_policies(web):
    page = web.get(SIGN_UP).text
    assert consent.marketing_wording() in page
    assert 'name="marketing"' in page and 'name="marketing" type="checkbox" value="y" checked' not in page
    assert 'href="/privacy"' in page and 'href="/terms"' in page and 'href="/cookies"' in page


def test_ticking_the_box_at_sign_up_records_consent_with_its_words(web):
    user = sign_up(web, "opt-in@example.com", marketing="y")
    [record] = records(user.id)
    assert (record.granted, record.source, record.purpose) == (True, "sign_up", "marketing_email")
    assert record.wording == consent.marketing_wording() and record.wording_version == consent.MARKETING_VERSION
    assert record.created_at is not None
    assert consent.has_marketing_consent(user.id)


def test_leaving_it_unticked_records_no_consent(web):
    user = sign_up(web, "no-thanks@example.com")
    [record] = records(user.id)
    assert record.granted is False
    assert not consent.has_marketing_consent(user.id)


def test_signing_up_with_a_taken_address_records_nothing(web, customer):
    web.post(
        SIGN_UP,
        {
            "role": "customer",
            "name": "X Y",
            "email": customer.email,
            "password": "copper-meadow-lantern-77",
            "marketing": "y",
        },
    )
    assert records(customer.id) == []


def test_settings_give_and_withdraw_consent_and_the_latest_record_wins(web, customer):
    web.sign_in_as(customer)
    assert "You haven't chosen yet" in web.get("/account/privacy").text

    assert web.post(MARKETING, {"marketing": "yes"}).status_code == 302
    assert consent.has_marketing_consent(customer.id)
    assert web.post(MARKETING, {"marketing": "no"}).status_code == 302

    history = records(customer.id)
    assert [(r.granted, r.source) for r in history] == [(True, "settings"), (False, "settings")]
    assert not consent.has_marketing_consent(customer.id)
    assert re.search(r"<input checked[^>]*value=\"no\"", web.get("/account/privacy").text)
    assert "Your current choice (no)" in web.get("/account/privacy").text


def test_repeating_the_current_choice_adds_no_record(web, customer):
    web.sign_in_as(customer)
    web.post(MARKETING, {"marketing": "yes"})
    response = web.post(MARKETING, {"marketing": "yes"})
    assert response.status_code == 302
    assert len(records(customer.id)) == 1


def test_a_bad_choice_is_refused_and_changes_nothing(web, customer):
    web.sign_in_as(customer)
    for bad in ({"marketing": "maybe"}, {}):
        response = web.post(MARKETING, bad)
        assert response.status_code == 422
        assert "Choose whether we may email you offers." in response.text or "Not a valid choice" in response.text
    assert count(ConsentRecord) == 0


def test_changing_the_choice_needs_a_csrf_token_and_a_signed_in_person(web, customer):
    assert web.post(MARKETING, {"marketing": "yes"}).status_code == 302  # to sign in
    web.sign_in_as(customer)
    assert web.post(MARKETING, {"marketing": "yes"}, csrf=False).status_code == 400
    assert count(ConsentRecord) == 0
