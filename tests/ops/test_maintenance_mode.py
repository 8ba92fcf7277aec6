"""Maintenance mode (issue 48, item 3): visitors get a 503 with Retry-After, the API problem
details, the probes stay honest, admins keep the site; the switch is audited (docs/maintenance-mode.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import g
from flask_login import login_user
from sqlalchemy import select, text

from app.audit.models import AuditEntry
from app.ops import maintenance
from app.ops.maintenance_cli import maintenance_cli
from app.platform.extensions import db
from app.web import maintenance_gate
from tests.accounts.conftest import text_of
from tests.conftest import csrf_token
from tests.factories import ADMIN_TOTP_SECRET, PASSWORD
from tests.statements import statements_sent

NOWHERE = "/no-such-page"  # a 404 when the site is open: the cheapest ordinary request
SWITCH = "/admin/maintenance"


@pytest.fixture(autouse=True)
def _forget_the_switch(app):
    """Each test starts with this process's copy of the switch empty, and leaves it so."""
    with app.app_context():
        maintenance.forget()
    yield
    with app.app_context():
        maintenance.forget()


def switch_on(message: str = "Upgrading the database.", ends_in: timedelta | None = timedelta(hours=1)):
    now = datetime.now(UTC)
    ends_at = now + ends_in if ends_in is not None else None
    return maintenance.switch_on(message, ends_at, actor_id=None, source="test", now=now)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_visitors_get_a_503_page_with_retry_after_and_the_message(web, customer):
    switch_on("Upgrading the database.", timedelta(hours=1))

    for signed_in in (False, True):
        if signed_in:
            web.sign_in_as(customer)
        response = web.get("/")
        assert response.status_code == 503
        assert 3590 <= int(response.headers["Retry-After"]) <= 3600
        assert response.headers["Cache-Control"] == "no-store"
        page = text_of(response)
        assert "Upgrading the database." in page
        assert "We expect to be back by" in page


def test_without_an_expected_end_retry_after_is_a_few_minutes(web):
    switch_on("", ends_in=None)

    response = web.get(NOWHERE)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(maintenance.DEFAULT_RETRY_AFTER)
    assert "We're doing some maintenance" in text_of(response)


def test_the_api_answers_problem_details(web):
    switch_on("Back soon.", ends_in=None)

    response = web.get("/api/v1/venues")

    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "/api/v1/problems/unavailable"
    assert body["status"] == 503 and body["detail"] == "Back soon."
    assert response.headers["Retry-After"] == str(maintenance.DEFAULT_RETRY_AFTER)


def test_probes_stay_up_and_say_maintenance_is_on(web):
    assert web.get("/healthz").get_json() == {"status": "ok"}  # off: the probe's own answer
    switch_on()

    live, ready = web.get("/healthz"), web.get("/readyz")

    assert live.status_code == 200
    assert live.get_json()["status"] == "ok" and live.get_json()["maintenance"]["on"] is True
    assert ready.status_code == 200  # a load balancer keeps the pods that serve the maintenance page
    assert ready.get_json()["maintenance"]["on"] is True


def test_sign_in_and_the_payment_webhook_stay_reachable(web, admin):
    def webhook() -> int:
        return web.client.post("/payments/stripe/webhook", data=b"{}", content_type="application/json").status_code

    open_answer = webhook()  # the view's own answer to an unsigned event
    switch_on()

    assert web.get("/account/sign-in").status_code == 200
    assert web.get("/sw.js").status_code == 200  # an installed app's update check and offline page
    assert web.get("/offline").status_code == 200
    assert webhook() == open_answer != 503  # Stripe's events still reach the view: money is never lost
    web.sign_in_as(admin)  # a signed-in admin uses the whole site
    assert web.get("/").status_code == 200
    assert web.get("/admin/").status_code == 200


def test_an_admin_signs_in_through_the_form_and_its_code_step(web, admin):
    switch_on()
    token = csrf_token(web.client, "/account/sign-in")  # the home page is the maintenance page

    signed = web.post("/account/sign-in", {"email": admin.email, "password": PASSWORD, "csrf_token": token}, csrf=False)
    assert signed.headers["Location"] == "/account/two-factor"
    token = csrf_token(web.client, "/account/two-factor")  # signing in began a new session
    code = {"code": pyotp.TOTP(ADMIN_TOTP_SECRET).now(), "csrf_token": token}
    assert web.post("/account/two-factor", code, csrf=False).headers["Location"] == "/admin/"

    assert web.get("/admin/").status_code == 200


def test_admin_sees_the_banner_and_visitors_do_not(app, admin, customer):
    switch_on()
    template = app.jinja_env.from_string('{% include "ops/_maintenance_banner.html" %}')
    with app.test_request_context("/"):
        g.maintenance = maintenance.current_state()
        login_user(admin)
        assert "Maintenance mode is on" in template.render(maintenance_banner=maintenance_gate.banner_state())
        login_user(customer)
        assert "Maintenance mode is on" not in template.render(maintenance_banner=maintenance_gate.banner_state())


def test_admin_turns_it_on_and_off_and_both_are_audited(web, admin):
    web.sign_in_as(admin)
    until = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")

    response = web.post(SWITCH, {"action": "on", "message": "Moving house.", "until": until})

    assert response.status_code == 302
    state = maintenance.read_state()
    assert state.on and state.message == "Moving house." and state.switched_by_id == admin.id
    [entry] = entries("maintenance.on")
    assert entry.actor_id == admin.id and entry.data["source"] == "admin" and entry.to_state == "on"
    assert "Maintenance mode is on" in text_of(web.get(SWITCH))

    assert web.post(SWITCH, {"action": "off"}).status_code == 302
    assert not maintenance.read_state().on
    [entry] = entries("maintenance.off")
    assert (entry.actor_id, entry.from_state, entry.to_state) == (admin.id, "on", "off")
    assert web.get(NOWHERE).status_code == 404  # open again


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"action": "on", "message": "x" * 2000}, "at most 1000 characters"),
        ({"action": "on", "until": "2020-01-01T00:00Z"}, "must be in the future"),
        ({"action": "on", "until": "tomorrow-ish"}, "like 2026-11-28T03:00Z"),
        ({"action": "sideways"}, "Choose to turn maintenance mode on or off."),
    ],
)
def test_bad_input_is_a_400_with_a_clear_message_and_changes_nothing(web, admin, form, says):
    web.sign_in_as(admin)

    response = web.post(SWITCH, form)

    assert response.status_code == 400
    assert says in text_of(response)
    assert maintenance.read_state() == maintenance.OFF
    assert entries("maintenance.on") == []
    assert web.get(NOWHERE).status_code == 404


def test_only_admins_switch_it_and_only_with_a_csrf_token(web, admin, customer):
    assert web.post(SWITCH, {"action": "on"}).status_code == 302  # signed out: sign in first
    web.sign_in_as(customer)
    assert web.get(SWITCH).status_code == 403
    assert web.post(SWITCH, {"action": "on"}).status_code == 403
    web.sign_in_as(admin)
    assert web.post(SWITCH, {"action": "on"}, csrf=False).status_code == 400
    assert not maintenance.read_state().on


def test_the_command_line_switches_it_and_is_audited_as_such(app):
    runner = app.test_cli_runner()
    until = (datetime.now(UTC) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%MZ")

    on = runner.invoke(maintenance_cli, ["on", "--message", "Upgrading.", "--until", until])
    status = runner.invoke(maintenance_cli, ["status"])

    assert on.exit_code == 0, on.output
    assert "Maintenance mode is on." in status.output and "Upgrading." in status.output
    [entry] = entries("maintenance.on")
    assert entry.actor_id is None and entry.data["source"] == "cli"

    refused = runner.invoke(maintenance_cli, ["on", "--until", "2020-01-01T00:00Z"])
    assert refused.exit_code != 0 and "must be in the future" in refused.output
    assert len(entries("maintenance.on")) == 1

    off = runner.invoke(maintenance_cli, ["off"])
    assert off.exit_code == 0 and "off" in off.output
    assert "Maintenance mode is off." in runner.invoke(maintenance_cli, ["status"]).output


def test_another_process_switch_is_seen_within_the_interval_and_costs_no_statement_meanwhile(app, web, monkeypatch):
    monkeypatch.setitem(app.config, "MAINTENANCE_CHECK_SECONDS", 5.0)
    assert web.get(NOWHERE).status_code == 404  # reads the switch: off, for the next 5 seconds
    # Another process turns it on: only the row changes, not this process's copy.
    db.session.execute(
        text("INSERT INTO maintenance_mode (id, is_on, message, switched_at) VALUES (1, true, 'Elsewhere.', now())")
    )

    with statements_sent() as sent:
        assert web.get(NOWHERE).status_code == 404  # the copy is still fresh

    assert not any("maintenance_mode" in statement for statement in sent)
    app.extensions["maintenance"]["until"] = 0.0  # the interval has passed
    response = web.get(NOWHERE)
    assert response.status_code == 503 and "Elsewhere." in text_of(response)
