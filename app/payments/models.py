"""Payments: one payment attempt per checkout session (an order's checkout, a top-up or a fee),
every gateway event stored once, refunds with the gateway's id and status."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.booking.models import Booking, Order
from app.platform.columns import CreatedAt, Currency, IdKey, UpdatedAt, one_of
from app.platform.extensions import db


class PaymentStatus(enum.StrEnum):
    OPEN = "open"  # checkout started, waiting for the customer
    PROCESSING = "processing"  # an async method (bank debit) is under way
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"


class PaymentKind(enum.StrEnum):
    CHECKOUT = "checkout"  # the order's own payment, at checkout
    TOP_UP = "top_up"  # a later charge for a dearer time (a reschedule)
    FEE = "fee"  # a no-show or late-cancellation fee, charged to the saved card
    DESK_LINK = "desk_link"  # a desk booking paid online through the link the desk sent (desk_links.py)


class Payment(IdKey, db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        one_of("status", PaymentStatus),
        one_of("kind", PaymentKind),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))  # "stripe" | "demo"
    kind: Mapped[str] = mapped_column(String(16), default=PaymentKind.CHECKOUT, server_default="checkout")
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.OPEN)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    order: Mapped[Order] = relationship()


class PaymentEvent(IdKey, db.Model):
    """Every event a gateway sent us, stored once (unique provider event id)."""

    __tablename__ = "payment_events"

    gateway: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    processed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)  # what settling it did, for the admin view


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(IdKey, db.Model):
    __tablename__ = "refunds"
    __table_args__ = (
        one_of("status", RefundStatus),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    reason: Mapped[str] = mapped_column(String(200), default="")
    gateway_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING)
    created_at: Mapped[CreatedAt]
    settled_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship()
    booking: Mapped[Booking | None] = relationship()


class SavedPaymentMethod(IdKey, db.Model):
    """The card an order's checkout saved for later off-session charges (a no-show or
    late-cancellation fee): the gateway's customer and payment method, and what to show."""

    __tablename__ = "saved_payment_methods"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    gateway_customer_id: Mapped[str | None] = mapped_column(String(255))  # Stripe: cus_...
    payment_method_id: Mapped[str] = mapped_column(String(255))  # Stripe: pm_...
    card_brand: Mapped[str] = mapped_column(String(20), default="", server_default="")
    card_last4: Mapped[str] = mapped_column(String(4), default="", server_default="")
    created_at: Mapped[CreatedAt]


class FeeKind(enum.StrEnum):
    LATE_CANCELLATION = "late_cancellation"
    NO_SHOW = "no_show"


class FeeStatus(enum.StrEnum):
    COVERED = "covered"  # what was paid online covers it: nothing to charge
    PENDING = "pending"  # the remainder is being charged to the saved card (a job)
    CHARGED = "charged"
    FAILED = "failed"  # declined or needs the customer: the venue sees why


class BookingFee(IdKey, db.Model):
    """A no-show or late-cancellation fee: at most one per booking and kind (unique), taken
    from what was paid online first (``from_paid_minor``, not refunded) and the rest
    (``charge_minor``) charged off-session to the saved card, once."""

    __tablename__ = "booking_fees"
    __table_args__ = (
        UniqueConstraint("booking_id", "kind"),
        one_of("kind", FeeKind),
        one_of("status", FeeStatus),
        CheckConstraint(
            "fee_minor >= 0 AND from_paid_minor >= 0 AND charge_minor >= 0 "
            "AND from_paid_minor + charge_minor = fee_minor",
            name="parts_add_up",
        ),
    )

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    currency: Mapped[Currency]
    fee_minor: Mapped[int]
    from_paid_minor: Mapped[int]
    charge_minor: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"))
    problem: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[CreatedAt]
    settled_at: Mapped[datetime | None]

    booking: Mapped[Booking] = relationship()
    payment: Mapped[Payment | None] = relationship()
