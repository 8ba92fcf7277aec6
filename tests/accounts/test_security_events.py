"""Security events land in the audit log; private pages stay out of shared caches."""

from __future__ import annotations

import time

import pytest

from app.payments.ports import InvalidEvent
from app.payments.stripe_gateway import refuse_future_timestamp
from tests.accounts.conftest import link_in
from tests.factories import PASSWORD

NEW_PASSWORD = "saffron-glacier-kettle-58"


def test_a_sign_in_is_audited_with_address_and_browser(web, customer, sign_in, store):
    sign_in(customer.email, headers={"User-Agent": "TestBrowser/1.0"})

    (entry,) = store.audit_entries("account.signed_in")
    assert entry.subject_type == "account"
    assert entry.subject_id == entry.actor_id == customer.id
    assert entry.data["ip"] == "127.0.0.1"
    assert entry.data["user_agent"] == "TestBrowser/1.0"


def test_failed_sign_ins_are_audited_for_known_and_unknown_emails(web, customer, sign_in, store):
    sign_in(customer.email, "wrong-password-here")
    sign_in("nobody@example.com", "wrong-password-here")

    entries = store.audit_entries("account.sign_in_failed")
    assert sorted((e.subject_id or 0, e.data["email"]) for e in entries) == sorted(
        [(customer.id, customer.email), (0, "nobody@example.com")]
    )


def test_a_refused_sign_in_during_a_lockout_is_audited(app, web, customer, sign_in, store):
    for _ in range(app.config["SIGNIN_MAX_FAILURES"]):
        sign_in(customer.email, "wrong-password-here")
    assert sign_in(customer.email).status_code == 429

    (entry,) = store.audit_entries("account.sign_in_refused")
    assert entry.data["email"] == customer.email


def test_sign_out_is_audited(web, customer, sign_in, store):
    sign_in(customer.email)
    web.post("/account/sign-out")

    (entry,) = store.audit_entries("account.signed_out")
    assert entry.actor_id == customer.id


def test_password_change_is_audited(web, customer, sign_in, store):
    sign_in(customer.email)
    response = web.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD})

    assert response.status_code == 302
    (entry,) = store.audit_entries("account.password_changed")
    assert entry.subject_id == customer.id


def test_reset_request_and_reset_are_audited(web, customer, mail, store):
    web.post("/account/forgot-password", {"email": customer.email})
    web.post("/account/forgot-password", {"email": "nobody@example.com"})
    (message,) = mail(customer.email)
    link = link_in(message, "/account/reset-password/")
    web.post(link, {"password": NEW_PASSWORD})

    requested = store.audit_entries("account.password_reset_requested")
    assert sorted(e.data["email"] for e in requested) == sorted([customer.email, "nobody@example.com"])
    (reset,) = store.audit_entries("account.password_reset")
    assert reset.subject_id == customer.id


def test_email_change_request_and_confirmation_are_audited(web, customer, sign_in, mail, store):
    sign_in(customer.email)
    web.post("/account/email", {"new_email": "fresh@example.com", "current_password": PASSWORD})
    (message,) = [m for m in mail("fresh@example.com") if "Confirm" in m.subject]
    web.get(link_in(message, "/account/email/confirm/"))

    (requested,) = store.audit_entries("account.email_change_requested")
    assert requested.data["new_email"] == "fresh@example.com"
    (changed,) = store.audit_entries("account.email_changed")
    assert changed.data["email"] == "fresh@example.com"


@pytest.mark.parametrize("path", ["/account/profile", "/bookings", "/cart"])
def test_pages_for_a_signed_in_person_are_private_and_not_stored(web, customer, sign_in, path):
    sign_in(customer.email)
    response = web.get(path)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.headers["Vary"]


def test_an_anonymous_visit_without_cookies_is_not_marked_private(app):
    response = app.test_client(use_cookies=False).get("/")

    assert "private" not in response.headers.get("Cache-Control", "")


def test_a_webhook_timestamp_beyond_the_tolerance_ahead_is_refused():
    now = time.time()
    with pytest.raises(InvalidEvent, match="in the future"):
        refuse_future_timestamp(f"t={int(now) + 600},v1=abc", now=now)
    refuse_future_timestamp(f"t={int(now) + 60},v1=abc", now=now)  # clock skew within tolerance is fine
