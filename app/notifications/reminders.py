"""Reminders before an appointment, by email and SMS, at the offsets the venue chose.

``plan_reminders(booking, *, now=None)`` is the one entry point. Its contract, for every
path that confirms, moves or cancels a booking (the confirm path in
app/booking/order_lifecycle.py calls it; a reschedule must call it after the move):

- Call it inside the transaction that changed the booking, after the change (``status``,
  ``starts_at``), before the commit. It commits nothing and sends nothing; it is idempotent.
- A confirmed booking gets one ``planned`` row in ``booking_reminders`` per venue offset and
  channel whose due time (``starts_at - offset``) is still ahead, for its *current* start,
  each with a job queued for that time (``enqueue(..., schedule_at=due_at)``, in the same
  transaction). Planned rows for another start (the booking moved) or for an offset the
  venue no longer uses are dropped and their queued jobs cancelled.
- Any other status drops every planned reminder (cancellations also reach
  ``drop_for_released`` through ``times_reopened``).
- A reminder already sent for a start is never sent again for it; a move plans new ones.

Exactly once: a reminder's job locks its row, checks it is still ``planned``, the booking
still confirmed and still starting at the planned time, and turns it ``sent`` in the
transaction that records the message (the queued email job, or the SMS record and gateway
call of app/notifications/sms.py). A worker killed mid-send rolls that transaction back;
procrastinate's stalled-job retry (app/platform/jobs.py) runs it again and it sends once. Channels
follow the customer's choice for reminders (catalogue.reminder) when the reminder is due, not
when planned.

A visit of several treatments (app/booking/visits.py) is reminded of once: each treatment has
its reminders planned as any booking, but only the visit's first treatment's are sent, listing
every treatment (each guest's named); the others are skipped when due.

Every message carries a one-tap link (``/r/<token>``, see app/notifications/views.py) to
cancel or reschedule, only while the booking's cancellation policy still allows it; past
that the message says so and has no link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from procrastinate import RetryStrategy
from sqlalchemy import and_, exists, select, text
from sqlalchemy.dialects.postgresql import insert

from app.booking.events import times_reopened
from app.booking.lifecycle import whole_visit
from app.booking.models import Booking, BookingStatus
from app.booking.policy import describe_policy, quote_cancellation
from app.booking.presenting import booked_service
from app.notifications import catalogue
from app.notifications.models import BookingReminder, ReminderStatus, VenueReminderSettings
from app.notifications.preferences import CHANNELS
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.platform.timefmt import clock_label, moment_label, venue_zone
from app.platform.urls import absolute_url

log = logging.getLogger(__name__)

R = ReminderStatus
OFFSET_CHOICES_HOURS: tuple[int, ...] = (1, 2, 3, 4, 6, 12, 24, 48, 72, 168)
DEFAULT_OFFSETS_MINUTES: tuple[int, ...] = (24 * 60,)
MAX_OFFSETS = 3
LINK_SALT = "cozywish.booking-link"


# -- the venue's offsets ----------------------------------------------------------------------


def get_reminder_offsets(venue_id: int) -> tuple[int, ...]:
    """Minutes before the start, largest first; 24 hours when the venue never chose."""
    stored = db.session.scalar(
        select(VenueReminderSettings.offsets_minutes).where(VenueReminderSettings.venue_id == venue_id)
    )
    return tuple(sorted(stored or DEFAULT_OFFSETS_MINUTES, reverse=True))


def offset_label(minutes: int) -> str:
    hours = minutes // 60
    if hours % 24 == 0 and hours >= 48:
        return _("%(num)d days", num=hours // 24)
    return ngettext("%(num)d hour", "%(num)d hours", hours)


def parse_offset_hours(values: list[str]) -> list[int]:
    """The form's chosen hours, validated: 1 to 3 different choices from the menu."""
    chosen: list[int] = []
    for value in values:
        if not (value.isdecimal() and len(value) <= 3) or int(value) not in OFFSET_CHOICES_HOURS:
            raise ValidationFailed(_("Choose reminder times from the list."))
        if int(value) not in chosen:
            chosen.append(int(value))
    if not chosen:
        raise ValidationFailed(_("Choose at least one reminder time."))
    if len(chosen) > MAX_OFFSETS:
        raise ValidationFailed(_("Choose at most %(max_offsets)s reminder times.", max_offsets=MAX_OFFSETS))
    return sorted(chosen, reverse=True)


def set_reminder_offsets(venue_id: int, hours: list[int], *, now: datetime | None = None) -> int:
    """Store the venue's offsets and re-plan its upcoming confirmed bookings; returns how many."""
    minutes = sorted({h * 60 for h in hours}, reverse=True)
    if not 1 <= len(minutes) <= MAX_OFFSETS or any(h not in OFFSET_CHOICES_HOURS for h in hours):
        raise ValidationFailed(_("Choose one to three reminder times from the list."))
    statement = insert(VenueReminderSettings).values(venue_id=venue_id, offsets_minutes=minutes)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["venue_id"], set_={"offsets_minutes": minutes, "updated_at": db.func.now()}
        )
    )
    now = now or datetime.now(UTC)
    upcoming = db.session.scalars(
        select(Booking).where(
            Booking.venue_id == venue_id, Booking.status == BookingStatus.CONFIRMED, Booking.starts_at > now
        )
    ).all()
    for booking in upcoming:
        plan_reminders(booking, now=now)
    return len(upcoming)


# -- planning ---------------------------------------------------------------------------------


def plan_reminders(booking: Booking, *, now: datetime | None = None) -> list[BookingReminder]:
    """Bring the booking's planned reminders in line with its status and start (see the module
    docstring for the contract); returns the reminders planned now and still planned."""
    now = now or datetime.now(UTC)
    db.session.flush()
    rows = list(db.session.scalars(select(BookingReminder).where(BookingReminder.booking_id == booking.id)))
    wanted: set[tuple[int, str]] = set()
    if booking.status == BookingStatus.CONFIRMED:
        wanted = {
            (offset, channel)
            for offset in get_reminder_offsets(booking.venue_id)
            if booking.starts_at - timedelta(minutes=offset) > now
            for channel in CHANNELS
        }
    current = {(r.offset_minutes, r.channel): r for r in rows if r.starts_at == booking.starts_at}
    for row in rows:
        key = (row.offset_minutes, row.channel)
        if row.status == R.PLANNED and (row.starts_at != booking.starts_at or key not in wanted):
            _drop(row, "the booking moved" if row.starts_at != booking.starts_at else "no longer wanted")
    planned, fresh = [], []
    for offset, channel in sorted(wanted):
        row = current.get((offset, channel))
        if row is not None and row.status in (R.PLANNED, R.SENT, R.SKIPPED):
            if row.status == R.PLANNED:
                planned.append(row)
            continue
        if row is None:
            row = BookingReminder(
                booking_id=booking.id, offset_minutes=offset, channel=channel, starts_at=booking.starts_at
            )
            db.session.add(row)
        row.due_at, row.status, row.detail = booking.starts_at - timedelta(minutes=offset), R.PLANNED, None
        planned.append(row)
        fresh.append(row)
    if fresh:
        db.session.flush()  # the new rows in one statement: their ids for the jobs
        with db.session.no_autoflush:  # their job ids go in one statement too, at the next flush
            for row in fresh:
                row.job_id = enqueue(send_reminder_job, schedule_at=row.due_at, reminder_id=row.id)
    return planned


def _drop(row: BookingReminder, why: str) -> None:
    row.status, row.detail = R.DROPPED, why
    if row.job_id is not None:
        # A queued job is cancelled; one already running finds the row dropped and stops.
        db.session.execute(text("SELECT procrastinate_cancel_job_v1(:id, false, true)"), {"id": row.job_id})


def drop_reminders(booking: Booking, why: str) -> int:
    rows = db.session.scalars(
        select(BookingReminder).where(BookingReminder.booking_id == booking.id, BookingReminder.status == R.PLANNED)
    ).all()
    for row in rows:
        _drop(row, why)
    return len(rows)


@times_reopened.connect
def drop_for_released(reason: str, *, times: Any = (), order_id: int, **_: Any) -> None:
    """A cancellation (or any release) of an order's bookings drops their planned reminders."""
    db.session.flush()
    released = db.session.scalars(
        select(Booking).where(Booking.order_id == order_id, Booking.status != BookingStatus.CONFIRMED)
    ).all()
    for booking in released:
        drop_reminders(booking, f"the booking is {booking.status.replace('_', ' ')}")


def plan_missing(*, now: datetime | None = None) -> int:
    """Plan reminders for confirmed bookings starting within a week that have none for their
    current start (bookings confirmed before reminders existed, or by a path that forgot)."""
    now = now or datetime.now(UTC)
    horizon = now + timedelta(hours=max(OFFSET_CHOICES_HOURS) + 1)
    has_plan = exists().where(
        and_(BookingReminder.booking_id == Booking.id, BookingReminder.starts_at == Booking.starts_at)
    )
    bookings = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at > now,
            Booking.starts_at <= horizon,
            ~has_plan,
        )
        .limit(500)
    ).all()
    return sum(1 for booking in bookings if plan_reminders(booking, now=now))


# -- sending ----------------------------------------------------------------------------------


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def make_link_token(booking: Booking) -> str:
    """A short signed token naming one booking (about 40 characters), for /r/<token>."""
    return _link_serializer().dumps(booking.id)


class LinkInvalid(ValidationFailed):
    pass


def read_link_token(token: str) -> int:
    """The booking id a link names; LinkInvalid when it was tampered with or has expired."""
    max_age = int(current_app.config["REMINDER_LINK_MAX_AGE_HOURS"]) * 3600
    try:
        booking_id = _link_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkInvalid(_("This link has expired. Sign in and open My bookings instead.")) from None
    except BadSignature:
        raise LinkInvalid(_("This link isn't valid. Sign in and open My bookings instead.")) from None
    if not isinstance(booking_id, int) or isinstance(booking_id, bool):
        raise LinkInvalid(_("This link isn't valid. Sign in and open My bookings instead."))
    return booking_id


def compose(booking: Booking, now: datetime, *, visit: Sequence[Booking] = ()) -> dict[str, Any]:
    """What a reminder says: the time (unambiguous, in the venue's zone), the policy, and the
    one-tap link only while cancelling or changing is still allowed. ``visit``: every treatment
    of ``booking``'s visit, ``booking`` first (one reminder lists them all, each guest's named)."""
    quote = quote_cancellation(
        paid_minor=booking.total_minor,
        starts_at=booking.starts_at,
        now=now,
        free_hours=booking.cancel_free_hours,
        late_fee_percent=booking.cancel_late_fee_percent,
    )
    zone = venue_zone(booking.venue.timezone)
    when = moment_label(booking.starts_at, zone)
    link = absolute_url("notifications.booking_link", token=make_link_token(booking)) if quote.allowed else None
    change = (
        f"Cancel or reschedule: {link}"
        if link
        else "It can no longer be cancelled or changed under the venue's policy."
    )
    treatments = visit_lines(visit)
    sms_what = f"{booking.service.name} at {booking.venue.name}, {when}"
    if treatments:
        sms_what = f"your visit at {booking.venue.name} from {when} ({len(treatments)} treatments)"
    return {
        "when": when,
        "visit": treatments,
        "policy": describe_policy(booking.cancel_free_hours, booking.cancel_late_fee_percent),
        "link": link,
        "no_change_note": None if link else quote.reason,
        "sms": f"CozyWish reminder: {sms_what}. Ref {booking.reference}. {change}",
    }


def visit_lines(visit: Sequence[Booking]) -> list[str]:
    """Each treatment of a visit on a line, in the venue's zone, each guest's named: "10:00
    Couples massage (90 min) + Hot stones (for Ana)"; none for a booking alone (reminders and
    a visit's move, app/notifications/moves.py)."""
    if len(visit) < 2:
        return []
    zone = venue_zone(visit[0].venue.timezone)
    return [
        " ".join(
            [
                clock_label(part.starts_at, zone),
                booked_service(part),
                *([_("(for %(guest)s)", guest=part.guest_name)] if part.guest_name else []),
            ]
        )
        for part in visit
    ]


def _why_not(reminder: BookingReminder, booking: Booking, now: datetime) -> str | None:
    if booking.status != BookingStatus.CONFIRMED:
        return f"the booking is {booking.status.replace('_', ' ')}"
    if booking.starts_at != reminder.starts_at:
        return "the booking moved"
    if now >= booking.starts_at:
        return "the appointment had started"
    return None


def send_reminder(reminder_id: int, *, now: datetime | None = None) -> str:
    """Send one reminder if it is still due: "sent", "skipped", "dropped" or "nothing to do".

    The caller commits; the row lock and the status change make a second run a no-op."""
    now = now or datetime.now(UTC)
    reminder = db.session.scalar(select(BookingReminder).where(BookingReminder.id == reminder_id).with_for_update())
    if reminder is None or reminder.status != R.PLANNED:
        return "nothing to do"
    booking = reminder.booking
    why = _why_not(reminder, booking, now)
    if why:
        reminder.status, reminder.detail = R.DROPPED, why
        return "dropped"
    visit = whole_visit(booking)
    if visit[0] is not booking:  # a visit is reminded of once, with its first treatment's reminder
        reminder.status, reminder.detail = R.SKIPPED, "reminded with the visit's first treatment"
        return "skipped"
    customer = booking.customer
    if customer is None:  # a walk-in booked at the desk without an account: no reminders
        reminder.status, reminder.detail = R.SKIPPED, "booked at the desk without an account"
        return "skipped"
    if reminder.channel not in catalogue.reminder.channels(customer):
        reminder.status, reminder.detail = R.SKIPPED, f"reminders by {reminder.channel} are turned off"
        return "skipped"
    message = compose(booking, now, visit=visit)
    with db.session.begin_nested():
        key = f"reminder-{reminder.id}"
        catalogue.reminder.send(customer, on=(reminder.channel,), booking=booking, message=message, key=key)
        reminder.status, reminder.sent_at = R.SENT, now
        db.session.flush()
    return "sent"


# A failed send (the gateway or the database briefly away) waits 2, 4, 8, 16, 32 s between tries.
@job(name="notifications.send_reminder", retry=RetryStrategy(max_attempts=6, exponential_wait=2))
def send_reminder_job(reminder_id: int) -> None:
    outcome = send_reminder(reminder_id)
    db.session.commit()
    log.info("reminder %s: %s", reminder_id, outcome)


@job(name="notifications.plan_missing")
def plan_missing_job(timestamp: int | None = None) -> None:
    plan_missing()
    db.session.commit()
