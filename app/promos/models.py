"""Promo codes, their uses (one redemption row per order that used one) and the code a
customer has chosen in their cart. The limits are enforced by the database: see the
migration 0025 and app/promos/redemption.py."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.columns import CreatedAt, Currency, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import Venue


class PromoKind(enum.StrEnum):
    PERCENT = "percent"  # value: 1-100 per cent off the eligible items
    FIXED = "fixed"  # value: minor units off the eligible items


class FundedBy(enum.StrEnum):
    PLATFORM = "platform"  # the marketplace pays for the discount
    VENUE = "venue"  # each venue pays for its share of the discount


class RedemptionStatus(enum.StrEnum):
    ACTIVE = "active"  # counts against the limits
    RELEASED = "released"  # its order was never paid: the use is given back


class PromoCode(IdKey, db.Model):
    __tablename__ = "promo_codes"
    __table_args__ = (
        one_of("kind", PromoKind),
        one_of("funded_by", FundedBy),
        CheckConstraint("value > 0 AND (kind <> 'percent' OR value <= 100)", name="value_range"),
        CheckConstraint("min_spend_minor >= 0", name="min_spend_not_negative"),
        CheckConstraint(
            "(max_uses_total IS NULL OR max_uses_total >= 1) AND "
            "(max_uses_per_customer IS NULL OR max_uses_per_customer >= 1)",
            name="limits_positive",
        ),
        CheckConstraint(
            "uses_count >= 0 AND (max_uses_total IS NULL OR uses_count <= max_uses_total)",
            name="uses_within_limit",
        ),
        CheckConstraint("venue_id IS NULL OR funded_by = 'venue'", name="venue_code_venue_funded"),
        CheckConstraint("valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from", name="valid_period"),
        Index("uq_promo_codes_code_lower", text("lower(code)"), unique=True),
    )

    code: Mapped[str] = mapped_column(String(32))  # as its owner typed it; matched case-insensitively
    kind: Mapped[str] = mapped_column(String(8))
    value: Mapped[int]
    currency: Mapped[Currency]
    funded_by: Mapped[str] = mapped_column(String(8))
    # A venue's own code: only that venue's items are discounted, and the venue pays for it.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    min_spend_minor: Mapped[int] = mapped_column(default=0, server_default="0")
    max_uses_total: Mapped[int | None]
    max_uses_per_customer: Mapped[int | None]
    # Live (active) redemptions, kept by app/promos/redemption.py under this row's lock.
    uses_count: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[CreatedAt]

    venue: Mapped[Venue | None] = relationship()


class PromoRedemption(IdKey, db.Model):
    """One use of a code: made with its order at checkout, released if the order never gets paid."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (
        one_of("status", RedemptionStatus),
        CheckConstraint("discount_minor > 0", name="discount_positive"),
        Index("ix_promo_redemptions_promo_code_id_customer_id", "promo_code_id", "customer_id"),
        Index(
            "uq_promo_redemptions_once_per_customer",
            "promo_code_id",
            "customer_id",
            unique=True,
            postgresql_where=text("status = 'active' AND once_per_customer"),
        ),
    )

    promo_code_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    discount_minor: Mapped[int]
    # Copied from the code (max_uses_per_customer == 1) so a partial unique index can enforce it.
    once_per_customer: Mapped[bool]
    status: Mapped[str] = mapped_column(String(8), default=RedemptionStatus.ACTIVE, server_default="active")
    created_at: Mapped[CreatedAt]
    released_at: Mapped[datetime | None]

    promo_code: Mapped[PromoCode] = relationship()


class CartPromo(db.Model):
    """The code a signed-in customer has added to their cart (one at a time)."""

    __tablename__ = "cart_promo_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id", ondelete="CASCADE"))
    added_at: Mapped[datetime] = mapped_column(server_default=func.now())

    promo_code: Mapped[PromoCode] = relationship()
