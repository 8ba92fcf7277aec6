"""The provider's webhook pages (/provider/webhooks): add an endpoint (its secret shown once),
roll its signing secret (the old one still signs for a grace period), delete it, turn it back
on, read each endpoint's delivery log and send a delivery again. The
owner and managers only; another venue's endpoint or delivery is not found."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.ops.errors import http_status
from app.platform.errors import DomainError, NotFound
from app.platform.extensions import db
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_AND_MANAGER, venue_required
from app.web.rendering import add_toast, is_htmx, render_page
from app.webhooks import service
from app.webhooks.models import EVENT_TYPES

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


def _page(venue: Venue, *, status: int = 200, error: str = "", secret: str = "", form: dict | None = None, **more):
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


def _own_or_404(call, *args):
    try:
        return call(*args)
    except NotFound:
        abort(404)


@bp.get("/webhooks")
@venue_required(roles=OWNER_AND_MANAGER)
def webhooks(venue: Venue) -> Response:
    return _page(venue)


@bp.post("/webhooks")
@venue_required(roles=OWNER_AND_MANAGER)
def add_webhook(venue: Venue) -> Response:
    form = {"url": request.form.get("url", "")[:2000], "events": request.form.getlist("events")[:20]}
    try:
        endpoint, secret = service.create_endpoint(venue, url=form["url"], events=form["events"])
    except DomainError as refused:
        db.session.rollback()
        response = _page(venue, status=http_status(refused), error=refused.message, form=form)
        return add_toast(response, refused.message, "danger") if is_htmx() else response
    db.session.commit()
    message = _("Endpoint added. Copy its signing secret now: it won't be shown again.")
    response = _page(venue, status=201, secret=secret, new_id=endpoint.id)
    return add_toast(response, message) if is_htmx() else response


@bp.post("/webhooks/<int:endpoint_id>/delete")
@venue_required(roles=OWNER_AND_MANAGER)
def delete_webhook(venue: Venue, endpoint_id: int) -> Response:
    _own_or_404(service.delete_endpoint, venue, endpoint_id)
    db.session.commit()
    response = _page(venue)
    return add_toast(response, _("Endpoint deleted.")) if is_htmx() else response


@bp.post("/webhooks/<int:endpoint_id>/enable")
@venue_required(roles=OWNER_AND_MANAGER)
def enable_webhook(venue: Venue, endpoint_id: int) -> Response:
    _own_or_404(service.enable_endpoint, venue, endpoint_id)
    db.session.commit()
    response = _page(venue)
    return add_toast(response, _("Endpoint turned back on.")) if is_htmx() else response


@bp.post("/webhooks/<int:endpoint_id>/roll-secret")
@venue_required(roles=OWNER_AND_MANAGER)
def roll_webhook_secret(venue: Venue, endpoint_id: int) -> Response:
    """A new signing secret, shown once; the old one keeps signing for the chosen grace period."""
    _own_or_404(service.get_endpoint, venue, endpoint_id)
    try:
        grace = service.check_grace(request.form.get("grace_hours", "")[:10])
        endpoint, secret = service.roll_secret(venue, endpoint_id, grace_hours=grace)
    except DomainError as refused:
        db.session.rollback()
        response = _page(venue, status=http_status(refused), error=refused.message)
        return add_toast(response, refused.message, "danger") if is_htmx() else response
    db.session.commit()
    message = _("New signing secret made. Copy it now: it won't be shown again.")
    response = _page(venue, secret=secret, new_id=endpoint.id)
    return add_toast(response, message) if is_htmx() else response


@bp.get("/webhooks/<int:endpoint_id>")
@venue_required(roles=OWNER_AND_MANAGER)
def webhook_log(venue: Venue, endpoint_id: int) -> Response:
    endpoint = _own_or_404(service.get_endpoint, venue, endpoint_id)
    return _log_page(venue, endpoint)


def _log_page(venue: Venue, endpoint, *, status: int = 200, error: str = "") -> Response:
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
def resend_webhook(venue: Venue, delivery_id: int) -> Response:
    delivery = _own_or_404(service.get_delivery, venue, delivery_id)
    endpoint = delivery.endpoint
    try:
        service.resend(venue, delivery_id)
    except DomainError as refused:
        db.session.rollback()
        response = _log_page(venue, endpoint, status=http_status(refused), error=refused.message)
        return add_toast(response, refused.message, "danger") if is_htmx() else response
    db.session.commit()
    response = _log_page(venue, endpoint)
    return add_toast(response, _("Sending it again now.")) if is_htmx() else response
