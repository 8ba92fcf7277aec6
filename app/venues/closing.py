"""Pausing and closing a venue, by its owner (docs/pause-and-close.md).

Paused: the venue stays listed (its page, search, the sitemap) but takes no new bookings, until
its owner reopens it or, when a day to resume is set, until that day comes in the venue's own
zone. Bookings already made are kept. The booking paths ask ``pause_refusal``.

Closed: the status ``closed``: like any status but approved, the venue leaves search, the
sitemap and every booking path; its rows are kept (bookings, orders, reviews and the audit log
follow the retention rules). What happens to its future bookings is the caller's choice, made
before ``close``: honoured, or cancelled and refunded through the venue's own cancellation
(app/venues/views/closing.py). Reopening a closed venue sends it to our team for review again.

Every change is one audit row: venue.pause, venue.resume, venue.close, venue.reopen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _

from app.accounts.models import User
from app.audit import service as audit
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.timefmt import day_words, venue_zone
from app.venues.events import listing_submitted
from app.venues.models import Venue, VenueStatus
from app.venues.service import missing_for_submission

HONOUR, CANCEL = "honour", "cancel"
FUTURE_BOOKING_CHOICES = (HONOUR, CANCEL)
PAUSE_MESSAGE_MAX = 300
REASON_MAX = 1000  # a booking's cancel_reason keeps this many
LONGEST_PAUSE = timedelta(days=366)


def local_today(venue: Venue, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(venue_zone(venue.timezone)).date()


def is_paused(venue: Venue, now: datetime | None = None) -> bool:
    """Paused, and its day to resume (venue-local) not yet come."""
    if venue.paused_at is None or venue.status != VenueStatus.APPROVED:
        return False
    return venue.resumes_on is None or local_today(venue, now) < venue.resumes_on


def pause_notice(venue: Venue, now: datetime | None = None) -> str | None:
    """What customers read while the venue is paused ("... until ..."); None when it isn't."""
    if not is_paused(venue, now):
        return None
    if venue.resumes_on is None:
        return _("%(venue)s is not taking new bookings for now.", venue=venue.name)
    return _(
        "%(venue)s is not taking new bookings until %(day)s.",
        venue=venue.name,
        day=day_words(venue.resumes_on),
    )


def pause_refusal(venue: Venue, now: datetime | None = None) -> str | None:
    """Why a new booking at ``venue`` is refused now (its pause), or None: every booking path asks."""
    return pause_notice(venue, now)


def pause(venue: Venue, *, actor: User, until: date | None, message: str = "", now: datetime | None = None) -> None:
    """Stop new bookings at a live venue, until its owner reopens it or the day ``until`` comes."""
    _owner_only(venue, actor)
    if venue.status != VenueStatus.APPROVED:
        raise InvalidTransition(_("Only a live venue can be paused."))
    today = local_today(venue, now)
    if until is not None and until <= today:
        raise ValidationFailed(_("Choose a day after today to take bookings again."), field="until")
    if until is not None and until > today + LONGEST_PAUSE:
        raise ValidationFailed(_("Pause for at most a year; close the venue instead."), field="until")
    message = (message or "").strip()
    if len(message) > PAUSE_MESSAGE_MAX:
        raise ValidationFailed(_("Use at most %(max)d characters.", max=PAUSE_MESSAGE_MAX), field="message")
    was = "paused" if is_paused(venue, now) else "taking_bookings"
    venue.paused_at = now or datetime.now(UTC)
    venue.resumes_on = until
    venue.pause_message = message or None
    audit.record(
        "venue.pause",
        actor_id=actor.id,
        about=("venue", venue.id),
        from_state=was,
        to_state="paused",
        until=until.isoformat() if until else None,
        message=message or None,
    )


def resume(venue: Venue, *, actor: User, now: datetime | None = None) -> None:
    """Take bookings again after a pause."""
    _owner_only(venue, actor)
    if not is_paused(venue, now):
        raise InvalidTransition(_("Your venue isn't paused."))
    _clear_pause(venue)
    audit.record(
        "venue.resume", actor_id=actor.id, about=("venue", venue.id), from_state="paused", to_state="taking_bookings"
    )


def close(
    venue: Venue,
    *,
    actor: User,
    future_bookings: str,
    reason: str = "",
    cancelled: int = 0,
    now: datetime | None = None,
) -> None:
    """Close a live (or paused) venue: hidden from customers, records kept. ``future_bookings``
    says what the owner chose (``cancelled``: how many the caller cancelled before this)."""
    _owner_only(venue, actor)
    check_closable(venue, future_bookings, reason)
    source = venue.status
    _clear_pause(venue)
    venue.status = VenueStatus.CLOSED
    venue.status_reason = None
    venue.closed_at = now or datetime.now(UTC)
    audit.record(
        "venue.close",
        actor_id=actor.id,
        about=("venue", venue.id),
        from_state=source,
        to_state=VenueStatus.CLOSED,
        reason=reason.strip() or None,
        future_bookings=future_bookings,
        cancelled=cancelled,
    )


def check_closable(venue: Venue, future_bookings: str, reason: str = "") -> None:
    """Refuse before anything is cancelled: a venue that isn't live, no choice made, or
    cancellations without the reason their customers will read."""
    if venue.status != VenueStatus.APPROVED:
        raise InvalidTransition(_("Only a live venue can be closed."))
    if future_bookings not in FUTURE_BOOKING_CHOICES:
        raise ValidationFailed(
            _("Choose what happens to the bookings already made: keep them, or cancel and refund them."),
            field="future_bookings",
        )
    if future_bookings == CANCEL and not (reason or "").strip():
        raise ValidationFailed(_("Tell your customers why their bookings are cancelled."), field="reason")
    if len(reason or "") > REASON_MAX:
        raise ValidationFailed(_("Use at most %(max)d characters.", max=REASON_MAX), field="reason")


def reopen(venue: Venue, *, actor: User, now: datetime | None = None) -> None:
    """A closed venue asks to be listed again: it goes to our team's review, as a new listing does."""
    _owner_only(venue, actor)
    if venue.status != VenueStatus.CLOSED:
        raise InvalidTransition(_("Your venue isn't closed."))
    missing = missing_for_submission(venue)
    if missing:
        raise ValidationFailed(_("Before submitting, add %(missing)s.", missing=", ".join(missing)))
    venue.status = VenueStatus.PENDING_REVIEW
    venue.submitted_at = now or datetime.now(UTC)
    venue.closed_at = None
    audit.record(
        "venue.reopen",
        actor_id=actor.id,
        about=("venue", venue.id),
        from_state=VenueStatus.CLOSED,
        to_state=VenueStatus.PENDING_REVIEW,
    )
    listing_submitted.send("submit", venue=venue)  # the admins are told (app/notifications/activity.py)


def refuse_if_closed(venue: Venue) -> None:
    """The front desk books at a paused venue (its staff choose to), never at a closed one."""
    if venue.status == VenueStatus.CLOSED:
        raise InvalidTransition(_("Your venue is closed: reopen it before taking bookings."))


def _clear_pause(venue: Venue) -> None:
    venue.paused_at = None
    venue.resumes_on = None
    venue.pause_message = None


def _owner_only(venue: Venue, actor: User) -> None:
    if actor.id != venue.owner_id:
        raise InvalidTransition(_("Only the venue's owner can pause or close it."))
