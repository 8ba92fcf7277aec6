"""Builders for waitlist tests: a day with only some hours open, all of them booked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.booking.models import Booking, BookingStatus
from app.booking.time_blocks import add_time_block
from app.platform.extensions import db
from app.waitlist.models import OfferStatus, WaitlistEntry, WaitlistOffer
from tests.booking.helpers import book

DAYS_AHEAD = 4
TZ = "Europe/London"


def the_day(days: int = DAYS_AHEAD) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


def at(hour: int, day: date | None = None, minute: int = 0) -> datetime:
    day = day or the_day()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def open_only(venue, hours: tuple[int, ...], day: date | None = None) -> None:
    """Block the venue's 09:00-18:00 on ``day`` except the 60-minute times starting at ``hours``."""
    day = day or the_day()
    edges = [9, *sorted(h for hour in hours for h in (hour, hour + 1)), 18]
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if start < end:
            add_time_block(venue, member_id=None, starts_at=at(start, day), ends_at=at(end, day), reason="test")
    db.session.flush()


def fill(customer, service, hour: int, *, places: int = 1, day: date | None = None) -> list[Booking]:
    """Book every place at ``hour`` (one booking per place), confirmed."""
    return [book(customer, service, at(hour, day)) for _ in range(places)]


def open_offers(**where) -> list[WaitlistOffer]:
    query = select(WaitlistOffer).where(WaitlistOffer.status == OfferStatus.OPEN).order_by(WaitlistOffer.id)
    for key, value in where.items():
        query = query.where(getattr(WaitlistOffer, key) == value)
    return list(db.session.scalars(query))


def entry_of(customer) -> WaitlistEntry:
    return db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.customer_id == customer.id).order_by(WaitlistEntry.id.desc())
    ).first()


def count_entries() -> int:
    return db.session.scalar(select(func.count()).select_from(WaitlistEntry))


def live_holds_at(service, starts_at: datetime) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking).where(
                Booking.service_id == service.id, Booking.starts_at == starts_at, Booking.status == BookingStatus.HELD
            )
        )
    )
