"""A venue's webhook endpoints and their deliveries (docs/webhooks.md).

``emit`` runs inside the transaction of the change it tells of (a receiver of a signal): it writes
one delivery per subscribed endpoint and enqueues one job per delivery, so nothing is sent for a
change that rolled back. ``deliver_job`` makes one attempt; a failed one is tried again after
WEBHOOKS_RETRY_MINUTES[n] (about 3 days in all), then the delivery has failed. An endpoint is
turned off, and its owner told by email and notice, when its retries run out or after
WEBHOOKS_DISABLE_AFTER failed attempts in a row."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import any_, delete, func, literal, select, update

from app.accounts.models import User
from app.notifications.centre import notify
from app.platform import metrics
from app.platform.email import send_email
from app.platform.errors import LimitReached, ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import enqueue, every, job
from app.platform.sqlutil import one_or_not_found
from app.platform.urls import absolute_url
from app.venues.models import Venue
from app.webhooks import signing, transport
from app.webhooks.models import EVENT_TYPES, DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

MAX_URL = 2000
USER_AGENT = "CozyWish-Webhooks/1"
NOTICE_KIND = "venue_activity"


# -- the secret, kept encrypted -------------------------------------------------------------------


def _fernet() -> Fernet:
    key = hashlib.sha256(b"cozywish.webhook-secret:" + current_app.config["SECRET_KEY"].encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def read_secret(endpoint: WebhookEndpoint) -> str:
    return _decrypt(endpoint.secret_encrypted)


def _decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        message = _("This endpoint's secret can't be read any more: delete it and add it again.")
        raise ValidationFailed(message) from None


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, then a rolled one in its grace."""
    secrets = [read_secret(endpoint)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        secrets.append(_decrypt(endpoint.previous_secret_encrypted))
    return secrets


def check_grace(raw: str | None) -> int:
    """The grace period chosen on the form, in hours (one of WEBHOOKS_GRACE_CHOICES)."""
    choices = current_app.config["WEBHOOKS_GRACE_CHOICES"]
    value = (raw or "").strip()
    if not value:
        return current_app.config["WEBHOOKS_SECRET_GRACE_HOURS"]
    if not value.isdigit() or int(value) not in choices:
        hours = ", ".join(str(choice) for choice in choices)
        raise ValidationFailed(_("Choose how long the old secret keeps working: %(hours)s hours.", hours=hours))
    return int(value)


def roll_secret(
    venue: Venue, endpoint_id: int, *, grace_hours: int, now: datetime | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for this venue's endpoint (in clear: shown once). The current one
    keeps signing beside it for ``grace_hours`` (0: it stops now); a secret rolled before that is
    still in its grace stops at once (two at most sign a delivery)."""
    endpoint = get_endpoint(venue, endpoint_id)
    read_secret(endpoint)  # an unreadable secret can't be kept for the grace period
    now = now or datetime.now(UTC)
    secret = signing.new_secret()
    if grace_hours > 0:
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = now + timedelta(hours=grace_hours)
    else:
        endpoint.previous_secret_encrypted = endpoint.previous_secret_expires_at = None
    endpoint.secret_encrypted = _fernet().encrypt(secret.encode()).decode()
    endpoint.secret_rotated_at = now
    db.session.flush()
    return endpoint, secret


# -- endpoints ------------------------------------------------------------------------------------


def check_url(raw: str, *, allow_private: bool, require_https: bool) -> str:
    """The URL as it will be used, or ValidationFailed saying why it can't be."""
    url = (raw or "").strip()
    if not url:
        raise ValidationFailed(_("Enter the URL that should receive the events."))
    if len(url) > MAX_URL:
        raise ValidationFailed(_("That URL is too long (at most %(num)d characters).", num=MAX_URL))
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError:
        raise ValidationFailed(_("That isn't a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(_("That isn't a web address. It should look like https://example.com/hooks/cozywish."))
    if require_https and parts.scheme != "https":
        raise ValidationFailed(_("Use an https:// address: events are only sent over an encrypted connection."))
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(_("Leave the user name and password out of the URL."))
    if parts.fragment:
        raise ValidationFailed(_("Leave the #fragment out of the URL."))
    if not allow_private:
        host = parts.hostname
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            if literal is not None:
                if transport.blocked(str(literal)):
                    raise transport.UnsafeAddress(host)
            else:
                transport.resolve(host, parts.port or 443, allow_private=False)
        except transport.UnsafeAddress:
            raise ValidationFailed(
                _("That address can't receive events: it is, or leads to, a private or local network address.")
            ) from None
    return url


def check_events(chosen: list[str]) -> list[str]:
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed(_("Unknown event: %(names)s.", names=", ".join(sorted(unknown))[:200]))
    events = [name for name in EVENT_TYPES if name in set(chosen)]
    if not events:
        raise ValidationFailed(_("Choose at least one event to send."))
    return events


def create_endpoint(venue: Venue, *, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (in clear: shown once, never again)."""
    config = current_app.config
    url = check_url(url, allow_private=config["WEBHOOKS_ALLOW_PRIVATE"], require_https=config["WEBHOOKS_REQUIRE_HTTPS"])
    events = check_events(events)
    count = db.session.scalar(select(func.count()).where(WebhookEndpoint.venue_id == venue.id))
    if count >= config["WEBHOOKS_PER_VENUE"]:
        raise LimitReached(_("A venue can have at most %(num)d webhook endpoints.", num=config["WEBHOOKS_PER_VENUE"]))
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        venue_id=venue.id, url=url, events=events, secret_encrypted=_fernet().encrypt(secret.encode()).decode()
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint, secret


def list_endpoints(venue: Venue) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.venue_id == venue.id).order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(venue: Venue, endpoint_id: int) -> WebhookEndpoint:
    """This venue's endpoint, or NotFound (another venue's is not found either)."""
    return one_or_not_found(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.venue_id == venue.id),
        _("No such webhook endpoint."),
    )


def delete_endpoint(venue: Venue, endpoint_id: int) -> None:
    db.session.delete(get_endpoint(venue, endpoint_id))
    db.session.flush()


def enable_endpoint(venue: Venue, endpoint_id: int) -> WebhookEndpoint:
    endpoint = get_endpoint(venue, endpoint_id)
    endpoint.enabled, endpoint.consecutive_failures = True, 0
    endpoint.disabled_at = endpoint.disabled_reason = None
    return endpoint


def recent_deliveries(endpoint: WebhookEndpoint, *, limit: int = 25) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def get_delivery(venue: Venue, delivery_id: int) -> WebhookDelivery:
    return one_or_not_found(
        select(WebhookDelivery)
        .join(WebhookDelivery.endpoint)
        .where(WebhookDelivery.id == delivery_id, WebhookEndpoint.venue_id == venue.id),
        _("No such delivery."),
    )


def resend(venue: Venue, delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now (the same body, newly signed), through the job queue."""
    delivery = get_delivery(venue, delivery_id)
    if not delivery.endpoint.enabled:
        raise ValidationFailed(_("Turn this endpoint back on before sending to it again."))
    delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, None
    db.session.flush()
    enqueue(deliver_job, delivery_id=delivery.id)
    return delivery


# -- events ---------------------------------------------------------------------------------------


def money(amount_minor: int, currency: str) -> dict[str, Any]:
    return {"amount_minor": int(amount_minor), "currency": currency}


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def event_body(event_id: str, event_type: str, data: dict[str, Any], now: datetime) -> str:
    payload = {"id": event_id, "type": event_type, "created_at": iso(now), "data": data}
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def emit(venue_id: int, event_type: str, data: dict[str, Any], *, now: datetime | None = None) -> list[int]:
    """One delivery (and its job) per enabled endpoint of the venue subscribed to ``event_type``."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event: {event_type}")
    endpoints = db.session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.venue_id == venue_id,
            WebhookEndpoint.enabled.is_(True),
            literal(event_type) == any_(WebhookEndpoint.events),
        )
    ).all()
    if not endpoints:
        return []
    event_id = f"evt_{uuid.uuid4().hex}"
    body = event_body(event_id, event_type, data, now or datetime.now(UTC))
    deliveries = [
        WebhookDelivery(endpoint_id=e.id, event_id=event_id, event_type=event_type, body=body) for e in endpoints
    ]
    db.session.add_all(deliveries)
    db.session.flush()
    for delivery in deliveries:
        enqueue(deliver_job, delivery_id=delivery.id)
    return [d.id for d in deliveries]


# -- delivery -------------------------------------------------------------------------------------


# The jobs are their own units of work, as a request is: each commits what its body wrote.


@job(name="webhooks.deliver")
def deliver_job(delivery_id: int) -> None:
    deliver(delivery_id)
    db.session.commit()


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookAttempt | None:
    """One attempt at a delivery; schedules the next one, or gives up and turns the endpoint off."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == DeliveryStatus.SUCCEEDED:
        return None
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        return None
    config = current_app.config
    signed_at = now or datetime.now(UTC)
    timestamp = int(signed_at.timestamp())
    current, *rolled = signing_secrets(endpoint, now=signed_at)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.HEADER: signing.header_value(current, timestamp, delivery.body, also=tuple(rolled)),
        "CozyWish-Event": delivery.event_type,
        "CozyWish-Delivery": str(delivery.id),
    }
    outcome = transport.post(
        endpoint.url,
        delivery.body,
        headers,
        allow_private=config["WEBHOOKS_ALLOW_PRIVATE"],
        connect_timeout=config["WEBHOOKS_CONNECT_TIMEOUT"],
        read_timeout=config["WEBHOOKS_READ_TIMEOUT"],
    )
    now = now or datetime.now(UTC)
    # The row keeps the outcome's fields as they are (status_code, response_ms, body_excerpt, error).
    attempt = WebhookAttempt(delivery_id=delivery.id, attempted_at=now, **asdict(outcome), succeeded=outcome.ok)
    db.session.add(attempt)
    delivery.attempts += 1
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.SUCCEEDED, now, None
        endpoint.consecutive_failures = 0
        metrics.webhook_lag((now - delivery.created_at).total_seconds(), "delivered")
        db.session.flush()
        return attempt
    endpoint.consecutive_failures += 1
    delays = config["WEBHOOKS_RETRY_MINUTES"]
    if delivery.attempts <= len(delays):
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = now + timedelta(minutes=delays[delivery.attempts - 1])
        enqueue(deliver_job, schedule_at=delivery.next_attempt_at, delivery_id=delivery.id)
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        metrics.webhook_lag((now - delivery.created_at).total_seconds(), "given_up")
        disable(endpoint, now=now, reason="retries_exhausted")
    if endpoint.enabled and endpoint.consecutive_failures >= config["WEBHOOKS_DISABLE_AFTER"]:
        disable(endpoint, now=now, reason="failures_in_a_row")
    db.session.flush()
    return attempt


REASONS = {
    "retries_exhausted": _l("An event could not be delivered after retrying for 3 days."),
    "failures_in_a_row": _l("Too many deliveries in a row failed."),
}


def disable(endpoint: WebhookEndpoint, *, now: datetime, reason: str) -> None:
    """Turn the endpoint off and tell the venue's owner (email and notice)."""
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
    venue = db.session.get(Venue, endpoint.venue_id)
    owner: User = venue.owner
    title = _l("A webhook endpoint was turned off")
    link = urlsplit(absolute_url("venues_dashboard.webhooks")).path
    why = REASONS[reason]
    notify(owner, NOTICE_KIND, title, link=link, body=why, key=f"webhook-off:{endpoint.id}:{int(now.timestamp())}")
    send_email(
        owner.email,
        title,
        "webhook_disabled",
        user=owner,
        venue_name=venue.name,
        url=endpoint.url,
        why=why,
        link_url=absolute_url("venues_dashboard.webhooks"),
    )


# -- retention ------------------------------------------------------------------------------------

FINISHED = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)


def prune_log(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete finished deliveries (and, by the foreign key's cascade, their attempts) made more
    than ``days`` (WEBHOOKS_LOG_RETENTION_DAYS) ago, and forget rolled secrets whose grace is
    over. A delivery still pending or retrying is kept whatever its age. Returns the deliveries
    deleted."""
    now = now or datetime.now(UTC)
    days = current_app.config["WEBHOOKS_LOG_RETENTION_DAYS"] if days is None else days
    cutoff = now - timedelta(days=days)
    deleted = db.session.execute(
        delete(WebhookDelivery).where(WebhookDelivery.created_at < cutoff, WebhookDelivery.status.in_(FINISHED))
    ).rowcount
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.previous_secret_expires_at <= now)
        .values(previous_secret_encrypted=None, previous_secret_expires_at=None)
    )
    return deleted


@job(name="webhooks.prune_log")
def prune_log_job(timestamp: int | None = None) -> None:
    prune_log()
    db.session.commit()


def schedule() -> None:
    every("29 3 * * *", "webhooks-prune-log", prune_log_job)
