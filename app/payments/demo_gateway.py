"""The Demo gateway: an in-app hosted checkout for running CozyWish without a Stripe account.

It plays Stripe's part as closely as matters: a checkout session per order that expires with
the holds, and events shaped like Stripe's (``checkout.session.completed`` and friends),
signed with HMAC-SHA256 under the same ``t=<unix time>,v1=<hex>`` header scheme and checked
with the same 300-second tolerance. The demo checkout page builds those events and feeds them
through ``parse_event`` and ``record_event`` like a webhook delivery, so a demo payment
travels exactly the same settling code as a Stripe one.

It answers the port in app/payments/ports.py and imports no domain model, neither booking nor
payments' own, and no settlement: what it sends the app itself (Connect's payouts,
app/payouts/demo_connect.py) goes out on the ``webhook`` signal, whose receiver
(app/payments/demo_webhook.py) stores and settles it; where one of its sessions stands it asks
the app on the ``session_asked`` signal, whose receiver (the same module) answers with plain
values (a ``DemoSession``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from blinker import Namespace
from flask import current_app, url_for

from app.payments import ports, stripe_events
from app.platform.instance_secrets import shared_secret

SIGNATURE_HEADER = "Demo-Signature"
TOLERANCE_SECONDS = 300
SESSION_PREFIX = "demo_cs_"
# The hosted checkout page, in-app (app/demo/views.py), named by its endpoint: no import of the demo.
CHECKOUT_PAGE = "demo.checkout"
# The test cards a demo checkout can save, and what a later off-session charge does with each
# (Stripe's own test cards: 4000 0000 0000 0341 attaches but its charges are declined,
# 4000 0027 6000 3184 asks for authentication on every charge).
SAVED_CARD_OUTCOMES = {"4242": "succeeded", "0341": "declined", "3184": "authentication_required"}
OFF_SESSION_MESSAGES = {
    "declined": "The card was declined.",
    "authentication_required": "The card's bank asked for authentication (authentication required), "
    "so it can't be charged while the customer is away.",
}
DEMO_INTENT_RE = re.compile(r"demo_(?:pi|seti)_c(\d{4})_[0-9a-f]+")
SESSION_ID_RE = re.compile(r"demo_cs_[A-Za-z0-9_-]{16,64}")
MAX_PAYLOAD_BYTES = 64 * 1024

signals = Namespace()
webhook = signals.signal(
    "demo-gateway-webhook",
    doc="Fires when the Demo gateway sends the app a signed event in process, as Stripe posts one to the webhook "
    "(``send_webhook``: Connect's demo payouts, app/payouts/demo_connect.py). The sender is ``demo``; exactly one "
    "receiver gets ``payload`` (the signed event's bytes), stores and settles it at once, and returns the stored "
    "row (None for a duplicate).",
)
session_asked = signals.signal(
    "demo-gateway-session-asked",
    doc="Fires when the Demo gateway asks the app where one of its checkout sessions stands (``ask_session``), since "
    "the demo gateway keeps its sessions in the app's database. The sender is ``demo``; exactly one receiver gets "
    "``session_id`` and answers with a ``DemoSession``, or None for a session it doesn't know.",
)


@dataclass(frozen=True)
class DemoSession:
    """A demo checkout session as the app holds it: its payment's status (``open``,
    ``processing``, ``succeeded``, ``failed`` or ``expired``), intent and expiry, and which of
    the checkout page's events (``completed``, ``failed``) were sent already."""

    status: str
    payment_intent_id: str | None
    expires_at: datetime
    sent: frozenset[str] = frozenset()


def demo_secret() -> bytes:
    """The key that signs Demo events: DEMO_GATEWAY_SECRET, or a random one the install makes
    once and keeps in PostgreSQL (``instance_secrets``), so every web node and worker shares it.

    Never SECRET_KEY: its development value is published, so events signed with it are refused.
    """
    configured = current_app.config.get("DEMO_GATEWAY_SECRET")
    if configured:
        return configured.encode()
    cached = current_app.extensions.get("demo_gateway_secret")
    if cached is None:
        cached = shared_secret("demo-gateway")
        current_app.extensions["demo_gateway_secret"] = cached
    return cached


def sign(payload: bytes, *, timestamp: int | None = None, secret: bytes | None = None) -> str:
    """The signature header value for ``payload``: ``t=<unix time>,v1=<hex HMAC-SHA256>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret or demo_secret(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def build_event(
    event_type: str, obj: dict[str, Any], *, event_id: str | None = None, account: str | None = None
) -> bytes:
    """A Stripe-shaped event as JSON bytes, ready to sign; ``account`` names the connected
    account an event comes from, as Stripe's Connect events do."""
    event = {
        "id": event_id or f"evt_demo_{secrets.token_hex(12)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }
    if account:
        event["account"] = account
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


def ask_session(session_id: str) -> DemoSession | None:
    """Where the demo checkout session ``session_id`` stands: ``session_asked``'s one answer."""
    answers = session_asked.send(DemoGateway.name, session_id=session_id)
    if len(answers) != 1:
        raise RuntimeError(f"The Demo gateway's sessions have {len(answers)} receivers; they need exactly one.")
    return answers[0][1]


def send_webhook(payload: bytes) -> Any:
    """Send the app a signed event through the ``webhook`` signal; returns what its receiver
    returned (the stored event, or None for a duplicate)."""
    answers = webhook.send(DemoGateway.name, payload=payload)
    if len(answers) != 1:
        raise RuntimeError(f"The Demo gateway's webhook has {len(answers)} receivers; it needs exactly one.")
    return answers[0][1]


def session_object(
    session_id: str,
    order_id: int,
    *,
    amount_minor: int,
    currency: str,
    status: str,
    payment_status: str,
    payment_intent_id: str | None = None,
    setup_intent_id: str | None = None,
    customer_id: str | None = None,
) -> dict[str, Any]:
    """The ``data.object`` of a checkout session event, as Stripe would send it."""
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "setup" if setup_intent_id and not payment_intent_id else "payment",
        "amount_total": amount_minor,
        "currency": currency.lower(),
        "status": status,
        "payment_status": payment_status,
        "payment_intent": payment_intent_id,
        "setup_intent": setup_intent_id,
        "customer": customer_id,
        "metadata": {"order_id": str(order_id)},
    }


def _header(headers: Any, name: str) -> str:
    """A header from request.headers (case-insensitive already) or a plain dict (any case)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if str(k).lower() == name.lower()), None)
    return value or ""


def verify_signature(payload: bytes, header: str, *, now: float | None = None) -> None:
    """Raise InvalidEvent unless ``header`` signs ``payload`` with our secret, within the tolerance."""
    if not header:
        raise ports.InvalidEvent(f"The {SIGNATURE_HEADER} header is missing.")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                raise ports.InvalidEvent("The signature's timestamp can't be read.") from None
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures:
        raise ports.InvalidEvent("The signature header needs a timestamp (t=) and a signature (v1=).")
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise ports.InvalidEvent("The signature's timestamp is outside the 300-second tolerance.")
    expected = hmac.new(demo_secret(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in signatures):
        raise ports.InvalidEvent("The signature doesn't match the payload.")


def to_gateway_event(event: dict[str, Any]) -> ports.GatewayEvent:
    """Reduce a demo event to what settling needs: it is shaped like Stripe's, so Stripe's
    reading serves, once the fields the event table stores are checked."""
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or len(event_id) > 255:
        raise ports.InvalidEvent("The event has no id.")
    if not isinstance(event_type, str) or not event_type or len(event_type) > 80:
        raise ports.InvalidEvent("The event has no type.")
    if not isinstance((event.get("data") or {}).get("object"), dict):
        raise ports.InvalidEvent("The event has no data object.")
    return stripe_events.to_gateway_event(event)


def _open_session(expires_at: datetime) -> ports.CheckoutStart:
    """A new session on the demo's hosted checkout page (app/demo/views.py). The return and
    cancel pages are fixed in-app pages the demo checkout knows, so the caller's are not kept."""
    session_id = f"{SESSION_PREFIX}{secrets.token_urlsafe(24)}"
    return ports.CheckoutStart(
        session_id=session_id, url=url_for(CHECKOUT_PAGE, session_id=session_id), expires_at=expires_at
    )


class DemoGateway:
    """The in-app gateway used when STRIPE_SECRET_KEY is unset."""

    name = "demo"

    def start_checkout(
        self, charge: ports.CheckoutCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> ports.CheckoutStart:
        return _open_session(charge.expires_at)

    def start_top_up(
        self, charge: ports.TopUpCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> ports.CheckoutStart:
        return _open_session(charge.expires_at)  # the same page shows the top-up's one line

    def parse_event(self, payload: bytes, headers: Any) -> ports.GatewayEvent:
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise ports.InvalidEvent("The event is too large.")
        verify_signature(payload, _header(headers, SIGNATURE_HEADER))
        try:
            event = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise ports.InvalidEvent("The event isn't JSON.") from None
        if not isinstance(event, dict):
            raise ports.InvalidEvent("The event isn't a JSON object.")
        return to_gateway_event(event)

    def refund(self, payment_intent_id: str, amount_minor: int, *, idempotency_key: str) -> ports.RefundResult:
        # Money "moves" at once. The same idempotency key names the same refund, as with Stripe.
        digest = hmac.new(demo_secret(), idempotency_key.encode(), hashlib.sha256).hexdigest()[:24]
        return ports.RefundResult(refund_id=f"demo_re_{digest}", status="succeeded")

    def lookup(self, session_id: str) -> ports.SessionStatus:
        """The demo "gateway" lives in this database: its session is the app's payment, and the
        events its checkout page has sent (asked on ``session_asked``)."""
        session = ask_session(session_id)
        if session is None:
            return ports.SessionStatus(status="expired", payment_status="unpaid")
        if session.status == "succeeded":
            return ports.SessionStatus(
                status="complete", payment_status="paid", payment_intent_id=session.payment_intent_id
            )
        if "completed" in session.sent:
            return ports.SessionStatus(
                status="complete", payment_status="paid", payment_intent_id=session.payment_intent_id
            )
        if session.status == "failed" or "failed" in session.sent:
            return ports.SessionStatus(status="complete", payment_status="unpaid")
        if session.status == "expired":
            return ports.SessionStatus(status="expired", payment_status="unpaid")
        if session.expires_at <= datetime.now(UTC):
            return ports.SessionStatus(status="expired", payment_status="unpaid")
        return ports.SessionStatus(status="open", payment_status="unpaid")

    def cancel_subscription_at_period_end(self, subscription_id: str, *, idempotency_key: str) -> None:
        """Nothing to tell: the Demo gateway has no subscriptions; our job renews and ends them."""

    def recent_events(self, since: Any) -> list[ports.GatewayEvent]:
        return []  # every demo event is recorded in-process as it happens; none can go missing

    def saved_card(self, *, setup_intent_id: str | None, payment_intent_id: str | None) -> ports.SavedCard:
        """The demo's intents name the test card they were made with (``demo_seti_c0341_...``)."""
        intent = setup_intent_id or payment_intent_id or ""
        match = DEMO_INTENT_RE.fullmatch(intent)
        last4 = match.group(1) if match and match.group(1) in SAVED_CARD_OUTCOMES else "4242"
        digest = hashlib.sha256(intent.encode()).hexdigest()[:16]
        return ports.SavedCard(
            customer_id=None, payment_method_id=f"demo_pm_c{last4}_{digest}", brand="visa", last4=last4
        )

    def charge_saved_card(
        self, card: ports.SavedCard, amount_minor: int, currency: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> ports.OffSessionCharge:
        """As Stripe's test cards behave off-session: 4242 pays, 0341 was saved but is declined,
        3184 needs the customer to authenticate. One idempotency key names one intent."""
        digest = hmac.new(demo_secret(), idempotency_key.encode(), hashlib.sha256).hexdigest()[:24]
        outcome = SAVED_CARD_OUTCOMES.get(card.last4, "succeeded")
        intent = f"demo_pi_off_{digest}"
        if outcome == "succeeded":
            return ports.OffSessionCharge("succeeded", intent)
        return ports.OffSessionCharge("failed", intent, OFF_SESSION_MESSAGES[outcome])


def event_id(session_id: str, outcome: str) -> str:
    """One event id per session and outcome, so a double-submitted payment is stored once."""
    return f"evt_{session_id}_{outcome}"


def completed_fields(amount_minor: int, customer_id: int, card_last4: str = "4242") -> dict[str, Any]:
    """A completed demo session's fields for a payment of ``amount_minor`` by ``customer_id``:
    a payment (``paid``), or, with nothing to pay now, a saved card (setup mode:
    ``no_payment_required``). The intents name the test card."""
    token = secrets.token_hex(12)
    if amount_minor == 0:
        return {
            "payment_status": "no_payment_required",
            "setup_intent_id": f"demo_seti_c{card_last4}_{token}",
            "customer_id": f"demo_cus_{customer_id}",
        }
    return {
        "payment_status": "paid",
        "payment_intent_id": f"demo_pi_c{card_last4}_{token}",
        "customer_id": f"demo_cus_{customer_id}",
    }
