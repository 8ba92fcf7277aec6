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
A treatment of a visit moves with the rest of its visit (app/checkout/visit_moves.py); what
every move shares (the policy, keeping the move) is app/checkout/move_policy.py.
See docs/rescheduling.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.booking import patch_test_rule as patch_tests
from app.booking.errors import SlotUnavailable
from app.booking.holds import blocks_until, booked_choice
from app.booking.lifecycle import shares_a_visit
from app.booking.models import Booking, BookingStatus
from app.booking.order_lifecycle import lock_order
from app.booking.reserving import Refusal, Wording, free_slot, write_or_refuse
from app.checkout.move_policy import (
    Mover,
    MoveResult,
    check_may_move,
    check_mover,
    check_team_member,
    just_taken,
    keep_move,
    moment_in_zone,
    old_time,
)
from app.checkout.visit_moves import move_visit
from app.payments.refunds import get_card_payments, refundable, request_refund
from app.platform.errors import Conflict, InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.models import Service
from app.venues.processing import booking_gap


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
    if shares_a_visit(booking):  # its treatments follow one another: the whole visit moves
        return move_visit(booking, new_start, team_member_id, by=by, now=now, as_venue=as_venue)
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
    check_mover(booking, by, as_venue=as_venue)

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
    if shares_a_visit(booking):  # a visit moves whole (move_visit), never one treatment, nor by a top-up
        raise InvalidTransition(
            _(
                "This treatment is part of a visit (treatments one after another, or guests side by side): it "
                "can't be moved alone. Cancel the visit and book it again, or contact the venue."
            )
        )
    started = _("This appointment has already started: it can't be moved.")
    check_may_move(booking, now=now, as_venue=as_venue, started=started)
    check_team_member(booking, service, team_member_id)
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
    label = moment_in_zone(new_start, booking.venue)
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
    old = old_time(booking)
    try:
        # One UPDATE takes the new time and lets the old one go; a savepoint so a refusal by the
        # exclusion constraint leaves the booking (and the transaction) as they were.
        # Its rooms and equipment go with it: let go, and taken again at the new time.
        with write_or_refuse(lambda _why: just_taken(target.label), moves=[booking], now=now):
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
    keep_move(
        booking,
        old,
        by=by,
        moved_by=moved_by,
        difference=difference,
        refunded=refunded,
        top_up_minor=top_up_minor,
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
