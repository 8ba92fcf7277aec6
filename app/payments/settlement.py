"""Settling gateway events: translating what a gateway says into the order's lifecycle.

Fulfilment happens only here, never from a redirect. Events are stored once (unique event
id) and settled idempotently under a row lock on the order, so duplicates, retries and
out-of-order delivery are safe. Settling never sets an order's or a booking's status: it
calls the order lifecycle (app/booking/order_lifecycle.py), which owns the table:

    checkout.session.completed (paid), async_payment_succeeded  -> confirm_paid
    checkout.session.completed (no_payment_required: setup)     -> confirm_secured
    checkout.session.async_payment_failed                       -> release_order(declined)
    checkout.session.expired                                    -> release_order(abandoned)
    charge.refunded, refund.updated (succeeded)                 -> record_refund
    account.updated, transfer.*, payout.*                       -> app/payouts/connect_events.py
                                                                   (handed over: settle_elsewhere)

What follows a confirmed order (the one confirmation and receipt, reminders, each venue's
transfer) listens to ``order_paid`` (app/booking/events.py), which ``confirm_paid`` fires.

A top-up payment (``kind='top_up'``, a customer's move to a dearer time) is settled by
app/checkout/top_ups.py on the same events, asked through app/payments/events.py: paid ->
the move is made (``record_top_up``) and the venue's share of the top-up transferred, or
refunded in full if it can't be made; failed or expired -> the new time's hold is released.
Payouts sit above payments: a kept top-up's or desk link's money reaches the venue through the
``charge_taken`` signal, and Connect events through the ``settle_elsewhere`` registry.
A desk booking's payment link (``kind='desk_link'``) is settled by app/payments/desk_links.py:
paid -> the booking is paid online (or the money refunded when nothing was due any more).

Money that arrives after the holds were released confirms the order while its times are
still free, and is refunded in full (through the gateway that took it) if they are not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.booking import order_lifecycle
from app.booking.models import OrderStatus, ReleaseReason
from app.payments import desk_links, events
from app.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.payments.ports import HANDLED, GatewayEvent
from app.payments.refunds import refund_in_full, settle_refund
from app.payments.saved_cards import remember_card
from app.platform.extensions import db
from app.platform.jobs import act_on_locked_row, enqueue, job
from app.venues.deposits import keeps_card

log = logging.getLogger(__name__)


# Gateway events another package settles, by type: payouts' Connect events (accounts,
# transfers, bank payouts). Payouts sit above payments, so they hand their settling function
# over from their wiring (app/payouts/wiring.py) rather than settlement importing payouts.
SettleEvent = Callable[[PaymentEvent], str]
_settled_elsewhere: dict[str, SettleEvent] = {}


def settle_elsewhere(kinds: Iterable[str], settle_event: SettleEvent) -> None:
    """From now on, stored events of these types are settled by ``settle_event`` (its answer is the outcome)."""
    for kind in kinds:
        _settled_elsewhere[kind] = settle_event


def now_utc() -> datetime:
    return datetime.now(UTC)


def record_event(gateway: str, event: GatewayEvent) -> PaymentEvent | None:
    """Store the event once and enqueue its settlement in the same transaction.

    Returns None for a duplicate (already stored): the caller acknowledges it and stops.
    """
    inserted = db.session.scalar(
        insert(PaymentEvent)
        .values(
            gateway=gateway,
            event_id=event.id,
            type=event.type,
            payload={"event": event.raw, "parsed": _parsed(event)},
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(PaymentEvent)  # the stored row, as the session's: no read after the insert
    )
    if inserted is None:
        return None
    enqueue(settle_event_job, event_row_id=inserted.id)
    return inserted


def _parsed(event: GatewayEvent) -> dict:
    """What the gateway read from the event: its fields but the id, type and raw event, which
    the row keeps apart."""
    return {f.name: getattr(event, f.name) for f in fields(event) if f.name not in ("id", "type", "raw")}


def settle(row: PaymentEvent) -> str:
    """Apply one stored event; returns what it did. Safe to run again."""
    if row.processed_at is not None:
        return row.outcome or "already settled"
    data = row.payload.get("parsed", {})
    kind = row.type
    if kind in _settled_elsewhere:
        outcome = _settled_elsewhere[kind](row)
    elif kind not in HANDLED:
        outcome = "ignored: not an event we act on"
    elif kind.startswith("checkout.session."):
        payment = _payment_for(data.get("session_id"))
        if payment is None:
            outcome = "ignored: no payment for this checkout session"
        elif kind == "checkout.session.completed" and data.get("payment_status") == "no_payment_required":
            outcome = mark_secured(payment, data)
        elif kind == "checkout.session.completed":
            outcome = mark_paid(payment, data) if data.get("payment_status") == "paid" else mark_processing(payment)
        elif kind == "checkout.session.async_payment_succeeded":
            outcome = mark_paid(payment, data)
        elif kind == "checkout.session.async_payment_failed":
            outcome = mark_unpaid(payment, PaymentStatus.FAILED)
        else:  # expired
            outcome = mark_unpaid(payment, PaymentStatus.EXPIRED)
    elif kind == "payment_intent.payment_failed":
        payment = db.session.scalar(select(Payment).where(Payment.payment_intent_id == data.get("payment_intent_id")))
        # A failed attempt inside an open Checkout Session can be retried by the customer;
        # the session's own expired/failed event closes it. Only record it.
        outcome = "noted: a payment attempt failed" if payment else "ignored: unknown payment intent"
    else:  # charge.refunded, refund.updated
        outcome = settle_refunds(data)
    row.processed_at = now_utc()
    row.outcome = outcome
    return outcome


@job(name="payments.settle_event", retry=5)
def settle_event_job(event_row_id: int) -> None:
    settled = act_on_locked_row(PaymentEvent, event_row_id, _settle_and_say)
    if settled is not None:
        log.info("payment event %s", settled)


def _settle_and_say(row: PaymentEvent) -> str:
    """``settle``, its outcome named with the event's id and type (read before the commit)."""
    return f"{row.event_id} ({row.type}): {settle(row)}"


def _payment_for(session_id: str | None) -> Payment | None:
    if not session_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.session_id == session_id))


def mark_processing(payment: Payment) -> str:
    if payment.status == PaymentStatus.OPEN:
        payment.status = PaymentStatus.PROCESSING
    return "waiting: the payment is processing"


def mark_paid(payment: Payment, data: dict) -> str:
    """The gateway took the money: ``confirm_paid``; refunded in full if it came too late."""
    if payment.kind == PaymentKind.TOP_UP:
        return _top_up_paid(payment, data)
    if payment.kind == PaymentKind.DESK_LINK:  # a desk booking's payment link (desk_links.py)
        return desk_links.settle_paid(payment, data, now=now_utc())
    order = order_lifecycle.lock_order(payment.order_id)  # first, as every settling path does
    if data.get("payment_intent_id"):
        payment.payment_intent_id = data["payment_intent_id"]
    payment.status = PaymentStatus.SUCCEEDED
    # Confirmed: the receipt, reminders and each venue's transfer follow ``order_paid``.
    outcome = order_lifecycle.confirm_paid(order, now=now_utc(), how="charged", payment=payment)
    if outcome == "already paid":
        return "already paid"
    if outcome == "too late":
        refund_in_full(payment, reason="Paid after the hold expired; the time was taken")
        return "paid too late: refunded in full"
    if keeps_card(order.bookings):
        remember_card(payment, data)
    return "paid: bookings confirmed"


def mark_secured(payment: Payment, data: dict) -> str:
    """A checkout in setup mode saved the card, nothing was due now: ``confirm_secured``."""
    order = order_lifecycle.lock_order(payment.order_id)
    if payment.amount_minor != 0:
        return "ignored: a checkout with money to pay can't complete without payment"
    if data.get("setup_intent_id"):
        payment.payment_intent_id = data["setup_intent_id"]
    payment.status = PaymentStatus.SUCCEEDED
    outcome = order_lifecycle.confirm_secured(
        order, now=now_utc(), reason="Card saved for the booking policy", how="secured", payment=payment
    )
    if outcome == "already paid":
        return "already confirmed"
    if outcome == "too late":
        return "card saved too late: the time was taken, nothing was charged"
    remember_card(payment, data)
    return "secured: card saved, bookings confirmed"


def mark_unpaid(payment: Payment, status: str) -> str:
    """The checkout failed or expired: the order is released (declined or abandoned)."""
    if payment.kind == PaymentKind.TOP_UP:
        return events.ask(events.top_up_unpaid, payment=payment, status=status, now=now_utc())
    if payment.kind == PaymentKind.DESK_LINK:
        return desk_links.settle_unpaid(payment, status)
    order = order_lifecycle.lock_order(payment.order_id)
    if payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
        payment.status = status
    if order.status != OrderStatus.PENDING_PAYMENT:
        return f"no change: the order is already {order.status}"
    reason = ReleaseReason.DECLINED if status == PaymentStatus.FAILED else ReleaseReason.ABANDONED
    order_lifecycle.release_order(order, reason)  # the times reopen now; the items go back to the cart
    return f"{order.status}: holds released"


def _top_up_paid(payment: Payment, data: dict) -> str:
    """A top-up was paid: the move is made (or the top-up refunded), then the venue's share goes."""
    if data.get("payment_intent_id"):
        payment.payment_intent_id = data["payment_intent_id"]
    payment.status = PaymentStatus.SUCCEEDED
    outcome = events.ask(events.top_up_paid, payment=payment, now=now_utc())  # app/checkout/top_ups.py
    if outcome.startswith("top-up paid: booking moved"):
        events.charge_taken.send(PaymentKind.TOP_UP, payment=payment)  # the venue's share (payouts)
    return outcome


def settle_refunds(data: dict) -> str:
    refund = None
    if data.get("refund_id"):
        refund = db.session.scalar(select(Refund).where(Refund.gateway_refund_id == data["refund_id"]))
    if refund is None:
        return "ignored: no refund of ours matches"
    status = data.get("refund_status") or RefundStatus.SUCCEEDED
    if status not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return f"waiting: refund is {status}"
    return settle_refund(refund, status)
