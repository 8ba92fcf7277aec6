"""Payouts to venues (Stripe Connect, "separate charges and transfers").

- ``ConnectedAccount``: a venue's payout account at a gateway (Stripe Express, or the Demo
  gateway's stand-in) and what the gateway last said about it. No row: not connected.
- ``CommissionRate``: an admin's per-category override of PLATFORM_COMMISSION_PERCENT.
- ``VenueTransfer``: one venue's share of one paid order (gross, commission, transfer), and
  the transfer that paid it: the ledger the earnings pages read. A checkout's share is in up
  to two legs: funded by the charge (one per payment and venue) and by the platform balance,
  for the gift-voucher part (one per order and venue). Top-ups and fees: one charge leg each.
- ``TransferReversal``: the part of a transfer taken back because a refund reached the
  customer (on a card, or back on a gift voucher); one per (refund, transfer) and per
  (voucher refund entry, transfer), so a refund reverses exactly once.
- ``Payout``: the connected account paying its balance to the venue's bank (payout.* events).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.payouts.ports import AccountStatus
from app.platform.columns import CreatedAt, Currency, IdKey, UpdatedAt, one_of
from app.platform.extensions import db
from app.venues.models import Venue


class ConnectedAccount(IdKey, db.Model):
    __tablename__ = "connected_accounts"
    __table_args__ = (one_of("status", ("pending", "enabled", "restricted")),)

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), unique=True)
    gateway: Mapped[str] = mapped_column(String(20))  # "stripe" | "demo"
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=AccountStatus.PENDING)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    # What Stripe still needs (requirements.currently_due + past_due), and why it disabled the account.
    requirements: Mapped[list[str]] = mapped_column(JSONB, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]

    venue: Mapped[Venue] = relationship()


class CommissionRate(db.Model):
    """The commission on venues of one category, in basis points (1500 = 15%)."""

    __tablename__ = "commission_rates"
    __table_args__ = (CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_range"),)

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    rate_bp: Mapped[int]
    updated_at: Mapped[UpdatedAt]


class TransferStatus(enum.StrEnum):
    WAITING = "waiting"  # the venue's account can't receive it yet
    PENDING = "pending"  # a job is sending it
    PAID = "paid"  # the gateway made the transfer (or there was nothing to send)
    FAILED = "failed"  # the gateway refused it; reconcile tries again


class Funding(enum.StrEnum):
    """What pays for a transfer (a leg of a venue's share; app/payouts/shares.py ``funding_legs``)."""

    CHARGE = "charge"  # the order's card charge (``source_transaction``); one per payment and venue
    BALANCE = "balance"  # the platform balance: the gift-voucher money it took earlier; one per order and venue


class VenueTransfer(IdKey, db.Model):
    __tablename__ = "venue_transfers"
    __table_args__ = (
        UniqueConstraint("payment_id", "venue_id"),  # a checkout, each top-up and each fee (charge legs)
        # an order's balance leg: one per venue (it has no payment)
        Index(
            "uq_venue_transfers_balance_leg",
            "order_id",
            "venue_id",
            unique=True,
            postgresql_where=text("funding = 'balance'"),
        ),
        CheckConstraint(
            "(funding = 'charge' AND payment_id IS NOT NULL) OR (funding = 'balance' AND payment_id IS NULL)",
            name="funding_known",
        ),
        one_of("status", TransferStatus),
        CheckConstraint(
            "gross_minor >= 0 AND commission_minor >= 0 AND transfer_minor >= 0 AND charged_minor >= 0",
            name="money_not_negative",
        ),
        CheckConstraint("transfer_minor = gross_minor - commission_minor", name="parts_add_up"),
        CheckConstraint("sent_minor IS NULL OR sent_minor BETWEEN 0 AND transfer_minor", name="sent_range"),
    )

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    # The charge that funds it; None for a balance leg (funded by the platform balance).
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    funding: Mapped[str] = mapped_column(String(10), default=Funding.CHARGE, server_default=Funding.CHARGE)
    # The payment's gateway (a balance leg: the venue's account's): transfers go through it.
    gateway: Mapped[str] = mapped_column(String(20))
    currency: Mapped[Currency]
    # The part of the venue's gross this row pays for (its items less a discount it funds; a
    # leg: the card part, or the rest).
    gross_minor: Mapped[int]
    # What refunds of this row are measured against: its part of the card charge (a balance
    # leg: its part of the gift voucher).
    charged_minor: Mapped[int]
    commission_bp: Mapped[int]
    commission_minor: Mapped[int]
    transfer_minor: Mapped[int]  # gross - commission
    sent_minor: Mapped[int | None]  # what the transfer carried, once made
    transfer_group: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=TransferStatus.PENDING, index=True)
    gateway_transfer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    destination: Mapped[str | None] = mapped_column(String(255))
    problem: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[CreatedAt]
    transferred_at: Mapped[datetime | None]

    venue: Mapped[Venue] = relationship()


class ReversalStatus(enum.StrEnum):
    NETTED = "netted"  # the transfer was not made yet: it will carry less instead
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TransferReversal(IdKey, db.Model):
    __tablename__ = "transfer_reversals"
    __table_args__ = (
        UniqueConstraint("refund_id", "transfer_id"),
        UniqueConstraint("voucher_entry_id", "transfer_id"),
        CheckConstraint("(refund_id IS NULL) <> (voucher_entry_id IS NULL)", name="one_source"),
        one_of("status", ReversalStatus),
        CheckConstraint("refund_minor >= 0 AND amount_minor >= 0", name="money_range"),
    )

    transfer_id: Mapped[int] = mapped_column(ForeignKey("venue_transfers.id", ondelete="CASCADE"), index=True)
    # The card refund, or the refund to a gift voucher (its ledger's ``refund`` entry), behind it.
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    voucher_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("voucher_entries.id", ondelete="CASCADE"), index=True
    )
    # The part of the refund that was this venue's and of this row's kind (a card refund on the
    # charge leg, a voucher refund on the balance leg; 0 on the other leg, which is reversed in
    # proportion all the same).
    refund_minor: Mapped[int]
    amount_minor: Mapped[int]  # taken back from the venue (the rest: commission)
    status: Mapped[str] = mapped_column(String(20), default=ReversalStatus.PENDING)
    gateway_reversal_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[CreatedAt]
    settled_at: Mapped[datetime | None]

    transfer: Mapped[VenueTransfer] = relationship()


class Payout(IdKey, db.Model):
    __tablename__ = "payouts"

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    gateway: Mapped[str] = mapped_column(String(20))
    payout_id: Mapped[str] = mapped_column(String(255), unique=True)
    amount_minor: Mapped[int]
    currency: Mapped[Currency]
    status: Mapped[str] = mapped_column(String(20))  # Stripe's: pending | in_transit | paid | failed | canceled
    arrival_at: Mapped[datetime | None]
    raw: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[UpdatedAt]
