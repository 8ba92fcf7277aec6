"""Request-to-book (docs/booking-rules.md): a service can make each booking a request the venue
accepts within the service's window. The customer pays as usual; the paid booking is
``confirmed`` (it keeps its time like any booking: the same constraints) with
``request_state`` "pending" until the venue accepts it, declines it, or the window runs out
(``request_expires_at``). Declined and lapsed requests are cancelled by the venue, refunded in
full: app/checkout/requests.py adds the refund (booking imports no payments).

Each answer runs under the booking's row lock and checks the state first, so an answer
happens once: a second accept, a decline after a lapse, or the lapse job running twice
changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.audit.transitions import record_transition
from app.booking import lifecycle
from app.booking.events import request_answered
from app.booking.models import Booking, BookingStatus
from app.platform.errors import InvalidTransition
from app.platform.extensions import db

PENDING, ACCEPTED, DECLINED, LAPSED = "pending", "accepted", "declined", "lapsed"
STATE_LABELS = {
    PENDING: _l("Waiting for the venue to accept"),
    ACCEPTED: _l("Accepted by the venue"),
    DECLINED: _l("Declined by the venue"),
    LAPSED: _l("Not answered in time"),
}
# Stored on the booking (and shown to the customer in the cancellation email).
DECLINED_REASON = "The venue couldn't accept your request. You get the full price back."
LAPSED_REASON = "The venue didn't answer your request in time. You get the full price back."


def status_label(booking: Booking) -> str:
    """The booking's status as its customer reads it: a paid request says it waits for the venue."""
    if booking.status == BookingStatus.CONFIRMED and booking.request_state == PENDING:
        return str(_l("Requested: waiting for the venue to accept"))
    return str(lifecycle.STATUS_LABELS.get(booking.status, booking.status))


def open_request(booking: Booking, *, now: datetime) -> None:
    """A paid booking of a request-to-book service: pending until the venue answers, at the
    latest ``request_window_hours`` from now (never past its start)."""
    if booking.request_window_hours is None or booking.request_state is not None:
        return
    booking.request_state = PENDING
    booking.request_expires_at = min(now + timedelta(hours=booking.request_window_hours), booking.starts_at)


def lock_booking(booking_id: int) -> Booking | None:
    query = select(Booking).where(Booking.id == booking_id).with_for_update().execution_options(populate_existing=True)
    return db.session.scalars(query).one_or_none()


def _pending(booking: Booking) -> Booking:
    locked = lock_booking(booking.id)
    if locked is None or locked.request_state != PENDING or locked.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(_("This request has already been answered."))
    return locked


def accept(booking: Booking, *, actor: User, now: datetime | None = None) -> Booking:
    """The venue accepts a pending request: the booking stands as it is."""
    now = now or datetime.now(UTC)
    booking = _pending(booking)
    if booking.request_expires_at is not None and now >= booking.request_expires_at:
        raise InvalidTransition(_("This request has run out: it can't be accepted any more."))
    booking.request_state = ACCEPTED
    record_transition(
        "booking", booking, "request_accept", actor=actor, source=PENDING, target=ACCEPTED, reference=booking.reference
    )
    request_answered.send(ACCEPTED, booking=booking, refund_minor=0)
    return booking


def decline(booking: Booking, *, actor: User, now: datetime | None = None) -> tuple[Booking, int]:
    """The venue declines a pending request: cancelled by the venue, the full price due back.
    Returns the booking and the refund due (the caller pays it: app/checkout/requests.py)."""
    booking = _pending(booking)
    booking.request_state = DECLINED
    refund = lifecycle.cancel_by_venue(booking, actor=actor, reason=DECLINED_REASON, now=now)
    request_answered.send(DECLINED, booking=booking, refund_minor=refund)
    return booking, refund


def lapse_due(now: datetime, *, limit: int = 200) -> list[tuple[Booking, int]]:
    """Pending requests whose window ran out: cancelled, each with its refund due. Rows another
    worker holds are skipped (it is lapsing them), so each lapses once."""
    due = db.session.scalars(
        select(Booking)
        .where(
            Booking.request_state == PENDING,
            Booking.request_expires_at <= now,
            Booking.status == BookingStatus.CONFIRMED,
        )
        .order_by(Booking.request_expires_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    lapsed = []
    for booking in due:
        booking.request_state = LAPSED
        refund = lifecycle.cancel_by_venue(booking, actor=None, reason=LAPSED_REASON, now=now)
        request_answered.send(LAPSED, booking=booking, refund_minor=refund)
        lapsed.append((booking, refund))
    return lapsed


def pending_for_venue(venue_id: int) -> list[Booking]:
    """The venue's requests waiting for an answer, the one running out first first."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.venue_id == venue_id,
                Booking.request_state == PENDING,
                Booking.status == BookingStatus.CONFIRMED,
            )
            .order_by(Booking.request_expires_at, Booking.id)
        )
    )
