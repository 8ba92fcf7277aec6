"""Moving a visit: its treatments (every guest's) move together, by the same number of minutes.

A visit's treatments follow one another and its guests sit side by side (app/booking/visits.py),
so a treatment is never moved alone: moving one moves the whole visit, the way Fresha and
Phorest move a group appointment. The customer picks a new time for the treatment they opened
(the page offers only the times at which the whole visit fits); the venue drags any treatment on
its calendar. Every treatment keeps its team member (the one opened may be given another), its
length and its add-ons, and the price paid: a visit's move neither refunds nor asks for more
(docs/visits.md says why).

The move is one transaction under the locks every move takes (the services' rows in id order,
their rooms and equipment, the order, the bookings). The slot engine is asked for the visit's
new start with the visit's own bookings left out, as its group search asks (a couple's shared
room and each guest's team member checked together); the new times are written in one savepoint
(app/booking/reserving.py), each treatment flushed in the order that never lets one team member
hold two of them at once, so the exclusion constraints see no moment of overlap; a refusal
leaves every treatment where it was. Each treatment's move is then kept as any move is
(app/checkout/move_policy.py: its row, the audit, the reopened time, reminders, the people told).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.booking import patch_test_rule as patch_tests
from app.booking.availability import booking_rules, get_group_days, get_group_starts, service_spec
from app.booking.errors import SlotUnavailable
from app.booking.holds import blocks_until, booked_choice
from app.booking.lifecycle import whole_visit
from app.booking.models import Booking, BookingStatus
from app.booking.order_lifecycle import lock_order
from app.booking.reserving import lock_resources, write_or_refuse
from app.checkout import move_policy as policy
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Part, Placed
from app.venues.models import Service
from app.venues.processing import booking_gap


def _in_order(parts: Sequence[Booking]) -> list[Booking]:
    """The treatments as the slot engine places them: by guest, each guest's in time order."""
    return sorted(parts, key=lambda b: (b.guest or 1, b.starts_at, b.id))


def _guests(
    parts: Sequence[Booking], *, chosen: Booking | None = None, member_id: int | None = None
) -> list[list[Part]]:
    """The engine's question for ``parts``: each guest's treatments, each as long as booked and
    with its own team member (``chosen`` with ``member_id`` when one is given)."""
    guests: dict[int, list[Part]] = {}
    for booking in _in_order(parts):
        member = member_id if booking is chosen and member_id is not None else booking.team_member_id
        spec = service_spec(booking.service, choice=booked_choice(booking))
        guests.setdefault(booking.guest or 1, []).append(Part(spec, booking_rules(booking.service), member))
    return [guests[number] for number in sorted(guests)]


def _check_moveable(parts: Sequence[Booking]) -> None:
    if any(b.quantity != 1 for b in parts):  # a sitting of a service without a team: one booking for the group
        raise InvalidTransition(_("This visit can't be moved online: contact the venue to move it."))


def visit_move_starts(booking: Booking, day: date, *, now: datetime) -> list[datetime]:
    """The new starts of ``booking`` on ``day`` at which its whole visit fits when moved with it
    (every treatment keeping its team member), its own bookings left out."""
    parts = whole_visit(booking)
    if any(b.quantity != 1 for b in parts):
        return []
    index = _in_order(parts).index(booking)
    ids = [b.id for b in parts]
    found = get_group_starts(booking.venue, _guests(parts), day, now=now, excluding=ids)
    return [plan[index].slot.start for plan in found if plan[index].slot.start != booking.starts_at]


def visit_move_days(booking: Booking, first_day: date, days: int, *, now: datetime) -> dict[date, bool]:
    """Whether each day from ``first_day`` has a time the whole visit of ``booking`` can move to."""
    parts = whole_visit(booking)
    if any(b.quantity != 1 for b in parts):
        return {}
    ids = [b.id for b in parts]
    return get_group_days(booking.venue, _guests(parts), first_day, days, now=now, excluding=ids)


def move_visit(
    booking: Booking, new_start: datetime, team_member_id: int | None, *, by: User, now: datetime, as_venue: bool
) -> policy.MoveResult:
    """Move ``booking``'s whole visit so that ``booking`` starts at ``new_start`` (with
    ``team_member_id``, or None: its own), every other treatment by as many minutes, or raise a
    DomainError and change nothing. ``as_venue``: the venue moving it (no customer policy).
    Called by ``reschedule.move_booking``, the one way in, for a booking that shares a visit."""
    if new_start.tzinfo is None:
        raise ValidationFailed(_("The new time needs a time zone."), field="starts_at")
    new_start = new_start.astimezone(UTC)
    policy.check_mover(booking, by, as_venue=as_venue)
    parts = _lock_visit(booking)
    booking = next(b for b in parts if b.id == booking.id)
    _check_moveable(parts)
    started = _("This visit has already started: it can't be moved.")
    for part in parts:
        policy.check_may_move(part, now=now, as_venue=as_venue, started=started)
    policy.check_team_member(booking, booking.service, team_member_id)
    shift = new_start - booking.starts_at
    if not shift and team_member_id in (None, booking.team_member_id):
        raise ValidationFailed(_("That is the booking's current time: choose another."), field="starts_at")
    for part in parts:  # the patch-test rule holds after the move too
        patch_tests.check_move(part, part.service, part.starts_at + shift)

    ordered = _in_order(parts)
    label = policy.moment_in_zone(new_start, booking.venue)
    zone = venue_zone(booking.venue)
    first_start = ordered[0].starts_at + shift
    plans = get_group_starts(
        booking.venue,
        _guests(parts, chosen=booking, member_id=team_member_id),
        first_start.astimezone(zone).date(),
        now=now,
        excluding=[b.id for b in parts],
    )
    plan = next((p for p in plans if _fits(p, ordered, shift)), None)
    if plan is None:
        raise SlotUnavailable(_("%(label)s isn't free for the whole visit. Choose another time.", label=label))
    olds = {b.id: policy.old_time(b) for b in parts}
    _write(ordered, plan, shift, label, now=now)
    moved_by: policy.Mover = "venue" if as_venue else "customer"
    for part in ordered:
        policy.keep_move(
            part, olds[part.id], by=by, moved_by=moved_by, difference=0, refunded=0, top_up_minor=0, now=now
        )
    return policy.MoveResult(booking, olds[booking.id].starts_at, 0, 0)


def _fits(plan: tuple[Placed, ...], ordered: list[Booking], shift: timedelta) -> bool:
    """Does the engine's ``plan`` put every treatment exactly ``shift`` from where it is?"""
    return all(placed.slot.start == b.starts_at + shift for placed, b in zip(plan, ordered, strict=True))


def _lock_visit(booking: Booking) -> list[Booking]:
    """The locks every move takes, for the whole visit: its services' rows in id order, their
    rooms and equipment, the order, then its bookings (fresh copies); its confirmed treatments."""
    mates = whole_visit(booking)
    service_ids = sorted({b.service_id for b in mates})
    db.session.scalars(
        select(Service)
        .where(Service.id.in_(service_ids))
        .order_by(Service.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    lock_resources(service_ids)
    lock_order(booking.order_id)
    parts = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.id.in_([b.id for b in mates]))
            .order_by(Booking.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if any(b.status != BookingStatus.CONFIRMED for b in parts) or booking.id not in {b.id for b in parts}:
        raise InvalidTransition(_("Only a confirmed booking can be moved."))
    return parts


def _write(ordered: list[Booking], plan: tuple[Placed, ...], shift: timedelta, label: str, *, now: datetime) -> None:
    """Write the new times in one savepoint. Later treatments first when the visit moves later
    (earlier first when earlier), one flush each: a team member's treatments never overlap on
    the way, so the exclusion constraint sees only the real question."""
    steps = sorted(zip(ordered, plan, strict=True), key=lambda step: step[0].starts_at, reverse=shift > timedelta(0))
    try:
        with write_or_refuse(lambda _why: policy.just_taken(label), moves=ordered, now=now):
            for booking, placed in steps:
                booking.starts_at = placed.slot.start
                booking.ends_at = placed.slot.end
                booking.blocks_until = blocks_until(placed.slot.end, booking.service)
                booking.gap_starts_at, booking.gap_ends_at = booking_gap(
                    booking.service, placed.slot.start, placed.slot.end
                )
                booking.team_member_id = placed.team_member_id
                db.session.flush()
    except (SlotUnavailable, IntegrityError):
        for booking in ordered:
            db.session.refresh(booking)  # its columns as the database still has them
        raise
