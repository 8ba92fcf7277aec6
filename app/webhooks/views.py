"""The provider's webhook pages (/provider/webhooks): add an endpoint (its secret shown once),
roll its signing secret (the old one still signs for a grace period), delete it, turn it back
on, read each endpoint's delivery log and send a delivery again. The
owner and managers only; another venue's endpoint or delivery is not found."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.platform.errors import DomainError
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_AND_MANAGER, venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page, toast_if_htmx
from app.web.unit_of_work import on_refusal
from app.webhooks import service
from app.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookEndpoint

EVENT_LABELS = {
    "booking.created": _l("A booking is made"),
    "booking.cancelled": _l("A booking is cancelled"),
    "booking.rescheduled": _l("A booking is moved to another time"),
    "booking.checked_in": _l("A customer is checked in"),
    "review.created": _l("A review is written"),
    "payout.paid": _l("A payout reaches your bank"),
}
STATUS_LABELS = {
    "pending": _l("Waiting"),
    "retrying": _l("Will retry"),
    "succeeded": _l("Delivered"),
    "failed": _l("Failed"),
}


@bp.get("/webhooks")
@venue_required(roles=OWNER_AND_MANAGER)
def webhooks(
    venue: Venue, *, status: int = 200, error: str = "", secret: str = "", form: dict | None = None, **more
) -> Response:
    """The endpoints page. The POST routes below show it again by calling this view, whose guard
    passes the same venue (every route here allows the same roles)."""
    context = {
        "venue": venue,
        "endpoints": service.list_endpoints(venue),
        "event_types": EVENT_TYPES,
        "event_labels": EVENT_LABELS,
        "status_labels": STATUS_LABELS,
        "error": error,
        "secret": secret,
        "form": form or {"url": "", "events": list(EVENT_TYPES)},
        "require_https": current_app.config["WEBHOOKS_REQUIRE_HTTPS"],
        "grace_choices": current_app.config["WEBHOOKS_GRACE_CHOICES"],
        "default_grace": current_app.config["WEBHOOKS_SECRET_GRACE_HOURS"],
        "now": datetime.now(UTC),
        **more,
    }
    return render_page("webhooks/list.html", "webhooks_panel", status=status, **context)


def _refused(response: Response, refusal: DomainError) -> Response:
    """A refusal shown on the page itself, and as a toast when HTMX swaps the panel in."""
    return toast_if_htmx(response, refusal.message, "danger")


@bp.post("/webhooks")
@venue_required(roles=OWNER_AND_MANAGER)
def add_webhook(venue: Venue) -> Response:
    form = {"url": request.form.get("url", "")[:2000], "events": request.form.getlist("events")[:20]}
    on_refusal(lambda refusal: _refused(webhooks(error=refusal.message, form=form), refusal))
    endpoint, secret = service.create_endpoint(venue, url=form["url"], events=form["events"])
    message = _("Endpoint added. Copy its signing secret now: it won't be shown again.")
    return toast_if_htmx(webhooks(status=201, secret=secret, new_id=endpoint.id), message)


@bp.post("/webhooks/<int:endpoint_id>/delete")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(WebhookEndpoint, name="endpoint")
def delete_webhook(venue: Venue, endpoint: WebhookEndpoint) -> Response:
    service.delete_endpoint(venue, endpoint.id)
    return toast_if_htmx(webhooks(), _("Endpoint deleted."))


@bp.post("/webhooks/<int:endpoint_id>/enable")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(WebhookEndpoint, name="endpoint")
def enable_webhook(venue: Venue, endpoint: WebhookEndpoint) -> Response:
    service.enable_endpoint(venue, endpoint.id)
    return toast_if_htmx(webhooks(), _("Endpoint turned back on."))


@bp.post("/webhooks/<int:endpoint_id>/roll-secret")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(WebhookEndpoint, name="endpoint")
def roll_webhook_secret(venue: Venue, endpoint: WebhookEndpoint) -> Response:
    """A new signing secret, shown once; the old one keeps signing for the chosen grace period."""
    on_refusal(lambda refusal: _refused(webhooks(error=refusal.message), refusal))
    grace = service.check_grace(request.form.get("grace_hours", "")[:10])
    endpoint, secret = service.roll_secret(venue, endpoint.id, grace_hours=grace)
    message = _("New signing secret made. Copy it now: it won't be shown again.")
    return toast_if_htmx(webhooks(secret=secret, new_id=endpoint.id), message)


@bp.get("/webhooks/<int:endpoint_id>")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(WebhookEndpoint, name="endpoint")
def webhook_log(venue: Venue, endpoint: WebhookEndpoint) -> Response:
    return _log_page(venue, endpoint)


def _log_page(venue: Venue, endpoint: WebhookEndpoint, *, status: int = 200, error: str = "") -> Response:
    return render_page(
        "webhooks/log.html",
        "log_panel",
        status=status,
        venue=venue,
        endpoint=endpoint,
        deliveries=service.recent_deliveries(endpoint),
        event_labels=EVENT_LABELS,
        status_labels=STATUS_LABELS,
        error=error,
    )


@bp.post("/webhooks/deliveries/<int:delivery_id>/resend")
@venue_required(roles=OWNER_AND_MANAGER)
@venue_row(WebhookDelivery, name="delivery", venue_of=lambda delivery: delivery.endpoint.venue_id)
def resend_webhook(venue: Venue, delivery: WebhookDelivery) -> Response:
    endpoint = delivery.endpoint
    on_refusal(lambda refusal: _refused(_log_page(venue, endpoint, error=refusal.message), refusal))
    service.resend(venue, delivery.id)
    response = _log_page(venue, endpoint)
    return toast_if_htmx(response, _("Sending it again now."))
