"""Demo reviews for `flask seed demo`: past visits of the demo customers to a dozen venues,
each with a review, so venue pages, ratings and the rating filter have something to show.

A visit is booked like any other (cart, checkout, paid with the Demo gateway's paying card and
confirmed by settling its event, as the demo bookings are), then moved into the past and
marked completed (the booking lifecycle's "complete"): bookings can't be made in the past, and
a review needs an appointment that is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.booking import cart, lifecycle
from app.booking.availability import get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.reviews.models import Review
from app.reviews.service import create_review
from app.venues.models import Venue, VenueStatus
from app.venues.options import standard_option

VENUES_WITH_REVIEWS = 12
RATINGS = (5, 4, 5, 5, 3, 4, 5, 2, 4)
WORDS = {
    5: (
        "Calm, spotless and on time. The {service} was exactly what I needed; I'll be back.",
        "Booked {service} as a treat and it didn't disappoint. Easy to find, easy to book.",
        "Really professional. They listened to what I wanted and the result was great.",
    ),
    4: (
        "Friendly welcome and a skilled therapist. The {service} was good value for the price.",
        "Very good {service}; the room was a little warm, otherwise spot on.",
    ),
    3: ("Fine overall, but we started fifteen minutes late and the end of the {service} felt rushed.",),
    2: ("Not for me: the music was loud and the {service} felt hurried.",),
}


def seed_demo_reviews(customers: list[User]) -> int:
    """Reviews of past visits; nothing when the demo customers have reviewed already."""
    if db.session.scalar(select(Review.id).where(Review.customer_id.in_([c.id for c in customers])).limit(1)):
        return 0
    venues = list(db.session.scalars(select(Venue).where(Venue.status == VenueStatus.APPROVED).order_by(Venue.id)))
    made = 0
    for v, venue in enumerate([v for v in venues if v.active_services][:VENUES_WITH_REVIEWS]):
        today = datetime.now(UTC).astimezone(venue_zone(venue)).date()
        for c, customer in enumerate(customers[: 1 + v % len(customers)]):
            service = venue.active_services[(v + c) % len(venue.active_services)]
            booking = book_visit(customer, service, today + timedelta(days=20 + c))
            if booking is None:
                continue
            days_ago = 3 + 9 * c + v % 6
            move_into_past(booking, days_ago=days_ago)
            n = v * 3 + c
            rating = RATINGS[n % len(RATINGS)]
            words = WORDS[rating][n % len(WORDS[rating])]
            create_review(booking, customer=customer, rating=rating, body=words.format(service=service.name.lower()))
            made += 1
    return made


def book_visit(customer: User, service, day):
    slots = get_slots(service, day)
    if not slots:
        return None
    try:
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=service.id,
            starts_at=slots[len(slots) // 2].start,
            quantity=1,
            team_member_id=None,
            option_id=getattr(standard_option(service), "id", None),
        )
        order = checkout.checkout(customer)
    except (SlotUnavailable, ValidationFailed, CartItemInvalid):
        return None
    pay_by_demo_card(order)
    return order.bookings[0]


def move_into_past(booking, *, days_ago: int) -> None:
    """Move a booking's times ``days_ago`` days before today (same time of day) and mark it
    completed once it has started (a booking moved to later today stays confirmed)."""
    booking.shift(-timedelta(days=(booking.starts_at.date() - datetime.now(UTC).date()).days + days_ago))
    if booking.starts_at <= datetime.now(UTC):  # today's (days_ago=0) may not have started yet
        lifecycle.mark(booking, "complete", actor=booking.venue.owner)
    db.session.flush()
