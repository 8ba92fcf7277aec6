"""Forgotten passwords: the request, the emailed link, and choosing a new password."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.accounts.conftest import link_in, text_of
from tests.factories import PASSWORD

FORGOT = "/account/forgot-password"
NEW_PASSWORD = "saffron-glacier-kettle-58"
SENT = "If an account uses that email, we've sent it a link to reset the password."


def reset_link(web, mail, email: str) -> str:
    web.post(FORGOT, {"email": email})
    (message,) = [m for m in mail(email) if m.subject == "Reset your password"]
    return link_in(message, "/account/reset-password/")


def test_forgot_password_page_renders(web):
    assert web.get(FORGOT).status_code == 200


def test_known_and_unknown_emails_get_the_same_answer(web, customer):
    known = web.post(FORGOT, {"email": customer.email})
    known_page = text_of(web.get(known.headers["Location"]))
    unknown = web.post(FORGOT, {"email": "nobody@example.com"})
    unknown_page = text_of(web.get(unknown.headers["Location"]))

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"] == "/account/sign-in"
    assert SENT in known_page
    assert SENT in unknown_page


def test_reset_email_is_sent_only_for_a_known_email(web, customer, mail, outbox):
    web.post(FORGOT, {"email": customer.email})
    web.post(FORGOT, {"email": "nobody@example.com"})

    assert [m.subject for m in mail(customer.email)] == ["Reset your password"]
    assert mail("nobody@example.com") == []
    assert len(outbox) == 1


def test_reset_email_is_not_sent_to_a_suspended_account(web, make_user, mail):
    user = make_user(is_active_account=False)

    assert web.post(FORGOT, {"email": user.email}).status_code == 302
    assert mail(user.email) == []


def test_reset_request_with_a_bad_email_is_refused(web, mail, outbox):
    response = web.post(FORGOT, {"email": "not-an-email"})

    assert response.status_code == 422
    assert "Enter a valid email address." in text_of(response)
    mail("not-an-email")
    assert outbox == []


def test_reset_request_without_csrf_token_is_refused(web, customer, mail):
    assert web.post(FORGOT, {"email": customer.email}, csrf=False).status_code == 400
    assert mail(customer.email) == []


def test_reset_link_shows_the_form_for_that_account(web, customer, mail):
    link = reset_link(web, mail, customer.email)

    response = web.get(link)

    assert response.status_code == 200
    assert customer.email in text_of(response)


def test_reset_changes_the_password(web, customer, mail, sign_in, new_browser, store):
    link = reset_link(web, mail, customer.email)

    response = web.post(link, {"password": NEW_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/sign-in?email=")
    assert store.reload(customer).check_password(NEW_PASSWORD)
    assert sign_in(customer.email, PASSWORD, browser=new_browser()).status_code == 401
    assert sign_in(customer.email, NEW_PASSWORD, browser=new_browser()).status_code == 302


def test_reset_link_works_only_once(web, customer, mail, store):
    link = reset_link(web, mail, customer.email)
    web.post(link, {"password": NEW_PASSWORD})

    second_look = web.get(link)
    second_use = web.post(link, {"password": "another-fresh-password-61"})

    assert second_look.status_code == second_use.status_code == 400
    assert "already been used" in text_of(second_use)
    assert store.reload(customer).check_password(NEW_PASSWORD)


def test_reset_sends_a_password_changed_notice(web, customer, mail):
    link = reset_link(web, mail, customer.email)

    web.post(link, {"password": NEW_PASSWORD})

    assert "Your password was changed" in [m.subject for m in mail(customer.email)]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("too-short", "Use at least 12 characters."),
        ("password1234", "commonly used passwords"),
        ("", "Choose a password."),
    ],
)
def test_weak_new_password_is_refused(web, customer, mail, store, password, message):
    link = reset_link(web, mail, customer.email)

    response = web.post(link, {"password": password})

    assert response.status_code == 422
    assert message in text_of(response)
    assert store.reload(customer).check_password(PASSWORD)
    assert web.get(link).status_code == 200  # the link still works for a better try


def test_new_password_equal_to_the_email_is_refused(web, make_user, mail, store):
    user = make_user(email="harriet.long@example.com")
    link = reset_link(web, mail, user.email)

    response = web.post(link, {"password": "harriet.long@example.com"})

    assert response.status_code == 422
    assert store.reload(user).check_password(PASSWORD)


def test_reset_without_csrf_token_is_refused(web, customer, mail, store):
    link = reset_link(web, mail, customer.email)

    assert web.post(link, {"password": NEW_PASSWORD}, csrf=False).status_code == 400
    assert store.reload(customer).check_password(PASSWORD)


def test_expired_reset_link_is_refused(app, web, customer, mail, store, monkeypatch):
    link = reset_link(web, mail, customer.email)
    monkeypatch.setitem(app.config, "RESET_TOKEN_MAX_AGE", timedelta(seconds=-1))

    response = web.post(link, {"password": NEW_PASSWORD})

    assert response.status_code == 400
    assert "expired" in text_of(response)
    assert store.reload(customer).check_password(PASSWORD)


def test_tampered_reset_link_is_refused(web, customer, mail, store):
    link = reset_link(web, mail, customer.email)
    tampered = link[:-3] + ("xyz" if not link.endswith("xyz") else "abc")

    assert web.post(tampered, {"password": NEW_PASSWORD}).status_code == 400
    assert store.reload(customer).check_password(PASSWORD)


def test_every_outstanding_reset_link_dies_once_one_is_used(web, customer, mail, store):
    first = reset_link(web, mail, customer.email)
    web.post(FORGOT, {"email": customer.email})
    second = link_in([m for m in mail(customer.email) if m.subject == "Reset your password"][-1], "/account/reset")

    web.post(second, {"password": NEW_PASSWORD})

    assert web.post(first, {"password": "another-fresh-password-61"}).status_code == 400
    assert store.reload(customer).check_password(NEW_PASSWORD)


def test_reset_signs_out_other_sessions(web, customer, mail, new_browser, sign_in):
    other_device = new_browser()
    sign_in(customer.email, browser=other_device)
    link = reset_link(web, mail, customer.email)

    web.post(link, {"password": NEW_PASSWORD})

    assert other_device.get("/account/profile").status_code == 302


def test_reset_lifts_the_sign_in_throttle(web, customer, mail, sign_in, new_browser):
    for _ in range(5):
        sign_in(customer.email, "wrong-password-again")
    assert sign_in(customer.email).status_code == 429
    link = reset_link(web, mail, customer.email)

    web.post(link, {"password": NEW_PASSWORD})

    assert sign_in(customer.email, NEW_PASSWORD, browser=new_browser()).status_code == 302


def test_reset_confirms_an_unconfirmed_email(web, make_user, mail, store):
    user = make_user(email_verified_at=None)
    link = reset_link(web, mail, user.email)

    web.post(link, {"password": NEW_PASSWORD})

    assert store.reload(user).is_verified


def test_per_ip_limit_on_reset_requests_answers_429(app, web, customer, mail, monkeypatch):
    monkeypatch.setitem(app.config, "RESET_IP_LIMIT", "2 per minute")
    for _ in range(2):
        assert web.post(FORGOT, {"email": "nobody@example.com"}).status_code == 302

    response = web.post(FORGOT, {"email": customer.email})

    assert response.status_code == 429
    assert mail(customer.email) == []
