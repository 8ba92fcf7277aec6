"""Rescheduling: a confirmed booking moves to another time (same service; any team member or a
chosen one), by its customer within the venue's policy, or by the venue at any time.

The move is one transaction under the locks checkout takes (the service row, so capacity
checks serialise with checkouts of the same service), plus the order's and the booking's own
rows. The new time is checked with the slot engine, leaving the booking itself out, and
written with one UPDATE of the booking row, the way every time is reserved
(app/booking/reserving.py): the new time is taken in the same statement that lets the old one
go, so there is no moment the booking holds neither, and a refusal (ours, or the team-member
exclusion constraint as the last line of defence) leaves the booking as it was. The reference
stays; ``calendar_sequence`` goes up so calendars move the entry in place.

Money: the booking is repriced at the service's price now. Cheaper: the difference is refunded
through the gateway that took the payment (app/payments/refunds.py). Dearer: a customer's move
raises ``TopUpNeeded`` naming the difference; confirming it holds the new time and takes a
top-up payment (app/checkout/top_ups.py), and once that is paid the move is made here by
``apply_move``, the same code as any move. A venue's move keeps the price the customer paid.
See docs/rescheduling.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.audit import service as audit
from app.booking import patch_test_rule as patch_tests
from app.booking.errors import SlotUnavailable
from app.booking.events import ReopenedTime, booking_moved, times_reopened
from app.booking.holds import blocks_until, booked_choice
from app.booking.lifecycle import shares_a_visit
from app.booking.models import Booking, BookingMove, BookingStatus, ReschedulePolicy
from app.booking.order_lifecycle import lock_order
from app.booking.reserving import Refusal, Wording, free_slot, write_or_refuse
from app.payments.refunds import get_card_payments, refundable, request_refund
from app.platform import timefmt
from app.platform.errors import Conflict, InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.models import Service, TeamMember, Venue
from app.venues.processing import booking_gap

REASON = "rescheduled"  # the sender of ``times_reopened`` for the time a move let go
Mover = Literal["customer", "venue"]


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    moves_left: int = 0
    until: datetime | None = None  # the last moment the customer may move it


@dataclass(frozen=True)
class Target:
    """Where a move takes a booking: a free slot of its service, and who."""

    starts_at: datetime
    ends_at: datetime
    blocks_until: datetime
    team_member_id: int | None
    label: str  # "Tue 24 Nov 2026, 10:00 (Europe/London)"


class TopUpNeeded(Conflict):
    """A customer's move to a time that costs more now: it needs the difference paid first."""

    def __init__(self, message: str, *, amount_minor: int, currency: str, target: Target):
        super().__init__(message)
        self.amount_minor, self.currency, self.target = amount_minor, currency, target


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
        raise ValidationFailed(_("Choose between 0 and 720 hours (30 days) before the appointment."))
    if not 0 <= max_moves <= 10:
        raise ValidationFailed(_("Choose between 0 and 10 moves per booking."))
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
        return _("This venue doesn't take changes online: contact them to move a booking.")
    times = _("once") if policy.max_moves == 1 else _("up to %(num)d times", num=policy.max_moves)
    if policy.until_hours == 0:
        return _("You can move a booking %(times)s, until it starts.", times=times)
    return ngettext(
        "You can move a booking %(times)s, up to %(num)d hour before it starts.",
        "You can move a booking %(times)s, up to %(num)d hours before it starts.",
        policy.until_hours,
        times=times,
    )


# A treatment of a visit is not moved alone: the next one starts when it ends (docs/visits.md).
VISIT_NOT_MOVED = _l(
    "This treatment is part of a visit (treatments one after another, or guests side by side): it can't be "
    "moved alone. "
    "Cancel the visit and book it again, or contact the venue."
)


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
    if shares_a_visit(booking):
        return Eligibility(False, str(VISIT_NOT_MOVED))
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
    the service costs more now). Otherwise ``by`` must be the booking's customer, and a time
    that costs more now raises ``TopUpNeeded`` (app/checkout/top_ups.py takes the difference)."""
    now = now or datetime.now(UTC)
    booking, service, target = check_move(booking, new_start, team_member_id, by=by, now=now, as_venue=as_venue)
    difference = _price_difference(booking, service, as_venue=as_venue)
    if difference > 0:
        raise TopUpNeeded(
            _(
                "%(label)s costs %(amount)s more than you paid: pay %(amount)s to move.",
                label=target.label,
                amount=format_money(difference, booking.currency),
            ),
            amount_minor=difference,
            currency=booking.currency,
            target=target,
        )
    moved_by: Mover = "venue" if as_venue else "customer"
    return apply_move(booking, target, by=by, moved_by=moved_by, difference=difference, now=now)


def check_move(
    booking: Booking,
    new_start: datetime,
    team_member_id: int | None,
    *,
    by: User,
    now: datetime,
    as_venue: bool = False,
) -> tuple[Booking, Service, Target]:
    """Lock what a move locks and check it may be made: the booking (re-read), its service and
    where it would go; raises a DomainError naming what is wrong, changing nothing."""
    if new_start.tzinfo is None:
        raise ValidationFailed(_("The new time needs a time zone."), field="starts_at")
    new_start = new_start.astimezone(UTC)
    if as_venue and booking.venue.owner_id != by.id:
        raise InvalidTransition(_("You can only move your own venue's bookings."))
    if not as_venue and booking.customer_id != by.id:
        raise InvalidTransition(_("You can only move your own bookings."))

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
        raise InvalidTransition(_("Only a confirmed booking can be moved."))
    if shares_a_visit(booking):  # app/booking/visits.py: its treatments follow one another
        raise InvalidTransition(str(VISIT_NOT_MOVED))
    if as_venue:
        if now >= booking.starts_at:
            raise InvalidTransition(_("This appointment has already started: it can't be moved."))
    else:
        eligibility = customer_eligibility(booking, now)
        if not eligibility.allowed:
            raise InvalidTransition(eligibility.reason)
    if team_member_id is not None:
        member = db.session.get(TeamMember, team_member_id)
        if member is None or member.venue_id != booking.venue_id or service not in member.services:
            raise ValidationFailed(
                _("Choose a team member of this venue who performs this service."), field="team_member_id"
            )
    if new_start == booking.starts_at and team_member_id in (None, booking.team_member_id):
        raise ValidationFailed(_("That is the booking's current time: choose another."), field="starts_at")

    patch_tests.check_move(booking, service, new_start)  # the patch-test rule holds after the move too
    return booking, service, find_target(booking, service, new_start, team_member_id, now=now)


def find_target(
    booking: Booking, service: Service, new_start: datetime, team_member_id: int | None, *, now: datetime
) -> Target:
    """Where a move of ``booking`` to ``new_start`` goes: the slot engine's free slot then, with
    every live booking but this one counted (app/booking/reserving.py), and who: ``team_member_id``,
    else its own team member when free, else the first free one. Raises SlotUnavailable naming
    the time. The caller holds the locks ``check_move`` takes."""
    zone = timefmt.venue_zone(booking.venue.timezone)
    label = f"{timefmt.moment_label(new_start, zone)} ({zone.key})"
    slot, [member] = free_slot(
        service,
        new_start,
        now=now,
        refusal=_refusal(label, service),
        quantity=booking.quantity,
        team_member_id=team_member_id,
        moving=booking,
        choice=booked_choice(booking),  # a move keeps the length booked, add-ons and all
    )
    return Target(
        starts_at=slot.start,
        ends_at=slot.end,
        blocks_until=blocks_until(slot.end, service),
        team_member_id=member,
        label=label,
    )


def _refusal(label: str, service: Service) -> Wording:
    """How a move to the time ``label`` is refused (app/booking/reserving.py)."""

    def words(why: Refusal) -> str:
        if why == "member_busy":
            return _("That team member isn't free at %(label)s. Choose another time or anyone available.", label=label)
        if why == "just_taken":
            return just_taken(label)
        return _(
            "%(label)s isn't free for %(service_name)s. Choose another time.", label=label, service_name=service.name
        )

    return words


def just_taken(label: str) -> str:
    """A move's (or a top-up's) new time, refused by the database when written."""
    return _("%(label)s was just taken. Choose another time.", label=label)


def apply_move(
    booking: Booking,
    target: Target,
    *,
    by: User | None,
    moved_by: Mover,
    difference: int,
    now: datetime,
    new_unit_price_minor: int | None = None,
    top_up_minor: int = 0,
) -> MoveResult:
    """Make a checked move (the caller holds the locks ``check_move`` took): one UPDATE takes
    the new time and lets the old one go, the price follows (``difference`` < 0: refunded; a
    paid top-up: ``new_unit_price_minor``), the calendar sequence goes up, the move is kept,
    the old time reopens, reminders are planned again and the people concerned are told."""
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
        # Its rooms and equipment go with it: let go, and taken again at the new time.
        with write_or_refuse(lambda _why: just_taken(target.label), moves=booking, now=now):
            booking.starts_at = target.starts_at
            booking.ends_at = target.ends_at
            booking.blocks_until = target.blocks_until
            booking.gap_starts_at, booking.gap_ends_at = booking_gap(booking.service, target.starts_at, target.ends_at)
            booking.team_member_id = target.team_member_id
    except (SlotUnavailable, IntegrityError):
        db.session.refresh(booking)  # its columns as the database still has them
        raise

    refunded = 0
    if difference < 0:
        refunded = _refund_difference(booking, -difference)
        booking.unit_price_minor = booked_choice(booking).price_minor(booking.service)
    elif new_unit_price_minor is not None:
        booking.unit_price_minor = new_unit_price_minor
    booking.calendar_sequence = (booking.calendar_sequence or 0) + 1
    booking.reminder_sent_at = None  # a reminder for the old time says nothing about the new one
    db.session.add(
        BookingMove(
            booking_id=booking.id,
            moved_by=moved_by,
            actor_id=by.id if by else None,
            from_starts_at=old.starts_at,
            to_starts_at=booking.starts_at,
            from_team_member_id=from_member,
            to_team_member_id=booking.team_member_id,
            price_difference_minor=difference,
        )
    )
    zone = timefmt.venue_zone(booking.venue.timezone)
    audit.record(
        "booking.reschedule",
        actor_id=by.id if by else None,
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
    # Reminders planned again and the people concerned told (app/notifications/moves.py); a
    # move still waiting for its top-up gives way to one made otherwise (app/checkout/top_ups.py).
    booking_moved.send(
        moved_by,
        booking=booking,
        from_starts_at=old.starts_at,
        refunded_minor=refunded,
        paid_minor=top_up_minor,
        now=now,
    )
    return MoveResult(booking, old.starts_at, difference, refunded)


def _price_difference(booking: Booking, service: Service, *, as_venue: bool) -> int:
    """New price minus the price paid (whole booking); refuses what can't be settled."""
    if service.currency != booking.currency:
        raise ValidationFailed(_("This service is now priced in another currency: cancel and book again instead."))
    difference = (booked_choice(booking).price_minor(service) - booking.unit_price_minor) * booking.quantity
    if difference > 0 and as_venue:
        return 0  # the venue's move keeps the price paid
    return difference


def price_difference(booking: Booking, service: Service) -> int:
    """What a customer's move of ``booking`` costs (positive) or gives back (negative) now."""
    return _price_difference(booking, service, as_venue=False)


def _refund_difference(booking: Booking, amount_minor: int) -> int:
    """Refund ``amount_minor`` to the card payments of the order (this booking's top-ups
    first, app/payments/refunds.py), each through its own gateway (a job); what was asked."""
    asked = 0
    for payment in get_card_payments(booking.order, booking_id=booking.id):
        part = min(amount_minor - asked, refundable(payment))
        if part > 0:
            request_refund(
                payment, part, reason=f"Rescheduled to a cheaper price ({booking.reference})", booking_id=booking.id
            )
            asked += part
    return asked  # nothing when it wasn't paid online: nothing to send back through a gateway
