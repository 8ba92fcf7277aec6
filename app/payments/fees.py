"""No-show and late-cancellation fees, charged to the saved card off-session, exactly once.

A late cancellation or a provider's no-show mark calls ``record_fee``: the fee (a percent of
what the booking costs, app/venues/deposits.py) is taken from what was paid online first
(kept, not refunded) and only the rest is charged to the card the checkout saved. Once:

- one ``BookingFee`` row per booking and kind (a unique key): a second mark or a retried
  request finds the row and adds nothing;
- the charge is a job after commit (``charge_fee_job``) that locks the row and does nothing
  unless it is still ``pending``; the gateway call carries the idempotency key
  ``fee-<row id>``, so a job retried after the gateway answered (but before our commit) gets
  the same payment intent back, never a second charge.

A fee payment is a ``Payment`` of kind ``fee``: separate money, never part of the order's
refundable amount (app/payments/refunds.py counts the checkout payment only). A charged fee
goes to the venue minus the platform's commission like any charge (app/payouts/shares.py
``fee_shares``, app/payouts/transfers.py), handed to payouts by the ``charge_taken`` signal
(app/payments/events.py: payouts sit above payments). A declined charge, or one the bank wants the
customer to authenticate, is recorded with its reason for the provider and the customer is
emailed; nothing is retried automatically.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.booking.models import Booking
from app.payments import events
from app.payments.gateway import gateway_named
from app.payments.models import BookingFee, FeeKind, FeeStatus, Payment, PaymentKind, PaymentStatus
from app.payments.ports import GatewayError
from app.payments.saved_cards import as_card, get_saved_card
from app.platform.email import send_email, speaking_to
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.platform.money import format_money
from app.platform.urls import absolute_url
from app.venues.deposits import split_fee

log = logging.getLogger(__name__)

FEE_LABELS = {FeeKind.LATE_CANCELLATION: _l("late-cancellation fee"), FeeKind.NO_SHOW: _l("no-show fee")}


def fee_percent(booking: Booking, kind: str) -> int | None:
    return booking.cancel_late_fee_percent if kind == FeeKind.LATE_CANCELLATION else booking.no_show_fee_percent


def record_fee(booking: Booking, kind: str) -> BookingFee | None:
    """The booking's fee of ``kind`` (None if its policy has none), recorded once; the part
    left after what was paid online is charged by a job after commit."""
    split = split_fee(
        price_minor=booking.total_minor,
        promo_minor=booking.promo_discount_minor or 0,
        paid_online_minor=booking.paid_minor,
        percent=fee_percent(booking, kind),
    )
    if split.fee_minor <= 0:
        return None
    row_id = db.session.execute(
        insert(BookingFee)
        .values(
            booking_id=booking.id,
            order_id=booking.order_id,
            kind=kind,
            currency=booking.currency,
            fee_minor=split.fee_minor,
            from_paid_minor=split.from_paid_minor,
            charge_minor=split.charge_minor,
            status=FeeStatus.PENDING if split.charge_minor > 0 else FeeStatus.COVERED,
        )
        .on_conflict_do_nothing(index_elements=["booking_id", "kind"])
        .returning(BookingFee.id)
    ).scalar()
    if row_id is None:  # recorded before: nothing new to charge
        return get_fee(booking.id, kind)
    if split.charge_minor > 0:
        enqueue(charge_fee_job, fee_id=row_id)
    return db.session.get(BookingFee, row_id)


def get_fee(booking_id: int, kind: str) -> BookingFee | None:
    return db.session.scalar(select(BookingFee).where(BookingFee.booking_id == booking_id, BookingFee.kind == kind))


def get_fees(booking_id: int) -> list[BookingFee]:
    return list(
        db.session.scalars(select(BookingFee).where(BookingFee.booking_id == booking_id).order_by(BookingFee.id))
    )


def get_order_fees(order) -> list[BookingFee]:
    return list(db.session.scalars(select(BookingFee).where(BookingFee.order_id == order.id).order_by(BookingFee.id)))


def charge_fee(fee: BookingFee, *, now: datetime | None = None) -> str:
    """Charge a pending fee to the order's saved card (the caller holds the fee's row lock).
    Safe to run again: only a ``pending`` fee is charged, under one idempotency key."""
    if fee.status != FeeStatus.PENDING:
        return f"no change: the fee is {fee.status}"
    now = now or datetime.now(UTC)
    fee.attempts += 1
    saved = get_saved_card(fee.order_id)
    if saved is None:
        return _failed(fee, _("No card was saved with this booking, so the fee can't be charged."), now)
    payment = fee.payment
    if payment is None:
        payment = Payment(
            order_id=fee.order_id,
            gateway=saved.gateway,
            kind=PaymentKind.FEE,
            session_id=f"fee_{fee.id}",
            amount_minor=fee.charge_minor,
            currency=fee.currency,
            status=PaymentStatus.PROCESSING,
            expires_at=now,
        )
        db.session.add(payment)
        db.session.flush()
        fee.payment_id = payment.id
    result = gateway_named(saved.gateway).charge_saved_card(
        as_card(saved),
        fee.charge_minor,
        fee.currency,
        idempotency_key=f"fee-{fee.id}",
        metadata={"order_id": str(fee.order_id), "booking_id": str(fee.booking_id), "fee_id": str(fee.id)},
    )
    payment.payment_intent_id = result.payment_intent_id
    fee.settled_at = now
    if result.status != "succeeded":
        payment.status = PaymentStatus.FAILED
        return _failed(fee, result.message or "The card was declined.", now)
    payment.status = PaymentStatus.SUCCEEDED
    fee.status = FeeStatus.CHARGED
    fee.problem = None

    events.charge_taken.send(PaymentKind.FEE, payment=payment)  # the venue's share: app/payouts/receivers.py
    return f"charged {fee.charge_minor}"


def _failed(fee: BookingFee, message: str, now: datetime) -> str:
    fee.status = FeeStatus.FAILED
    fee.problem = message[:300]
    fee.settled_at = now
    _tell_customer(fee)
    return f"failed: {message}"


def _tell_customer(fee: BookingFee) -> None:
    booking = fee.booking
    with speaking_to(booking.customer):  # the amount in the customer's language
        amount = format_money(fee.charge_minor, fee.currency)
    send_email(
        booking.customer.email,
        _l("We couldn't charge the %(fee)s for %(service)s", fee=FEE_LABELS[fee.kind], service=booking.service.name),
        "fee_not_charged",
        user=booking.customer,
        booking=booking,
        fee_label=FEE_LABELS[fee.kind],
        amount=amount,
        problem=fee.problem,
        booking_url=absolute_url("booking.booking_detail", reference=booking.reference),
    )


@job(name="payments.charge_fee", retry=5)
def charge_fee_job(fee_id: int) -> None:
    fee = db.session.get(BookingFee, fee_id, with_for_update=True, populate_existing=True)  # re-read under the lock
    if fee is None:
        return
    try:
        outcome = charge_fee(fee)
    except GatewayError:
        db.session.rollback()
        raise  # the gateway couldn't be reached: retried with the same idempotency key
    db.session.commit()
    log.info("booking fee %s: %s", fee_id, outcome)


def describe_fee(fee: BookingFee) -> str:
    """ "No-show fee £30.00: £12.00 kept from what was paid online, £18.00 charged to the saved card"."""
    amount = format_money(fee.fee_minor, fee.currency)
    if fee.kind == FeeKind.LATE_CANCELLATION:
        text = _("Late-cancellation fee %(amount)s", amount=amount)
    else:
        text = _("No-show fee %(amount)s", amount=amount)
    details = []
    if fee.from_paid_minor:
        details.append(
            _("%(amount)s kept from what was paid online", amount=format_money(fee.from_paid_minor, fee.currency))
        )
    if fee.charge_minor:
        details.append(_charge_words(fee.status, format_money(fee.charge_minor, fee.currency)))
    if details:
        text = _("%(fee)s: %(details)s", fee=text, details=", ".join(details))
    if fee.status == FeeStatus.FAILED and fee.problem:
        text = _("%(fee)s (%(problem)s)", fee=text, problem=fee.problem)
    return text


def _charge_words(status: str, amount: str) -> str:
    """What became of the part charged to the saved card: "£18.00 charged to the saved card"."""
    if status == FeeStatus.COVERED:
        return _("%(amount)s kept from what was paid online", amount=amount)
    if status == FeeStatus.PENDING:
        return _("%(amount)s being charged to the saved card", amount=amount)
    if status == FeeStatus.CHARGED:
        return _("%(amount)s charged to the saved card", amount=amount)
    return _("%(amount)s not charged", amount=amount)
