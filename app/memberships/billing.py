"""Settling Stripe Billing's events for memberships (docs/memberships-stripe.md).

A membership on the Stripe gateway is a Stripe Billing subscription: its first month is the
Checkout Session in subscription mode (settled by payments as any order's checkout), each later
month an invoice Stripe charges on its own. Settlement stores each event once and hands these
types over (``settle_elsewhere``, from app/memberships/wiring.py):

    invoice.paid (subscription_create)    -> the subscription linked; the checkout paid the month
    invoice.paid (any other reason)       -> the month recorded as paid (once per invoice)
    invoice.payment_failed                -> past due, with the grace (Stripe tries again itself)
    customer.subscription.deleted         -> the membership ended
    customer.subscription.updated         -> cancelled at the period's end, if the customer did so

The membership is found by its ``subscription_id``; the first event about a subscription links
it through the first month's order id, which the subscription's metadata carries. Every handler
is safe to run again: Stripe may send several events about the same invoice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.memberships import service
from app.memberships.models import Membership, MembershipPeriod, MembershipStatus, PeriodStatus
from app.payments.gateway import gateway_named
from app.payments.models import Payment, PaymentEvent, PaymentStatus
from app.payments.settlement import now_utc
from app.payments.stripe_events import id_of
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db

KINDS = (
    "invoice.paid",
    "invoice.payment_failed",
    "customer.subscription.deleted",
    "customer.subscription.updated",
)
FIRST_INVOICE = "subscription_create"
NOT_OURS = "ignored: not one of our memberships"


def settle_billing_event(row: PaymentEvent) -> str:
    """One stored Stripe Billing event applied to its membership; returns what it did."""
    event = row.payload.get("event") or {}
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, Mapping):
        return "ignored: the event has no object"
    now = now_utc()
    if row.type.startswith("invoice."):
        membership = _membership(_invoice_subscription(obj), _invoice_order_id(obj))
        if membership is None:
            return NOT_OURS
        if row.type == "invoice.paid":
            return _invoice_paid(membership, obj, now)
        return _invoice_failed(membership, obj, now)
    membership = _membership(obj.get("id"), (obj.get("metadata") or {}).get("order_id"))
    if membership is None:
        return NOT_OURS
    if row.type == "customer.subscription.deleted":
        return service.record_ended(membership, now=now)
    if obj.get("cancel_at_period_end") and not membership.cancel_at_period_end:
        if membership.status == MembershipStatus.CANCELLED:
            return "no change: the membership has ended"
        membership.cancel_at_period_end = True
        return f"membership {membership.id}: ends with the month paid"
    return "no change"


# -- finding the membership -------------------------------------------------------------------------


def _membership(subscription_id: Any, order_id: Any) -> Membership | None:
    """The membership of this subscription (under its row lock), linked on first sight through
    the first month's order named in the subscription's metadata."""
    if not isinstance(subscription_id, str) or not subscription_id:
        return None
    membership = db.session.scalar(
        select(Membership).where(Membership.subscription_id == subscription_id).with_for_update()
    )
    if membership is not None:
        return membership
    try:
        first_order = int(order_id)
    except (TypeError, ValueError):
        return None
    membership = db.session.scalar(
        select(Membership)
        .join(MembershipPeriod, MembershipPeriod.membership_id == Membership.id)
        .where(MembershipPeriod.order_id == first_order, MembershipPeriod.number == 1)
        .with_for_update(of=Membership)
    )
    if membership is None or membership.gateway != "stripe":
        return None
    if membership.subscription_id not in (None, subscription_id):
        return None  # a second subscription for the same first month: not the one we keep
    membership.subscription_id = subscription_id
    db.session.flush()
    return membership


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    """The invoice's subscription: ``subscription`` before API version 2025-03-31 (basil),
    ``parent.subscription_details.subscription`` from it."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return id_of(invoice.get("subscription")) or id_of(details.get("subscription"))


def _invoice_order_id(invoice: Mapping[str, Any]) -> str | None:
    """The first month's order id from the subscription's metadata, wherever the API version
    puts it on the invoice (its subscription details, or its subscription lines)."""
    for details in (
        (invoice.get("parent") or {}).get("subscription_details"),
        invoice.get("subscription_details"),
    ):
        found = ((details or {}).get("metadata") or {}).get("order_id")
        if found:
            return found
    for line in _lines(invoice):
        found = (line.get("metadata") or {}).get("order_id")
        if found:
            return found
    return None


def _lines(invoice: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [line for line in (invoice.get("lines") or {}).get("data") or [] if isinstance(line, Mapping)]


def _period_start(invoice: Mapping[str, Any]) -> datetime:
    """When the month the invoice charges starts: its subscription line's period. The invoice's
    own ``period_start`` looks back one period for a subscription invoice, so without lines its
    ``period_end`` (the day the new month starts) is taken."""
    for line in _lines(invoice):
        start = (line.get("period") or {}).get("start")
        if isinstance(start, int):
            return datetime.fromtimestamp(start, UTC)
    moment = invoice.get("period_end") or invoice.get("period_start")
    return datetime.fromtimestamp(moment, UTC) if isinstance(moment, int) else now_utc()


def _payment_intent(invoice: Mapping[str, Any]) -> str | None:
    """The PaymentIntent that paid the invoice: named on it before basil, on its (expanded)
    payments from basil, or else asked of Stripe (a transfer to the venue and a refund need it)."""
    found = id_of(invoice.get("payment_intent"))
    if found:
        return found
    for paid in (invoice.get("payments") or {}).get("data") or []:
        found = id_of(((paid or {}).get("payment") or {}).get("payment_intent"))
        if found:
            return found
    gateway = gateway_named("stripe")
    if isinstance(gateway, StripeGateway) and invoice.get("id") and invoice.get("amount_paid"):
        return gateway.invoice_payment_intent(invoice["id"])  # GatewayError: the job tries again
    return None


# -- the events -------------------------------------------------------------------------------------


def _invoice_paid(membership: Membership, invoice: Mapping[str, Any], now: datetime) -> str:
    if invoice.get("billing_reason") == FIRST_INVOICE:
        _name_first_payment(membership, invoice)
        return "first month: paid by its checkout"
    if membership.status == MembershipStatus.CANCELLED:
        return "no change: the membership has ended"
    if _recorded(invoice):  # before asking Stripe for its PaymentIntent
        return "already recorded"
    return service.record_gateway_renewal(
        membership,
        invoice_key=str(invoice.get("id")),
        amount_minor=int(invoice.get("amount_paid") or 0),
        starts_at=_period_start(invoice),
        payment_intent_id=_payment_intent(invoice),
        now=now,
    )


def _recorded(invoice: Mapping[str, Any]) -> bool:
    key = str(invoice.get("id"))
    return db.session.scalar(select(MembershipPeriod.id).where(MembershipPeriod.invoice_key == key)) is not None


def _name_first_payment(membership: Membership, invoice: Mapping[str, Any]) -> None:
    """A Checkout Session in subscription mode names no PaymentIntent: the first invoice's is
    kept on the first month's checkout payment (paid, or about to be: the two events may come in
    either order), so its transfer to the venue and a refund can find the charge."""
    payment = db.session.scalar(
        select(Payment)
        .where(
            Payment.order_id == service.first_order_id(membership),
            Payment.gateway == "stripe",
            Payment.status.in_((PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING, PaymentStatus.OPEN)),
            Payment.payment_intent_id.is_(None),
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is not None:
        payment.payment_intent_id = _payment_intent(invoice)


def _invoice_failed(membership: Membership, invoice: Mapping[str, Any], now: datetime) -> str:
    """A month's charge failed: past due with the grace. The first month is the checkout's:
    a failed try there leaves the membership waiting for it, with no benefits."""
    if invoice.get("billing_reason") == FIRST_INVOICE or membership.status == MembershipStatus.PENDING:
        return "no change: the first month is paid at its checkout"
    if _recorded(invoice):
        return "no change: this invoice is already paid"
    if membership.status == MembershipStatus.PAUSED:  # a later retry failing doesn't start a new grace
        return "no change: the membership is paused until a month is paid"
    last = service.last_period(membership)
    pending = last if last is not None and last.status == PeriodStatus.PENDING else None
    message = _("Stripe couldn't take this month's payment; it will try the card again.")
    return service.record_failure(membership, pending, message, now=now)
