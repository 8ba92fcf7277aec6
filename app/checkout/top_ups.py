"""Top-ups: a customer's move to a time that costs more now, paid before it is made.

    start_top_up        the new time is HELD (a held booking, ``moves_booking_id`` = the booking,
                        made under the service row lock like checkout's holds), a ``TopUp`` row
                        and a ``top_up`` payment through the gateway's hosted checkout; the
                        booking keeps its old time meanwhile
    settle_paid         the gateway's "paid" (settlement.py, the webhook path): the hold hands
                        its time to the booking through ``reschedule.apply_move`` (the one move
                        code: old time reopened, BookingMove, .ics SEQUENCE, reminders, emails)
                        and the order records it (``order_lifecycle.record_top_up``)
    settle_unpaid       declined or abandoned: the hold is released, nothing else changed
    expire_top_up_holds the hold ran out (``order_lifecycle.expire_holds`` calls it): released
    give_up             the customer's "Keep my time": released

Every release fires ``times_reopened`` for the held time, like any released hold. Money that
arrives after the hold went still moves the booking while the new time is free, the booking
is unchanged and no other move is waiting; otherwise it is refunded in full and the customer
is told why (``TopUp.outcome``). See docs/rescheduling.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.booking import lifecycle, order_lifecycle
from app.booking.errors import SlotUnavailable
from app.booking.events import announce_reopened, booking_moved, holds_expiring, times_reopened
from app.booking.holds import booked_choice, hold_booking
from app.booking.models import Booking, BookingStatus, TopUp, TopUpStatus
from app.booking.reserving import write_or_refuse
from app.checkout import reschedule
from app.checkout.move_policy import just_taken
from app.payments.events import top_up_paid, top_up_unpaid
from app.payments.models import Payment, PaymentStatus
from app.payments.ports import TopUpCharge
from app.payments.refunds import refund_in_full
from app.payments.service import start_top_up_payment
from app.platform import timefmt
from app.platform.email import send_email, speaking_to
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.urls import absolute_url
from app.venues.models import Service

# What happened to a top-up, for the customer: ``TopUp.outcome_code`` names one of these, and
# the page says it in the reader's language (``describe_outcome``); ``TopUp.outcome`` keeps the
# English words as a record. "refunded:<reason>" names one of REFUND_REASONS.
OUTCOMES = {
    "chose_other": _l("You chose another time instead. Nothing was charged."),
    "venue_moved": _l("The venue moved your booking meanwhile, so this change was dropped. Nothing was charged."),
    "moved_other": _l("You moved your booking to another time instead. Nothing was charged."),
    "cancelled": _l("The booking was cancelled, so this change was dropped. Nothing was charged for it."),
    "kept": _l("You kept your time; nothing was charged."),
    "hold_expired": _l(
        "The new time was held for you for a while and the payment didn't arrive in time, so it was "
        "released. Nothing was charged."
    ),
    "declined": _l("Your card was declined, so nothing was charged and your booking stays as it was."),
    "page_expired": _l(
        "The payment page expired before the payment was made, so nothing was charged and your booking stays as it was."
    ),
    "hold_ran_out": _l("The new time's hold ran out."),
    "refunded": _l("We couldn't move your booking: %(why)s The %(amount)s is on its way back to your card."),
    "moved": _l("Moved to %(label)s. You paid the difference of %(amount)s."),
}
REFUND_REASONS = {
    "booking_cancelled": _l("the booking was cancelled before your payment arrived."),
    "booking_changed": _l("the booking was changed before your payment arrived."),
    "started": _l("the appointment had already started."),
    "chose_other": _l("you chose another time meanwhile."),
    "taken_after_hold": _l("%(label)s was taken after its hold ran out, before your payment arrived."),
    "taken": _l("the new time was taken before your payment arrived."),
}

REASON = "top_up_released"  # the sender of ``times_reopened`` when a top-up's hold goes


# -- queries ----------------------------------------------------------------------------------------


def get_pending_top_up(booking_id: int) -> TopUp | None:
    return db.session.scalar(select(TopUp).where(TopUp.booking_id == booking_id, TopUp.status == TopUpStatus.PENDING))


def _locked_top_up(**where: int) -> TopUp | None:
    query = select(TopUp).filter_by(**where).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def _locked_booking(booking_id: int | None) -> Booking | None:
    if booking_id is None:
        return None
    query = select(Booking).where(Booking.id == booking_id).with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


# -- starting ---------------------------------------------------------------------------------------


def start_top_up(
    booking: Booking,
    new_start: datetime,
    team_member_id: int | None,
    *,
    by: User,
    expected_minor: int,
    now: datetime | None = None,
):
    """Hold the new time and start the top-up payment; returns (TopUp, Payment). Raises a
    DomainError and changes nothing when the move can't be made (the same checks as any
    customer move), when it no longer costs more, or when the difference isn't
    ``expected_minor`` (the amount the customer saw and confirmed)."""
    now = now or datetime.now(UTC)
    booking, service, target = reschedule.check_move(booking, new_start, team_member_id, by=by, now=now)
    difference = reschedule.price_difference(booking, service)
    if difference <= 0:
        raise InvalidTransition(_("This time doesn't cost more than you paid any more: choose it again to move."))
    if difference != expected_minor:
        raise InvalidTransition(
            _(
                "The price changed: %(label)s now costs %(amount)s more than you paid. Check it and confirm again.",
                label=target.label,
                amount=format_money(difference, booking.currency),
            )
        )
    _release_pending_for(booking, now=now)  # a move waiting for payment gives way to the new choice
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    hold = hold_booking(
        service,
        team_member_id=target.team_member_id,
        starts_at=target.starts_at,  # born held, like checkout's holds
        ends_at=target.ends_at,
        hold_until=hold_until,
        moves=booking,
        choice=booked_choice(booking),
    )
    # Checked by check_move under the service's lock; the exclusion constraint as the last line
    # of defence (app/booking/reserving.py).
    # The hold takes the new time's rooms and equipment (it may share the booking's own units).
    with write_or_refuse(lambda _why: just_taken(target.label), now=now):
        db.session.add(hold)
    top_up = TopUp(
        order_id=booking.order_id,
        booking_id=booking.id,
        hold_booking_id=hold.id,
        customer_id=booking.customer_id,
        amount_minor=difference,
        currency=booking.currency,
        new_unit_price_minor=booked_choice(booking).price_minor(service),
        from_starts_at=booking.starts_at,
        from_team_member_id=booking.team_member_id,
        to_starts_at=target.starts_at,
        to_team_member_id=target.team_member_id,
        status=TopUpStatus.PENDING,
    )
    db.session.add(top_up)
    db.session.flush()
    zone = timefmt.venue_zone(booking.venue.timezone)
    charge = TopUpCharge(
        order_id=booking.order_id,
        top_up_id=top_up.id,
        booking_reference=booking.reference,
        amount_minor=difference,
        currency=booking.currency,
        line_name=(
            f"Move of {booking.reference}: {service.name} at {booking.venue.name} — "
            f"{timefmt.moment_label(target.starts_at, zone)} (price difference)"
        ),
        customer_email=booking.customer.email,
        expires_at=hold_until,
    )
    payment = start_top_up_payment(charge, booking_reference=booking.reference)
    top_up.payment_id = payment.id
    audit.record(
        "booking.top_up_started",
        actor_id=by.id,
        about=("booking", booking.id),
        reference=booking.reference,
        reason=f"{timefmt.moment_label(booking.starts_at, zone)} → {timefmt.moment_label(target.starts_at, zone)}",
        amount_minor=difference,
        top_up_id=top_up.id,
    )
    return top_up, payment


# -- letting the hold go ----------------------------------------------------------------------------


def _release(
    top_up: TopUp, code: str, *, status: str = TopUpStatus.RELEASED, payment_status: str | None = None, now: datetime
) -> None:
    """The hold goes (``times_reopened`` fires for it), the top-up ends with the outcome
    ``code`` (OUTCOMES); an open payment is closed with ``payment_status``. The caller holds
    the order's row lock."""
    _set_outcome(top_up, code)
    hold = _locked_booking(top_up.hold_booking_id)
    if hold is not None and hold.status == BookingStatus.HELD:
        lifecycle.apply(hold, "expire", actor=None, reason=top_up.outcome[:200])
        db.session.flush()
        announce_reopened(REASON, [hold], order_id=top_up.order_id)
    top_up.status = status
    top_up.settled_at = now
    if payment_status and top_up.payment_id:
        payment = db.session.get(Payment, top_up.payment_id)
        if payment is not None and payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
            payment.status = payment_status


def _release_pending_for(booking: Booking, *, now: datetime, why: str = "chose_other") -> None:
    pending = _locked_top_up(booking_id=booking.id, status=TopUpStatus.PENDING)
    if pending is not None:
        _release(pending, why, payment_status=PaymentStatus.EXPIRED, now=now)


@booking_moved.connect
def give_way_to_a_move(moved_by: str, *, booking: Booking, paid_minor: int, now: datetime, **_: object) -> None:
    if not paid_minor:  # a move made without a top-up (this top-up's own paid move has one)
        release_after_move(booking, moved_by=moved_by, now=now)


def release_after_move(booking: Booking, *, moved_by: str, now: datetime | None = None) -> None:
    """The booking was moved another way (by the venue, or by the customer to a time that
    doesn't cost more): a move still waiting for its top-up lets its time go."""
    why = "venue_moved" if moved_by == "venue" else "moved_other"
    _release_pending_for(booking, now=now or datetime.now(UTC), why=why)


@times_reopened.connect_via(BookingStatus.CANCELLED_BY_CUSTOMER)
@times_reopened.connect_via(BookingStatus.CANCELLED_BY_VENUE)
def release_for_cancelled(reason: str, *, order_id: int, **_: object) -> None:
    """A cancelled booking's move waiting for its top-up lets its held time go at once."""
    pending = db.session.scalars(
        select(TopUp)
        .join(Booking, Booking.id == TopUp.booking_id)
        .where(
            TopUp.order_id == order_id,
            TopUp.status == TopUpStatus.PENDING,
            Booking.status != BookingStatus.CONFIRMED,
        )
    ).all()
    for top_up in pending:
        _release(
            top_up,
            "cancelled",
            payment_status=PaymentStatus.EXPIRED,
            now=datetime.now(UTC),
        )


def give_up(top_up: TopUp, *, customer: User, now: datetime | None = None) -> bool:
    """The customer's "Keep my time": the held new time goes; False if it had already ended."""
    if top_up.customer_id != customer.id:
        raise InvalidTransition(_("You can only change your own bookings."))
    now = now or datetime.now(UTC)
    order_lifecycle.lock_order(top_up.order_id)
    top_up = _locked_top_up(id=top_up.id)
    if top_up is None or top_up.status != TopUpStatus.PENDING:
        return False
    payment = db.session.get(Payment, top_up.payment_id) if top_up.payment_id else None
    if payment is not None and payment.status == PaymentStatus.PROCESSING:
        raise InvalidTransition(_("Your payment is being processed: we'll email you when the move is made or not."))
    _release(top_up, "kept", payment_status=PaymentStatus.EXPIRED, now=now)
    return True


@holds_expiring.connect
def release_run_out_holds(sender: str, *, now, service_ids=None, member_ids=None, between=None) -> int:
    return expire_top_up_holds(now, service_ids=service_ids, member_ids=member_ids, between=between)


def expire_top_up_holds(
    now: datetime,
    *,
    service_ids: list[int] | None = None,
    member_ids: list[int] | None = None,
    between: tuple[datetime, datetime] | None = None,
) -> int:
    """Release the holds of pending top-ups that ran out (the filters as ``expire_holds``');
    top-ups another transaction is settling are skipped. Returns how many holds it freed."""
    query = (
        select(TopUp)
        .join(Booking, Booking.id == TopUp.hold_booking_id)
        .where(
            TopUp.status == TopUpStatus.PENDING,
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at <= now,
        )
    )
    if service_ids is not None or member_ids is not None:
        query = query.where(
            Booking.service_id.in_(service_ids or [-1]) | Booking.team_member_id.in_(member_ids or [-1])
        )
    if between is not None:
        query = query.where(Booking.starts_at < between[1], Booking.blocks_until > between[0])
    due = list(db.session.scalars(query.order_by(TopUp.id).with_for_update(of=TopUp, skip_locked=True)))
    for top_up in due:
        _release(
            top_up,
            "hold_expired",
            payment_status=PaymentStatus.EXPIRED,
            now=now,
        )
    return len(due)


# -- settling (asked by app/payments/settlement.py through app/payments/events.py) -----------------------------------


@top_up_unpaid.connect
def unpaid_by_gateway(_sender: str, *, payment, status: str, now: datetime) -> str:
    return settle_unpaid(payment, status, now=now)


@top_up_paid.connect
def paid_by_gateway(_sender: str, *, payment, now: datetime) -> str:
    return settle_paid(payment, now=now)


def settle_unpaid(payment, status: str, *, now: datetime | None = None) -> str:
    """The top-up's checkout failed or expired: its hold goes, the booking is as it was."""
    now = now or datetime.now(UTC)
    order_lifecycle.lock_order(payment.order_id)
    if payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
        payment.status = status
    top_up = _locked_top_up(payment_id=payment.id)
    if top_up is None:
        return "ignored: no top-up for this payment"
    if top_up.status != TopUpStatus.PENDING:
        return f"no change: the top-up is {top_up.status}"
    _release(top_up, "declined" if status == PaymentStatus.FAILED else "page_expired", now=now)
    return "top-up unpaid: hold released"


def settle_paid(payment, *, now: datetime | None = None) -> str:
    """The gateway took the top-up (the caller marked the payment succeeded): make the move,
    or refund the top-up in full if it can't be made. Idempotent; under the locks a move takes
    (the service row, then the order's, the booking's and the top-up's)."""
    now = now or datetime.now(UTC)
    top_up = db.session.scalar(select(TopUp).where(TopUp.payment_id == payment.id))
    if top_up is None:
        return "ignored: no top-up for this payment"
    booking = db.session.get(Booking, top_up.booking_id)
    db.session.scalars(
        select(Service)
        .where(Service.id == booking.service_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    order = order_lifecycle.lock_order(top_up.order_id)
    booking = _locked_booking(top_up.booking_id)
    top_up = _locked_top_up(id=top_up.id)
    if top_up.status in (TopUpStatus.MOVED, TopUpStatus.REFUNDED):
        return f"already settled: the top-up is {top_up.status}"

    target, why = _where_to(top_up, booking, now)
    if target is not None:
        hold = _locked_booking(top_up.hold_booking_id)
        if hold is not None and hold.status == BookingStatus.HELD:
            # The hold hands its time to the booking: not a release, nothing reopens.
            lifecycle.apply(hold, "release", actor=None, reason=f"handed to the move of {booking.reference}")
            db.session.flush()
        try:
            with db.session.begin_nested():
                reschedule.apply_move(
                    booking,
                    target,
                    by=booking.customer,
                    moved_by="customer",
                    difference=top_up.amount_minor,
                    new_unit_price_minor=top_up.new_unit_price_minor,
                    top_up_minor=top_up.amount_minor,
                    now=now,
                )
        except SlotUnavailable:
            target, why = None, "taken"
    if target is None:
        _release(top_up, f"refunded:{why}", status=TopUpStatus.REFUNDED, now=now)
        refund_in_full(payment, reason=f"Top-up refunded: {top_up.outcome}"[:200])
        _tell_refunded(booking, top_up)
        return "top-up paid but the move could not be made: refunded in full"
    order_lifecycle.record_top_up(
        order, top_up.amount_minor, actor=booking.customer, reason=f"Moved {booking.reference} to a dearer time"
    )
    top_up.status = TopUpStatus.MOVED
    _set_outcome(top_up, "moved")
    top_up.settled_at = now
    return "top-up paid: booking moved"


def _where_to(top_up: TopUp, booking: Booking, now: datetime):
    """Where the paid move goes (a ``reschedule.Target``), or None and why it can't be made
    (a key of REFUND_REASONS)."""
    zone = timefmt.venue_zone(booking.venue.timezone)
    label = f"{timefmt.moment_label(top_up.to_starts_at, zone)} ({zone.key})"
    if booking.status != BookingStatus.CONFIRMED:
        return None, "booking_cancelled"
    if booking.starts_at != top_up.from_starts_at or booking.team_member_id != top_up.from_team_member_id:
        return None, "booking_changed"
    if now >= booking.starts_at:
        return None, "started"
    hold = db.session.get(Booking, top_up.hold_booking_id) if top_up.hold_booking_id else None
    if (
        top_up.status == TopUpStatus.PENDING
        and hold is not None
        and hold.status == BookingStatus.HELD
        and hold.hold_expires_at > now
    ):
        target = reschedule.Target(hold.starts_at, hold.ends_at, hold.blocks_until, hold.team_member_id, label)
        return target, ""
    # The hold went before the money came: the move is made only if nothing else took its place.
    if top_up.status == TopUpStatus.PENDING and hold is not None and hold.status == BookingStatus.HELD:
        _release(top_up, "hold_ran_out", now=now)
    other = get_pending_top_up(booking.id)
    if other is not None and other.id != top_up.id:
        return None, "chose_other"
    member = top_up.to_team_member_id
    try:
        found = reschedule.find_target(booking, booking.service, top_up.to_starts_at, member, now=now)
    except SlotUnavailable:
        return None, "taken_after_hold"
    return replace(found, team_member_id=member), ""  # the team member the top-up was for (None: none)


def _set_outcome(top_up: TopUp, code: str) -> None:
    """Name what happened (``code``) and keep its English words as the record."""
    top_up.outcome_code = code
    with force_locale("en"):
        top_up.outcome = describe_outcome(top_up)


def describe_outcome(top_up: TopUp) -> str | None:
    """What happened to ``top_up``, in the current request's (or forced) language; the stored
    words for a top-up settled before outcomes had codes; None while it is pending."""
    code = top_up.outcome_code
    if not code:
        return top_up.outcome
    kind = code.partition(":")[0]
    if kind == "refunded":
        return str(OUTCOMES[kind]) % {"why": refund_reason(top_up), "amount": _money(top_up)}
    if kind == "moved":
        return str(OUTCOMES[kind]) % {"label": _new_time_label(top_up), "amount": _money(top_up)}
    return str(OUTCOMES[kind])


def refund_reason(top_up: TopUp) -> str:
    """Why a paid move couldn't be made (a refunded top-up), in the current language."""
    reason = (top_up.outcome_code or "").partition(":")[2]
    return str(REFUND_REASONS[reason]) % {"label": _new_time_label(top_up)}


def _new_time_label(top_up: TopUp) -> str:
    zone = timefmt.venue_zone(top_up.booking.venue.timezone)
    return f"{timefmt.moment_label(top_up.to_starts_at, zone)} ({zone.key})"


def _money(top_up: TopUp) -> str:
    return format_money(top_up.amount_minor, top_up.currency)


def _tell_refunded(booking: Booking, top_up: TopUp) -> None:
    with speaking_to(booking.customer):  # the amount and the reason in the customer's language
        amount = _money(top_up)
        why = refund_reason(top_up)
    send_email(
        booking.customer.email,
        _l("Not moved: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        "booking_top_up_refunded",
        user=booking.customer,
        booking=booking,
        why=why,
        amount=amount,
        booking_url=absolute_url("booking.booking_detail", reference=booking.reference),
    )


def validate_expected(raw: str) -> int:
    """The confirmed difference from the form: whole minor units, or ValidationFailed."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) <= 0:
        raise ValidationFailed(_("Confirm the price difference shown on the page."))
    return int(raw)
