"""Two-factor sign-in: setting it up, the code step, recovery codes, throttling, remembered devices."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from app.accounts import two_factor
from app.accounts.models import Role
from tests.accounts.conftest import text_of
from tests.factories import ADMIN_TOTP_SECRET, PASSWORD

SETUP = "/account/two-factor/setup"
CODE_STEP = "/account/two-factor"
CODE_RE = re.compile(r"\b[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}\b")


def set_up(web) -> tuple[str, list[str]]:
    """Turn two-factor on for the signed-in user; returns the key and the recovery codes."""
    page = web.get(SETUP).get_data(as_text=True)
    secret = re.search(r'id="totp-key">([A-Z2-7]+)<', page).group(1)
    response = web.post(SETUP, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, text_of(response)
    return secret, CODE_RE.findall(response.get_data(as_text=True))


@pytest.fixture
def secured(web, customer, sign_in, store):
    """A customer who turned two-factor on a while ago and is signed out; returns (key, recovery codes)."""
    sign_in(customer.email)
    secret, codes = set_up(web)
    web.post("/account/sign-out")
    store.update(customer, totp_last_step=0)  # setup used this step's code; pretend that was long ago
    return secret, codes


def is_signed_in(browser) -> bool:
    return browser.get("/account/profile").status_code == 200


def test_setup_shows_a_qr_code_and_the_key(web, customer, sign_in):
    sign_in(customer.email)
    page = web.get(SETUP).get_data(as_text=True)

    assert "<svg" in page
    assert re.search(r'id="totp-key">[A-Z2-7]{32}<', page)


def test_a_wrong_setup_code_turns_nothing_on(web, customer, sign_in, store):
    sign_in(customer.email)
    web.get(SETUP)

    response = web.post(SETUP, {"code": "000000"})

    assert response.status_code == 422
    assert "doesn't match" in text_of(response)
    assert not store.reload(customer).has_two_factor


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "12345é", "１２３４５６"])
def test_a_setup_code_in_other_scripts_is_a_wrong_code_not_an_error(web, customer, sign_in, store, code):
    """Digits of another script (Arabic-Indic, full-width) are no code: refused as wrong, not a 500."""
    sign_in(customer.email)
    web.get(SETUP)

    response = web.post(SETUP, {"code": code})

    assert response.status_code == 422
    assert "doesn't match" in text_of(response)
    assert not store.reload(customer).has_two_factor


def test_setup_gives_ten_recovery_codes_emails_and_audits(web, customer, sign_in, store, mail):
    sign_in(customer.email)
    secret, codes = set_up(web)

    fresh = store.reload(customer)
    assert fresh.has_two_factor
    assert len(set(codes)) == 10
    assert secret not in (fresh.totp_secret or "")  # stored encrypted
    assert [m.subject for m in mail(customer.email)] == ["Two-factor sign-in is on"]
    assert len(store.audit_entries("account.two_factor_enabled")) == 1


def test_sign_in_asks_for_the_code_before_signing_in(web, customer, sign_in, secured):
    secret, _codes = secured
    response = sign_in(customer.email)

    assert response.headers["Location"] == CODE_STEP
    assert not is_signed_in(web)
    assert web.post(CODE_STEP, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert is_signed_in(web)


def test_a_code_works_only_once(web, customer, sign_in, secured, new_browser):
    secret, _codes = secured
    code = pyotp.TOTP(secret).now()
    sign_in(customer.email)
    web.post(CODE_STEP, {"code": code})
    other = new_browser()
    sign_in(customer.email, browser=other)

    response = other.post(CODE_STEP, {"code": code})

    assert response.status_code == 401
    assert not is_signed_in(other)


def test_a_recovery_code_works_once(web, customer, sign_in, secured, new_browser, store):
    _secret, codes = secured
    sign_in(customer.email)
    response = web.post(CODE_STEP, {"code": codes[0].upper().replace("-", " ")})  # typed loosely
    assert response.status_code == 302 and is_signed_in(web)

    other = new_browser()
    sign_in(customer.email, browser=other)
    assert other.post(CODE_STEP, {"code": codes[0]}).status_code == 401
    assert any(e.data.get("two_factor") == "recovery" for e in store.audit_entries("account.signed_in"))


def test_wrong_codes_are_throttled_and_audited(app, web, customer, sign_in, secured, store):
    secret, _codes = secured
    sign_in(customer.email)
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        assert web.post(CODE_STEP, {"code": "123456"}).status_code == 401

    response = web.post(CODE_STEP, {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 429
    assert "paused" in text_of(response)
    assert not is_signed_in(web)
    assert len(store.audit_entries("account.two_factor_failed")) == app.config["SIGNIN_MAX_FAILURES"]


def test_the_code_step_needs_a_right_password_first_and_expires(web, customer, sign_in, secured):
    assert web.get(CODE_STEP).headers["Location"] == "/account/sign-in"
    sign_in(customer.email)
    with web.client.session_transaction() as session:
        session["two_factor_pending"] = {**session["two_factor_pending"], "at": time.time() - 3600}

    assert web.get(CODE_STEP).headers["Location"] == "/account/sign-in"


def test_the_code_step_needs_csrf(web, customer, sign_in, secured):
    secret, _codes = secured
    sign_in(customer.email)

    assert web.post(CODE_STEP, {"code": pyotp.TOTP(secret).now()}, csrf=False).status_code == 400
    assert not is_signed_in(web)


def test_a_remembered_device_skips_the_code_until_two_factor_changes(web, customer, sign_in, secured):
    secret, codes = secured
    sign_in(customer.email)
    web.post(CODE_STEP, {"code": pyotp.TOTP(secret).now(), "remember_device": "y"})
    assert web.client.get_cookie(two_factor.DEVICE_COOKIE, domain="localhost") is not None
    web.post("/account/sign-out")

    assert sign_in(customer.email).headers["Location"] == "/"  # no code step
    renewed = web.post("/account/two-factor/recovery-codes", {"codes-current_password": PASSWORD})
    codes = CODE_RE.findall(renewed.get_data(as_text=True))
    web.post("/account/sign-out")
    assert sign_in(customer.email).headers["Location"] == "/"  # new recovery codes: still remembered
    web.post("/account/two-factor/disable", {"off-current_password": PASSWORD, "off-code": codes[0]})
    set_up(web)  # on again: a new generation
    web.post("/account/sign-out")

    assert sign_in(customer.email).headers["Location"] == CODE_STEP


def test_turning_off_needs_the_password_and_a_code(web, customer, sign_in, secured, store, mail):
    _secret, codes = secured
    sign_in(customer.email)
    web.post(CODE_STEP, {"code": codes[0]})

    refused = web.post("/account/two-factor/disable", {"off-current_password": "wrong-password", "off-code": codes[1]})
    assert refused.status_code == 422
    assert "Your current password is not right." in text_of(refused)
    assert store.reload(customer).has_two_factor
    empty = web.post("/account/two-factor/disable", {"off-current_password": "", "off-code": ""})
    assert empty.status_code == 422
    assert "Enter your password." in text_of(empty)
    assert store.reload(customer).has_two_factor

    web.post("/account/two-factor/disable", {"off-current_password": PASSWORD, "off-code": codes[1]})
    assert not store.reload(customer).has_two_factor
    assert "Two-factor sign-in is off" in [m.subject for m in mail(customer.email)]
    assert len(store.audit_entries("account.two_factor_disabled")) == 1


def test_new_recovery_codes_need_the_password(web, customer, sign_in, secured, new_browser):
    _secret, old = secured
    sign_in(customer.email)
    web.post(CODE_STEP, {"code": old[0]})

    response = web.post("/account/two-factor/recovery-codes", {"codes-current_password": "wrong-password"})

    assert response.status_code == 422
    assert "Your current password is not right, so no new codes were made." in text_of(response)
    other = new_browser()
    sign_in(customer.email, browser=other)
    assert other.post(CODE_STEP, {"code": old[1]}).status_code == 302  # the old codes still work


def test_new_recovery_codes_replace_the_old_ones(web, customer, sign_in, secured, new_browser):
    _secret, old = secured
    sign_in(customer.email)
    web.post(CODE_STEP, {"code": old[0]})

    response = web.post("/account/two-factor/recovery-codes", {"codes-current_password": PASSWORD})
    new = CODE_RE.findall(response.get_data(as_text=True))

    assert len(new) == 10 and not set(new) & set(old)
    other = new_browser()
    sign_in(customer.email, browser=other)
    assert other.post(CODE_STEP, {"code": old[1]}).status_code == 401
    assert other.post(CODE_STEP, {"code": new[0]}).status_code == 302


def test_administrators_cannot_turn_it_off(web, admin, store):
    web.sign_in_as(admin)

    response = web.post("/account/two-factor/disable", {"off-current_password": PASSWORD, "off-code": "123456"})

    assert response.status_code == 403
    assert "Administrators must keep two-factor sign-in on." in text_of(response)
    assert store.reload(admin).has_two_factor


def test_an_administrator_without_it_is_sent_to_set_it_up(web, make_user):
    newcomer = make_user(role=Role.ADMIN, totp_secret=None, totp_enabled_at=None)
    web.sign_in_as(newcomer)

    response = web.get("/admin/")

    assert response.headers["Location"] == SETUP
    set_up(web)
    assert web.get("/admin/").status_code == 200


def test_an_administrator_signs_in_with_the_code(web, admin, sign_in):
    sign_in(admin.email)
    response = web.post(CODE_STEP, {"code": pyotp.TOTP(ADMIN_TOTP_SECRET).now()})

    assert response.headers["Location"] == "/admin/"
