"""Journey data for the calendar cards journey (e2e/test_calendar_cards.py): one venue, open
09:00-18:00, one therapist, and tomorrow's bookings of 15, 30, 45 and 60 minutes, each a different
kind of card: paid online by a new client, booked on the venue's website, a returning client with
notes and intake answers, a walk-in at the desk with everything due at the venue.

Run as ``python -m e2e.cards_seed '<json>'`` with the live server's environment, the JSON being
``{"password", "owner_email", "owner_name", "customer_email", "customer_name", "venue_name"}``.
Prints ``{"day": "YYYY-MM-DD", "bookings": {minutes: booking id}}`` as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta


def main(spec: dict) -> dict:
    from zoneinfo import ZoneInfo

    from app import create_app
    from app.accounts.models import Role, User
    from app.booking import cart
    from app.booking.models import BookingIntakeAnswer
    from app.checkout import checkout
    from app.clients.desk import book_at_desk
    from app.clients.service import add_client
    from app.payments.demo_webhook import pay_by_demo_card
    from app.payouts.accounts import connect_enabled_demo_account
    from app.platform.extensions import db
    from app.venues.hours import Range
    from app.venues.lists import add_team_member
    from app.venues.models import VenueStatus
    from app.venues.service import create_venue, save_service, set_day_hours, update_location

    app = create_app()
    with app.test_request_context(base_url=app.config.get("BASE_URL") or None):

        def person(address: str, name: str, role: str) -> User:
            user = User(email=address, name=name, role=role, email_verified_at=datetime.now(UTC))
            user.set_password(spec["password"])
            db.session.add(user)
            db.session.flush()
            return user

        owner = person(spec["owner_email"], spec["owner_name"], Role.PROVIDER)
        customer = person(spec["customer_email"], spec["customer_name"], Role.CUSTOMER)
        venue = create_venue(owner, name=spec["venue_name"], category_id=None, description="Calm rooms.")
        update_location(
            venue,
            address_line="8 Willow Walk",
            city="London",
            postcode="E2 7AA",
            country="GB",
            latitude=51.52,
            longitude=-0.07,
            timezone="Europe/London",
        )
        for weekday in range(7):
            set_day_hours(venue, weekday, [Range(9 * 60, 18 * 60)])

        def service(name: str, minutes: int, price: int):
            return save_service(
                venue,
                None,
                name=name,
                description="",
                category_id=None,
                duration_minutes=minutes,
                price_minor=price,
                capacity=1,
                buffer_minutes=0,
                is_active=True,
            )

        services = {
            15: service("Brow tidy", 15, 1500),
            30: service("Express manicure with gel polish", 30, 3000),
            45: service("Signature facial", 45, 5500),
            60: service("Hot stone massage", 60, 7000),
        }
        add_team_member(
            venue, name="Tess Stone", title="Therapist", bio="", service_ids=[s.id for s in services.values()]
        )
        venue.status = VenueStatus.APPROVED
        db.session.flush()
        connect_enabled_demo_account(venue)

        zone = ZoneInfo("Europe/London")
        day = datetime.now(zone).date() + timedelta(days=1)

        def at(hour: int, minute: int = 0) -> datetime:
            return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)

        def online(minutes: int, starts: datetime, *, via_site: bool = False):
            cart.add_item(
                cart.CartOwner(user_id=customer.id),
                service_id=services[minutes].id,
                starts_at=starts,
                quantity=1,
                team_member_id=None,
                via_site_venue_id=venue.id if via_site else None,
            )
            order = checkout.checkout(customer)
            pay_by_demo_card(order)
            db.session.flush()
            return order.bookings[0]

        made = {
            15: online(15, at(10)),  # the customer's first visit: a new client
            30: online(30, at(11), via_site=True),  # booked with the venue's own booking button
            45: online(45, at(12)),  # a returning client by now, with notes and intake answers
        }
        made[45].client.notes = "Prefers a firm pressure."
        db.session.add(BookingIntakeAnswer(booking_id=made[45].id, position=0, question="Allergies?", answer="None"))
        walk_in = add_client(venue.id, name="Wanda Walkin-Longname")
        made[60] = book_at_desk(
            venue,
            walk_in,
            service_id=services[60].id,
            starts_at=at(14),
            team_member_id=None,
            staff=owner,
            now=datetime.now(UTC),
        )
        db.session.commit()
        return {"day": day.isoformat(), "bookings": {str(k): b.id for k, b in made.items()}}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
