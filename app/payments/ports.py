"""The payment gateway port: what the app asks of a gateway, in plain values.

A gateway takes amounts in minor units with their currency, ids, names, URLs and idempotency
keys, never an order or a booking: the caller (app/payments/service.py) turns the order into
a ``CheckoutCharge``, a move into a ``TopUpCharge``. The adapters are Stripe Checkout
(app/payments/stripe_gateway.py) and the in-app Demo gateway (app/payments/demo_gateway.py);
app/payments/gateway.py picks one from config. This module imports no domain model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from app.platform.errors import DomainError, UpstreamFailed


class InvalidEvent(DomainError):
    """A webhook we can't trust or read (bad signature, stale timestamp, not JSON)."""


class GatewayError(UpstreamFailed):
    """The gateway refused or could not be reached."""


# The event types settling acts on (app/payments/settlement.py): a gateway lists these when it
# replays the events a webhook missed. Connect's events are app/payouts/connect_events.py's.
HANDLED = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "payment_intent.payment_failed",
        "charge.refunded",
        "refund.updated",
    }
)


@dataclass(frozen=True)
class LineItem:
    """One line of a hosted checkout: its name, its price per unit and how many."""

    name: str
    amount_minor: int
    quantity: int = 1


@dataclass(frozen=True)
class CheckoutCharge:
    """An order's checkout to charge: the lines to show (they add up to ``due_now_minor``), who
    pays, whether the card is kept for later fees, and when the order's holds end."""

    order_id: int
    currency: str
    lines: tuple[LineItem, ...]
    due_now_minor: int
    customer_user_id: int
    customer_email: str
    customer_name: str | None
    # Keep the card for the booking policy's fees, charged later off-session (app/payments/fees.py);
    # with nothing due now the checkout only saves the card.
    save_card: bool
    expires_at: datetime  # the order's holds end then
    # A membership's first month (app/memberships): Stripe sells it as a monthly Billing
    # subscription under this name; None for everything else.
    subscription_name: str | None = None


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
class CheckoutStart:
    session_id: str
    url: str
    expires_at: datetime


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

    def start_checkout(
        self, charge: CheckoutCharge, *, success_url: str, cancel_url: str, idempotency_key: str
    ) -> CheckoutStart:
        """Create a hosted checkout for an order's held bookings: its lines, the order id in the metadata."""

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

    def cancel_subscription_at_period_end(self, subscription_id: str, *, idempotency_key: str) -> None:
        """A membership's subscription ends with the month paid (app/memberships)."""

    def recent_events(self, since: datetime) -> list[GatewayEvent]:
        """Events since ``since``, to replay any that never reached the webhook."""
