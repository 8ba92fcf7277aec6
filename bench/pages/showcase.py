"""A venue with as many of every shown thing as asked for: services, team members, photos,
reviews (each with its customer and booked service), bookings, a customer's cart and a held
order. The page benchmark seeds one at realistic size; tests/foundation/test_page_statements.py builds
one at N and at 3N and checks each page's SQL statement count does not change.

Rows are made with the app's own models (as its services would leave them) and flushed, not
committed: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.accounts.models import User
from app.booking.models import Booking, BookingStatus, CartItem, Order, OrderStatus
from app.booking.references import new_reference
from app.platform.extensions import db
from app.reviews.models import Review
from app.reviews.service import refresh_venue_rating
from app.venues.models import (
    FAQ,
    Closure,
    OpeningHours,
    Service,
    TeamMember,
    Venue,
    VenueImage,
    VenueStatus,
)
from app.venues.slugs import assign_slug, slugify, unique_slug

TZ = "Europe/London"
OPEN_MINUTE, CLOSE_MINUTE = 9 * 60, 19 * 60
SERVICE_MINUTES = 60
PAST_DAYS = 60  # bookings run from this many days ago ...
AHEAD_DAYS = 28  # ... to this many days ahead; the cart and the held order sit later still
CART_DAY = 40
ORDER_DAY = 50
TREATMENTS = (
    "Deep tissue massage",
    "Swedish massage",
    "Hot stone massage",
    "Aromatherapy massage",
    "Sports massage",
    "Express facial",
    "Hydrating facial",
    "Gel manicure",
    "Classic pedicure",
    "Body scrub",
)
REVIEW_LINES = (
    "Lovely calm room and a really thorough {service}. Will be back.",
    "Friendly team, on time, and the {service} was just what I needed.",
    "Good {service}, a little rushed at the end but I left relaxed.",
)


@dataclass
class Showcase:
    venue: Venue
    services: list[Service]
    team: list[TeamMember]
    customer: User  # the signed-in customer: a share of the bookings, the cart, a held order
    order: Order | None
    cart_items: list[CartItem] = field(default_factory=list)


def photo_variants(keys: list[str], n: int) -> dict:
    """The three variants the upload pipeline makes, pointing at shared small files."""
    key = keys[n % len(keys)] if keys else f"bench/photo-{n}.webp"
    return {
        "thumb": {"key": key, "width": 400, "height": 300},
        "card": {"key": key, "width": 800, "height": 600},
        "hero": {"key": key, "width": 1600, "height": 1200},
    }


def local_start(day: date, minute: int) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=ZoneInfo(TZ)).astimezone(UTC)


def build_showcase(
    *,
    owner: User,
    customers: list[User],
    customer: User,
    services: int,
    team: int,
    photos: int,
    reviews: int,
    bookings: int,
    cart_items: int,
    order_items: int,
    category_id: int | None = None,
    name: str = "Showcase Spa",
    image_keys: list[str] | None = None,
    past_days: int = PAST_DAYS,
    ahead_days: int = AHEAD_DAYS,
    customer_past: int | None = None,
    now: datetime | None = None,
) -> Showcase:
    """An approved venue with the given numbers of each thing. ``bookings`` counts the venue's
    past and upcoming bookings, the same number each day (reviews are written on the past ones,
    so ``bookings`` must be at least twice ``reviews``); ``customer`` gets every fifth booking,
    or, with ``customer_past``, exactly that many of the past ones (spread over them) and every
    fifth upcoming one."""
    now = now or datetime.now(UTC)
    keys = image_keys or []
    today = now.astimezone(ZoneInfo(TZ)).date()
    venue = Venue(
        owner_id=owner.id,
        name=name,
        slug=slugify(name),
        description="A calm day spa by the river.\n\nUnhurried treatments from a small, friendly team.",
        category_id=category_id,
        tags=["gift cards", "wheelchair access"],
        address_line="12 Mill Lane",
        city="London",
        postcode="SE1 9PX",
        country="GB",
        latitude=51.5045,
        longitude=-0.0865,
        timezone=TZ,
        phone="+44 20 7946 0000",
        email="hello@showcase.example.com",
        website="https://showcase.example.com",
        status=VenueStatus.APPROVED,
        submitted_at=now,
        approved_at=now,
        changed_fields=[],
        onboarding_step="review",
    )
    db.session.add(venue)
    db.session.flush()
    assign_slug(venue, unique_slug(name, venue_id=venue.id))
    for weekday in range(7):
        db.session.add(
            OpeningHours(venue_id=venue.id, weekday=weekday, opens_minute=OPEN_MINUTE, closes_minute=CLOSE_MINUTE)
        )
    db.session.add(
        Closure(
            venue_id=venue.id,
            starts_on=today + timedelta(days=70),
            ends_on=today + timedelta(days=72),
            reason="Refurbishment",
        )
    )
    for n in range(3):
        db.session.add(FAQ(venue_id=venue.id, question=f"Question {n + 1}?", answer="An answer.", position=n))
    images = [
        VenueImage(
            venue_id=venue.id,
            kind="venue",
            alt_text=f"Treatment room {n + 1}",
            position=n,
            is_cover=n == 0,
            variants=photo_variants(keys, n),
        )
        for n in range(photos)
    ]
    made_services = [
        Service(
            venue_id=venue.id,
            name=f"{TREATMENTS[n % len(TREATMENTS)]} {n // len(TREATMENTS) + 1}",
            description="Sixty unhurried minutes.",
            category_id=category_id,
            duration_minutes=SERVICE_MINUTES,
            price_minor=4500 + 500 * (n % 8),
            currency="GBP",
            capacity=2,
            buffer_minutes=0,
            is_active=True,
            position=n,
        )
        for n in range(services)
    ]
    db.session.add_all(images + made_services)
    db.session.flush()
    members = []
    for n in range(team):
        photo = VenueImage(
            venue_id=venue.id, kind="team", alt_text=f"Therapist {n + 1}", position=n, variants=photo_variants(keys, n)
        )
        db.session.add(photo)
        db.session.flush()
        member = TeamMember(
            venue_id=venue.id,
            name=f"Therapist {n + 1}",
            title="Senior therapist",
            bio="Ten years in the trade.",
            photo_id=photo.id,
            position=n,
        )
        member.services = list(made_services)
        members.append(member)
    db.session.add_all(members)
    db.session.flush()

    made_bookings = _bookings(
        venue, made_services, customers, customer, bookings, today, now, past_days, ahead_days, customer_past
    )
    _reviews(venue, made_bookings, reviews, now)
    order = _held_order(venue, made_services, customer, order_items, today, now) if order_items else None
    items = [
        CartItem(
            user_id=customer.id,
            service_id=made_services[n % len(made_services)].id,
            starts_at=local_start(today + timedelta(days=CART_DAY + n // len(made_services)), 10 * 60),
            quantity=1,
            expires_at=now + timedelta(hours=24),
        )
        for n in range(cart_items)
    ]
    db.session.add_all(items)
    db.session.flush()
    return Showcase(venue=venue, services=made_services, team=members, customer=customer, order=order, cart_items=items)


def _bookings(
    venue: Venue,
    services: list[Service],
    customers: list[User],
    customer: User,
    count: int,
    today: date,
    now: datetime,
    past_days: int,
    ahead_days: int,
    customer_past: int | None = None,
) -> list[Booking]:
    """``count`` bookings spread evenly over ``past_days`` back and ``ahead_days`` on, one
    service at most once in an hour (the hours first, then the services); past ones completed,
    upcoming ones confirmed."""
    days = past_days + ahead_days
    per_day = max(1, -(-count // days))
    hours = (CLOSE_MINUTE - OPEN_MINUTE) // 60
    # With ``customer_past``: every ``stride``-th booking of the days before today is theirs.
    stride = max(1, (past_days * per_day) // customer_past) if customer_past else 0
    theirs_past = 0
    made = []
    for n in range(count):
        day = today + timedelta(days=n // per_day - past_days)
        slot = n % per_day
        start = local_start(day, OPEN_MINUTE + 60 * (slot % hours))
        service = services[(slot // hours + slot) % len(services)]
        past = start + timedelta(minutes=SERVICE_MINUTES) < now
        if not customer_past:
            theirs = n % 5 == 0
        elif day < today:
            theirs = n % stride == 0 and theirs_past < customer_past
            theirs_past += theirs
        else:
            theirs = n % 5 == 0 and not past
        who = customer if theirs else customers[n % len(customers)]
        order = Order(
            customer_id=who.id,
            status=OrderStatus.PAID,
            currency="GBP",
            total_minor=service.price_minor,
            hold_expires_at=start - timedelta(days=3),
            paid_at=now - timedelta(days=1),
        )
        booking = Booking(
            reference=new_reference(),
            order=order,
            customer_id=who.id,
            venue_id=venue.id,
            service_id=service.id,
            status=BookingStatus.COMPLETED if past else BookingStatus.CONFIRMED,
            starts_at=start,
            ends_at=start + timedelta(minutes=SERVICE_MINUTES),
            blocks_until=start + timedelta(minutes=SERVICE_MINUTES),
            quantity=1,
            unit_price_minor=service.price_minor,
            currency="GBP",
            cancel_free_hours=24,
            cancel_late_fee_percent=50,
        )
        db.session.add(order)
        db.session.add(booking)
        made.append(booking)
    db.session.flush()
    return made


def _reviews(venue: Venue, bookings: list[Booking], count: int, now: datetime) -> None:
    past = [b for b in bookings if b.status == BookingStatus.COMPLETED]
    if len(past) < count:
        raise ValueError(f"{count} reviews need as many past bookings; there are {len(past)}")
    for n, booking in enumerate(past[-count:]):
        service_name = next(s for s in venue.services if s.id == booking.service_id).name.lower()
        db.session.add(
            Review(
                booking_id=booking.id,
                venue_id=venue.id,
                customer_id=booking.customer_id,
                rating=5 - n % 3,
                body=REVIEW_LINES[n % len(REVIEW_LINES)].format(service=service_name),
                created_at=booking.ends_at + timedelta(days=1) if booking.ends_at + timedelta(days=1) < now else now,
            )
        )
    db.session.flush()
    refresh_venue_rating(venue.id)


def _held_order(venue: Venue, services: list[Service], customer: User, count: int, today: date, now: datetime) -> Order:
    """The checkout's result: an order waiting for payment, its bookings held."""
    order = Order(
        customer_id=customer.id,
        status=OrderStatus.PENDING_PAYMENT,
        currency="GBP",
        total_minor=0,
        # Long enough to outlast a benchmark run; checkout itself holds for HOLD_MINUTES.
        hold_expires_at=now + timedelta(hours=12),
    )
    db.session.add(order)
    for n in range(count):
        service = services[n % len(services)]
        start = local_start(today + timedelta(days=ORDER_DAY + n // len(services)), 14 * 60)
        order.total_minor += service.price_minor
        db.session.add(
            Booking(
                reference=new_reference(),
                order=order,
                customer_id=customer.id,
                venue_id=venue.id,
                service_id=service.id,
                status=BookingStatus.HELD,
                hold_expires_at=order.hold_expires_at,
                starts_at=start,
                ends_at=start + timedelta(minutes=SERVICE_MINUTES),
                blocks_until=start + timedelta(minutes=SERVICE_MINUTES),
                quantity=1,
                unit_price_minor=service.price_minor,
                currency="GBP",
                cancel_free_hours=24,
                cancel_late_fee_percent=50,
            )
        )
    db.session.flush()
    return order
