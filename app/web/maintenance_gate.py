"""Maintenance mode's request hook: while it is on (app/ops/maintenance.py), visitors get a 503
page, the JSON API problem details, both with ``Retry-After`` (docs/maintenance-mode.md).

What stays open: static files, the probes (``/healthz`` stays 200 and says maintenance is on;
``/readyz`` keeps its own answer, so a load balancer keeps the pods that serve the maintenance
page), signing in (password, two-factor, passkeys) and out, and the payment webhooks (a money
event must never be lost). A signed-in admin uses the whole site, under a banner.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, json, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.ops import maintenance
from app.ops.maintenance import MaintenanceState
from app.ops.problems import problem_response

# Endpoints that answer whoever asks while maintenance is on.
OPEN_ENDPOINTS = frozenset(
    {
        "static",
        "main.service_worker",  # an installed app's update check: a 503 would break its offline page
        "main.manifest",
        "main.offline",
        "accounts.sign_in",
        "accounts.sign_out",
        "accounts.two_factor_sign_in",
        "accounts.passkey_sign_in_options",
        "accounts.passkey_sign_in",
        "accounts.passkey_second_factor_options",
        "accounts.passkey_second_factor",
        "payments.stripe_webhook",  # Stripe's events, Connect's and Billing's: money must not be lost
        "demo.webhook",  # the Demo gateway's stand-in for it
        "ops.metrics_page",
    }
)
PROBES = frozenset({"ops.healthz", "ops.readyz"})


def init_app(app: Flask) -> None:
    """Call before the page cache's hook: while maintenance is on, a stored page is not served."""
    maintenance.init_app(app)
    app.before_request(hold_requests)
    app.context_processor(lambda: {"maintenance_banner": banner_state()})


def hold_requests() -> Response | None:
    state = maintenance.current_state()
    g.maintenance = state
    if not state.on or request.endpoint in OPEN_ENDPOINTS:
        return None
    if request.endpoint in PROBES:
        return probe_answer(state)
    if current_user.is_authenticated and current_user.is_admin:
        return None
    return unavailable(state)


def unavailable(state: MaintenanceState) -> Response:
    """The 503 a visitor gets: problem details for the API, a page for everything else."""
    now = datetime.now(UTC)
    headers = {"Retry-After": str(state.retry_after(now)), "Cache-Control": "no-store"}
    message = state.message or _("We're doing some maintenance and will be back shortly.")
    if request.path.startswith("/api/"):
        detail = message
        if state.ends_at is not None and state.ends_at > now:
            detail = _("%(message)s Expected back by %(end)s.", message=message, end=state.ends_at.isoformat())
        return problem_response(503, detail, name="unavailable", headers=headers)
    ends_at = state.ends_at if state.ends_at is not None and state.ends_at > now else None
    response = make_response(render_template("ops/maintenance.html", message=message, ends_at=ends_at), 503)
    response.headers.update(headers)
    return response


def probe_answer(state: MaintenanceState) -> Response:
    """The probe's own answer, saying maintenance is on: liveness stays 200, and readiness keeps
    its own status, so a load balancer keeps the pods that serve the maintenance page."""
    response = make_response(current_app.view_functions[request.endpoint]())
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body["maintenance"] = state.as_json()
        response.set_data(json.dumps(body))
    return response


def banner_state() -> MaintenanceState | None:
    """For base.html's banner: the state when it is on and an admin is looking."""
    state = g.get("maintenance")
    if state is None or not state.on or not current_user.is_authenticated or not current_user.is_admin:
        return None
    return state
