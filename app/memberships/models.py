"""Memberships: a venue's monthly plan (a fee, sessions of one service included each month, a
discount on everything else), a customer's membership of it, and each month paid (docs/memberships.md).

- ``membership_plans``: what a venue offers. Switched off, never deleted, once joined.
- ``memberships``: one customer's, with a snapshot of the plan as joined, its gateway
  (``stripe``: a Stripe Billing subscription, ``subscription_id`` its id; ``demo``: renewed by
  our own job, charging the card the first payment saved), its state and the end of the month
  paid for. ``cancel_at_period_end``: it ends then; ``grace_until``: a renewal failed, the
  benefits go on until then, then it is paused.
- ``membership_periods``: each month, paid by an order without bookings (receipts, refunds and the
  venue's transfer are an order's); ``invoice_key`` (unique) is what makes a renewal once: the
  gateway's invoice id, or our own key for the first month and the Demo renewals.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.booking.models import Order
from app.platform.columns import CreatedAt, Currency, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import Service, Venue

DISCOUNT_RANGE = (0, 50)  # percent off the venue's other treatments
INCLUDED_RANGE = (0, 20)  # sessions of the included service each month


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"  # joined, the first month not paid yet
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal failed: benefits go on until grace_until
    PAUSED = "paused"  # the grace ran out unpaid: no benefits until a month is paid
    CANCELLED = "cancelled"  # ended (at the end of a paid month, or never paid)


class PeriodStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


class MembershipPlan(IdKey, db.Model):
    __tablename__ = "membership_plans"
    __table_args__ = (
        CheckConstraint("price_minor > 0", name="price_positive"),
        CheckConstraint(f"discount_percent BETWEEN {DISCOUNT_RANGE[0]} AND {DISCOUNT_RANGE[1]}", name="discount_range"),
        CheckConstraint(
            f"included_sessions BETWEEN {INCLUDED_RANGE[0]} AND {INCLUDED_RANGE[1]}", name="included_range"
        ),
        CheckConstraint("(included_sessions = 0) = (included_service_id IS NULL)", name="included_service_named"),
        CheckConstraint("included_sessions > 0 OR discount_percent > 0", name="gives_something"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    price_minor: Mapped[int]  # each month
    currency: Mapped[Currency]
    included_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    included_sessions: Mapped[int] = mapped_column(default=0)
    discount_percent: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]

    venue: Mapped[Venue] = relationship()
    included_service: Mapped[Service | None] = relationship()


class Membership(IdKey, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (one_of("status", MembershipStatus),)

    plan_id: Mapped[int | None] = mapped_column(ForeignKey("membership_plans.id", ondelete="SET NULL"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    # The plan as joined: a later change of the plan doesn't change a membership already held.
    name: Mapped[str] = mapped_column(String(80))
    venue_name: Mapped[str] = mapped_column(String(160))
    price_minor: Mapped[int]
    currency: Mapped[Currency]
    included_service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    included_service_name: Mapped[str | None] = mapped_column(String(120))
    included_sessions: Mapped[int]
    discount_percent: Mapped[int]
    gateway: Mapped[str] = mapped_column(String(20))
    subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=MembershipStatus.PENDING)
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    grace_until: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    ended_at: Mapped[datetime | None]

    plan: Mapped[MembershipPlan | None] = relationship()


class MembershipPeriod(IdKey, db.Model):
    __tablename__ = "membership_periods"
    __table_args__ = (
        one_of("status", PeriodStatus),
        CheckConstraint("ends_at > starts_at", name="time_order"),
    )

    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    invoice_key: Mapped[str] = mapped_column(String(255), unique=True)
    number: Mapped[int]  # 1 for the month joined, then 2, 3, …
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20), default=PeriodStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    tried_at: Mapped[datetime | None]  # the last charge of the saved card (Demo renewals)
    problem: Mapped[str | None] = mapped_column(String(300))
    paid_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]

    membership: Mapped[Membership] = relationship()
    order: Mapped[Order] = relationship(backref=backref("membership_period", uselist=False, lazy="select"))
