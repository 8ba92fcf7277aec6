"""Transfers to venues after payment, and their reversals after refunds: jobs, exactly once.

After ``confirm_paid`` (settlement calls ``schedule_transfers`` in the same transaction), each
venue of the order gets one ``VenueTransfer`` row (unique per payment and venue) with its share
from ``venue_shares``; a paid top-up (a move to a dearer time) gets its own row for the moved
booking's venue, from ``top_up_shares``, and a fee charged later to the saved card its own row
from ``fee_shares``; a job sends it through the gateway that took the payment, to the
venue's account at that gateway, in the order's transfer group (``order-<id>``), funded by
the order's charge (``source_transaction``), with the idempotency key ``transfer-<row id>``.
A venue whose account isn't enabled yet has its transfer wait (``waiting``); the account's
``account.updated`` (or reconciliation) sends it later.

When a refund reaches the customer (``settle_refund``), ``schedule_reversals`` splits it
between the order's venues (the cancelled booking's venue first) and takes back from each
venue's transfer its proportional part (``reversal_for``): one ``TransferReversal`` row per
refund and transfer (unique), sent by a job with the idempotency key ``reversal-<row id>``.
A transfer not sent yet is not reversed: it is sent for less (the reversal is ``netted``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.booking.models import Booking
from app.extensions import db
from app.jobs import enqueue, job
from app.payments.gateway import GatewayError
from app.payments.models import BookingFee, Payment, PaymentKind, Refund
from app.payouts.gateway import connect_gateway_named
from app.payouts.models import (
    AccountStatus,
    ConnectedAccount,
    ReversalStatus,
    TransferReversal,
    TransferStatus,
    VenueTransfer,
)
from app.payouts.shares import VenueShare, fee_shares, largest_remainder, reversal_for, top_up_shares, venue_shares

log = logging.getLogger(__name__)

TS = TransferStatus


def transfer_group(order_id: int) -> str:
    return f"order-{order_id}"


def _account_for(venue_id: int, gateway: str) -> ConnectedAccount | None:
    """The venue's account if it can receive a transfer through ``gateway`` now."""
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue_id))
    if account is None or account.gateway != gateway or account.status != AccountStatus.ENABLED:
        return None
    return account


def shares_of(payment: Payment) -> list[VenueShare]:
    """What each venue gets of ``payment``: the order's shares for its checkout, the moved
    booking's venue's share for a top-up (none for a top-up whose move wasn't made), and a
    fee's booking's venue's share for a fee (app/payments/fees.py), less commission."""
    from app.booking.models import TopUp, TopUpStatus

    if payment.kind == PaymentKind.FEE:
        venue_id = db.session.scalar(
            select(Booking.venue_id)
            .join(BookingFee, BookingFee.booking_id == Booking.id)
            .where(BookingFee.payment_id == payment.id)
        )
        return fee_shares(venue_id, payment.amount_minor, payment.currency) if venue_id else []
    if payment.kind != PaymentKind.TOP_UP:
        return venue_shares(payment.order)
    top_up = db.session.scalar(select(TopUp).where(TopUp.payment_id == payment.id))
    if top_up is None or top_up.status != TopUpStatus.MOVED:
        return []
    return top_up_shares(
        payment.order, venue_id=top_up.booking.venue_id, booking_id=top_up.booking_id, amount_minor=payment.amount_minor
    )


def schedule_transfers(payment: Payment) -> int:
    """One transfer row per venue of the paid order (or of a paid top-up), and a job for each
    that can go now. Idempotent (unique per payment and venue); returns how many rows it made."""
    order = payment.order
    made = 0
    for share in shares_of(payment):
        ready = _account_for(share.venue_id, payment.gateway) is not None
        row_id = db.session.execute(
            insert(VenueTransfer)
            .values(
                order_id=order.id,
                venue_id=share.venue_id,
                payment_id=payment.id,
                gateway=payment.gateway,
                currency=share.currency,
                gross_minor=share.gross_minor,
                charged_minor=share.charged_minor,
                commission_bp=share.rate_bp,
                commission_minor=share.commission_minor,
                transfer_minor=share.transfer_minor,
                transfer_group=transfer_group(order.id),
                status=TS.PENDING if ready else TS.WAITING,
            )
            .on_conflict_do_nothing(index_elements=["payment_id", "venue_id"])
            .returning(VenueTransfer.id)
        ).scalar()
        if row_id is None:
            continue
        made += 1
        if ready:
            enqueue(send_transfer_job, transfer_id=row_id)
    return made


def release_waiting(venue_id: int) -> int:
    """The venue's account is enabled: its waiting transfers (through its gateway) go now."""
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue_id))
    if account is None or account.status != AccountStatus.ENABLED:
        return 0
    waiting = list(
        db.session.scalars(
            select(VenueTransfer)
            .where(
                VenueTransfer.venue_id == venue_id,
                VenueTransfer.status == TS.WAITING,
                VenueTransfer.gateway == account.gateway,
            )
            .with_for_update(skip_locked=True)
        )
    )
    for transfer in waiting:
        transfer.status = TS.PENDING
        transfer.problem = None
        db.session.flush()
        enqueue(send_transfer_job, transfer_id=transfer.id)
    return len(waiting)


def netted_minor(transfer: VenueTransfer) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(TransferReversal.amount_minor), 0)).where(
                TransferReversal.transfer_id == transfer.id, TransferReversal.status == ReversalStatus.NETTED
            )
        )
        or 0
    )


def send_transfer(transfer: VenueTransfer, *, now: datetime | None = None) -> str:
    """Send one transfer (the caller holds its row lock). Safe to run again."""
    if transfer.status not in (TS.PENDING, TS.FAILED):
        return f"no change: the transfer is {transfer.status}"
    account = _account_for(transfer.venue_id, transfer.gateway)
    if account is None:
        transfer.status = TS.WAITING
        transfer.problem = "The venue's payout account can't receive transfers yet."
        return "waiting: the venue's account is not enabled"
    amount = transfer.transfer_minor - netted_minor(transfer)
    if amount > 0:
        payment = db.session.get(Payment, transfer.payment_id)
        assert payment is not None
        result = connect_gateway_named(transfer.gateway).create_transfer(
            amount_minor=amount,
            currency=transfer.currency,
            destination=account.account_id,
            transfer_group=transfer.transfer_group,
            payment_reference=payment.payment_intent_id or payment.session_id,
            metadata={
                "order_id": str(transfer.order_id),
                "venue_id": str(transfer.venue_id),
                "venue_transfer_id": str(transfer.id),
            },
            idempotency_key=f"transfer-{transfer.id}",
        )
        transfer.gateway_transfer_id = result.transfer_id
    transfer.sent_minor = amount
    transfer.destination = account.account_id
    transfer.status = TS.PAID
    transfer.problem = None
    transfer.transferred_at = now or datetime.now(UTC)
    return f"paid {amount} to {account.account_id}"


@job(name="payouts.send_transfer", retry=5)
def send_transfer_job(transfer_id: int) -> None:
    transfer = db.session.get(VenueTransfer, transfer_id, with_for_update=True)
    if transfer is None:
        return
    try:
        outcome = send_transfer(transfer)
    except GatewayError as exc:
        transfer.status = TS.FAILED
        transfer.problem = exc.message[:300]
        db.session.commit()
        raise  # retried by the queue, and by reconciliation after that
    db.session.commit()
    log.info("venue transfer %s: %s", transfer_id, outcome)


# -- refunds ---------------------------------------------------------------------------------------


def _refunded_before(transfer: VenueTransfer, refund_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(TransferReversal.refund_minor), 0)).where(
                TransferReversal.transfer_id == transfer.id,
                TransferReversal.refund_id != refund_id,
                TransferReversal.status != ReversalStatus.FAILED,
            )
        )
        or 0
    )


def allocate_refund(amount: int, remaining: dict[int, int], first: int | None = None) -> dict[int, int]:
    """Split a refund between venues (keys of ``remaining``: what each still has to refund):
    the ``first`` venue (the cancelled booking's) up to its remaining, the rest in proportion."""
    parts = dict.fromkeys(remaining, 0)
    if first in remaining:
        parts[first] = min(amount, remaining[first])
        amount -= parts[first]
    rest = {v: r - parts[v] for v, r in remaining.items()}
    if amount > sum(rest.values()):
        raise ValueError("A refund can't exceed what the venues were charged.")
    for venue, part in largest_remainder(amount, rest).items():
        parts[venue] += part
    return parts


def schedule_reversals(refund: Refund) -> int:
    """A refund reached the customer: take back each venue's part of its transfer. Exactly once
    per refund and transfer (unique); returns how many reversal rows it made."""
    if db.session.scalar(select(func.count()).where(TransferReversal.refund_id == refund.id)):
        return 0
    transfers = list(
        db.session.scalars(
            select(VenueTransfer)
            .where(VenueTransfer.payment_id == refund.payment_id)
            .order_by(VenueTransfer.id)
            .with_for_update()
        )
    )
    if not transfers:
        return 0  # a late payment refunded in full: nothing was transferred
    by_venue = {t.venue_id: t for t in transfers}
    remaining = {t.venue_id: t.charged_minor - _refunded_before(t, refund.id) for t in transfers}
    first = None
    if refund.booking_id is not None:
        first = db.session.scalar(select(Booking.venue_id).where(Booking.id == refund.booking_id))
    parts = allocate_refund(min(refund.amount_minor, sum(remaining.values())), remaining, first)
    made = 0
    for venue_id, part in parts.items():
        if part == 0:
            continue
        transfer = by_venue[venue_id]
        amount = reversal_for(
            transfer_minor=transfer.transfer_minor,
            charged_minor=transfer.charged_minor,
            refunded_before=_refunded_before(transfer, refund.id),
            refund_minor=part,
        )
        sent = transfer.status == TS.PAID and (transfer.sent_minor or 0) > 0
        reversal = TransferReversal(
            transfer_id=transfer.id,
            refund_id=refund.id,
            refund_minor=part,
            amount_minor=amount,
            status=ReversalStatus.PENDING if sent and amount > 0 else ReversalStatus.NETTED,
        )
        if transfer.status == TS.PAID and not sent:
            reversal.status = ReversalStatus.SUCCEEDED  # nothing was sent, nothing to take back
        db.session.add(reversal)
        db.session.flush()
        made += 1
        if reversal.status == ReversalStatus.PENDING:
            enqueue(reverse_transfer_job, reversal_id=reversal.id)
    return made


def send_reversal(reversal: TransferReversal, *, now: datetime | None = None) -> str:
    if reversal.status != ReversalStatus.PENDING:
        return f"no change: the reversal is {reversal.status}"
    transfer = reversal.transfer
    if not transfer.gateway_transfer_id:
        raise GatewayError("The transfer has no id at the gateway yet; the reversal will be retried.")
    result = connect_gateway_named(transfer.gateway).reverse_transfer(
        transfer.gateway_transfer_id,
        reversal.amount_minor,
        metadata={"refund_id": str(reversal.refund_id), "transfer_reversal_id": str(reversal.id)},
        idempotency_key=f"reversal-{reversal.id}",
    )
    reversal.gateway_reversal_id = result.reversal_id
    reversal.status = ReversalStatus.SUCCEEDED
    reversal.settled_at = now or datetime.now(UTC)
    return f"reversed {reversal.amount_minor} of {transfer.gateway_transfer_id}"


@job(name="payouts.reverse_transfer", retry=5)
def reverse_transfer_job(reversal_id: int) -> None:
    reversal = db.session.get(TransferReversal, reversal_id, with_for_update=True)
    if reversal is None:
        return
    outcome = send_reversal(reversal)
    db.session.commit()
    log.info("transfer reversal %s: %s", reversal_id, outcome)
