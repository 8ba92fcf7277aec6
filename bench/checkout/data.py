"""The checkout benchmark's data: the race venue, the customers, their carts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, select

from app.accounts.hashing import hash_password
from app.accounts.models import Role, User
from app.booking.models import LIVE_STATUSES, Booking, CartItem
from app.payouts.accounts import connect_enabled_demo_account
from app.platform.extensions import db
from app.venues.hours import Range
from app.venues.lists import add_team_member
from app.venues.models import Resource, Service, ServiceResource, VenueStatus
from app.venues.service import create_venue, save_service, set_day_hours

CUSTOMERS = 100
PASSWORD = "race-bench-password-1"  # noqa: S105 - the bench customers' password, nobody else's


def build_race_venue() -> dict[str, int]:
    """Race Rooms: capacity-1 and capacity-3 services with no team, two services done only
    by one therapist, and a massage three therapists do that needs one of the venue's two
    treatment rooms (issue 44, item 4). Returns the service ids by name; commits."""
    owner = User(email="race-owner@bench.example", name="Race Owner", role=Role.PROVIDER)
    owner.password_hash = hash_password(PASSWORD)
    owner.email_verified_at = datetime.now(UTC)
    db.session.add(owner)
    db.session.flush()
    venue = create_venue(owner, name="Race Rooms", category_id=None)
    venue.timezone = "Europe/London"
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(9 * 60, 21 * 60)])

    def service(name: str, capacity: int, minutes: int = 60) -> Service:
        return save_service(
            venue,
            None,
            name=name,
            description="",
            category_id=None,
            duration_minutes=minutes,
            price_minor=5000,
            capacity=capacity,
            buffer_minutes=0,
            is_active=True,
        )

    single, class_of_three = service("Single room sauna", 1), service("Small yoga class", 3)
    first, second = service("Shiatsu", 5), service("Hot stone massage", 5, 90)
    add_team_member(venue, name="Only Therapist", title="", bio="", service_ids=[first.id, second.id])
    roomed = service("Massage in a treatment room", 3)
    for n in range(3):
        add_team_member(venue, name=f"Room Therapist {n + 1}", title="", bio="", service_ids=[roomed.id])
    room = Resource(venue_id=venue.id, name="Treatment room", quantity=2, position=0)
    db.session.add(room)
    db.session.flush()
    db.session.add(ServiceResource(service_id=roomed.id, resource_id=room.id, units=1))
    venue.status = VenueStatus.APPROVED
    db.session.flush()
    connect_enabled_demo_account(venue)  # its payouts are set up: it takes paid bookings
    db.session.commit()
    return {
        "single": single.id,
        "three": class_of_three.id,
        "first": first.id,
        "second": second.id,
        "rooms": roomed.id,
    }


def make_customers() -> list[tuple[int, str]]:
    password_hash = hash_password(PASSWORD)
    rows = [
        {
            "email": f"racer-{n}@bench.example",
            "name": f"Racer {n}",
            "role": Role.CUSTOMER,
            "password_hash": password_hash,
            "email_verified_at": datetime.now(UTC),
        }
        for n in range(CUSTOMERS)
    ]
    ids = list(db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows))
    db.session.commit()
    return [(user_id, row["email"]) for user_id, row in zip(ids, rows, strict=True)]


def fill_carts(customer_ids: list[int], wishes: list[tuple[int, datetime]]) -> None:
    """Customer n's cart holds wish n (mod the wishes) and nothing else."""
    db.session.execute(delete(CartItem).where(CartItem.user_id.in_(customer_ids)))
    expires = datetime.now(UTC) + timedelta(hours=24)
    db.session.execute(
        insert(CartItem),
        [
            {
                "user_id": customer_id,
                "service_id": wishes[n % len(wishes)][0],
                "starts_at": wishes[n % len(wishes)][1],
                "quantity": 1,
                "expires_at": expires,
            }
            for n, customer_id in enumerate(customer_ids)
        ],
    )
    db.session.commit()


def count_live(service_ids: list[int], starts: list[datetime]) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.service_id.in_(service_ids),
            Booking.starts_at.in_(starts),
            Booking.status.in_(list(LIVE_STATUSES)),
        )
    )
