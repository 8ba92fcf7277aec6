"""The analytics tables (migration 0059). Rollups are derived data: the periodic job
(app/analytics/rollup.py) rebuilds any day from the bookings, so nothing here is a source of
truth. The funnel tables hold counts only: no user, session or address (docs/privacy.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.columns import Currency, one_of
from app.platform.extensions import db

FUNNEL_STEPS = ("search", "venue_view", "cart_add", "checkout", "paid")


# The period column of a venue's rollup, its local day or its month's first day (``day`` or
# ``month``: ``month: Mapped[Period]``): part of the key, second after _VenuePeriod's venue_id.
Period = Annotated[date, mapped_column(primary_key=True, sort_order=-1)]


class _VenuePeriod:
    """The key of a venue's rollup of one period, a local day or a calendar month, whose table
    names its period column (a ``Period``): it comes second, after ``venue_id``, and before the
    rest of the key and the counts."""

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True, sort_order=-2)


class _BookingCounts(_VenuePeriod):
    """What a venue day and a venue month both hold: bookings by team member (0: none), channel
    and currency."""

    team_member_id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    currency: Mapped[Currency] = mapped_column(primary_key=True)
    bookings: Mapped[int]
    completed: Mapped[int]
    cancelled: Mapped[int]
    late_cancelled: Mapped[int]
    no_shows: Mapped[int]
    booked_minutes: Mapped[int]
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    refunds_minor: Mapped[int] = mapped_column(BigInteger)
    commission_minor: Mapped[int] = mapped_column(BigInteger)


class _ServiceCounts(_VenuePeriod):
    """What a venue day and a venue month both hold of each service, by team member."""

    team_member_id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(primary_key=True)
    bookings: Mapped[int]
    gross_minor: Mapped[int] = mapped_column(BigInteger)


class _LeadCounts(_VenuePeriod):
    """A lead-time histogram bucket, as a venue day and a venue month both hold it."""

    bucket: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bookings: Mapped[int]


class VenueDay(_BookingCounts, db.Model):
    """One venue's bookings of one local day, by team member (0: none) and channel."""

    __tablename__ = "analytics_venue_days"

    day: Mapped[Period] = mapped_column(index=True)


class VenueHour(_VenuePeriod, db.Model):
    """Booked minutes of one venue day, by team member and local hour (the weekday x hour grid)."""

    __tablename__ = "analytics_venue_hours"

    day: Mapped[Period]
    team_member_id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    booked_minutes: Mapped[int]


class VenueServiceDay(_ServiceCounts, db.Model):
    """One venue day's bookings of each service, by team member."""

    __tablename__ = "analytics_venue_services"

    day: Mapped[Period]


class VenueLeadDay(_LeadCounts, db.Model):
    """How far ahead one venue day's bookings were made: a histogram of lead time in quarter
    octaves (``bucket`` = round(4 * log2(1 + hours))), for the median without reading bookings."""

    __tablename__ = "analytics_venue_leads"

    day: Mapped[Period]


class ClientVisits(db.Model):
    """A client's first and second visit (confirmed, completed or no-show bookings) at their venue:
    new versus returning, and whether a new client came back within 90 days."""

    __tablename__ = "analytics_client_visits"

    client_id: Mapped[int] = mapped_column(ForeignKey("venue_clients.id", ondelete="CASCADE"), primary_key=True)
    venue_id: Mapped[int] = mapped_column(index=True)
    first_at: Mapped[datetime]
    second_at: Mapped[datetime | None]


class VenueMonth(_BookingCounts, db.Model):
    """The venue days of one calendar month summed (migration 0065): a long period reads its
    whole months here and only its edge days from ``analytics_venue_days``."""

    __tablename__ = "analytics_venue_months"

    month: Mapped[Period]  # its first day


class VenueHourMonth(_VenuePeriod, db.Model):
    """Booked minutes of one venue month by team member, local weekday (0 Monday) and hour."""

    __tablename__ = "analytics_venue_hour_months"

    month: Mapped[Period]
    team_member_id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    booked_minutes: Mapped[int]


class VenueServiceMonth(_ServiceCounts, db.Model):
    """One venue month's bookings of each service, by team member."""

    __tablename__ = "analytics_venue_service_months"

    month: Mapped[Period]


class VenueLeadMonth(_LeadCounts, db.Model):
    """One venue month's lead-time histogram (the buckets of ``analytics_venue_leads``)."""

    __tablename__ = "analytics_venue_lead_months"

    month: Mapped[Period]


class MarketDay(db.Model):
    """The marketplace's bookings of one day (venues' local days), by currency. ``bookings``,
    ``gmv_minor``, ``refunds_minor`` and ``commission_minor`` count the marketplace's own
    bookings (cart and checkout, and the front desk's); the ``site_`` columns (migration 0065)
    the bookings venues took through their own website (``orders.channel = 'venue_site'``),
    which carry no commission."""

    __tablename__ = "analytics_market_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[Currency] = mapped_column(primary_key=True)
    bookings: Mapped[int]
    gmv_minor: Mapped[int] = mapped_column(BigInteger)
    refunds_minor: Mapped[int] = mapped_column(BigInteger)
    commission_minor: Mapped[int] = mapped_column(BigInteger)
    site_bookings: Mapped[int] = mapped_column(server_default="0")
    site_gross_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")
    site_refunds_minor: Mapped[int] = mapped_column(BigInteger, server_default="0")


class DirtyDay(db.Model):
    """A venue day whose rollup is out of date: written by triggers on bookings and venue
    transfers, taken by the periodic job. Append-only, so writers never wait on each other."""

    __tablename__ = "analytics_dirty_days"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    venue_id: Mapped[int]
    day: Mapped[date]


class FunnelDay(db.Model):
    """How many times one step of the search-to-booking funnel happened on one UTC day."""

    __tablename__ = "analytics_funnel_days"
    __table_args__ = (
        one_of("step", FUNNEL_STEPS),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    day: Mapped[date] = mapped_column(primary_key=True)
    step: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ZeroSearch(db.Model):
    """A normalized search text that found nothing, and how often, on one UTC day."""

    __tablename__ = "analytics_zero_searches"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    day: Mapped[date] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)
