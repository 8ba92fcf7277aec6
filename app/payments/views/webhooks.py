"""``POST /payments/stripe/webhook``: verify, store once, acknowledge. Settling is a job.

The raw body is verified (signature, 300 s tolerance) before anything is stored; an event we
can't trust gets 400 and changes nothing. Every trusted event is stored once (unique event
id) with its settlement job in the same transaction, and acknowledged with 200, duplicates
and types we don't act on included, so Stripe stops retrying them.
"""

from __future__ import annotations

import logging

from flask import current_app, jsonify, request

from app.payments.ports import InvalidEvent
from app.payments.settlement import record_event
from app.payments.stripe_gateway import StripeGateway
from app.platform.errors import DomainError
from app.platform.extensions import csrf
from app.web.blueprints import payments as bp
from app.web.unit_of_work import on_refusal

log = logging.getLogger(__name__)


def event_refused(error: DomainError):
    """An event we can't trust or read: 400, nothing stored."""
    log.warning("stripe webhook refused: %s", error.message)
    return jsonify(error=error.message), 400


@bp.post("/stripe/webhook")
def stripe_webhook():
    if not request.headers.get("Stripe-Signature"):
        return jsonify(error="Missing Stripe-Signature header."), 400
    gateway = StripeGateway.from_config(current_app.config)
    if not gateway.webhook_secret:
        log.error("stripe webhook received but STRIPE_WEBHOOK_SECRET is not set; Stripe will retry")
        return jsonify(error="Stripe webhooks are not configured here."), 503
    on_refusal(event_refused, kinds=InvalidEvent)
    event = gateway.parse_event(request.get_data(cache=False), request.headers)
    stored = record_event("stripe", event)
    if stored is None:
        log.info("stripe event %s (%s) already stored", event.id, event.type)
    return jsonify(received=True), 200


csrf.exempt(stripe_webhook)
