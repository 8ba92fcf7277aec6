"""Settling Connect events (stored once by ``record_event`` like every gateway event):

    account.updated                          -> the venue's account status and what is needed
    transfer.created | transfer.updated      -> the transfer is made (fills a missed id)
    transfer.reversed                        -> its reversals are confirmed (fills missed ids)
    payout.created | .updated | .paid | .failed | .canceled -> the venue's bank payouts

An event about an account, transfer or payout we don't know is acknowledged and ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, case, select
from sqlalchemy.dialects.postgresql import insert

from app.payments.models import PaymentEvent
from app.payouts.accounts import apply_state
from app.payouts.events import payout_paid
from app.payouts.models import ConnectedAccount, Payout, ReversalStatus, TransferReversal, VenueTransfer
from app.payouts.ports import account_state
from app.payouts.transfers import mark_paid
from app.platform.extensions import db

FINAL_PAYOUT = ("paid", "failed", "canceled")
CONNECT_EVENTS = frozenset(
    {
        "account.updated",
        "transfer.created",
        "transfer.updated",
        "transfer.reversed",
        "payout.created",
        "payout.updated",
        "payout.paid",
        "payout.failed",
        "payout.canceled",
    }
)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def settle_connect_event(row: PaymentEvent) -> str:
    event = row.payload.get("event") or {}
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        return "ignored: the event has no object"
    kind = row.type
    if kind == "account.updated":
        account = db.session.scalar(
            select(ConnectedAccount).where(ConnectedAccount.account_id == str(obj.get("id"))).with_for_update()
        )
        if account is None:
            return "ignored: not one of our venues' accounts"
        return apply_state(account, account_state(obj))
    if kind.startswith("transfer."):
        return _settle_transfer(kind, obj)
    return _settle_payout(row.gateway, event, obj)


def _find_transfer(obj: dict[str, Any]) -> VenueTransfer | None:
    query = select(VenueTransfer).with_for_update()
    found = db.session.scalar(query.where(VenueTransfer.gateway_transfer_id == str(obj.get("id"))))
    if found is None:
        row_id = _int((obj.get("metadata") or {}).get("venue_transfer_id"))
        if row_id is not None:
            found = db.session.scalar(query.where(VenueTransfer.id == row_id))
    return found


def _settle_transfer(kind: str, obj: dict[str, Any]) -> str:
    transfer = _find_transfer(obj)
    if transfer is None:
        return "ignored: no transfer of ours matches"
    outcome = "noted"
    if transfer.gateway_transfer_id is None:
        # The job's call reached the gateway but its answer never reached us.
        transfer.gateway_transfer_id = str(obj.get("id"))
        destination = str(obj.get("destination") or transfer.destination or "")
        mark_paid(transfer, _int(obj.get("amount")) or 0, destination, transfer.transferred_at or datetime.now(UTC))
        outcome = "transfer recorded from the event"
    if kind == "transfer.reversed":
        confirmed = 0
        for remote in (obj.get("reversals") or {}).get("data") or []:
            reversal = db.session.scalar(
                select(TransferReversal).where(
                    (TransferReversal.gateway_reversal_id == str(remote.get("id")))
                    | (TransferReversal.id == (_int((remote.get("metadata") or {}).get("transfer_reversal_id")) or -1))
                )
            )
            if (
                reversal is not None
                and reversal.transfer_id == transfer.id
                and reversal.status == ReversalStatus.PENDING
            ):
                reversal.gateway_reversal_id = str(remote.get("id"))
                reversal.status = ReversalStatus.SUCCEEDED
                reversal.settled_at = datetime.now(UTC)
                confirmed += 1
        outcome = f"{confirmed} reversal(s) confirmed; {obj.get('amount_reversed', 0)} reversed in all"
    return f"transfer {transfer.id}: {outcome}"


def _settle_payout(gateway: str, event: dict[str, Any], obj: dict[str, Any]) -> str:
    account_id = event.get("account")
    account = (
        db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.account_id == str(account_id)))
        if account_id
        else None
    )
    if account is None:
        return "ignored: not a payout of one of our venues' accounts"
    arrival = _int(obj.get("arrival_date"))
    values = {
        "venue_id": account.venue_id,
        "gateway": gateway,
        "payout_id": str(obj.get("id")),
        "amount_minor": _int(obj.get("amount")) or 0,
        "currency": str(obj.get("currency") or "gbp").upper()[:3],
        "status": str(obj.get("status") or "pending")[:20],
        "arrival_at": datetime.fromtimestamp(arrival, UTC) if arrival else None,
        "raw": obj,
    }
    stmt = insert(Payout).values(**values)
    # Events can arrive out of order: a late payout.created never undoes payout.paid.
    keep_final = and_(Payout.status.in_(FINAL_PAYOUT), stmt.excluded.status.not_in(FINAL_PAYOUT))
    db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=["payout_id"],
            set_={
                "amount_minor": stmt.excluded.amount_minor,
                "arrival_at": stmt.excluded.arrival_at,
                "status": case((keep_final, Payout.status), else_=stmt.excluded.status),
                "raw": case((keep_final, Payout.raw), else_=stmt.excluded.raw),
                "updated_at": datetime.now(UTC),
            },
        )
    )
    if values["status"] == "paid":  # the owner is told, once per payout (app/notifications/activity.py)
        payout_paid.send(
            gateway,
            venue_id=account.venue_id,
            payout_id=values["payout_id"],
            amount_minor=values["amount_minor"],
            currency=values["currency"],
            arrival_at=values["arrival_at"],
        )
    return f"payout {values['payout_id']}: {values['status']}"
