"""Builders for deposit tests: a venue whose massage (60.00) is paid the way a test says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.booking import cart
from app.checkout import checkout
from app.payments.models import Payment, PaymentKind
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue


def venue_paid(
    owner, mode="full", *, percent=None, fixed=None, late_fee=50, no_show=None, free_hours=24, team=1, capacity=1
):
    venue, service = make_bookable_venue(owner, team=team, capacity=capacity)
    service.payment_mode = mode
    service.deposit_percent = percent
    service.deposit_fixed_minor = fixed
    service.cancel_late_fee_percent = late_fee
    service.cancel_free_hours = free_hours
    service.no_show_fee_percent = no_show
    db.session.flush()
    return venue, service


def checked_out(customer, service, *, days: int = 3, hour: int = 10, quantity: int = 1, voucher_code=None, start=None):
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=start or future_slot(days=days, hour=hour),
        quantity=quantity,
        team_member_id=None,
    )
    return checkout.checkout(customer, voucher_code=voucher_code)


def soon(hours: float = 2) -> datetime:
    """A start time a few hours ahead (inside a 24-hour free-cancellation window), on the hour."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.replace(minute=0, second=0, microsecond=0)


def payments_of(order, kind: str = PaymentKind.CHECKOUT) -> list[Payment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Payment).where(Payment.order_id == order.id, Payment.kind == kind).order_by(Payment.id)
        )
    )
