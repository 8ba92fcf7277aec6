"""Refunds: what is left to refund, asking for one, and settling the gateway's answer.

A refund is a Refund row now and a gateway call in a job after commit, through the gateway
that took the payment (``Payment.gateway``), never simply the one configured today. A refund
that succeeds is recorded on its order by ``order_lifecycle.record_refund``.

An order a gift voucher paid part of is refunded card first, then voucher (``refund_order``):
the customer gets their card money back before their voucher credit (docs/vouchers.md). The
voucher part goes back to the voucher's ledger at once (no gateway) and is recorded on the
order the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from app.booking import order_lifecycle
from app.booking.models import Order
from app.errors import ValidationFailed
from app.extensions import db
from app.jobs import enqueue, job
from app.payments.gateway import gateway_named
from app.payments.models import Payment, PaymentStatus, Refund, RefundStatus


def refundable_of(paid_minor: int, refunds: Iterable[tuple[int, str]]) -> int:
    """What is left of ``paid_minor`` after ``(amount, status)`` refunds: every refund counts
    until it is known to have failed, so money on its way is never offered twice."""
    asked = sum(amount for amount, status in refunds if status != RefundStatus.FAILED)
    return max(paid_minor - asked, 0)


def get_paid_payment(order: Order) -> Payment | None:
    """The order's succeeded payment, if it was paid online."""
    return db.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == PaymentStatus.SUCCEEDED)
    )


def refundable(target: Order | Payment) -> int:
    """What can still be refunded on one payment, or on an order: its succeeded payment and
    the part a gift voucher paid."""
    if isinstance(target, Order):
        from app.vouchers.ledger import refundable_to_voucher

        payment = get_paid_payment(target)
        return (refundable(payment) if payment else 0) + refundable_to_voucher(target)
    payment = target
    rows = db.session.execute(select(Refund.amount_minor, Refund.status).where(Refund.payment_id == payment.id))
    return refundable_of(payment.amount_minor, ((amount, status) for amount, status in rows))


def request_refund(payment: Payment, amount_minor: int, *, reason: str, booking_id: int | None = None) -> Refund:
    """Record a refund and enqueue the gateway call (a side effect, so a job after commit).

    The caller holds the order's row lock; more than is refundable is refused."""
    left = refundable(payment)
    if amount_minor <= 0 or amount_minor > left:
        raise ValidationFailed(f"A refund must be between 1 and {left} (minor units) on this payment.")
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


def paid_minor(order: Order, payment: Payment | None = None) -> int:
    """What the customer paid for ``order``: the card payment and the gift voucher's part."""
    payment = payment or get_paid_payment(order)
    return (payment.amount_minor if payment else 0) + order.voucher_applied_minor


def refund_order(order: Order, amount_minor: int, *, reason: str, booking_id: int | None = None) -> int:
    """Refund up to ``amount_minor`` of ``order``: to the card first, the rest to the gift
    voucher that paid part of it. The caller holds the order's row lock. Returns the amount."""
    from app.vouchers.ledger import refund_to_voucher

    payment = get_paid_payment(order)
    card = min(amount_minor, refundable(payment)) if payment else 0
    if card > 0:
        request_refund(payment, card, reason=reason, booking_id=booking_id)
    to_voucher = refund_to_voucher(order, amount_minor - card, booking_id=booking_id, reason=reason)
    if to_voucher > 0:
        order_lifecycle.record_refund(order, to_voucher, paid_minor=paid_minor(order, payment))
    return card + to_voucher


def refund_in_full(payment: Payment, *, reason: str) -> Refund | None:
    """Refund whatever is left of ``payment`` (nothing if nothing is)."""
    left = refundable(payment)
    return request_refund(payment, left, reason=reason) if left > 0 else None


@job(name="payments.issue_refund", retry=5)
def issue_refund_job(refund_id: int) -> None:
    refund = db.session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.gateway_refund_id is not None:
        return
    payment = refund.payment
    result = gateway_named(payment.gateway).refund(
        payment.payment_intent_id or payment.session_id, refund.amount_minor, idempotency_key=f"refund-{refund.id}"
    )
    refund.gateway_refund_id = result.refund_id
    if result.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
        settle_refund(refund, result.status)
    db.session.commit()


def settle_refund(refund: Refund, status: str) -> str:
    """The gateway's final word on a refund; a success is recorded on the order."""
    if refund.status != RefundStatus.PENDING:
        return f"already {refund.status}"
    refund.status = status
    refund.settled_at = datetime.now(UTC)
    if status == RefundStatus.FAILED:
        return "refund failed"
    payment = refund.payment
    target = order_lifecycle.record_refund(
        payment.order, refund.amount_minor, paid_minor=paid_minor(payment.order, payment)
    )
    from app.payouts.transfers import schedule_reversals  # the venues' part comes back: a job each

    schedule_reversals(refund)
    return f"refund succeeded: order {target}"
