"""What reporting may read of bookings and orders: two database views that booking owns.

Analytics (app/analytics) counts bookings in SQL, a million at a time, and reads them through
these views, never through the tables (docs/analytics.md, "What analytics reads"). A view
names the columns reporting relies on: the tables may change behind it, and PostgreSQL refuses
to drop or retype a column a view still reads, so a migration that must do so redefines the
view, here, where booking's owners see what reporting needs. Each view is one table's columns
and nothing else, so the planner inlines it: a query on the view runs as one on the table,
with the same indexes (partial and index-only scans included).

Below the views, three read functions for what the views leave out: a booking's option, its
add-ons and the rooms and equipment it holds (docs/analytics.md, "Options, add-ons and rooms").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.booking.models import Booking, BookingAddon, BookingResource
from app.platform.extensions import db
from app.venues.models import Service

BOOKINGS = "reporting_bookings"
ORDERS = "reporting_orders"

# Created by migration 0070; tests/analytics/test_reporting_views.py checks the database's views
# are these. Changing one is a migration that replaces the view, and a change here to match.
VIEWS = {
    BOOKINGS: (
        "SELECT id, order_id, venue_id, service_id, team_member_id, client_id, channel, status, starts_at,"
        " ends_at, created_at, cancelled_at, cancel_free_hours, quantity, unit_price_minor, promo_discount_minor,"
        " online_minor, refund_minor, currency, moves_booking_id FROM bookings"
    ),
    ORDERS: "SELECT id, channel, paid_at FROM orders",
}


# -- Read functions: what the views can't say ---------------------------------------------------
#
# A booking's option, add-ons and rooms sit in booking's own columns and tables that the views
# above leave out (migrations 0071-0073 came after them). Analytics asks these functions rather
# than reading the tables: each is one aggregate statement over the bookings of one venue that
# start in [start, end), with the statuses the caller counts, and never a move's hold.


@dataclass(frozen=True)
class OptionSales:
    """Bookings of one service option, as booked ("90 min" keeps its name if renamed later)."""

    service_name: str
    option_name: str
    bookings: int
    gross_minor: int  # the bookings' price (their add-ons included) less their promo share


@dataclass(frozen=True)
class AddonSales:
    """One add-on, by the name it was booked under, across the venue's services."""

    name: str
    times: int  # bookings that had it
    gross_minor: int  # its price as booked, times each booking's quantity


def _counted(venue_id: int, start: datetime, end: datetime, statuses: Sequence[str], member_id: int | None) -> list:
    where = [
        Booking.venue_id == venue_id,
        Booking.starts_at >= start,
        Booking.starts_at < end,
        Booking.status.in_(list(statuses)),
        Booking.moves_booking_id.is_(None),
    ]
    if member_id is not None:
        where.append(Booking.team_member_id == member_id)
    return where


def option_sales(
    venue_id: int, start: datetime, end: datetime, *, statuses: Sequence[str], member_id: int | None = None
) -> list[OptionSales]:
    """Bookings and gross per (service, option) of the bookings booked with an option, most
    booked first."""
    count = func.count(Booking.id)
    rows = db.session.execute(
        select(
            Service.name,
            Booking.option_name,
            count,
            func.sum(Booking.unit_price_minor * Booking.quantity - Booking.promo_discount_minor),
        )
        .join(Service, Service.id == Booking.service_id)
        .where(*_counted(venue_id, start, end, statuses, member_id), Booking.option_name.is_not(None))
        .group_by(Service.id, Service.name, Booking.option_name)
        .order_by(count.desc(), Service.name, Booking.option_name)
    ).all()
    return [OptionSales(service, option, int(n), int(gross or 0)) for service, option, n, gross in rows]


def addon_sales(
    venue_id: int, start: datetime, end: datetime, *, statuses: Sequence[str], member_id: int | None = None
) -> list[AddonSales]:
    """How many bookings had each add-on and what it brought, most taken first."""
    times = func.count(BookingAddon.id)
    rows = db.session.execute(
        select(BookingAddon.name, times, func.sum(BookingAddon.price_minor * Booking.quantity))
        .join(Booking, Booking.id == BookingAddon.booking_id)
        .where(*_counted(venue_id, start, end, statuses, member_id))
        .group_by(BookingAddon.name)
        .order_by(times.desc(), BookingAddon.name)
    ).all()
    return [AddonSales(name, int(n), int(gross or 0)) for name, n, gross in rows]


def resource_minutes(
    venue_id: int, start: datetime, end: datetime, *, statuses: Sequence[str], member_id: int | None = None
) -> dict[int, int]:
    """Minutes each resource (by id) was held by the bookings: every unit from the booking's start
    to ``blocks_until`` (its cleanup buffer included: the room is not free before then)."""
    rows = db.session.execute(
        select(
            BookingResource.resource_id,
            func.sum(func.extract("epoch", BookingResource.blocks_until - BookingResource.starts_at) / 60),
        )
        .join(Booking, Booking.id == BookingResource.booking_id)
        .where(*_counted(venue_id, start, end, statuses, member_id))
        .group_by(BookingResource.resource_id)
    ).all()
    return {int(resource_id): round(float(minutes or 0)) for resource_id, minutes in rows}
