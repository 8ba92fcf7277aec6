"""Rows for the analytics tests: bookings written straight to the tables (the rollup reads
tables, whatever wrote them), on a venue open 09:00-18:00 every day with two therapists."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.accounts.models import Role
from app.analytics import rollup
from app.booking.models import Booking, Order
from app.clients.models import VenueClient
from app.platform.extensions import db
from app.venues.models import Service, TeamMember, Venue
from tests.booking.helpers import make_bookable_venue

TZ = ZoneInfo("Europe/London")
_refs = itertools.count(1)


@dataclass
class World:
    venue: Venue
    service: Service
    first: TeamMember
    second: TeamMember
    today: date


def build(make_user, *, name: str = "Calm Rooms") -> World:
    owner = make_user(role=Role.PROVIDER, name="Olive Owner")
    venue, service = make_bookable_venue(owner, team=2, name=name)
    return World(venue, service, venue.team[0], venue.team[1], datetime.now(TZ).date())


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), TZ).astimezone(UTC)


def client(venue: Venue, name: str) -> VenueClient:
    row = VenueClient(venue_id=venue.id, name=name)
    db.session.add(row)
    db.session.flush()
    return row


def add_booking(
    world: World,
    starts_at: datetime,
    *,
    member: TeamMember | None = None,
    status: str = "completed",
    channel: str = "online",
    order_channel: str = "marketplace",
    who: VenueClient | None = None,
    price: int = 6000,
    minutes: int = 60,
    booked_hours_ahead: float = 48,
    refund: int = 0,
    cancelled_hours_before: float | None = None,
    service: Service | None = None,
) -> Booking:
    who = who or client(world.venue, f"Walk-in {next(_refs)}")
    created = starts_at - timedelta(hours=booked_hours_ahead)
    order = Order(
        customer_id=None,
        status="paid",
        channel=order_channel,
        currency="GBP",
        total_minor=price,
        hold_expires_at=created + timedelta(minutes=30),
        paid_at=created,
        created_at=created,
    )
    db.session.add(order)
    db.session.flush()
    booking = Booking(
        reference=f"AN{next(_refs):08d}",
        order_id=order.id,
        client_id=who.id,
        channel=channel,
        venue_id=world.venue.id,
        service_id=(service or world.service).id,
        team_member_id=(member or world.first).id,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        blocks_until=starts_at + timedelta(minutes=minutes),
        quantity=1,
        unit_price_minor=price,
        online_minor=price if channel == "online" else 0,
        currency="GBP",
        cancel_free_hours=24,
        refund_minor=refund,
        cancelled_at=(
            starts_at - timedelta(hours=cancelled_hours_before) if cancelled_hours_before is not None else None
        ),
        created_at=created,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def refresh() -> int:
    """Run the periodic job's work; rows read before are read again."""
    db.session.flush()
    found = rollup.refresh()
    db.session.expire_all()
    return found
