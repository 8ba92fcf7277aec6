"""Refunds: what is left to refund, asking for one, and settling the gateway's answer.

A refund is a Refund row now and a gateway call in a job after commit, through the gateway
that took the payment (``Payment.gateway``), never simply the one configured today. A refund
that succeeds is recorded on its order by ``order_lifecycle.record_refund``, and ``refund_made``
(app/payments/events.py) fires for it (``refund_reached``): what follows listens to it.

An order a gift voucher paid part of is refunded card first, then voucher (``refund_order``):
the customer gets their card money back before their voucher credit (docs/vouchers.md). The
voucher part goes back to the voucher's ledger at once (no gateway) and is recorded on the
order the same way, and ``refund_made`` fires for it at once too: payouts takes back the
venues' part of their transfers, as for a card refund when it succeeds.

An order's card payments are its checkout and the top-ups its moves to dearer times took
(app/checkout/top_ups.py): together they are what the customer paid. A refund takes them newest
first, and a booking's refund takes that booking's own top-ups first: a top-up is the
difference for one booking at one venue, so sending it back first keeps each venue's transfer
reversal with the booking that caused it (docs/payments.md). Each part goes through the
gateway recorded on its payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.booking import order_lifecycle
from app.booking.models import Order, TopUp
from app.payments.events import REFUNDED_TO, refund_made
from app.payments.gateway import gateway_named
from app.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.vouchers.ledger import refund_to_voucher, refundable_to_voucher
from app.vouchers.treatments import refund_gift_of_booking


def refundable_of(paid_minor: int, refunds: Iterable[tuple[int, str]]) -> int:
    """What is left of ``paid_minor`` after ``(amount, status)`` refunds: every refund counts
    until it is known to have failed, so money on its way is never offered twice."""
    asked = sum(amount for amount, status in refunds if status != RefundStatus.FAILED)
    return max(paid_minor - asked, 0)


def get_paid_payment(order: Order) -> Payment | None:
    """The order's succeeded checkout payment, if it was paid online (not a later top-up or fee)."""
    return db.session.scalar(
        select(Payment).where(
            Payment.order_id == order.id,
            Payment.kind == PaymentKind.CHECKOUT,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
    )


def get_card_payments(order: Order, *, booking_id: int | None = None) -> list[Payment]:
    """The order's succeeded checkout and top-up payments, in the order a refund takes them:
    ``booking_id``'s own top-ups first (newest first), then every other payment newest first."""
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.order_id == order.id,
                # a desk booking's payment link too: a cancellation refunds it like a checkout
                Payment.kind.in_([PaymentKind.CHECKOUT, PaymentKind.TOP_UP, PaymentKind.DESK_LINK]),
                Payment.status == PaymentStatus.SUCCEEDED,
            )
            .order_by(Payment.id.desc())
        )
    )
    if booking_id is None or not any(p.kind == PaymentKind.TOP_UP for p in payments):
        return payments
    own = set(
        db.session.scalars(select(TopUp.payment_id).where(TopUp.order_id == order.id, TopUp.booking_id == booking_id))
    )
    return [p for p in payments if p.id in own] + [p for p in payments if p.id not in own]


def refundable(target: Order | Payment) -> int:
    """What can still be refunded on one payment, or on an order: its succeeded payments (the
    checkout and its top-ups) and the part a gift voucher paid."""
    if isinstance(target, Order):
        return sum(refundable(p) for p in get_card_payments(target)) + refundable_to_voucher(target)
    payment = target
    rows = db.session.execute(select(Refund.amount_minor, Refund.status).where(Refund.payment_id == payment.id))
    return refundable_of(payment.amount_minor, ((amount, status) for amount, status in rows))


def request_refund(payment: Payment, amount_minor: int, *, reason: str, booking_id: int | None = None) -> Refund:
    """Record a refund and enqueue the gateway call (a side effect, so a job after commit).

    The caller holds the order's row lock; more than is refundable is refused."""
    left = refundable(payment)
    if amount_minor <= 0 or amount_minor > left:
        raise ValidationFailed(_("A refund must be between 1 and %(left)s (minor units) on this payment.", left=left))
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


def paid_minor(order: Order) -> int:
    """What the customer paid for ``order``: its card payments (the checkout and succeeded
    top-ups) and the gift voucher's part."""
    return sum(p.amount_minor for p in get_card_payments(order)) + order.voucher_applied_minor


def refund_order(order: Order, amount_minor: int, *, reason: str, booking_id: int | None = None) -> int:
    """Refund up to ``amount_minor`` of ``order``: to the cards first (``get_card_payments``'
    order: the booking's top-ups, then newest first), the rest to the gift voucher that paid
    part of it. The caller holds the order's row lock. Returns the amount. A booking a treatment
    gift paid for gives the gift back first (app/vouchers/treatments.py)."""
    gift = refund_gift_of_booking(order, booking_id, amount_minor, reason=reason)
    card = sum(r.amount_minor for r in refund_cards(order, amount_minor - gift, reason=reason, booking_id=booking_id))
    to_voucher = gift + refund_to_voucher(order, amount_minor - gift - card, booking_id=booking_id, reason=reason)
    if to_voucher > 0:
        refund_reached("voucher", order, to_voucher)
    return card + to_voucher


def refund_cards(order: Order, amount_minor: int, *, reason: str, booking_id: int | None = None) -> list[Refund]:
    """Refund up to ``amount_minor`` to the order's card payments, in ``get_card_payments``'
    order (a booking's own top-ups first, then newest first), each through its own gateway.
    The caller holds the order's row lock. Returns the refunds asked for."""
    refunds: list[Refund] = []
    asked = 0
    for payment in get_card_payments(order, booking_id=booking_id):
        part = min(amount_minor - asked, refundable(payment))
        if part > 0:
            refunds.append(request_refund(payment, part, reason=reason, booking_id=booking_id))
            asked += part
        if asked >= amount_minor:
            break
    return refunds


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
    target = refund_reached("card", refund.payment.order, refund.amount_minor, refund=refund)
    return f"refund succeeded: order {target}"


def refund_reached(to: str, order: Order, amount_minor: int, *, refund: Refund | None = None) -> str:
    """A refund reached the customer (``to`` a card, with its ``refund`` row, or to the gift
    voucher): record it on the order and fire ``refund_made`` once. Returns the order's state."""
    if to not in REFUNDED_TO:
        raise ValueError(f"unknown way of refunding: {to}")
    target = order_lifecycle.record_refund(order, amount_minor, paid_minor=paid_minor(order))
    refund_made.send(to, order=order, amount_minor=amount_minor, refund=refund)
    return target
