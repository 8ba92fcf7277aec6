"""Settling gateway events: the one place where money changes order and booking states.

Fulfilment happens only here, never from a redirect. Events are stored once (unique event
id) and settled idempotently under a row lock on the order, so duplicates, retries and
out-of-order delivery are safe:

    order:   pending_payment -> paid -> partially_refunded | refunded
             pending_payment -> failed | expired
    booking: held -> confirmed (paid) | expired (failed, expired: the slot reopens at once)

A failed or expired payment releases the order through ``app.booking.lifecycle.release_order``,
which also puts its items back in the customer's cart. A paid order is never moved back to
failed or expired. Money that arrives after the holds were released confirms the order while
its times are still free (and takes the items it put back out of the cart again), and is
refunded in full if they are not.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert

from app.booking.availability import find_slot
from app.booking.cart import take_back_restored
from app.booking.lifecycle import apply as apply_booking
from app.booking.lifecycle import release_order, send_confirmation
from app.booking.models import BookingStatus, Order, OrderStatus, ReleaseReason
from app.extensions import db
from app.jobs import enqueue, job
from app.payments.gateway import GatewayEvent
from app.payments.models import Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus
from app.urls import absolute_url

log = logging.getLogger(__name__)

HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "payment_intent.payment_failed",
    "charge.refunded",
    "refund.updated",
}


def now_utc() -> datetime:
    return datetime.now(UTC)


def record_event(gateway: str, event: GatewayEvent) -> PaymentEvent | None:
    """Store the event once and enqueue its settlement in the same transaction.

    Returns None for a duplicate (already stored): the caller acknowledges it and stops.
    """
    inserted = db.session.execute(
        insert(PaymentEvent)
        .values(
            gateway=gateway,
            event_id=event.id,
            type=event.type,
            payload={"event": event.raw, "parsed": _parsed(event)},
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(PaymentEvent.id)
    ).scalar()
    if inserted is None:
        return None
    enqueue(settle_event_job, event_row_id=inserted)
    return db.session.get(PaymentEvent, inserted)


def _parsed(event: GatewayEvent) -> dict:
    return {
        "session_id": event.session_id,
        "payment_intent_id": event.payment_intent_id,
        "payment_status": event.payment_status,
        "order_id": event.order_id,
        "refund_id": event.refund_id,
        "refund_status": event.refund_status,
        "amount_refunded": event.amount_refunded,
    }


def settle(row: PaymentEvent) -> str:
    """Apply one stored event; returns what it did. Safe to run again."""
    if row.processed_at is not None:
        return row.outcome or "already settled"
    data = row.payload.get("parsed", {})
    kind = row.type
    if kind not in HANDLED:
        outcome = "ignored: not an event we act on"
    elif kind.startswith("checkout.session."):
        payment = _payment_for(data.get("session_id"))
        if payment is None:
            outcome = "ignored: no payment for this checkout session"
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
    row = db.session.get(PaymentEvent, event_row_id, with_for_update=True)
    if row is None:
        return
    outcome = settle(row)
    db.session.commit()
    log.info("payment event %s (%s): %s", row.event_id, row.type, outcome)


def _payment_for(session_id: str | None) -> Payment | None:
    if not session_id:
        return None
    return db.session.scalar(select(Payment).where(Payment.session_id == session_id))


def _lock_order(order_id: int) -> Order:
    return db.session.scalars(select(Order).where(Order.id == order_id).with_for_update()).one()


def mark_processing(payment: Payment) -> str:
    if payment.status == PaymentStatus.OPEN:
        payment.status = PaymentStatus.PROCESSING
    return "waiting: the payment is processing"


def mark_paid(payment: Payment, data: dict) -> str:
    order = _lock_order(payment.order_id)
    if data.get("payment_intent_id"):
        payment.payment_intent_id = data["payment_intent_id"]
    if order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED):
        payment.status = PaymentStatus.SUCCEEDED
        return "already paid"
    payment.status = PaymentStatus.SUCCEEDED
    now = now_utc()
    confirmable = all(
        b.status == BookingStatus.HELD
        or (b.status == BookingStatus.EXPIRED and find_slot(b.service, b.starts_at, now=now) is not None)
        for b in order.bookings
    )
    if not confirmable:
        # The money came after the holds were released and someone else took a time.
        order.status = OrderStatus.FAILED
        refund_in_full(payment, reason="Paid after the hold expired; the time was taken")
        return "paid too late: refunded in full"
    for booking in order.bookings:
        if booking.status == BookingStatus.EXPIRED:
            booking.status = BookingStatus.HELD  # taken back: the slot was still free
        apply_booking(booking, "confirm", actor=None)
    order.status = OrderStatus.PAID
    order.paid_at = now
    take_back_restored(order)  # the customer has these times now; the cart shouldn't offer them again
    order.receipt_number = db.session.execute(text("SELECT nextval('receipt_numbers')")).scalar()
    send_confirmation(order)
    send_receipt(order)
    return "paid: bookings confirmed"


def mark_unpaid(payment: Payment, status: str) -> str:
    order = _lock_order(payment.order_id)
    if order.status not in (OrderStatus.PENDING_PAYMENT,):
        if payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
            payment.status = status
        return f"no change: the order is already {order.status}"
    payment.status = status
    # The times reopen now and the items go back to the customer's cart.
    reason = ReleaseReason.DECLINED if status == PaymentStatus.FAILED else ReleaseReason.ABANDONED
    release_order(order, reason)
    return f"{order.status}: holds released"


def refund_in_full(payment: Payment, *, reason: str) -> Refund | None:
    already = sum(r.amount_minor for r in _refunds(payment) if r.status != RefundStatus.FAILED)
    amount = payment.amount_minor - already
    if amount <= 0:
        return None
    return request_refund(payment, amount, reason=reason)


def request_refund(payment: Payment, amount_minor: int, *, reason: str, booking_id: int | None = None) -> Refund:
    """Record a refund and enqueue the gateway call (a side effect, so a job after commit)."""
    refund = Refund(
        payment_id=payment.id,
        booking_id=booking_id,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=reason[:200],
        status=RefundStatus.PENDING,
    )
    db.session.add(refund)
    db.session.flush()
    enqueue(issue_refund_job, refund_id=refund.id)
    return refund


def _refunds(payment: Payment) -> list[Refund]:
    return list(db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)))


@job(name="payments.issue_refund", retry=5)
def issue_refund_job(refund_id: int) -> None:
    from app.payments.gateway import get_gateway

    refund = db.session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.gateway_refund_id is not None:
        return
    payment = refund.payment
    result = get_gateway().refund(
        payment.payment_intent_id or payment.session_id, refund.amount_minor, idempotency_key=f"refund-{refund.id}"
    )
    refund.gateway_refund_id = result.refund_id
    if result.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        _settle_refund(refund, result.status)
    db.session.commit()


def settle_refunds(data: dict) -> str:
    refund = None
    if data.get("refund_id"):
        refund = db.session.scalar(select(Refund).where(Refund.gateway_refund_id == data["refund_id"]))
    if refund is None:
        return "ignored: no refund of ours matches"
    status = data.get("refund_status") or RefundStatus.SUCCEEDED
    if status not in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        return f"waiting: refund is {status}"
    return _settle_refund(refund, status)


def _settle_refund(refund: Refund, status: str) -> str:
    if refund.status != RefundStatus.PENDING:
        return f"already {refund.status}"
    refund.status = status
    refund.settled_at = now_utc()
    if status == RefundStatus.FAILED:
        return "refund failed"
    order = _lock_order(refund.payment.order_id)
    order.refunded_minor = (order.refunded_minor or 0) + refund.amount_minor
    if order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
        order.status = (
            OrderStatus.REFUNDED if order.refunded_minor >= order.total_minor else OrderStatus.PARTIALLY_REFUNDED
        )
    return f"refund succeeded: order {order.status}"


def send_receipt(order: Order) -> None:

    from app.email import send_email

    send_email(
        order.customer.email,
        f"Receipt {order.receipt_number} from CozyWish",
        "receipt",
        user=order.customer,
        order=order,
        receipt_url=absolute_url("payments.receipt", order_id=order.id),
    )
