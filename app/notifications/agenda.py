"""Tomorrow's agenda: an evening email to the people of a venue who asked for it ("Tomorrow's
agenda, each evening", off until chosen), listing the next day's confirmed bookings.

A job runs hourly (``every`` in wiring.py). A venue is due once its local time is past
AGENDA_HOUR (18:00): the job then claims the row (venue, tomorrow) in ``agenda_sends`` and sends
in the same transaction. The row's primary key is what sends it once: a second run, a second
worker, or a run an hour later finds it taken and sends nothing. A venue whose evening the
job missed (the worker was down) still gets it at the next run before midnight.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select, text

from app.booking.models import Booking, BookingStatus
from app.notifications import catalogue
from app.notifications.activity import venue_recipients
from app.notifications.models import NotificationPreference
from app.notifications.preferences import EMAIL
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.timefmt import venue_zone
from app.venues.models import Venue, VenueStatus

log = logging.getLogger(__name__)

AGENDA = "daily_agenda"
AGENDA_HOUR = 18


def _wanted_by_owner():
    """Venues whose owner turned the agenda on (the default is off, so a row says it)."""
    return exists().where(
        NotificationPreference.user_id == Venue.owner_id,
        NotificationPreference.kind == AGENDA,
        NotificationPreference.channel == EMAIL,
        NotificationPreference.enabled.is_(True),
    )


def due_venues(now: datetime) -> list[tuple[Venue, date]]:
    """(venue, the local day after today) for each venue past its agenda hour that someone wants it for."""
    venues = db.session.scalars(select(Venue).where(Venue.status == VenueStatus.APPROVED, _wanted_by_owner()))
    due = []
    for venue in venues:
        local = now.astimezone(venue_zone(venue.timezone))
        if local.hour >= AGENDA_HOUR:
            due.append((venue, local.date() + timedelta(days=1)))
    return due


def bookings_on(venue: Venue, day: date) -> list[Booking]:
    zone = venue_zone(venue.timezone)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.venue_id == venue.id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.starts_at >= start,
                Booking.starts_at < end,
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )


def _claim(venue_id: int, day: date, count: int) -> bool:
    claimed = db.session.execute(
        text(
            "INSERT INTO agenda_sends (venue_id, day, bookings) VALUES (:venue_id, :day, :count)"
            " ON CONFLICT DO NOTHING RETURNING venue_id"
        ),
        {"venue_id": venue_id, "day": day, "count": count},
    )
    return claimed.first() is not None


def send_agenda(venue: Venue, day: date) -> int:
    """Send ``venue``'s agenda for ``day`` (catalogue.agenda) to each of its people who wants it;
    returns how many emails were sent (0 when it was sent before)."""
    people = [p for p in venue_recipients(venue) if EMAIL in catalogue.agenda.channels(p)]
    if not people:
        return 0
    bookings = bookings_on(venue, day)
    if not _claim(venue.id, day, len(bookings)):
        return 0
    for person in people:
        catalogue.agenda.send(person, on=(EMAIL,), venue=venue, day=day, bookings=bookings)
    return len(people)


def send_agendas(now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    sent = 0
    for venue, day in due_venues(now):
        sent += send_agenda(venue, day)
    return sent


@job(name="notifications.send_agendas")
def send_agendas_job(timestamp: int | None = None) -> None:
    sent = send_agendas()
    db.session.commit()
    log.info("venue agendas: %s emails", sent)
