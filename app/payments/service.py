"""Starting a payment for an order, and the refunds that cancellations cause."""

from __future__ import annotations

from sqlalchemy import func, select

from app.booking.models import Booking, Order, OrderStatus
from app.errors import InvalidTransition
from app.extensions import db
from app.payments.gateway import get_gateway
from app.payments.models import Payment, PaymentStatus
from app.payments.settlement import request_refund
from app.urls import absolute_url


def get_open_payment(order: Order) -> Payment | None:
    return db.session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status.in_([PaymentStatus.OPEN, PaymentStatus.PROCESSING]))
        .order_by(Payment.id.desc())
    )


def start_payment(order: Order) -> Payment:
    """A hosted checkout for the order's held bookings; the same one if it is still open.

    The amount is the server's own sum of the held bookings, never a number from a form.
    """
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise InvalidTransition("This order is not waiting for payment.")
    existing = get_open_payment(order)
    if existing is not None:
        return existing
    gateway = get_gateway()
    amount = sum(b.total_minor for b in order.bookings)
    start = gateway.start_checkout(
        order,
        success_url=absolute_url("payments.returned", order_id=order.id) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=absolute_url("booking.order", order_id=order.id),
        idempotency_key=f"order-{order.id}-checkout",
    )
    payment = Payment(
        order_id=order.id,
        gateway=gateway.name,
        session_id=start.session_id,
        amount_minor=amount,
        currency=order.currency,
        status=PaymentStatus.OPEN,
        checkout_url=start.url,
        expires_at=start.expires_at,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def get_succeeded_payment(order: Order) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == PaymentStatus.SUCCEEDED)
    )


def refund_booking(booking: Booking, amount_minor: int, *, reason: str) -> None:
    """After a cancellation: refund what the policy allows through the gateway (a job)."""
    if amount_minor <= 0:
        return
    payment = get_succeeded_payment(booking.order)
    if payment is None:
        return  # nothing was paid online (orders confirmed before payments existed)
    # Never more than is left of the payment (an admin may have refunded part already).
    amount_minor = min(amount_minor, refundable_minor(payment))
    if amount_minor > 0:
        request_refund(payment, amount_minor, reason=reason, booking_id=booking.id)


def refundable_minor(payment: Payment) -> int:
    from app.payments.models import Refund, RefundStatus

    refunded = db.session.scalar(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.payment_id == payment.id, Refund.status != RefundStatus.FAILED
        )
    )
    return max(0, payment.amount_minor - (refunded or 0))
