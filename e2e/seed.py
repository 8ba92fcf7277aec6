"""Journey data, made in the live server's database with the app's own service functions.

Run as ``python -m e2e.seed '<json spec>'`` with the live server's environment (see
``seed_venues`` in conftest). The spec: ``password``, ``customers`` [{email, name}], optional
``admins`` [{email, name}], and ``venues`` [{owner_email, owner_name, name, address, city,
postcode, country, latitude, longitude, timezone, service, price_minor, team: [names],
optional past_visits: [{customer_email, days_ago}], optional request_window_hours (a
request-to-book service), optional upcoming: [{customer_email,
days_ahead}], optional payouts: false (no payout account: the owner connects one in the
journey), optional only_hour: {days_ahead, hour}: that day is blocked except the 60 minutes
from ``hour``}]. Each venue is approved, open 09:00-18:00
every day, with one 60-minute service for one person at a time; a past visit is a completed
booking that many days ago, an upcoming one a confirmed booking that many days ahead (the
middle of the day's free times). Prints the venues' ``[{"slug", "service_id", "visits":
[references], "upcoming": [references]}]`` as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

# Seeded administrators use two-factor sign-in with this authenticator key (e2e only).
ADMIN_TOTP_SECRET = "EETWOEADMINAUTHENTICATORKEYABCDE"


def main(spec: dict) -> list[dict]:
    from app import create_app
    from app.accounts.models import Role, User
    from app.accounts.two_factor import enable_with_known_secret
    from app.demo.reviews import book_visit, move_into_past
    from app.payouts.accounts import connect_enabled_demo_account
    from app.platform.extensions import db
    from app.venues.booking_rules import BookingRules
    from app.venues.hours import Range
    from app.venues.lists import add_team_member
    from app.venues.models import VenueStatus
    from app.venues.processing import Processing
    from app.venues.service import create_venue, save_service, set_day_hours, update_location

    app = create_app()
    with app.test_request_context(base_url=app.config.get("BASE_URL") or None):

        def person(address: str, name: str, role: str) -> User:
            user = User(email=address, name=name, role=role, email_verified_at=datetime.now(UTC))
            user.set_password(spec["password"])
            db.session.add(user)
            db.session.flush()
            return user

        for customer in spec["customers"]:
            person(customer["email"], customer["name"], Role.CUSTOMER)
        for admin in spec.get("admins", []):
            enable_with_known_secret(person(admin["email"], admin["name"], Role.ADMIN), ADMIN_TOTP_SECRET)
        made = []
        for v in spec["venues"]:
            owner = person(v["owner_email"], v["owner_name"], Role.PROVIDER)
            venue = create_venue(owner, name=v["name"], category_id=None, description="A calm place to unwind.")
            update_location(
                venue,
                address_line=v["address"],
                city=v["city"],
                postcode=v["postcode"],
                country=v["country"],
                latitude=v["latitude"],
                longitude=v["longitude"],
                timezone=v["timezone"],
            )
            for weekday in range(7):
                set_day_hours(venue, weekday, [Range(9 * 60, 18 * 60)])
            service = save_service(
                venue,
                None,
                name=v["service"],
                description="",
                category_id=None,
                duration_minutes=v["processing"]["duration_minutes"] if "processing" in v else 60,
                price_minor=v["price_minor"],
                capacity=2 if "processing" in v else 1,
                processing=Processing(v["processing"]["after_minutes"], v["processing"]["minutes"])
                if "processing" in v
                else None,
                buffer_minutes=0,
                is_active=True,
                # "request_window_hours": a request-to-book service (app/booking/requests.py).
                rules=BookingRules(request_to_book=True, request_window_hours=v["request_window_hours"])
                if "request_window_hours" in v
                else None,
            )
            also = [
                save_service(
                    venue,
                    None,
                    name=extra["name"],
                    description="",
                    category_id=None,
                    duration_minutes=extra["duration_minutes"],
                    price_minor=extra["price_minor"],
                    capacity=1,
                    buffer_minutes=0,
                    is_active=True,
                )
                for extra in v.get("also", [])
            ]
            couples = spa_menu(venue) if v.get("couples") else {}
            for member in v.get("team", []):
                add_team_member(
                    venue,
                    name=member,
                    title="Therapist",
                    bio="",
                    service_ids=[service.id, *(s.id for s in also), *couples.get("service_ids", [])],
                )
            venue.status = VenueStatus.APPROVED
            db.session.flush()
            if v.get("payouts", True):  # its payouts are set up: it takes paid bookings
                connect_enabled_demo_account(venue)
            if "only_hour" in v:
                block_all_but(venue, v["timezone"], v["only_hour"]["days_ahead"], v["only_hour"]["hour"])
            visits = []
            for visit in v.get("past_visits", []):
                customer = db.session.scalar(select(User).where(User.email == visit["customer_email"]))
                day = datetime.now(UTC).date() + timedelta(days=10 + len(visits))
                booking = book_visit(customer, service, day)
                move_into_past(booking, days_ago=visit["days_ago"])
                visits.append(booking.reference)
            upcoming = []
            for ahead in v.get("upcoming", []):
                customer = db.session.scalar(select(User).where(User.email == ahead["customer_email"]))
                booking = book_visit(customer, service, datetime.now(UTC).date() + timedelta(days=ahead["days_ahead"]))
                upcoming.append(booking.reference)
            made.append(
                {
                    "slug": venue.slug,
                    "service_id": service.id,
                    "also_ids": [s.id for s in also],
                    "couples": couples or None,
                    "visits": visits,
                    "upcoming": upcoming,
                }
            )
        db.session.commit()
    return made


def spa_menu(venue) -> dict:
    """A couples massage (60/90 min, hot stones) for two guests sharing the one double room, and a
    facial in one of two treatment rooms (the caller gives the team both); their ids."""
    from app.venues.addons import AddonInput, set_addons
    from app.venues.options import OptionInput, set_options
    from app.venues.resources import add_resource, set_needs
    from app.venues.service import save_service

    def service(name: str, minutes: int, price: int):
        return save_service(
            venue,
            None,
            name=name,
            description="",
            category_id=None,
            duration_minutes=minutes,
            price_minor=price,
            capacity=2,
            buffer_minutes=0,
            is_active=True,
        )

    couples = service("Couples massage", 60, 6000)
    set_options(couples, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8000)])
    set_addons(couples, [AddonInput("Hot stones", 1500, 15)])
    facial = service("Facial", 45, 5000)
    double = add_resource(venue, name="Double room", quantity=1)
    rooms = add_resource(venue, name="Treatment room", quantity=2)
    set_needs(venue, couples, [(double.id, 1)], shared=[double.id])
    set_needs(venue, facial, [(rooms.id, 1)])
    return {
        "couples_id": couples.id,
        "long_option_id": couples.options[1].id,
        "stones_id": couples.addons[0].id,
        "facial_id": facial.id,
        "service_ids": [couples.id, facial.id],
    }


def block_all_but(venue, timezone: str, days_ahead: int, hour: int) -> None:
    """Time blocks over 09:00-18:00 of the venue's day ``days_ahead`` except ``hour``'s 60 minutes."""
    from zoneinfo import ZoneInfo

    from app.booking.time_blocks import add_time_block

    zone = ZoneInfo(timezone)
    day = datetime.now(zone).date() + timedelta(days=days_ahead)

    def at(h: int) -> datetime:
        return datetime(day.year, day.month, day.day, h, tzinfo=zone).astimezone(UTC)

    for start, end in ((9, hour), (hour + 1, 18)):
        if start < end:
            add_time_block(venue, member_id=None, starts_at=at(start), ends_at=at(end), reason="Full day (e2e)")


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
