"""The front desk's Today page (/provider/today, issue 45 item 3): what a venue's people need at
the start of a shift and between clients, on one screen, as Fresha's and Phorest's home screens
show it.

- **Agenda**: today's bookings in the venue's zone, in time order: time, client (guests named),
  service as booked, team member, status ("Arrived" once checked in) and what is paid or due.
- **Arrivals due**: confirmed bookings starting in the next two hours (or up to 15 minutes late)
  not checked in yet.
- **Takings so far** (owners and managers only; a receptionist or a practitioner sees none): the
  value of today's visits done or under way (completed, or checked in), and of all today's
  bookings, with how much of it was paid online.
- **Waiting for you**: unread messages from customers and booking requests to accept or decline.
- **This week against last week**: bookings starting Monday to Sunday, against the same days of
  the week before.

A practitioner sees their own bookings only (their agenda, arrivals and messages). Reads: one
statement for today's bookings with what the agenda names, one for the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from app.booking.lifecycle import STATUS_LABELS
from app.booking.models import Booking, BookingStatus
from app.booking.presenting import booked_service
from app.booking.requests import PENDING
from app.messages.models import BookingMessage, Moderation, Side
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import LONG_DAY, clock_label, day_words, venue_zone
from app.venues.deposits import booking_paid_label
from app.venues.models import Venue

ARRIVALS_AHEAD = timedelta(hours=2)
ARRIVALS_LATE = timedelta(minutes=15)  # still "due" a little after the start
SHOWN = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
COUNTED = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


@dataclass(frozen=True)
class Counts:
    unread: int
    requests: int
    this_week: int
    last_week: int


def _day_bounds(day: date, zone: Any) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)


def _scoped(query: Any, member_id: int | None) -> Any:
    return query.where(Booking.team_member_id == member_id) if member_id is not None else query


def _todays_bookings(venue: Venue, day: date, zone: Any, member_id: int | None) -> list[Booking]:
    start, end = _day_bounds(day, zone)
    query = (
        select(Booking)
        .where(Booking.venue_id == venue.id, Booking.starts_at >= start, Booking.starts_at < end)
        .where(Booking.status.in_(list(SHOWN)), Booking.moves_booking_id.is_(None))
        .options(
            selectinload(Booking.service),
            selectinload(Booking.customer),
            selectinload(Booking.team_member),
            selectinload(Booking.addons),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    return list(db.session.scalars(_scoped(query, member_id)))


def _counts(venue: Venue, today: date, zone: Any, now: datetime, member_id: int | None) -> Counts:
    monday = today - timedelta(days=today.weekday())
    week_start, _ = _day_bounds(monday, zone)
    week_end, _ = _day_bounds(monday + timedelta(days=7), zone)
    last_start, _ = _day_bounds(monday - timedelta(days=7), zone)
    in_week = and_(Booking.starts_at >= week_start, Booking.starts_at < week_end)
    in_last = and_(Booking.starts_at >= last_start, Booking.starts_at < week_start)
    counted = Booking.status.in_(list(COUNTED))
    confirmed = Booking.status == BookingStatus.CONFIRMED
    waiting = confirmed & (Booking.request_state == PENDING) & (Booking.starts_at > now)
    weeks = _scoped(
        select(
            func.count().filter(in_week & counted),
            func.count().filter(in_last & counted),
            func.count().filter(waiting),
        ).where(Booking.venue_id == venue.id, Booking.starts_at >= last_start),
        member_id,
    )
    this_week, last_week, requests = db.session.execute(weeks).one()
    unread = _scoped(
        select(func.count(BookingMessage.id))
        .join(Booking, Booking.id == BookingMessage.booking_id)
        .where(
            Booking.venue_id == venue.id,
            BookingMessage.sender_side == Side.CUSTOMER,
            BookingMessage.read_by_other_at.is_(None),
            BookingMessage.moderation.is_distinct_from(Moderation.HIDDEN),
        ),
        member_id,
    )
    return Counts(unread=db.session.scalar(unread) or 0, requests=requests, this_week=this_week, last_week=last_week)


def _row(booking: Booking, zone: Any) -> dict[str, Any]:
    client = booking.guest_name or (booking.customer.name if booking.customer else None)
    arrived = booking.checked_in_at is not None and booking.status == BookingStatus.CONFIRMED
    return {
        "id": booking.id,
        "time": f"{clock_label(booking.starts_at, zone)}–{clock_label(booking.ends_at, zone)}",
        "client": client or _("Walk-in"),
        "service": booked_service(booking),
        "member": booking.team_member.name if booking.team_member else None,
        "status": _("Arrived") if arrived else STATUS_LABELS.get(booking.status, booking.status),
        "arrived": arrived,
        "money": booking_paid_label(booking) or format_money(booking.total_minor, booking.currency),
    }


def today_page(venue: Venue, *, now: datetime, member_id: int | None, sees_takings: bool) -> dict[str, Any]:
    """The Today page's context; ``member_id``: a practitioner's own bookings only."""
    zone = venue_zone(venue)
    today = now.astimezone(zone).date()
    bookings = _todays_bookings(venue, today, zone, member_id)
    arrivals = [
        b
        for b in bookings
        if b.status == BookingStatus.CONFIRMED
        and b.checked_in_at is None
        and now - ARRIVALS_LATE <= b.starts_at <= now + ARRIVALS_AHEAD
    ]
    takings = None
    if sees_takings:
        currency = next((b.currency for b in bookings), next((s.currency for s in venue.services), "GBP"))
        done = [b for b in bookings if b.status == BookingStatus.COMPLETED or b.checked_in_at is not None]
        live = [b for b in bookings if b.status != BookingStatus.NO_SHOW]
        takings = {
            "so_far": format_money(sum(b.total_minor for b in done), currency),
            "booked": format_money(sum(b.total_minor for b in live), currency),
            "online": format_money(sum(b.paid_minor for b in live), currency),
        }
    counts = _counts(venue, today, zone, now, member_id)
    return {
        "day_label": day_words(today, LONG_DAY),
        "timezone": zone.key,
        "agenda": [_row(b, zone) for b in bookings],
        "arrivals": [_row(b, zone) for b in arrivals],
        "takings": takings,
        "counts": counts,
        "week_change": counts.this_week - counts.last_week,
    }
