"""Transfers to venues after payment, and their reversals after refunds: jobs, exactly once.

After ``confirm_paid`` (settlement calls ``schedule_transfers`` in the same transaction), each
venue of the order gets its share from ``venue_shares`` in ``VenueTransfer`` rows, split by
what funds them (``funding_legs``):

- a **charge leg** (``funding='charge'``, unique per payment and venue), funded by the order's
  charge (``source_transaction``) and never more than the venue's part of it;
- a **balance leg** (``funding='balance'``, no payment, unique per order and venue) for the
  part a gift voucher paid (and whatever the card part can't cover), funded by the platform
  balance: the voucher money it took when the voucher was sold. An order confirmed with
  nothing charged (a voucher paid everything due now: ``confirm_covered``, or a card was only
  saved: ``mark_secured``) gets only these (``schedule_balance_transfers``), through the setup
  payment's gateway or the venue's account's.

A paid top-up (a move to a dearer time) gets its own charge leg for the moved booking's
venue, from ``top_up_shares``, and a fee charged later to the saved card its own from
``fee_shares``. A job sends each row through its gateway to the venue's account there, in
the order's transfer group (``order-<id>``), with the idempotency key ``transfer-<row id>``;
only a charge leg names a ``source_transaction``. A venue whose account isn't enabled yet has
its rows wait (``waiting``); the account's ``account.updated`` (or reconciliation) sends them
later (a waiting balance leg through the account's gateway).

When a refund reaches the customer (``refund_made``, received in app/payouts/receivers.py: a
card refund -> ``schedule_reversals``; a refund back on the gift voucher ->
``schedule_voucher_reversals``), it is split between the order's venues by what each has
left of that kind (the cancelled booking's venue first), and every leg of each venue gives back
its proportional part of everything the venue has had refunded, of both kinds
(``reversal_for`` over the venue's card part + voucher part): one ``TransferReversal`` row per
refund (or voucher ledger entry) and transfer (unique), sent by a job with the idempotency key
``reversal-<row id>``. A full refund reverses every leg in full. A transfer not sent yet is
not reversed: it is sent for less (the reversal is ``netted``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import exists, func, select, text
from sqlalchemy.dialects.postgresql import insert

from app.booking.models import Booking, Order, TopUp, TopUpStatus
from app.payments.gateway import configured_gateway_name
from app.payments.models import BookingFee, Payment, PaymentKind, Refund
from app.payments.ports import GatewayError
from app.payouts.gateway import connect_gateway_named
from app.payouts.models import (
    ConnectedAccount,
    Funding,
    ReversalStatus,
    TransferReversal,
    TransferStatus,
    VenueTransfer,
)
from app.payouts.ports import AccountStatus, TransferRequest
from app.payouts.shares import (
    Leg,
    VenueShare,
    fee_shares,
    funding_legs,
    largest_remainder,
    reversal_for,
    top_up_shares,
    venue_shares,
    whole_leg,
)
from app.platform.extensions import db
from app.platform.jobs import act_on_locked_row, enqueue, job
from app.vouchers.models import EntryKind, VoucherEntry

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


def _insert_leg(order_id: int, share: VenueShare, leg: Leg, *, payment_id: int | None, gateway: str) -> int:
    """One leg's row, and its job if the venue can receive it now; idempotent (a charge leg is
    unique per payment and venue, a balance leg per order and venue). Returns 1 if made."""
    ready = _account_for(share.venue_id, gateway) is not None
    statement = insert(VenueTransfer).values(
        order_id=order_id,
        venue_id=share.venue_id,
        payment_id=payment_id,
        funding=leg.funding,
        gateway=gateway,
        currency=share.currency,
        gross_minor=leg.gross_minor,
        charged_minor=leg.charged_minor,
        commission_bp=share.rate_bp,
        commission_minor=leg.commission_minor,
        transfer_minor=leg.transfer_minor,
        transfer_group=transfer_group(order_id),
        status=TS.PENDING if ready else TS.WAITING,
    )
    if leg.funding == Funding.BALANCE:
        statement = statement.on_conflict_do_nothing(
            index_elements=["order_id", "venue_id"], index_where=text("funding = 'balance'")
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=["payment_id", "venue_id"])
    row_id = db.session.execute(statement.returning(VenueTransfer.id)).scalar()
    if row_id is None:
        return 0
    if ready:
        enqueue(send_transfer_job, transfer_id=row_id)
    return 1


def schedule_transfers(payment: Payment) -> int:
    """The rows for a paid payment, and a job for each that can go now. A checkout: each venue's
    charge leg (funded by this charge) and, where a gift voucher paid part of the order, its
    balance leg (``funding_legs``); a top-up or a fee: one charge leg. Idempotent; returns how
    many rows it made."""
    order = payment.order
    checkout = payment.kind == PaymentKind.CHECKOUT
    made = 0
    for share in shares_of(payment):
        legs = funding_legs(share) if checkout else [whole_leg(share)]
        for leg in legs:
            payment_id = payment.id if leg.funding == Funding.CHARGE else None
            made += _insert_leg(order.id, share, leg, payment_id=payment_id, gateway=payment.gateway)
    return made


def _gateway_for_venue(venue_id: int) -> str:
    """Where a transfer with no payment goes: the venue's account's gateway, else the one that
    takes payments now (``release_waiting`` moves it to the account's when it is enabled)."""
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue_id))
    return account.gateway if account is not None else configured_gateway_name()


def schedule_balance_transfers(order: Order, *, gateway: str | None = None) -> int:
    """An order paid with nothing charged (a gift voucher paid all that was due now): each
    venue's balance leg, funded by the platform balance, through ``gateway`` (the setup
    payment's, when a card was saved) or the venue's account's. Idempotent; returns how many
    rows it made. A charged order gets its balance legs from ``schedule_transfers``."""
    made = 0
    for share in venue_shares(order):
        for leg in funding_legs(share):
            if leg.funding == Funding.BALANCE:
                made += _insert_leg(
                    order.id, share, leg, payment_id=None, gateway=gateway or _gateway_for_venue(share.venue_id)
                )
    return made


def release_waiting(venue_id: int) -> int:
    """The venue's account is enabled: its waiting transfers (through its gateway) go now. A
    waiting balance leg isn't tied to a charge: it goes through the account's gateway."""
    account = db.session.scalar(select(ConnectedAccount).where(ConnectedAccount.venue_id == venue_id))
    if account is None or account.status != AccountStatus.ENABLED:
        return 0
    waiting = list(
        db.session.scalars(
            select(VenueTransfer)
            .where(
                VenueTransfer.venue_id == venue_id,
                VenueTransfer.status == TS.WAITING,
                (VenueTransfer.gateway == account.gateway) | (VenueTransfer.funding == Funding.BALANCE),
            )
            .order_by(VenueTransfer.id)
            .with_for_update(skip_locked=True)
        )
    )
    for transfer in waiting:
        transfer.gateway = account.gateway
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
        reference = None  # a balance leg: from the platform balance, no source_transaction
        if transfer.funding == Funding.CHARGE:
            payment = db.session.get(Payment, transfer.payment_id)
            assert payment is not None
            reference = payment.payment_intent_id or payment.session_id
        result = connect_gateway_named(transfer.gateway).create_transfer(
            TransferRequest(
                amount_minor=amount,
                currency=transfer.currency,
                destination=account.account_id,
                transfer_group=transfer.transfer_group,
                payment_reference=reference,
                metadata={
                    "order_id": str(transfer.order_id),
                    "venue_id": str(transfer.venue_id),
                    "venue_transfer_id": str(transfer.id),
                },
                idempotency_key=f"transfer-{transfer.id}",
            )
        )
        transfer.gateway_transfer_id = result.transfer_id
    mark_paid(transfer, amount, account.account_id, now or datetime.now(UTC))
    return f"paid {amount} to {account.account_id}"


def mark_paid(transfer: VenueTransfer, sent_minor: int, destination: str, at: datetime) -> None:
    """Record ``transfer`` as paid: ``sent_minor`` sent to the account ``destination`` at ``at``."""
    transfer.sent_minor = sent_minor
    transfer.destination = destination
    transfer.status = TS.PAID
    transfer.problem = None
    transfer.transferred_at = at


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


def _not_from(source: dict[str, int]):
    """Reversals of another source than ``source``: ``{"refund_id": id}`` (a card refund) or
    ``{"voucher_entry_id": id}`` (a refund back on a voucher); the other column is NULL."""
    ((column, value),) = source.items()
    return getattr(TransferReversal, column).is_distinct_from(value)


def _refunded_before(transfers: list[VenueTransfer], source: dict[str, int]) -> int:
    """The refunds split to ``transfers`` by other sources (live reversals only)."""
    if not transfers:
        return 0
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(TransferReversal.refund_minor), 0)).where(
                TransferReversal.transfer_id.in_([t.id for t in transfers]),
                _not_from(source),
                TransferReversal.status != ReversalStatus.FAILED,
            )
        )
        or 0
    )


def _checkout_legs(order_id: int) -> dict[int, list[VenueTransfer]]:
    """Each venue's legs of the order's checkout (its charge leg and its balance leg), locked.
    A refund of either kind takes back from both, in proportion."""
    rows = db.session.scalars(
        select(VenueTransfer)
        .outerjoin(Payment, Payment.id == VenueTransfer.payment_id)
        .where(
            VenueTransfer.order_id == order_id,
            (VenueTransfer.funding == Funding.BALANCE) | (Payment.kind == PaymentKind.CHECKOUT),
        )
        .order_by(VenueTransfer.id)
        .with_for_update(of=VenueTransfer)
    )
    legs: dict[int, list[VenueTransfer]] = {}
    for row in rows:
        legs.setdefault(row.venue_id, []).append(row)
    return legs


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
    """A card refund reached the customer: take back each venue's part of its transfers. Exactly
    once per refund and transfer (unique); returns how many reversal rows it made."""
    if db.session.scalar(select(func.count()).where(TransferReversal.refund_id == refund.id)):
        return 0
    own = list(
        db.session.scalars(
            select(VenueTransfer)
            .where(VenueTransfer.payment_id == refund.payment_id)
            .order_by(VenueTransfer.id)
            .with_for_update()
        )
    )
    if not own:
        return 0  # a late payment refunded in full: nothing was transferred
    if refund.payment.kind == PaymentKind.CHECKOUT:
        legs = _checkout_legs(refund.payment.order_id)
    else:
        legs = {t.venue_id: [t] for t in own}  # a top-up's or a fee's transfer stands alone
    return _reverse(
        {"refund_id": refund.id},
        refund.amount_minor,
        booking_id=refund.booking_id,
        own={t.venue_id: t for t in own},
        legs=legs,
    )


def schedule_voucher_reversals(order: Order) -> int:
    """Refunds put back on the gift voucher that paid part of ``order`` (its ledger's ``refund``
    entries, app/vouchers/ledger.py) take back each venue's part of its transfers, like a card
    refund: split to the venues' balance legs (the booking's venue first), each venue's legs
    reversed in proportion. Exactly once per entry and transfer; returns how many rows it made."""
    entries = list(
        db.session.scalars(
            select(VoucherEntry)
            .where(
                VoucherEntry.order_id == order.id,
                VoucherEntry.kind == EntryKind.REFUND,
                ~exists().where(TransferReversal.voucher_entry_id == VoucherEntry.id),
            )
            .order_by(VoucherEntry.id)
        )
    )
    made = 0
    for entry in entries:
        legs = _checkout_legs(order.id)
        own = {v: t for v, its in legs.items() for t in its if t.funding == Funding.BALANCE}
        if own:
            made += _reverse(
                {"voucher_entry_id": entry.id}, entry.amount_minor, booking_id=entry.booking_id, own=own, legs=legs
            )
    return made


def _reverse(
    source: dict[str, int],
    amount_minor: int,
    *,
    booking_id: int | None,
    own: dict[int, VenueTransfer],
    legs: dict[int, list[VenueTransfer]],
) -> int:
    """Split a refund between venues by what each ``own`` leg (the refund's kind: a card
    refund's charge legs, a voucher refund's balance legs) still has to refund, the booking's
    venue first; then take back from every leg of each venue its proportional part,
    cumulatively over the venue's refunds of both kinds (``reversal_for`` with the venue's card
    and voucher parts as the base): once everything is refunded, every leg is reversed."""
    remaining = {v: t.charged_minor - _refunded_before([t], source) for v, t in own.items()}
    first = None
    if booking_id is not None:
        first = db.session.scalar(select(Booking.venue_id).where(Booking.id == booking_id))
    parts = allocate_refund(min(amount_minor, sum(remaining.values())), remaining, first)
    made = 0
    for venue_id, part in parts.items():
        if part == 0:
            continue
        its_legs = legs.get(venue_id) or [own[venue_id]]
        base = sum(t.charged_minor for t in its_legs)
        before = _refunded_before(its_legs, source)
        for transfer in its_legs:
            mine = transfer.id == own[venue_id].id
            amount = reversal_for(
                transfer_minor=transfer.transfer_minor, charged_minor=base, refunded_before=before, refund_minor=part
            )
            if not mine and amount == 0:
                continue  # the other leg: a row only when something comes back from it
            sent = transfer.status == TS.PAID and (transfer.sent_minor or 0) > 0
            reversal = TransferReversal(
                **source,
                transfer_id=transfer.id,
                refund_minor=part if mine else 0,
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


def _reversal_metadata(reversal: TransferReversal) -> dict[str, str]:
    source = (
        {"refund_id": str(reversal.refund_id)}
        if reversal.refund_id is not None
        else {"voucher_entry_id": str(reversal.voucher_entry_id)}
    )
    return source | {"transfer_reversal_id": str(reversal.id)}


def send_reversal(reversal: TransferReversal, *, now: datetime | None = None) -> str:
    if reversal.status != ReversalStatus.PENDING:
        return f"no change: the reversal is {reversal.status}"
    transfer = reversal.transfer
    if not transfer.gateway_transfer_id:
        raise GatewayError("The transfer has no id at the gateway yet; the reversal will be retried.")
    result = connect_gateway_named(transfer.gateway).reverse_transfer(
        transfer.gateway_transfer_id,
        reversal.amount_minor,
        metadata=_reversal_metadata(reversal),
        idempotency_key=f"reversal-{reversal.id}",
    )
    reversal.gateway_reversal_id = result.reversal_id
    reversal.status = ReversalStatus.SUCCEEDED
    reversal.settled_at = now or datetime.now(UTC)
    return f"reversed {reversal.amount_minor} of {transfer.gateway_transfer_id}"


@job(name="payouts.reverse_transfer", retry=5)
def reverse_transfer_job(reversal_id: int) -> None:
    sent = act_on_locked_row(TransferReversal, reversal_id, send_reversal)
    if sent is not None:
        log.info("transfer reversal %s: %s", reversal_id, sent)
