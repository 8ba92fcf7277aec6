"""Stripe Checkout through the official ``stripe`` library (one client per gateway).

It answers the port in app/payments/ports.py and knows nothing of orders: one Checkout
Session per ``CheckoutCharge`` with the lines the caller chose (app/payments/service.py), the
order id in the metadata, an idempotency key on every create call. Webhooks are verified here
(signature and a 300 s timestamp tolerance) and reduced to ``GatewayEvent`` by stripe_events.py,
which the Demo gateway's Stripe-shaped events go through too; settling them is settlement.py's job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe

from app.payments.ports import (
    HANDLED,
    CheckoutCharge,
    CheckoutStart,
    GatewayError,
    GatewayEvent,
    InvalidEvent,
    OffSessionCharge,
    RefundResult,
    SavedCard,
    SessionStatus,
    TopUpCharge,
)
from app.payments.stripe_events import id_of, refund_status, to_gateway_event

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE = 300  # seconds, Stripe's own default
# Stripe refuses a Checkout Session that expires sooner than 30 minutes after it is created;
# the margin covers the time the request takes and a little clock difference.
MIN_SESSION_LIFE = timedelta(minutes=30, seconds=60)
MAX_SESSION_LIFE = timedelta(hours=23, minutes=59)
TIMEOUT = (10, 30)  # seconds: connect, read


class StripeGateway:
    name = "stripe"

    def __init__(
        self,
        secret_key: str | None,
        *,
        webhook_secret: str | None = None,
        api_base: str | None = None,
        max_network_retries: int = 2,
        connect_webhook_secret: str | None = None,
    ):
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.connect_webhook_secret = connect_webhook_secret
        self.api_base = api_base
        self.max_network_retries = max_network_retries  # Stripe retries only what is safe to retry
        self._client: stripe.StripeClient | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeGateway:
        return cls(
            config.get("STRIPE_SECRET_KEY"),
            webhook_secret=config.get("STRIPE_WEBHOOK_SECRET"),
            api_base=config.get("STRIPE_API_BASE"),
            connect_webhook_secret=config.get("STRIPE_CONNECT_WEBHOOK_SECRET"),
        )

    @property
    def client(self) -> stripe.StripeClient:
        """Made on first use: verifying a webhook needs only the webhook secret."""
        if self._client is None:
            if not self.secret_key:
                raise GatewayError("Stripe is not configured: set STRIPE_SECRET_KEY.")
            self._client = stripe.StripeClient(
                self.secret_key,
                base_addresses={"api": self.api_base.rstrip("/")} if self.api_base else None,
                http_client=stripe.RequestsClient(timeout=TIMEOUT),
                max_network_retries=self.max_network_retries,
            )
        return self._client

    # -- checkout -------------------------------------------------------------------------

    def session_expiry(self, holds_expire_at: datetime, now: datetime | None = None) -> datetime:
        """When the holds expire, but never sooner than Stripe allows."""
        now = now or datetime.now(UTC)
        return min(max(holds_expire_at, now + MIN_SESSION_LIFE), now + MAX_SESSION_LIFE)

    def checkout_params(
        self, charge: CheckoutCharge, *, success_url: str, cancel_url: str, customer_id: str | None = None
    ) -> dict[str, Any]:
        currency = charge.currency.lower()
        line_items = [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": line.amount_minor,
                    "product_data": {"name": line.name},
                },
                "quantity": line.quantity,
            }
            for line in charge.lines
        ]
        # Stripe charges the sum of the lines; it must be what the order owes now (the
        # amount the Payment records), or the session would take a different sum.
        charged = sum(line["price_data"]["unit_amount"] * line["quantity"] for line in line_items)
        if charged != charge.due_now_minor:
            raise GatewayError("This order's lines don't add up to the amount due; nothing was charged.")
        if charge.subscription_name:
            return self.subscription_params(
                charge, success_url=success_url, cancel_url=cancel_url, customer_id=customer_id
            )
        metadata = {"order_id": str(charge.order_id)}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": line_items,
            "customer_email": charge.customer_email,
            "client_reference_id": str(charge.order_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "expires_at": int(self.session_expiry(charge.expires_at).timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id is None:
            return params
        # The booking policy's fees will be charged later to this card, off-session
        # (app/payments/fees.py): save it on a Customer of ours (docs/deposits.md).
        del params["customer_email"]
        params["customer"] = customer_id
        if charge.due_now_minor == 0:  # nothing to pay now: a checkout that only saves the card
            del params["line_items"], params["payment_intent_data"]
            params.update(mode="setup", currency=currency, setup_intent_data={"metadata": metadata})
        else:
            params["payment_intent_data"] = {"metadata": metadata, "setup_future_usage": "off_session"}
        return params

    def subscription_params(
        self, charge: CheckoutCharge, *, success_url: str, cancel_url: str, customer_id: str | None = None
    ) -> dict[str, Any]:
        """A membership's first month: a Checkout Session in subscription mode, one monthly price
        of what is due now, so Stripe Billing charges each month after it (its invoices are settled
        by app/memberships/billing.py). The order id and the kind ride on the session and on the
        subscription, whose invoices carry them back. Subscription mode keeps the card itself:
        no ``payment_intent_data`` (Stripe refuses it there)."""
        if charge.due_now_minor <= 0:
            raise GatewayError("A membership's month is a positive amount; nothing was charged.")
        metadata = {"order_id": str(charge.order_id), "kind": "membership"}
        params: dict[str, Any] = {
            "mode": "subscription",
            "line_items": [
                {
                    "price_data": {
                        "currency": charge.currency.lower(),
                        "unit_amount": charge.due_now_minor,
                        "recurring": {"interval": "month"},
                        "product_data": {"name": charge.subscription_name[:250]},
                    },
                    "quantity": 1,
                }
            ],
            "subscription_data": {"metadata": metadata},
            "client_reference_id": str(charge.order_id),
            "metadata": metadata,
            "expires_at": int(self.session_expiry(charge.expires_at).timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer_id is None:
            params["customer_email"] = charge.customer_email
        else:  # Stripe refuses both
            params["customer"] = customer_id
        return params

    def create_customer(self, charge: CheckoutCharge, *, idempotency_key: str) -> str:
        """A Stripe Customer to keep the card on (one per order that saves a card)."""
        customer = self._call(
            "save the card",
            lambda: self.client.v1.customers.create(
                params={
                    "email": charge.customer_email,
                    "name": charge.customer_name,
                    "metadata": {"user_id": str(charge.customer_user_id), "order_id": str(charge.order_id)},
                },
                options={"idempotency_key": idempotency_key},
            ),
        )
        return customer["id"]

    def start_checkout(
        self, charge: CheckoutCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> CheckoutStart:
        customer_id = (
            self.create_customer(charge, idempotency_key=f"{idempotency_key}-customer") if charge.save_card else None
        )
        params = self.checkout_params(charge, success_url=success_url, cancel_url=cancel_url, customer_id=customer_id)
        return self._create_session("start the checkout", params, idempotency_key)

    def _create_session(self, action: str, params: dict[str, Any], idempotency_key: str) -> CheckoutStart:
        """A Checkout Session from ``params``: the order's checkout or a top-up."""
        session = self._call(
            action,
            lambda: self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": idempotency_key},
            ),
        )
        return CheckoutStart(
            session_id=session["id"],
            url=session["url"],
            expires_at=datetime.fromtimestamp(session["expires_at"], UTC),
        )

    def top_up_params(self, charge: TopUpCharge, *, success_url: str, cancel_url: str) -> dict[str, Any]:
        """A Checkout Session for a top-up: one line for the difference, the move in the metadata."""
        if charge.amount_minor <= 0:
            raise GatewayError("A top-up is a positive amount; nothing was charged.")
        metadata = {
            "order_id": str(charge.order_id),
            "top_up_id": str(charge.top_up_id),
            "booking_reference": charge.booking_reference,
            "kind": "top_up",
        }
        expires = self.session_expiry(charge.expires_at)
        return {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": charge.currency.lower(),
                        "unit_amount": charge.amount_minor,
                        "product_data": {"name": charge.line_name[:250]},
                    },
                    "quantity": 1,
                }
            ],
            "customer_email": charge.customer_email,
            "client_reference_id": str(charge.order_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "expires_at": int(expires.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }

    def start_top_up(
        self, charge: TopUpCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> CheckoutStart:
        params = self.top_up_params(charge, success_url=success_url, cancel_url=cancel_url)
        return self._create_session("start the top-up checkout", params, idempotency_key)

    def lookup(self, session_id: str) -> SessionStatus:
        session = self._call(
            "look up the checkout session", lambda: self.client.v1.checkout.sessions.retrieve(session_id)
        )
        data = session.to_dict()
        return SessionStatus(
            status=data.get("status") or "open",
            payment_status=data.get("payment_status") or "unpaid",
            payment_intent_id=id_of(data.get("payment_intent")),
            setup_intent_id=id_of(data.get("setup_intent")),
            customer_id=id_of(data.get("customer")),
        )

    # -- webhooks and events --------------------------------------------------------------

    def parse_event(self, payload: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        signature = next((v for k, v in headers.items() if k.lower() == "stripe-signature"), None)
        if not signature:
            raise InvalidEvent("Missing Stripe-Signature header.")
        if not self.webhook_secret:
            raise InvalidEvent("STRIPE_WEBHOOK_SECRET is not set; no webhook can be verified.")
        refuse_future_timestamp(signature)
        # The platform's endpoint and the Connect endpoint (events from venues' accounts) may
        # share this URL; each has its own signing secret.
        secrets = [s for s in (self.webhook_secret, self.connect_webhook_secret) if s]
        for n, secret in enumerate(secrets):
            try:
                event = stripe.Webhook.construct_event(
                    payload, signature, secret, tolerance=SIGNATURE_TOLERANCE, api_key=self.secret_key
                )
                data = event.to_dict(for_json=True)
            except stripe.SignatureVerificationError as exc:
                if n + 1 < len(secrets):
                    continue
                raise InvalidEvent(f"Signature check failed: {exc.user_message or exc}") from None
            except (ValueError, TypeError, AttributeError, KeyError):  # not JSON, or not an event
                raise InvalidEvent("The body is not a Stripe event.") from None
            return to_gateway_event(data)
        raise InvalidEvent("STRIPE_WEBHOOK_SECRET is not set; no webhook can be verified.")

    def recent_events(self, since: datetime) -> list[GatewayEvent]:
        """Events of the types we settle, created at or after ``since``, oldest first."""
        params = {"created": {"gte": int(since.timestamp())}, "types": sorted(HANDLED), "limit": 100}

        def fetch() -> list[dict[str, Any]]:
            page = self.client.v1.events.list(params=params)  # type: ignore[arg-type]
            return [event.to_dict(for_json=True) for event in page.auto_paging_iter()]

        events = self._call("list recent events", fetch)
        events.sort(key=lambda e: (e.get("created") or 0, e.get("id") or ""))
        return [to_gateway_event(e) for e in events if e.get("type") in HANDLED]

    # -- refunds --------------------------------------------------------------------------

    def refund(self, payment_intent_id: str, amount_minor: int, *, idempotency_key: str) -> RefundResult:
        if payment_intent_id.startswith("cs_"):
            # Only the session is known (the completed event had not named the payment yet).
            found = self.lookup(payment_intent_id).payment_intent_id
            if not found:
                raise GatewayError("Stripe has no payment for this checkout session yet; the refund will be retried.")
            payment_intent_id = found
        refund = self._call(
            "issue the refund",
            lambda: self.client.v1.refunds.create(
                params={"payment_intent": payment_intent_id, "amount": amount_minor},
                options={"idempotency_key": idempotency_key},
            ),
        )
        return RefundResult(refund_id=refund["id"], status=refund_status(refund["status"]))

    # -- subscriptions (memberships) --------------------------------------------------------

    def cancel_subscription_at_period_end(self, subscription_id: str, *, idempotency_key: str) -> None:
        """The subscription ends with the month paid: Stripe charges no further month and sends
        ``customer.subscription.deleted`` when it ends."""
        self._call(
            "cancel the membership's subscription",
            lambda: self.client.v1.subscriptions.update(
                subscription_id,
                params={"cancel_at_period_end": True},
                options={"idempotency_key": idempotency_key},
            ),
        )

    def invoice_payment_intent(self, invoice_id: str) -> str | None:
        """The PaymentIntent that paid an invoice. API versions from 2025-03-31 (basil) no longer
        name it on the invoice: it is on the invoice's payments."""
        page = self._call(
            "look up the invoice's payment",
            lambda: self.client.v1.invoice_payments.list(params={"invoice": invoice_id, "status": "paid", "limit": 1}),
        )
        for paid in page.to_dict().get("data") or []:
            found = id_of((paid.get("payment") or {}).get("payment_intent"))
            if found:
                return found
        return None

    # -- saved cards and off-session fees ---------------------------------------------------

    def saved_card(self, *, setup_intent_id: str | None, payment_intent_id: str | None) -> SavedCard:
        """The card a completed checkout saved: its SetupIntent's (setup mode) or its
        PaymentIntent's (``setup_future_usage``) payment method, with the card's last digits."""
        if setup_intent_id:
            intent = self._call(
                "read the saved card",
                lambda: self.client.v1.setup_intents.retrieve(setup_intent_id, params={"expand": ["payment_method"]}),
            )
        elif payment_intent_id:
            intent = self._call(
                "read the saved card",
                lambda: self.client.v1.payment_intents.retrieve(
                    payment_intent_id, params={"expand": ["payment_method"]}
                ),
            )
        else:
            raise GatewayError("The checkout named no intent, so the saved card can't be read.")
        data = intent.to_dict()
        method = data.get("payment_method") or {}
        card = (method.get("card") or {}) if isinstance(method, Mapping) else {}
        method_id = id_of(method)
        if not method_id:
            raise GatewayError("Stripe has no payment method on this checkout yet; it will be read again.")
        return SavedCard(
            customer_id=id_of(data.get("customer")),
            payment_method_id=method_id,
            brand=card.get("brand") or "",
            last4=card.get("last4") or "",
        )

    def charge_saved_card(
        self, card: SavedCard, amount_minor: int, currency: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> OffSessionCharge:
        """A PaymentIntent confirmed off-session on the saved card. A decline or a bank asking
        for authentication is an answer (``failed`` with Stripe's reason), not an error."""
        params = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "customer": card.customer_id,
            "payment_method": card.payment_method_id,
            "off_session": True,
            "confirm": True,
            "metadata": metadata,
        }

        def create() -> Any:
            try:
                return self.client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            except stripe.CardError as exc:  # an answer about the card, not a failure to ask
                return exc

        intent = self._call("charge the saved card", create)
        if isinstance(intent, stripe.CardError):
            error = (intent.json_body or {}).get("error") or {}
            intent_id = id_of(error.get("payment_intent"))
            if intent.code == "authentication_required":
                message = (
                    "The card's bank asked for authentication (authentication required), "
                    "so it can't be charged while the customer is away."
                )
            else:
                message = intent.user_message or "The card was declined."
            return OffSessionCharge("failed", intent_id, message)
        if intent["status"] != "succeeded":
            return OffSessionCharge("failed", intent["id"], f"The payment is {intent['status'].replace('_', ' ')}.")
        return OffSessionCharge("succeeded", intent["id"])

    # -- errors ---------------------------------------------------------------------------

    def _call(self, doing: str, call):
        try:
            return call()
        except stripe.APIConnectionError:
            log.warning("stripe: could not %s: connection failed", doing, exc_info=True)
            raise GatewayError(f"Could not reach Stripe to {doing}. Please try again in a moment.") from None
        except stripe.AuthenticationError:
            log.error("stripe: could not %s: the API key was refused", doing)
            raise GatewayError(
                f"Stripe refused our API key, so we could not {doing}. Check STRIPE_SECRET_KEY."
            ) from None
        except stripe.RateLimitError:
            raise GatewayError(f"Stripe is busy and asked us to slow down; could not {doing}. Try again.") from None
        except stripe.StripeError as exc:
            detail = exc.user_message or getattr(exc, "_message", None) or str(exc)
            log.warning("stripe: could not %s: %s (HTTP %s)", doing, detail, exc.http_status)
            raise GatewayError(f"Stripe could not {doing}: {detail}") from None


def refuse_future_timestamp(signature: str, *, now: float | None = None) -> None:
    """Stripe's library only refuses old timestamps; one beyond the tolerance ahead is refused too."""
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and int(value) > (time.time() if now is None else now) + SIGNATURE_TOLERANCE:
            raise InvalidEvent("The signature's timestamp is in the future, beyond the 300-second tolerance.")
