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
from app.platform.extensions import csrf, db
from app.web.blueprints import payments as bp

log = logging.getLogger(__name__)


@bp.post("/stripe/webhook")
def stripe_webhook():
    if not request.headers.get("Stripe-Signature"):
        return jsonify(error="Missing Stripe-Signature header."), 400
    gateway = StripeGateway.from_config(current_app.config)
    if not gateway.webhook_secret:
        log.error("stripe webhook received but STRIPE_WEBHOOK_SECRET is not set; Stripe will retry")
        return jsonify(error="Stripe webhooks are not configured here."), 503
    try:
        event = gateway.parse_event(request.get_data(cache=False), request.headers)
    except InvalidEvent as exc:
        log.warning("stripe webhook refused: %s", exc.message)
        return jsonify(error=exc.message), 400
    stored = record_event("stripe", event)
    db.session.commit()
    if stored is None:
        log.info("stripe event %s (%s) already stored", event.id, event.type)
    return jsonify(received=True), 200


csrf.exempt(stripe_webhook)
