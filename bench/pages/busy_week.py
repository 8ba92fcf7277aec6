"""A venue's busy week, for the provider's calendar week grid (docs/front-desk.md, "The week grid"):
5 team members, 300 bookings in one week (a third in a treatment room, a quarter with an add-on,
a few cancelled), time blocks (a member's, a repeating one, the whole venue's), one member's own
hours and another's holiday. ``bench/pages/calendar_week.py`` times the week page on it and
``tests/booking/test_calendar_week_statements.py`` counts its SQL statements.

Rows are made with the app's own models and flushed, not committed: the caller owns the
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.accounts.models import User
from app.booking.models import (
    Booking,
    BookingAddon,
    BookingResource,
    BookingStatus,
    Order,
    OrderStatus,
    TimeBlock,
)
from app.booking.references import new_reference
from app.platform.extensions import db
from app.team_schedules.models import TimeOff, WorkingHours
from app.venues.models import OpeningHours, Resource, Service, ServiceAddon, TeamMember, Venue, VenueStatus
from app.venues.slugs import assign_slug, slugify, unique_slug

TZ = "Europe/London"
OPENS, CLOSES = 8 * 60, 20 * 60
MINUTES = 60
TEAM = 5
BOOKINGS = 300


@dataclass
class BusyWeek:
    venue: Venue
    team: list[TeamMember]
    first_day: date  # the Monday of the busy week
    bookings: list[Booking]

    @property
    def path(self) -> str:
        return f"/provider/calendar?view=week&date={self.first_day.isoformat()}"


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def next_monday(now: datetime | None = None, weeks: int = 1) -> date:
    """The Monday ``weeks`` weeks after this week's (in the venue's zone): a week wholly ahead."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(TZ)).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def build_busy_week(
    *,
    owner: User,
    customers: list[User],
    first_day: date,
    bookings: int = BOOKINGS,
    team: int = TEAM,
    name: str = "Busy Week Spa",
) -> BusyWeek:
    """The venue, open 08:00-20:00 every day, and ``bookings`` bookings in the week from
    ``first_day``: member by member, hour by hour (each member's a quarter-hour later than the one
    before, so the day's columns don't all line up), as checkout would have left them."""
    if bookings > 7 * team * ((CLOSES - OPENS - team * 15) // MINUTES):
        raise ValueError(f"{bookings} bookings don't fit in a week of {team} team members")
    now = datetime.now(UTC)
    venue = Venue(
        owner_id=owner.id,
        name=name,
        slug=slugify(name),
        description="A busy day spa.",
        city="London",
        country="GB",
        latitude=51.5,
        longitude=-0.1,
        timezone=TZ,
        status=VenueStatus.APPROVED,
        submitted_at=now,
        approved_at=now,
        changed_fields=[],
    )
    db.session.add(venue)
    db.session.flush()
    assign_slug(venue, unique_slug(name, venue_id=venue.id))
    db.session.add_all(
        OpeningHours(venue_id=venue.id, weekday=w, opens_minute=OPENS, closes_minute=CLOSES) for w in range(7)
    )
    services = [
        Service(
            venue_id=venue.id,
            name=f"Treatment {n + 1}",
            duration_minutes=MINUTES,
            price_minor=5000 + 500 * n,
            currency="GBP",
            capacity=1,
            buffer_minutes=0,
            is_active=True,
            position=n,
        )
        for n in range(4)
    ]
    room = Resource(venue_id=venue.id, name="Treatment room", quantity=team)
    db.session.add_all([*services, room])
    db.session.flush()
    addons = [ServiceAddon(service_id=s.id, name="Hot stones", price_minor=1500, extra_minutes=0) for s in services]
    members = [TeamMember(venue_id=venue.id, name=f"Therapist {n + 1}", position=n) for n in range(team)]
    db.session.add_all([*addons, *members])
    db.session.flush()
    for member in members:
        member.services = list(services)

    made: list[Booking] = []
    per_round = 7 * team
    for n in range(bookings):
        day = first_day + timedelta(days=n % 7)
        m = (n // 7) % team
        start = _at(day, OPENS + m * 15 + (n // per_round) * MINUTES)
        service = services[n % len(services)]
        who = customers[n % len(customers)]
        cancelled = n % 29 == 0
        order = Order(
            customer_id=who.id,
            status=OrderStatus.PAID,
            currency="GBP",
            total_minor=service.price_minor,
            hold_expires_at=now,
            paid_at=now,
        )
        booking = Booking(
            reference=new_reference(),
            order=order,
            customer_id=who.id,
            venue_id=venue.id,
            service_id=service.id,
            team_member_id=members[m].id,
            status=BookingStatus.CANCELLED_BY_CUSTOMER if cancelled else BookingStatus.CONFIRMED,
            cancelled_at=now if cancelled else None,
            starts_at=start,
            ends_at=start + timedelta(minutes=MINUTES),
            blocks_until=start + timedelta(minutes=MINUTES),
            quantity=1,
            unit_price_minor=service.price_minor,
            currency="GBP",
            cancel_free_hours=24,
            cancel_late_fee_percent=50,
        )
        db.session.add_all([order, booking])
        made.append(booking)
    db.session.flush()
    for n, booking in enumerate(made):
        if n % 3 == 0:  # each member has a room of their own: their bookings never meet in it
            unit = members.index(next(x for x in members if x.id == booking.team_member_id)) + 1
            db.session.add(
                BookingResource(
                    booking_id=booking.id,
                    resource_id=room.id,
                    unit=unit,
                    starts_at=booking.starts_at,
                    blocks_until=booking.blocks_until,
                    live=booking.status == BookingStatus.CONFIRMED,
                )
            )
        if n % 4 == 0:
            addon = addons[services.index(next(s for s in services if s.id == booking.service_id))]
            db.session.add(
                BookingAddon(
                    booking_id=booking.id, addon_id=addon.id, name=addon.name, price_minor=1500, extra_minutes=0
                )
            )
    last = first_day + timedelta(days=6)
    db.session.add_all(
        [
            TimeBlock(
                venue_id=venue.id,
                team_member_id=members[0].id,
                starts_at=_at(first_day, 13 * 60),
                ends_at=_at(first_day, 13 * 60 + 30),
                reason="Training",
            ),
            TimeBlock(
                venue_id=venue.id,
                team_member_id=members[1].id,
                starts_at=_at(first_day, 12 * 60),
                ends_at=_at(first_day, 12 * 60 + 30),
                reason="Lunch",
                repeat_weekdays=0b0011111,
                repeat_until=last,
            ),
            TimeBlock(
                venue_id=venue.id,
                team_member_id=None,
                starts_at=_at(last, 19 * 60),
                ends_at=_at(last, 20 * 60),
                reason="Team meeting",
            ),
            # One member works mornings on weekdays; another is on holiday on the Sunday.
            *[
                WorkingHours(team_member_id=members[-1].id, weekday=w, starts_minute=9 * 60, ends_minute=13 * 60)
                for w in range(5)
            ],
            TimeOff(team_member_id=members[-2].id, kind="holiday", reason="", starts_on=last, ends_on=last),
        ]
    )
    db.session.flush()
    return BusyWeek(venue=venue, team=members, first_day=first_day, bookings=made)
