"""Builders for payout tests."""

from __future__ import annotations

from sqlalchemy import select

from app.payouts.models import ConnectedAccount, TransferReversal, VenueTransfer
from app.payouts.ports import AccountStatus
from app.platform.extensions import db


def connect(venue, *, gateway: str = "demo", status: str = AccountStatus.ENABLED, account_id: str | None = None):
    """A payout account for ``venue`` as if its onboarding had ended with ``status``."""
    enabled = status == AccountStatus.ENABLED
    account = ConnectedAccount(
        venue_id=venue.id,
        gateway=gateway,
        account_id=account_id or f"{'demo_acct' if gateway == 'demo' else 'acct'}_test_{venue.id}",
        status=status,
        details_submitted=status != AccountStatus.PENDING,
        charges_enabled=enabled,
        payouts_enabled=enabled,
        requirements=[] if enabled else ["external_account"],
    )
    db.session.add(account)
    db.session.flush()
    return account


def transfers_of(order) -> list[VenueTransfer]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(VenueTransfer).where(VenueTransfer.order_id == order.id).order_by(VenueTransfer.id))
    )


def reversals_of(transfer: VenueTransfer) -> list[TransferReversal]:
    return list(
        db.session.scalars(
            select(TransferReversal).where(TransferReversal.transfer_id == transfer.id).order_by(TransferReversal.id)
        )
    )
