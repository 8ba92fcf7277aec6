"""Rescheduling: a confirmed booking moves to another time (same service; any team member or a
chosen one), by its customer within the venue's policy, or by the venue at any time.

The move is one transaction under the locks checkout takes (the service row, so capacity
checks serialise with checkouts of the same service), plus the order's and the booking's own
rows. The new time is checked with the slot engine, leaving the booking itself out, and
written with one UPDATE of the booking row: the new time is taken in the same statement that
lets the old one go, so there is no moment the booking holds neither, and a refusal (ours, or
the team-member exclusion constraint as the last line of defence) leaves the booking as it
was. The reference stays; ``calendar_sequence`` goes up so calendars move the entry in place.

Money: the booking is repriced at the service's price now. Cheaper: the difference is refunded
through the gateway that took the payment (app/payments/refunds.py). Dearer: a customer's move
is refused with the reason (no top-up charge online yet); a venue's move keeps the price the
customer paid. See docs/rescheduling.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import timefmt
from app.accounts.models import User
from app.admin import audit
from app.booking.availability import busy_window, find_slot, get_busy, service_spec
from app.booking.errors import SlotUnavailable
from app.booking.events import ReopenedTime, times_reopened
from app.booking.ics import calendar
from app.booking.models import Booking, BookingMove, BookingStatus, ReschedulePolicy
from app.booking.order_lifecycle import expire_holds, lock_order
from app.email import send_email
from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.money import format_money
from app.payments.refunds import get_paid_payment, refundable, request_refund
from app.urls import absolute_url
from app.venues.models import Service, TeamMember, Venue

REASON = "rescheduled"  # the sender of ``times_reopened`` for the time a move let go
Mover = Literal["customer", "venue"]


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    moves_left: int = 0
    until: datetime | None = None  # the last moment the customer may move it


@dataclass(frozen=True)
class MoveResult:
    booking: Booking
    from_starts_at: datetime
    price_difference_minor: int  # new price minus paid, whole booking; negative: refunded
    refunded_minor: int


# -- policy -----------------------------------------------------------------------------------------


def get_policy(venue_id: int) -> ReschedulePolicy:
    """The venue's policy; the defaults (not saved) when it never set one."""
    policy = db.session.get(ReschedulePolicy, venue_id)
    return policy or ReschedulePolicy(
        venue_id=venue_id,
        until_hours=ReschedulePolicy.DEFAULT_UNTIL_HOURS,
        max_moves=ReschedulePolicy.DEFAULT_MAX_MOVES,
    )


def set_policy(venue: Venue, *, until_hours: int, max_moves: int, actor: User) -> ReschedulePolicy:
    """Save the venue's policy (the form validated the ranges; checked again here)."""
    if not 0 <= until_hours <= 720:
        raise ValidationFailed("Choose between 0 and 720 hours (30 days) before the appointment.")
    if not 0 <= max_moves <= 10:
        raise ValidationFailed("Choose between 0 and 10 moves per booking.")
    policy = db.session.get(ReschedulePolicy, venue.id)
    if policy is None:
        policy = ReschedulePolicy(venue_id=venue.id)
        db.session.add(policy)
    policy.until_hours, policy.max_moves = until_hours, max_moves
    audit.record(
        "venue.reschedule_policy",
        actor_id=actor.id,
        subject_type="venue",
        subject_id=venue.id,
        until_hours=until_hours,
        max_moves=max_moves,
    )
    return policy


def describe_reschedule_policy(policy: ReschedulePolicy) -> str:
    if policy.max_moves == 0:
        return "This venue doesn't take changes online: contact them to move a booking."
    times = "once" if policy.max_moves == 1 else f"up to {policy.max_moves} times"
    if policy.until_hours == 0:
        return f"You can move a booking {times}, until it starts."
    hours = f"{policy.until_hours} hour{'s' if policy.until_hours != 1 else ''}"
    return f"You can move a booking {times}, up to {hours} before it starts."


def count_customer_moves(booking_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(BookingMove.booking_id == booking_id, BookingMove.moved_by == "customer")
    )


def customer_eligibility(booking: Booking, now: datetime, *, policy: ReschedulePolicy | None = None) -> Eligibility:
    """Whether the customer may move ``booking`` now, and if not why (for the page and the move)."""
    policy = policy or get_policy(booking.venue_id)
    until = booking.starts_at - timedelta(hours=policy.until_hours)
    if booking.status != BookingStatus.CONFIRMED:
        return Eligibility(False, "Only a confirmed booking can be moved.")
    if policy.max_moves == 0:
        return Eligibility(False, "This venue doesn't take changes online: contact them to move your booking.")
    if now >= booking.starts_at:
        return Eligibility(False, "This appointment has already started.")
    zone = timefmt.venue_zone(booking.venue.timezone)
    if now >= until:
        return Eligibility(
            False,
            f"Changes closed {policy.until_hours} hours before the start "
            f"({timefmt.moment_label(until, zone)}, {zone.key}): contact the venue.",
        )
    used = count_customer_moves(booking.id)
    if used >= policy.max_moves:
        times = "once" if policy.max_moves == 1 else f"{policy.max_moves} times"
        return Eligibility(False, f"This booking has already been moved {times}, the most this venue allows.")
    return Eligibility(True, moves_left=policy.max_moves - used, until=until)


# -- the move ---------------------------------------------------------------------------------------


def move_booking(
    booking: Booking,
    new_start: datetime,
    team_member_id: int | None,
    *,
    by: User,
    now: datetime | None = None,
    as_venue: bool = False,
) -> MoveResult:
    """Move ``booking`` to ``new_start`` (with ``team_member_id``, or None: anyone free, the
    current person first), or raise a DomainError and change nothing.

    ``as_venue``: the venue's owner moving it (no customer policy; the price paid is kept when
    the service costs more now). Otherwise ``by`` must be the booking's customer."""
    now = now or datetime.now(UTC)
    if new_start.tzinfo is None:
        raise ValidationFailed("The new time needs a time zone.")
    new_start = new_start.astimezone(UTC)
    moved_by: Mover = "venue" if as_venue else "customer"
    if as_venue and booking.venue.owner_id != by.id:
        raise InvalidTransition("You can only move your own venue's bookings.")
    if not as_venue and booking.customer_id != by.id:
        raise InvalidTransition("You can only move your own bookings.")

    # The locks checkout takes (the service row), then the order's and the booking's own rows.
    service = db.session.scalars(
        select(Service)
        .where(Service.id == booking.service_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    lock_order(booking.order_id)
    booking = db.session.scalars(
        select(Booking).where(Booking.id == booking.id).with_for_update().execution_options(populate_existing=True)
    ).one()
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition("Only a confirmed booking can be moved.")
    if as_venue:
        if now >= booking.starts_at:
            raise InvalidTransition("This appointment has already started: it can't be moved.")
    else:
        eligibility = customer_eligibility(booking, now)
        if not eligibility.allowed:
            raise InvalidTransition(eligibility.reason)
    if team_member_id is not None:
        member = db.session.get(TeamMember, team_member_id)
        if member is None or member.venue_id != booking.venue_id or service not in member.services:
            raise ValidationFailed("Choose a team member of this venue who performs this service.")
    if new_start == booking.starts_at and team_member_id in (None, booking.team_member_id):
        raise ValidationFailed("That is the booking's current time: choose another.")

    slot = _free_slot(booking, service, new_start, now)
    zone = timefmt.venue_zone(booking.venue.timezone)
    label = f"{timefmt.moment_label(new_start, zone)} ({zone.key})"
    if slot is None or slot.remaining < booking.quantity:
        raise SlotUnavailable(f"{label} isn't free for {service.name}. Choose another time.")
    if team_member_id is not None and team_member_id not in slot.team_member_ids:
        raise SlotUnavailable(f"That team member isn't free at {label}. Choose another time or anyone available.")
    if team_member_id is None and slot.team_member_ids:
        free = slot.team_member_ids
        team_member_id = booking.team_member_id if booking.team_member_id in free else free[0]

    difference = _price_difference(booking, service, as_venue=as_venue)
    old = ReopenedTime(
        venue_id=booking.venue_id,
        service_id=booking.service_id,
        team_member_id=booking.team_member_id,
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        blocks_until=booking.blocks_until,
        quantity=booking.quantity,
    )
    from_member = booking.team_member_id
    try:
        # One UPDATE takes the new time and lets the old one go; a savepoint so a refusal by the
        # exclusion constraint leaves the booking (and the transaction) as they were.
        with db.session.begin_nested():
            booking.starts_at = slot.start
            booking.ends_at = slot.end
            booking.blocks_until = slot.end + timedelta(minutes=service.buffer_minutes)
            booking.team_member_id = team_member_id
            db.session.flush()
    except IntegrityError as exc:
        db.session.refresh(booking)
        if "ex_bookings_team_member_overlap" in str(exc.orig):
            raise SlotUnavailable(f"{label} was just taken. Choose another time.") from None
        raise

    refunded = 0
    if difference < 0:
        refunded = _refund_difference(booking, -difference)
        booking.unit_price_minor = service.price_minor
    booking.calendar_sequence = (booking.calendar_sequence or 0) + 1
    booking.reminder_sent_at = None  # a reminder for the old time says nothing about the new one
    db.session.add(
        BookingMove(
            booking_id=booking.id,
            moved_by=moved_by,
            actor_id=by.id,
            from_starts_at=old.starts_at,
            to_starts_at=booking.starts_at,
            from_team_member_id=from_member,
            to_team_member_id=booking.team_member_id,
            price_difference_minor=difference,
        )
    )
    audit.record(
        "booking.reschedule",
        actor_id=by.id,
        subject_type="booking",
        subject_id=booking.id,
        from_state=booking.status,
        to_state=booking.status,
        reason=f"{timefmt.moment_label(old.starts_at, zone)} → {timefmt.moment_label(booking.starts_at, zone)}",
        reference=booking.reference,
        moved_by=moved_by,
        price_difference_minor=difference,
    )
    db.session.flush()
    times_reopened.send(REASON, times=(old,), order_id=booking.order_id)
    from app.notifications.reminders import plan_reminders  # notifications build on bookings

    plan_reminders(booking, now=now)  # the old time's reminders dropped, the new time's planned
    _tell(booking, old.starts_at, moved_by=moved_by, refunded_minor=refunded)
    return MoveResult(booking, old.starts_at, difference, refunded)


def _free_slot(booking: Booking, service: Service, new_start: datetime, now: datetime):
    """The engine's slot at ``new_start``, with every live booking but this one counted."""
    spec = service_spec(service)
    local_day = new_start.astimezone(ZoneInfo(service.venue.timezone)).date()
    window = busy_window(local_day)
    # Holds past their expiry stop counting now, as at checkout.
    expire_holds(now, service_ids=[service.id], member_ids=sorted(spec.team_member_ids), between=window)
    busy = get_busy(service.venue_id, spec, *window, excluding_booking_id=booking.id)
    return find_slot(service, new_start, now=now, busy=busy)


def _price_difference(booking: Booking, service: Service, *, as_venue: bool) -> int:
    """New price minus the price paid (whole booking); refuses what can't be settled."""
    if service.currency != booking.currency:
        raise ValidationFailed("This service is now priced in another currency: cancel and book again instead.")
    difference = (service.price_minor - booking.unit_price_minor) * booking.quantity
    if difference > 0 and not as_venue:
        raise ValidationFailed(
            f"{service.name} costs {format_money(difference, booking.currency)} more now than you paid, and "
            "we can't take the difference online for a change. Keep your time, or ask the venue to move it."
        )
    return 0 if difference > 0 else difference  # the venue's move keeps the price paid


def _refund_difference(booking: Booking, amount_minor: int) -> int:
    """Refund ``amount_minor`` through the payment's own gateway (a job); what was asked."""
    payment = get_paid_payment(booking.order)
    if payment is None:
        return 0  # not paid online: nothing to send back through a gateway
    amount_minor = min(amount_minor, refundable(payment))
    if amount_minor <= 0:
        return 0
    request_refund(
        payment, amount_minor, reason=f"Rescheduled to a cheaper price ({booking.reference})", booking_id=booking.id
    )
    return amount_minor


def _tell(booking: Booking, from_starts_at: datetime, *, moved_by: Mover, refunded_minor: int) -> None:
    """The customer always gets the new time and the updated calendar entry; the venue hears of
    a customer's move. Emails are jobs: sent once, after commit."""
    zone = timefmt.venue_zone(booking.venue.timezone)
    context = {
        "booking": booking,
        "moved_by": moved_by,
        "old_when": timefmt.venue_span_label(
            from_starts_at, from_starts_at + (booking.ends_at - booking.starts_at), zone.key
        ),
        "refund": format_money(refunded_minor, booking.currency) if refunded_minor else None,
        "booking_url": absolute_url("booking.booking_detail", reference=booking.reference),
        "attachment": ("cozywish-booking.ics", calendar([booking], name="CozyWish bookings"), "text/calendar"),
    }
    send_email(
        booking.customer.email,
        f"{'Moved by the venue' if moved_by == 'venue' else 'Moved'}: {booking.service.name} at {booking.venue.name}",
        "booking_rescheduled",
        user=booking.customer,
        for_venue=False,
        **context,
    )
    if moved_by == "customer":
        send_email(
            booking.venue.owner.email,
            f"Moved by the customer: {booking.reference}",
            "booking_rescheduled",
            user=booking.venue.owner,
            for_venue=True,
            **context,
        )
