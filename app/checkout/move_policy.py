"""What every move shares: the venue's rescheduling policy, whether a customer may move a
booking now, and how a made move is kept (``keep_move``: the move's row, the audit, the calendar
sequence, the reopened old time, reminders planned again and the people told).

A booking moves alone (app/checkout/reschedule.py) or with the rest of its visit
(app/checkout/visit_moves.py); both end in ``keep_move``. docs/rescheduling.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.accounts.models import User
from app.audit import service as audit
from app.booking.events import ReopenedTime, booking_moved, times_reopened
from app.booking.models import Booking, BookingMove, BookingStatus, ReschedulePolicy
from app.platform import timefmt
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.venues.models import Service, TeamMember, Venue

REASON = "rescheduled"  # the sender of ``times_reopened`` for the time a move let go
Mover = Literal["customer", "venue"]


@dataclass(frozen=True)
class MoveResult:
    booking: Booking
    from_starts_at: datetime
    price_difference_minor: int  # new price minus paid, whole booking; negative: refunded
    refunded_minor: int


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str = ""
    moves_left: int = 0
    until: datetime | None = None  # the last moment the customer may move it


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
        about=("venue", venue.id),
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


def check_mover(booking: Booking, by: User, *, as_venue: bool) -> None:
    """The venue moves its own bookings, a customer their own; anyone else is refused."""
    if as_venue and booking.venue.owner_id != by.id:
        raise InvalidTransition(_("You can only move your own venue's bookings."))
    if not as_venue and booking.customer_id != by.id:
        raise InvalidTransition(_("You can only move your own bookings."))


def check_may_move(booking: Booking, *, now: datetime, as_venue: bool, started: str) -> None:
    """The venue moves a booking until it starts (refused with ``started``), a customer within
    the venue's policy (refused with the reason ``customer_eligibility`` gives)."""
    if as_venue:
        if now >= booking.starts_at:
            raise InvalidTransition(started)
        return
    eligibility = customer_eligibility(booking, now)
    if not eligibility.allowed:
        raise InvalidTransition(eligibility.reason)


def check_team_member(booking: Booking, service: Service, team_member_id: int | None) -> None:
    """A chosen team member must be the venue's and perform the service (None: anyone)."""
    if team_member_id is None:
        return
    member = db.session.get(TeamMember, team_member_id)
    if member is None or member.venue_id != booking.venue_id or service not in member.services:
        raise ValidationFailed(
            _("Choose a team member of this venue who performs this service."), field="team_member_id"
        )


def moment_in_zone(moment: datetime, venue: Venue) -> str:
    """A move's new time as its refusals name it: "Tue 24 Nov 2026, 10:00 (Europe/London)"."""
    zone = timefmt.venue_zone(venue.timezone)
    return f"{timefmt.moment_label(moment, zone)} ({zone.key})"


def just_taken(label: str) -> str:
    """A move's (or a top-up's) new time, refused by the database when written."""
    return _("%(label)s was just taken. Choose another time.", label=label)


def old_time(booking: Booking) -> ReopenedTime:
    """The time ``booking`` holds now, which a move lets go."""
    return ReopenedTime.of(booking)


def keep_move(
    booking: Booking,
    old: ReopenedTime,
    *,
    by: User | None,
    moved_by: Mover,
    difference: int,
    refunded: int,
    top_up_minor: int,
    now: datetime,
) -> None:
    """Keep a move ``booking`` made from ``old`` (its new time already written): the calendar
    sequence goes up, the old time's reminder is forgotten, the move and the audit are recorded,
    the old time reopens, reminders are planned again and the people concerned are told."""
    booking.calendar_sequence = (booking.calendar_sequence or 0) + 1
    booking.reminder_sent_at = None  # a reminder for the old time says nothing about the new one
    db.session.add(
        BookingMove(
            booking_id=booking.id,
            moved_by=moved_by,
            actor_id=by.id if by else None,
            from_starts_at=old.starts_at,
            to_starts_at=booking.starts_at,
            from_team_member_id=old.team_member_id,
            to_team_member_id=booking.team_member_id,
            price_difference_minor=difference,
        )
    )
    zone = timefmt.venue_zone(booking.venue.timezone)
    audit.record(
        "booking.reschedule",
        actor_id=by.id if by else None,
        about=("booking", booking.id),
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
