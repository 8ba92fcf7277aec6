"""Reconciling transfers: part of ``flask payments reconcile`` (and its periodic job).

- a paid order with no transfer rows (settling stopped before scheduling them) gets them: a
  charged one its charge and balance legs, one a gift voucher paid with nothing charged its
  balance legs;
- waiting transfers whose venue's account is enabled now are sent (balance legs too);
- failed transfers (either leg), and pending ones older than ``STALE`` (a lost job), are sent again (the
  same idempotency key, so never twice);
- pending reversals older than ``STALE`` are sent again the same way;
- transfers we sent recently are compared with the gateway's list for their transfer group:
  a transfer the gateway made whose answer we never got is recorded (by its metadata), and
  any difference in amounts is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, select

from app.booking.models import Order, TopUp, TopUpStatus
from app.booking.order_lifecycle import PAID_STATES
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.payments.ports import GatewayError
from app.payouts.gateway import connect_gateway_named
from app.payouts.models import (
    ConnectedAccount,
    ReversalStatus,
    TransferReversal,
    TransferStatus,
    VenueTransfer,
)
from app.payouts.ports import AccountStatus
from app.payouts.transfers import (
    mark_paid,
    release_waiting,
    reverse_transfer_job,
    schedule_balance_transfers,
    schedule_transfers,
    send_transfer_job,
)
from app.platform.extensions import db
from app.platform.jobs import enqueue

STALE = timedelta(minutes=10)
CHECK_WINDOW = timedelta(days=3)
BATCH = 200


@dataclass
class TransferSummary:
    scheduled_orders: int = 0
    released: int = 0
    retried: int = 0
    reversals_retried: int = 0
    checked_groups: int = 0
    recovered: int = 0
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [
            f"Transfers: {self.scheduled_orders} paid order(s) had none and were scheduled, "
            f"{self.released} waiting transfer(s) released, {self.retried} resent, "
            f"{self.reversals_retried} reversal(s) resent.",
            f"Checked {self.checked_groups} transfer group(s) with the gateway; "
            f"{self.recovered} transfer(s) recorded from it.",
        ]
        return lines + [f"Problem: {p}" for p in self.problems]


def _first_batch(query: Select, key: Any) -> Sequence[Any]:
    """The first ``BATCH`` rows of ``query`` in ``key`` order: the next run takes the rest."""
    return db.session.scalars(query.order_by(key).limit(BATCH)).all()


def _send_again(task: Any, argument: str, id_column: Any, *conditions: Any) -> int:
    """Enqueue ``task`` again (``argument``: the row's id) for the first ``BATCH`` rows of
    ``id_column``'s table where ``conditions`` hold; how many."""
    ids = _first_batch(select(id_column).where(*conditions), id_column)
    for row_id in ids:
        enqueue(task, **{argument: row_id})
    return len(ids)


def reconcile_transfers(now: datetime | None = None) -> TransferSummary:
    """The caller commits; sending is done by the jobs this enqueues."""
    now = now or datetime.now(UTC)
    summary = TransferSummary()

    missing = _first_batch(
        select(Payment)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status == PaymentStatus.SUCCEEDED,
            Order.status.in_(PAID_STATES),
            ~exists().where(VenueTransfer.payment_id == Payment.id),
            # a checkout, or a top-up whose move was made (one refunded in full transfers nothing)
            (Payment.kind == PaymentKind.CHECKOUT)
            | Payment.id.in_(select(TopUp.payment_id).where(TopUp.status == TopUpStatus.MOVED)),
        ),
        Payment.id,
    )
    summary.scheduled_orders += sum(1 for payment in missing if schedule_transfers(payment))

    # An order a gift voucher paid with nothing charged has no payment: its balance legs.
    covered = _first_batch(
        select(Order).where(
            Order.status.in_(PAID_STATES),
            Order.voucher_applied_minor > 0,
            ~exists().where(VenueTransfer.order_id == Order.id),
            ~exists().where(
                Payment.order_id == Order.id,
                Payment.kind == PaymentKind.CHECKOUT,
                Payment.status == PaymentStatus.SUCCEEDED,
            ),
        ),
        Order.id,
    )
    summary.scheduled_orders += sum(1 for order in covered if schedule_balance_transfers(order))

    venues = db.session.scalars(
        select(VenueTransfer.venue_id)
        .join(ConnectedAccount, ConnectedAccount.venue_id == VenueTransfer.venue_id)
        .where(VenueTransfer.status == TransferStatus.WAITING, ConnectedAccount.status == AccountStatus.ENABLED)
        .distinct()
    ).all()
    for venue_id in venues:
        summary.released += release_waiting(venue_id)

    summary.retried += _send_again(
        send_transfer_job,
        "transfer_id",
        VenueTransfer.id,
        (VenueTransfer.status == TransferStatus.FAILED)
        | ((VenueTransfer.status == TransferStatus.PENDING) & (VenueTransfer.created_at <= now - STALE)),
    )
    summary.reversals_retried += _send_again(
        reverse_transfer_job,
        "reversal_id",
        TransferReversal.id,
        TransferReversal.status == ReversalStatus.PENDING,
        TransferReversal.created_at <= now - STALE,
    )

    _compare_with_gateway(now, summary)
    return summary


def _compare_with_gateway(now: datetime, summary: TransferSummary) -> None:
    recent = db.session.scalars(
        select(VenueTransfer)
        .where(
            VenueTransfer.created_at >= now - CHECK_WINDOW,
            VenueTransfer.status.in_([TransferStatus.PAID, TransferStatus.PENDING, TransferStatus.FAILED]),
        )
        .order_by(VenueTransfer.transfer_group, VenueTransfer.id)
        .limit(BATCH)
    ).all()
    groups: dict[tuple[str, str], list[VenueTransfer]] = {}
    for transfer in recent:
        groups.setdefault((transfer.gateway, transfer.transfer_group), []).append(transfer)
    for (gateway, group), ours in groups.items():
        try:
            remote = connect_gateway_named(gateway).list_transfers(group)
        except GatewayError as exc:
            summary.problems.append(f"transfers of {group}: {exc.message}")
            continue
        summary.checked_groups += 1
        by_id = {t.transfer_id: t for t in remote}
        by_row = {t.metadata.get("venue_transfer_id"): t for t in remote if t.metadata.get("venue_transfer_id")}
        for transfer in ours:
            found = by_id.get(transfer.gateway_transfer_id or "") or by_row.get(str(transfer.id))
            if found is None:
                if transfer.status == TransferStatus.PAID and (transfer.sent_minor or 0) > 0:
                    summary.problems.append(f"transfer {transfer.id} ({group}) is not at the gateway")
                continue
            if transfer.gateway_transfer_id is None:
                db.session.refresh(transfer, with_for_update=True)
                if transfer.gateway_transfer_id is None:
                    transfer.gateway_transfer_id = found.transfer_id
                    mark_paid(transfer, found.amount_minor, found.destination, transfer.transferred_at or now)
                    summary.recovered += 1
            elif transfer.sent_minor is not None and found.amount_minor != transfer.sent_minor:
                summary.problems.append(
                    f"transfer {transfer.id} ({group}): we sent {transfer.sent_minor}, "
                    f"the gateway has {found.amount_minor}"
                )
