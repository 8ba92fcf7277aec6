"""The payment gateway protocol, and how the app picks one: Stripe when STRIPE_SECRET_KEY is
set, otherwise the in-app Demo gateway. Both feed the same event-settling code."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from flask import current_app

from app.booking.models import Order
from app.errors import DomainError


class InvalidEvent(DomainError):
    """A webhook we can't trust or read (bad signature, stale timestamp, not JSON)."""

    status_code = 400


class GatewayError(DomainError):
    """The gateway refused or could not be reached."""

    status_code = 502


@dataclass(frozen=True)
class CheckoutStart:
    session_id: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class TopUpCharge:
    """A top-up to charge: the difference for one booking's move to a dearer time, one line."""

    order_id: int
    top_up_id: int
    booking_reference: str
    amount_minor: int
    currency: str
    line_name: str  # "Move of AB12CD34: Massage at Spa — Tue 24 Nov 2026, 10:00"
    customer_email: str
    expires_at: datetime  # the new time's hold ends then


@dataclass(frozen=True)
class GatewayEvent:
    """A gateway event reduced to what settling needs; ``raw`` is kept for the record."""

    id: str
    type: str
    session_id: str | None = None
    payment_intent_id: str | None = None
    payment_status: str | None = None  # for checkout sessions: paid | unpaid | no_payment_required
    order_id: int | None = None  # from the session's metadata
    refund_id: str | None = None
    refund_status: str | None = None
    amount_refunded: int | None = None
    customer_id: str | None = None  # the gateway's customer a saved card belongs to
    setup_intent_id: str | None = None  # a checkout in setup mode (nothing to pay now)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionStatus:
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    payment_intent_id: str | None = None
    setup_intent_id: str | None = None  # a setup-mode session (a card saved, nothing paid)
    customer_id: str | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: str  # pending | succeeded | failed


@dataclass(frozen=True)
class SavedCard:
    """A card a checkout saved for later off-session charges."""

    customer_id: str | None
    payment_method_id: str
    brand: str = ""
    last4: str = ""


@dataclass(frozen=True)
class OffSessionCharge:
    """What the gateway said to a charge on a saved card: ``succeeded`` or ``failed`` (with a
    message a person understands: declined, or the bank wants the customer to authenticate)."""

    status: str
    payment_intent_id: str | None = None
    message: str = ""


class PaymentGateway(Protocol):
    name: str

    def start_checkout(self, order: Order, *, success_url: str, cancel_url: str, idempotency_key: str) -> CheckoutStart:
        """Create a hosted checkout for the order's held bookings."""

    def start_top_up(
        self, charge: TopUpCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> CheckoutStart:
        """Create a hosted checkout for a top-up: one line, the amount, metadata naming the move."""

    def parse_event(self, payload: bytes, headers: dict[str, str]) -> GatewayEvent:
        """Verify and read a webhook; raise InvalidEvent if it can't be trusted."""

    def refund(self, payment_intent_id: str, amount_minor: int, *, idempotency_key: str) -> RefundResult: ...

    def lookup(self, session_id: str) -> SessionStatus:
        """Ask the gateway where a checkout session stands (reconciliation)."""

    def saved_card(self, *, setup_intent_id: str | None, payment_intent_id: str | None) -> SavedCard:
        """The card a completed checkout saved (from its SetupIntent or PaymentIntent)."""

    def charge_saved_card(
        self, card: SavedCard, amount_minor: int, currency: str, *, idempotency_key: str, metadata: dict[str, str]
    ) -> OffSessionCharge:
        """Charge a saved card off-session (the customer is not there): a fee."""

    def recent_events(self, since: datetime) -> list[GatewayEvent]:
        """Events since ``since``, to replay any that never reached the webhook."""


def get_gateway() -> PaymentGateway:
    """The gateway that takes new payments: Stripe when configured, the Demo gateway otherwise."""
    if current_app.config.get("STRIPE_SECRET_KEY"):
        return gateway_named("stripe")
    from config import DEV_SECRET_KEY

    if current_app.config["ENV_NAME"] != "development" and current_app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise GatewayError("The Demo gateway runs only in development when SECRET_KEY is the public development value.")
    return gateway_named("demo")


def _stripe() -> PaymentGateway:
    from app.payments.stripe_gateway import StripeGateway

    return StripeGateway.from_config(current_app.config)


def _demo() -> PaymentGateway:
    from app.payments.demo_gateway import DemoGateway

    return DemoGateway()


# Every gateway by the name a Payment records (``Payment.gateway``).
GATEWAYS: dict[str, Callable[[], PaymentGateway]] = {"stripe": _stripe, "demo": _demo}


def gateway_named(name: str) -> PaymentGateway:
    """The gateway called ``name``. A refund goes through the gateway that took the payment
    (the name on the Payment), even if the configured one has changed since."""
    factory = GATEWAYS.get(name)
    if factory is None:
        raise GatewayError(f"No payment gateway is called “{name}”.")
    return factory()
