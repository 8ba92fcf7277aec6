"""Invitations back (issue 47, item 6; docs/invitations-back.md): three messages that bring a
customer back to a venue, each by email, each only with marketing consent.

- **Rebooking nudge** (``rebook``): a service with a rhythm (``Service.rebook_after_weeks``, N)
  invites its customer back N weeks after a visit, when they have booked nothing at that venue
  since, with "Book with <the same person> again".
- **Win-back** (``win_back``): a venue with ``win_back_months`` (M) writes once to a customer
  whose last visit there was M months ago and who has booked nothing there since.
- **Birthday** (``birthday``): a venue with ``birthday_messages`` on greets, on their birthday
  (the optional date of birth on their profile), a customer who visited it in the last
  ``BIRTHDAY_VISITS`` (18 months); once a year.

Consent: each notice's preference is ``marketing`` ("Offers and news"), whose email channel is
the recorded consent (app/notifications/preferences.py): without it there is no channel and
nothing is sent, nor marked (consent given within the look-back still brings the message). Each
email's unsubscribe link works signed out (app/privacy/consent.py).

Once: the ``return_messages`` row, unique per customer, venue, kind and period (the visit for a
nudge or a win-back, the year for a birthday), is claimed in the transaction that queues the
email, so a job run twice, or two workers, send one. And at most one invitation from a venue to
a customer in ``QUIET`` (30 days), whatever the kind.

The hourly job ``notifications.invitations_back`` looks at what fell due in the last
``LOOKBACK`` (3 days): a worker down for a while catches up, and a setting switched on today does
not write to every customer of the past year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.booking.models import Booking, BookingStatus
from app.notifications import catalogue
from app.notifications.models import ReturnKind, ReturnMessage
from app.notifications.telling import NoticeKind
from app.platform.extensions import db
from app.platform.jobs import job
from app.venues.models import Service, Venue, VenueStatus

VISITED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)  # a visit that happened, unless marked otherwise
SINCE = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)  # "booked since"
LOOKBACK = timedelta(days=3)
QUIET = timedelta(days=30)
LONGEST_WAIT = timedelta(days=750)  # 24 months, the longest win-back: bounds the scan by start
BIRTHDAY_VISITS = timedelta(days=548)  # 18 months
BATCH = 500


@dataclass(frozen=True)
class Rhythm:
    """A kind of invitation that follows a visit: after the service's weeks or the venue's months."""

    kind: ReturnKind
    notice: NoticeKind

    def interval(self):
        if self.kind == ReturnKind.REBOOK:
            return func.make_interval(0, 0, Service.rebook_after_weeks)
        return func.make_interval(0, Venue.win_back_months)

    def switched_on(self):
        if self.kind == ReturnKind.REBOOK:
            return Service.rebook_after_weeks.is_not(None)
        return Venue.win_back_months.is_not(None)


NUDGE = Rhythm(ReturnKind.REBOOK, catalogue.rebook_nudge)
WIN_BACK = Rhythm(ReturnKind.WIN_BACK, catalogue.win_back)
RHYTHMS = (NUDGE, WIN_BACK)


def _due(rhythm: Rhythm, now: datetime):
    """Visits whose invitation of this kind fell due within the look-back and was not sent, whose
    customer has booked nothing at that venue since (so the visit is their last there)."""
    due_at = Booking.ends_at + rhythm.interval()
    later = aliased(Booking)
    return (
        select(Booking.id)
        .join(Service, Service.id == Booking.service_id)
        .join(Venue, Venue.id == Booking.venue_id)
        .where(
            rhythm.switched_on(),
            Booking.status.in_(VISITED),
            Booking.customer_id.is_not(None),
            Booking.moves_booking_id.is_(None),
            Booking.starts_at > now - LONGEST_WAIT - LOOKBACK,
            due_at <= literal(now),
            due_at > literal(now - LOOKBACK),
            ~exists().where(ReturnMessage.kind == rhythm.kind, ReturnMessage.booking_id == Booking.id),
            ~exists().where(
                and_(
                    later.customer_id == Booking.customer_id,
                    later.venue_id == Booking.venue_id,
                    later.starts_at > Booking.starts_at,
                    later.status.in_(SINCE),
                )
            ),
        )
    )


def due_visits(rhythm: Rhythm, now: datetime, *, limit: int = BATCH) -> list[int]:
    """The visits due an invitation of this kind, oldest first."""
    return list(db.session.scalars(_due(rhythm, now).order_by(Booking.ends_at, Booking.id).limit(limit)))


def after_visit(rhythm: Rhythm, booking_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    """Send the visit's invitation of this kind if it is due and its customer consented; the
    channels used, or None when nothing was sent (not due, no consent, sent before, another
    invitation from this venue in the quiet period, the venue or service no longer bookable)."""
    now = now or datetime.now(UTC)
    if not db.session.scalar(select(_due(rhythm, now).where(Booking.id == booking_id).exists())):
        return None
    booking = db.session.get(Booking, booking_id)
    if booking.venue.status != VenueStatus.APPROVED or not booking.service.is_active:
        return None
    return _send(rhythm.notice, rhythm.kind, booking.customer, booking.venue, str(booking.id), now, booking=booking)


def nudge(booking_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    return after_visit(NUDGE, booking_id, now=now)


def win_back(booking_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    return after_visit(WIN_BACK, booking_id, now=now)


def birthdays_due(now: datetime, *, limit: int = BATCH) -> list[tuple[int, int]]:
    """(customer, venue) pairs to greet today: the customer's birthday, a visit at a venue with
    birthday messages on in the last 18 months, not greeted this year. A birthday on 29 February
    is kept on 28 February in a year without one."""
    today = now.astimezone(UTC).date()
    month_day = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and not _leap(today.year):
        month_day.append((2, 29))
    born = func.extract("month", User.date_of_birth) * 100 + func.extract("day", User.date_of_birth)
    return [
        (customer_id, venue_id)
        for customer_id, venue_id in db.session.execute(
            select(Booking.customer_id, Booking.venue_id)
            .join(User, User.id == Booking.customer_id)
            .join(Venue, Venue.id == Booking.venue_id)
            .where(
                Venue.birthday_messages.is_(True),
                User.date_of_birth.is_not(None),
                born.in_([m * 100 + d for m, d in month_day]),
                Booking.status.in_(VISITED),
                Booking.starts_at > now - BIRTHDAY_VISITS,
                Booking.starts_at <= now,
                ~exists().where(
                    ReturnMessage.customer_id == Booking.customer_id,
                    ReturnMessage.venue_id == Booking.venue_id,
                    ReturnMessage.kind == ReturnKind.BIRTHDAY,
                    ReturnMessage.period == str(today.year),
                ),
            )
            .group_by(Booking.customer_id, Booking.venue_id)
            .order_by(Booking.customer_id, Booking.venue_id)
            .limit(limit)
        ).all()
    ]


def greet(customer_id: int, venue_id: int, *, now: datetime | None = None) -> tuple[str, ...] | None:
    """Send the venue's birthday message to the customer if it is due; as ``after_visit``."""
    now = now or datetime.now(UTC)
    if (customer_id, venue_id) not in birthdays_due(now, limit=BATCH):
        return None
    venue = db.session.get(Venue, venue_id)
    if venue.status != VenueStatus.APPROVED:
        return None
    period = str(now.astimezone(UTC).year)
    return _send(catalogue.birthday_message, ReturnKind.BIRTHDAY, db.session.get(User, customer_id), venue, period, now)


def _send(
    notice: NoticeKind,
    kind: ReturnKind,
    customer: User | None,
    venue: Venue,
    period: str,
    now: datetime,
    *,
    booking: Booking | None = None,
) -> tuple[str, ...] | None:
    if customer is None or not customer.is_active_account:
        return None
    channels = notice.channels(customer)
    if not channels:
        return None  # no consent: nothing sent, nothing marked
    if _invited_lately(customer.id, venue.id, now):
        return None
    claimed = db.session.execute(
        insert(ReturnMessage)
        .values(
            kind=kind,
            customer_id=customer.id,
            venue_id=venue.id,
            booking_id=booking.id if booking else None,
            period=period,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "venue_id", "kind", "period"])
        .returning(ReturnMessage.id)
    ).scalar()
    if claimed is None:
        return None  # sent before
    notice.send(customer, on=channels, **({"booking": booking} if booking else {"venue": venue}))
    return channels


def _invited_lately(customer_id: int, venue_id: int, now: datetime) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ReturnMessage.customer_id == customer_id,
                    ReturnMessage.venue_id == venue_id,
                    ReturnMessage.sent_at > now - QUIET,
                )
            )
        )
    )


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


@job(name="notifications.invitations_back")
def invitations_back_job(timestamp: int | None = None) -> None:
    """Send every invitation that is due (each committed on its own)."""
    now = datetime.now(UTC)
    for rhythm in RHYTHMS:
        for booking_id in due_visits(rhythm, now):
            after_visit(rhythm, booking_id, now=now)
            db.session.commit()
    for customer_id, venue_id in birthdays_due(now):
        greet(customer_id, venue_id, now=now)
        db.session.commit()
