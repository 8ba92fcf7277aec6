"""Demo bookings for `flask seed demo`: a few confirmed appointments at provider1's venue, so
the provider's calendar and the customers' "My bookings" have something to show.

They are paid with the Demo gateway's paying card and confirmed by settling its event, the
path every booking takes (a cancellation refunds through the Demo gateway)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.accounts.models import User
from app.booking import cart
from app.booking.availability import get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.venues.models import Venue, VenueStatus
from app.venues.options import standard_option


def seed_demo_bookings(owner_email: str, customers: list[User]) -> int:
    owner = db.session.scalar(select(User).where(User.email == owner_email))
    venue = db.session.scalar(select(Venue).where(Venue.owner_id == owner.id)) if owner else None
    if venue is None or venue.status != VenueStatus.APPROVED or not venue.active_services:
        return 0
    made = 0
    today = datetime.now(UTC).astimezone(venue_zone(venue)).date()
    for n, customer in enumerate(customers):
        service = venue.active_services[n % len(venue.active_services)]
        for offset in (2 + n, 5 + n):
            slots = get_slots(service, today + timedelta(days=offset))
            if not slots:
                continue
            slot = slots[min(len(slots) - 1, 4 + 2 * n)]
            try:
                cart.add_item(
                    cart.CartOwner(user_id=customer.id),
                    service_id=service.id,
                    starts_at=slot.start,
                    quantity=1,
                    team_member_id=None,
                    option_id=getattr(standard_option(service), "id", None),
                )
                order = checkout.checkout(customer)
            except (SlotUnavailable, ValidationFailed, CartItemInvalid):
                continue
            pay_by_demo_card(order)
            made += len(order.bookings)
    return made
