"""Gift vouchers: a purchase (an order without bookings), the voucher it issues, and the
voucher's ledger. A voucher's balance is the sum of its entries, never a stored number; a
trigger refuses any entry that would take the sum below zero (see the migration)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.accounts.models import User
from app.booking.models import Order
from app.platform.columns import CreatedAt, Currency, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import Venue


class EntryKind(enum.StrEnum):
    ISSUE = "issue"  # +value, once, when the purchase is paid
    REDEEM = "redeem"  # -amount, tied to the order it pays for
    RELEASE = "release"  # +amount, the order it paid for was released unpaid (expired, failed, changed)
    REFUND = "refund"  # +amount, a cancellation refunded the part the voucher paid


class GiftKind(enum.StrEnum):
    AMOUNT = "amount"  # a value in pounds, spent on anything (at one venue, or any)
    TREATMENT = "treatment"  # one named treatment at one venue, at the price paid (app/vouchers/treatments.py)


class VoucherPurchase(IdKey, db.Model):
    """What the buyer asked for; its order is paid through the gateway like any other."""

    __tablename__ = "voucher_purchases"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        one_of("kind", GiftKind),
        CheckConstraint(
            "(kind = 'amount' AND service_name IS NULL AND minutes IS NULL)"
            " OR (kind = 'treatment' AND service_name IS NOT NULL AND venue_name IS NOT NULL AND minutes > 0)",
            name="treatment_named",
        ),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"))
    recipient_name: Mapped[str] = mapped_column(String(100))
    recipient_email: Mapped[str] = mapped_column(String(254))
    sender_name: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[CreatedAt]
    # A treatment gift (migration 0079): what it is for, by id (matched at checkout) and as it
    # was named when bought (the printable page and the email read these after a rename).
    # ``amount_minor`` is the price paid: the option's and the add-ons' that day.
    kind: Mapped[str] = mapped_column(String(10), default=GiftKind.AMOUNT, server_default="amount")
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_options.id", ondelete="SET NULL"))
    addon_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=list, server_default="{}")
    venue_name: Mapped[str | None] = mapped_column(String(120))
    service_name: Mapped[str | None] = mapped_column(String(120))
    option_name: Mapped[str | None] = mapped_column(String(60))
    minutes: Mapped[int | None]  # the option's (or the service's) length, without the add-ons'
    addon_names: Mapped[list[str]] = mapped_column(ARRAY(String), default=list, server_default="{}")

    order: Mapped[Order] = relationship(backref=backref("voucher_purchase", uselist=False, lazy="select"))
    buyer: Mapped[User] = relationship()
    venue: Mapped[Venue | None] = relationship()
    voucher: Mapped[Voucher | None] = relationship(back_populates="purchase", uselist=False)


class Voucher(IdKey, db.Model):
    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint("value_minor > 0", name="value_positive"),
        CheckConstraint("expires_at > issued_at", name="expires_after_issue"),
    )

    code: Mapped[str] = mapped_column(String(32), unique=True)  # normalised: no dashes, upper case
    purchase_id: Mapped[int] = mapped_column(ForeignKey("voucher_purchases.id", ondelete="CASCADE"), unique=True)
    value_minor: Mapped[int]
    currency: Mapped[Currency]
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]

    purchase: Mapped[VoucherPurchase] = relationship(back_populates="voucher")
    venue: Mapped[Venue | None] = relationship()

    @property
    def is_treatment(self) -> bool:
        """A treatment gift: it pays one named treatment, whole, once (app/vouchers/treatments.py)."""
        return self.purchase.kind == GiftKind.TREATMENT


class VoucherEntry(IdKey, db.Model):
    __tablename__ = "voucher_entries"
    __table_args__ = (
        one_of("kind", EntryKind),
        CheckConstraint(
            "(kind = 'redeem' AND amount_minor < 0)"
            " OR (kind = 'issue' AND amount_minor > 0)"
            " OR (kind IN ('release', 'refund') AND amount_minor > 0)",
            name="sign_follows_kind",
        ),
    )

    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int]  # signed: spending is negative
    # The order spent on, released or refunded (checkout always sets it); kept as NULL if an
    # order is ever deleted, so the entry and the balance it makes survive.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[CreatedAt]
