"""Sign-in, its throttles, remember-me, the idle timeout and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from app.accounts.service import GENERIC_SIGN_IN_ERROR
from tests.accounts.conftest import text_of, without_signed_tokens
from tests.factories import ADMIN_TOTP_SECRET, PASSWORD

SIGN_IN = "/account/sign-in"
PROFILE = "/account/profile"
LOCKED = "Too many failed sign-in attempts"


def is_signed_in(browser) -> bool:
    return browser.get(PROFILE).status_code == 200


def session_cookie(app, browser):
    return browser.client.get_cookie(app.config["SESSION_COOKIE_NAME"])


def remember_cookie(app, browser):
    return browser.client.get_cookie(app.config["REMEMBER_COOKIE_NAME"])


def test_sign_in_page_renders(web):
    response = web.get(SIGN_IN)

    assert response.status_code == 200
    assert 'name="password"' in response.get_data(as_text=True)


def test_sign_in_page_prefills_the_email_from_the_link(web):
    body = web.get(f"{SIGN_IN}?email=nora@example.com").get_data(as_text=True)

    assert 'value="nora@example.com"' in body


@pytest.mark.parametrize(
    ("role_fixture", "home"),
    [("customer", "/"), ("provider", "/provider"), ("admin", "/admin/")],
)
def test_successful_sign_in_goes_to_the_home_of_the_role(request, web, sign_in, role_fixture, home):
    user = request.getfixturevalue(role_fixture)

    response = sign_in(user.email)
    if user.has_two_factor:  # administrators: the code step first
        assert response.headers["Location"] == "/account/two-factor"
        response = web.post("/account/two-factor", {"code": pyotp.TOTP(ADMIN_TOTP_SECRET).now()})

    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert is_signed_in(web)


def test_sign_in_ignores_the_case_of_the_email(web, sign_in, customer):
    assert sign_in(customer.email.upper()).status_code == 302
    assert is_signed_in(web)


def test_sign_in_records_the_time(sign_in, customer, store):
    assert store.reload(customer).last_sign_in_at is None

    sign_in(customer.email)

    assert store.reload(customer).last_sign_in_at is not None


def test_signed_in_user_visiting_sign_in_goes_home(web, admin):
    web.sign_in_as(admin)

    response = web.get(SIGN_IN)

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_and_unknown_email_look_the_same(web, sign_in, customer):
    wrong_password = sign_in(customer.email, "not-the-password-at-all")
    unknown_email = sign_in("nobody@example.com", "not-the-password-at-all")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert GENERIC_SIGN_IN_ERROR in text_of(wrong_password)
    assert GENERIC_SIGN_IN_ERROR in text_of(unknown_email)
    assert not is_signed_in(web)


@pytest.mark.parametrize("data", [{"email": "", "password": PASSWORD}, {"email": "x@example.com", "password": ""}])
def test_incomplete_sign_in_form_is_refused(web, data):
    response = web.post(SIGN_IN, data)

    assert response.status_code == 422
    assert not is_signed_in(web)


def test_sign_in_without_csrf_token_is_refused(web, sign_in, customer):
    response = sign_in(customer.email, csrf=False)

    assert response.status_code == 400
    assert not is_signed_in(web)


def test_remember_me_sets_the_remember_cookie(app, web, sign_in, customer):
    sign_in(customer.email, remember=True)

    assert remember_cookie(app, web) is not None


def test_without_remember_me_there_is_no_remember_cookie(app, web, sign_in, customer):
    sign_in(customer.email)

    assert remember_cookie(app, web) is None


def test_remember_cookie_alone_keeps_the_user_signed_in(app, web, new_browser, sign_in, customer):
    sign_in(customer.email, remember=True)
    other = new_browser()
    other.client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie(app, web).value)

    assert is_signed_in(other)


@pytest.mark.parametrize("target", ["/account/profile", "/provider?tab=calendar"])
def test_next_parameter_is_honoured_for_relative_paths(web, sign_in, provider, target):
    response = sign_in(provider.email, query_string={"next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    ["//evil.example", "https://evil.example", "http://evil.example/account", "/\\evil.example", "evil.example"],
)
def test_next_parameter_pointing_elsewhere_is_ignored(web, sign_in, customer, target):
    response = sign_in(customer.email, query_string={"next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_parameter_with_control_characters_cannot_leave_the_site(web, sign_in, customer):
    # Browsers drop tabs and newlines inside URLs, which would turn "/\t/evil.example" into "//evil.example".
    response = sign_in(customer.email, query_string={"next": "/\t/evil.example"})

    location = response.headers["Location"]
    assert not location.replace("\t", "").replace("\n", "").startswith("//")


def test_sign_in_form_keeps_the_next_parameter(web):
    body = web.get(f"{SIGN_IN}?next=/account/profile").get_data(as_text=True)

    assert 'action="/account/sign-in?next=/account/profile"' in body or "next=%2Faccount%2Fprofile" in body


def test_fifth_failure_still_gets_the_usual_message(sign_in, customer):
    for _ in range(4):
        sign_in(customer.email, "wrong-password-again")

    response = sign_in(customer.email, "wrong-password-again")

    assert response.status_code == 401
    assert GENERIC_SIGN_IN_ERROR in text_of(response)


def test_sixth_sign_in_after_five_failures_is_throttled_even_with_the_right_password(app, web, sign_in, customer):
    assert app.config["SIGNIN_MAX_FAILURES"] == 5
    for _ in range(5):
        assert sign_in(customer.email, "wrong-password-again").status_code == 401

    response = sign_in(customer.email, PASSWORD)

    assert response.status_code == 429
    assert LOCKED in text_of(response)
    assert not is_signed_in(web)


def test_throttle_message_is_the_same_for_an_email_without_account(sign_in, customer):
    for email in (customer.email, "nobody@example.com"):
        for _ in range(5):
            sign_in(email, "wrong-password-again")

    known = sign_in(customer.email, PASSWORD)
    unknown = sign_in("nobody@example.com", PASSWORD)

    assert known.status_code == unknown.status_code == 429
    assert LOCKED in text_of(unknown)
    assert without_signed_tokens(text_of(known).replace(customer.email, "nobody@example.com")) == (
        without_signed_tokens(text_of(unknown))
    )


def test_throttle_is_per_account(web, sign_in, customer, provider):
    for _ in range(5):
        sign_in(customer.email, "wrong-password-again")

    assert sign_in(provider.email).status_code == 302


def test_throttle_ends_after_the_lock_period(app, web, sign_in, customer, monkeypatch):
    for _ in range(5):
        sign_in(customer.email, "wrong-password-again")
    later = datetime.now(UTC) + timedelta(minutes=app.config["SIGNIN_LOCK_MINUTES"] + 1)
    monkeypatch.setattr("app.accounts.service.utcnow", lambda: later)

    assert sign_in(customer.email).status_code == 302


def test_successful_sign_in_clears_earlier_failures(web, new_browser, sign_in, customer):
    for _ in range(4):
        sign_in(customer.email, "wrong-password-again")
    sign_in(customer.email)
    other = new_browser()

    for _ in range(4):
        sign_in(customer.email, "wrong-password-again", browser=other)

    assert sign_in(customer.email, browser=other).status_code == 302


def test_per_ip_limit_answers_429(app, web, sign_in, customer, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_IP_LIMIT", "3 per minute")
    emails = ["a@example.com", "b@example.com", "c@example.com"]
    for email in emails:  # different emails: the per-account throttle never trips
        assert sign_in(email, "wrong-password-again").status_code == 401

    response = sign_in(customer.email)

    assert response.status_code == 429
    assert "Too many attempts from your network" in text_of(response)
    assert LOCKED not in text_of(response)
    assert not is_signed_in(web)


def test_per_ip_limit_counts_only_posts(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_IP_LIMIT", "3 per minute")

    for _ in range(5):
        assert web.get(SIGN_IN).status_code == 200


def test_suspended_user_cannot_sign_in(web, sign_in, make_user):
    user = make_user(is_active_account=False)

    response = sign_in(user.email)

    assert response.status_code == 401
    assert GENERIC_SIGN_IN_ERROR in text_of(response)
    assert not is_signed_in(web)


def test_sign_out_needs_post(web, customer):
    web.sign_in_as(customer)

    assert web.get("/account/sign-out").status_code == 405
    assert is_signed_in(web)


def test_sign_out_without_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)

    assert web.post("/account/sign-out", csrf=False).status_code == 400
    assert is_signed_in(web)


def test_sign_out_ends_the_session(web, sign_in, customer):
    sign_in(customer.email)

    response = web.post("/account/sign-out")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert not is_signed_in(web)


def test_sign_out_also_forgets_the_remember_cookie(app, web, sign_in, customer):
    sign_in(customer.email, remember=True)

    web.post("/account/sign-out")

    assert remember_cookie(app, web) is None
    assert not is_signed_in(web)


def _idle(browser, minutes: int) -> None:
    with browser.client.session_transaction() as session:
        session["last_seen"] = (datetime.now(UTC) - timedelta(minutes=minutes)).timestamp()


def test_idle_session_is_signed_out(app, web, sign_in, customer):
    sign_in(customer.email)
    _idle(web, minutes=app.config["IDLE_TIMEOUT"].total_seconds() // 60 + 5)

    response = web.get(PROFILE)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?next=")
    assert "signed out after a period of inactivity" in text_of(web.get(response.headers["Location"]))
    assert not is_signed_in(web)


def test_recently_active_session_stays_signed_in(web, sign_in, customer):
    sign_in(customer.email)
    _idle(web, minutes=5)

    assert is_signed_in(web)


def test_idle_timeout_does_not_apply_with_remember_me(app, web, sign_in, customer):
    sign_in(customer.email, remember=True)
    _idle(web, minutes=app.config["IDLE_TIMEOUT"].total_seconds() // 60 + 600)

    assert is_signed_in(web)


def test_changing_password_signs_out_other_sessions(app, web, new_browser, sign_in, customer):
    other_device = new_browser()
    sign_in(customer.email, browser=other_device)
    sign_in(customer.email)
    old_cookie = session_cookie(app, web).value
    assert is_signed_in(other_device)

    response = web.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "harbour-juniper-quartz-19"}
    )

    assert response.status_code == 302
    assert is_signed_in(web)  # this device got the new session token
    assert not is_signed_in(other_device)
    replay = new_browser()
    replay.client.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)
    assert not is_signed_in(replay)


def test_changing_password_kills_old_remember_cookies(app, web, new_browser, sign_in, customer):
    other_device = new_browser()
    sign_in(customer.email, remember=True, browser=other_device)
    old_remember = remember_cookie(app, other_device).value
    web.sign_in_as(customer)

    web.post("/account/password", {"current_password": PASSWORD, "new_password": "harbour-juniper-quartz-19"})

    replay = new_browser()
    replay.client.set_cookie(app.config["REMEMBER_COOKIE_NAME"], old_remember)
    assert not is_signed_in(replay)


def test_sign_in_returns_to_the_page_that_asked_for_it(web, provider):
    asked = web.get("/provider?tab=calendar")
    sign_in_page = asked.headers["Location"]

    response = web.post(sign_in_page, {"email": provider.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider?tab=calendar"
