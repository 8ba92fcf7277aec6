"""A booking's life, in one table: held -> confirmed -> completed | no_show; held -> expired
(by expiry, or released when a payment is declined or the customer changes the order);
expired -> held (taken back: the money came late and the time was still free);
confirmed -> cancelled_by_customer | cancelled_by_venue. Each step is audited. A cancellation
fires ``booking_cancelled`` and a completed or no-show mark ``booking_marked``
(app/booking/events.py): who is told (app/notifications/cancellations.py) and the policy's fees
(app/payments/receivers.py) listen to them. Only ``apply`` writes ``Booking.status``.

The order these bookings belong to has its own lifecycle beside this one
(app/booking/order_lifecycle.py): holding, paying, releasing and refunding happen there, and
it moves its bookings through this table. A cancellation here fires ``times_reopened``."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from app.accounts.models import User
from app.audit.transitions import record_transition
from app.booking.cart import purge_expired
from app.booking.events import announce_reopened, booking_cancelled, booking_marked
from app.booking.models import Booking, BookingStatus
from app.booking.policy import quote_cancellation
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.timefmt import moment_label, venue_zone

B = BookingStatus
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "confirm": (frozenset({B.HELD}), B.CONFIRMED),
    "expire": (frozenset({B.HELD}), B.EXPIRED),
    "release": (frozenset({B.HELD}), B.EXPIRED),  # declined, or the customer changed the order
    "take_back": (frozenset({B.EXPIRED}), B.HELD),  # paid late while the time was still free
    "complete": (frozenset({B.CONFIRMED}), B.COMPLETED),
    "no_show": (frozenset({B.CONFIRMED}), B.NO_SHOW),
    "cancel_by_customer": (frozenset({B.CONFIRMED}), B.CANCELLED_BY_CUSTOMER),
    "cancel_by_venue": (frozenset({B.CONFIRMED}), B.CANCELLED_BY_VENUE),
}
STATUS_LABELS = {
    B.HELD: _l("Held, waiting for payment"),
    B.CONFIRMED: _l("Confirmed"),
    B.COMPLETED: _l("Completed"),
    B.NO_SHOW: _l("No-show"),
    B.EXPIRED: _l("Expired"),
    B.CANCELLED_BY_CUSTOMER: _l("Cancelled by you"),
    B.CANCELLED_BY_VENUE: _l("Cancelled by the venue"),
}


def apply(booking: Booking, action: str, *, actor: User | None, reason: str | None = None) -> None:
    """Move ``booking`` by ``action`` or raise InvalidTransition; writes the audit row."""
    sources, target = TRANSITIONS[action]
    if booking.status not in sources:
        raise InvalidTransition(
            _("A booking that is “%(status_labels)s” can't do that.", status_labels=STATUS_LABELS[booking.status])
        )
    source = booking.status
    booking.status = target
    if target != B.HELD:
        booking.hold_expires_at = None
    record_transition(
        "booking",
        booking,
        action,
        actor=actor,
        source=source,
        target=target,
        reason=reason,
        reference=booking.reference,
    )


def quote_for(booking: Booking, now: datetime):
    """What cancelling ``booking`` now gives back, under the policy it was booked with."""
    return quote_cancellation(
        paid_minor=booking.paid_minor,
        starts_at=booking.starts_at,
        now=now,
        free_hours=booking.cancel_free_hours,
        late_fee_percent=booking.cancel_late_fee_percent,
        price_minor=booking.total_minor - (booking.promo_discount_minor or 0),
    )


def _visit_mates(booking: Booking, *, same_guest: bool) -> Select:
    """The other confirmed bookings of ``booking``'s visit (app/booking/visits.py): with
    ``same_guest``, only those of its guest (when it names one)."""
    return select(Booking).where(
        Booking.visit_key == booking.visit_key,
        Booking.order_id == booking.order_id,
        Booking.id != booking.id,
        Booking.moves_booking_id.is_(None),
        Booking.status == B.CONFIRMED,
        *([Booking.guest == booking.guest] if same_guest and booking.guest is not None else []),
    )


def visit_parts(booking: Booking) -> list[Booking]:
    """``booking`` and, when it is a treatment of a visit, the other confirmed treatments of its
    guest's part of the visit (every guest's when it names none), in time order."""
    if booking.visit_key is None:
        return [booking]
    others = db.session.scalars(_visit_mates(booking, same_guest=True))
    return sorted([booking, *others], key=lambda b: (b.starts_at, b.id))


def whole_visit(booking: Booking) -> list[Booking]:
    """``booking`` and the other confirmed treatments of its visit, every guest's, in time order."""
    if booking.visit_key is None:
        return [booking]
    others = db.session.scalars(_visit_mates(booking, same_guest=False))
    return sorted([booking, *others], key=lambda b: (b.starts_at, b.id))


def shares_a_visit(booking: Booking) -> bool:
    """Does another confirmed booking share ``booking``'s visit (any guest's)? Such a booking is
    not moved alone: the visit's treatments follow one another, its guests sit side by side."""
    if booking.visit_key is None:
        return False
    return db.session.scalar(_visit_mates(booking, same_guest=False).limit(1)) is not None


def cancel_by_customer(booking: Booking, *, customer: User, now: datetime | None = None) -> int:
    """Cancel under the booking's policy; returns the refund due in minor units. A treatment of a
    visit cancels its guest's part of the visit (``visit_parts``), each treatment under its own
    policy (refunds added up); if one of them can no longer be cancelled, nothing is."""
    now = now or datetime.now(UTC)
    if booking.customer_id != customer.id:
        raise InvalidTransition(_("You can only cancel your own bookings."))
    if booking.status != B.CONFIRMED:
        raise InvalidTransition(_("Only a confirmed booking can be cancelled."))
    parts = visit_parts(booking)
    quotes = [quote_for(part, now) for part in parts]
    for quote in quotes:
        if not quote.allowed:
            raise ValidationFailed(quote.reason)
    for part, quote in zip(parts, quotes, strict=True):
        apply(part, "cancel_by_customer", actor=customer)
        part.refund_minor = quote.refund_minor
        part.cancelled_at = now
    announce_reopened(B.CANCELLED_BY_CUSTOMER, parts, order_id=booking.order_id)
    for part, quote in zip(parts, quotes, strict=True):
        booking_cancelled.send(
            B.CANCELLED_BY_CUSTOMER, booking=part, fee_due=bool(quote.fee_minor or quote.charge_minor)
        )
    return sum(quote.refund_minor for quote in quotes)


def cancel_by_venue(booking: Booking, *, actor: User | None, reason: str, now: datetime | None = None) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the customer a reason for the cancellation."))
    apply(booking, "cancel_by_venue", actor=actor, reason=reason)
    booking.refund_minor = booking.paid_minor  # a venue cancellation refunds what was paid for it, in full
    booking.cancelled_at = now or datetime.now(UTC)
    booking.cancel_reason = reason[:1000]
    announce_reopened(B.CANCELLED_BY_VENUE, [booking], order_id=booking.order_id)
    booking_cancelled.send(B.CANCELLED_BY_VENUE, booking=booking, fee_due=False)
    return booking.refund_minor


def mark(booking: Booking, action: str, *, actor: User, now: datetime | None = None) -> None:
    """Completed or no-show, once the appointment has started."""
    if action not in ("complete", "no_show"):
        raise InvalidTransition(_("Unknown action."))
    if (now or datetime.now(UTC)) < booking.starts_at:
        raise InvalidTransition(_("You can mark a booking completed or no-show once it has started."))
    apply(booking, action, actor=actor)
    booking_marked.send(action, booking=booking)


def booking_time_short(booking: Booking) -> str:
    """ "Tue 24 Nov 2026, 10:00" in the venue's zone (marked on a day the clocks change)."""
    return moment_label(booking.starts_at, venue_zone(booking.venue.timezone))


# -- periodic work ----------------------------------------------------------------------------


@job(name="booking.purge_cart")
def purge_cart_job(timestamp: int | None = None) -> None:
    purge_expired()
    db.session.commit()
