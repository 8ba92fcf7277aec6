"""The busy venue of the availability benchmark, in a fresh database of its own.

One approved venue (Europe/London, open 09:00-21:00, 10:00-18:00 on Sundays, closed one day
in the window) with 20 services and 5 team members; 2,000 live bookings over the next six
weeks: 1,800 of a team member (each member booked most of each working day, never twice at
once, as the exclusion constraint demands), 200 places in the three group classes, which
need no particular person. A tenth of the bookings are holds (half of them expired, which
the engine must ignore). Each member has a lunch break as a time block; the venue has one
two-hour block. Three members work weekdays 09:00-13:00 and 14:00-18:00, one afternoons and
Saturdays, one the venue's hours; one is off a week, one has a date exception and another a
part-day absence (team schedules, so the engine's schedule path is measured). Everything else
(users, orders) exists only because bookings need it.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.availability.generate

The database is ``cozywish_bench_slots`` on the server ``tests.database.server_url()``
chooses; the checkout benchmark builds the same venue in ``cozywish_bench_checkout``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import delete, insert, select, text

from app.accounts.models import Role, User
from app.booking.models import LIVE_STATUSES, Booking, BookingResource, BookingStatus, Order, OrderStatus, TimeBlock
from app.booking.references import new_reference
from app.platform.extensions import db
from app.venues.hours import Range
from app.venues.lists import add_team_member
from app.venues.models import Resource, Service, ServiceResource, TeamMember, Venue, VenueStatus
from app.venues.service import add_closure, create_venue, save_service, set_day_hours
from tests.database import create_fresh_database, server_url

DATABASE = "cozywish_bench_slots"
TIMEZONE = "Europe/London"
SEED = 20261122
BOOKING_DAYS = 42
MEMBER_BOOKINGS = 1800
CLASS_BOOKINGS = 200
CLASS_CAPACITY = 12
PASSWORD_HASH = "scrypt:32768:8:1$bench$" + "0" * 128  # nobody signs in as these users


@dataclass(frozen=True)
class BenchVenue:
    venue_id: int
    service_ids: list[int]  # the 20 services, the first one the headline "one service"
    member_ids: list[int]
    class_ids: list[int]  # the group classes (no team member needed)


def make_app(url: str) -> Flask:
    from app import create_app

    # No statement timeout: a bench's bulk load (bench/analytics: 1,000,000 bookings) is not a
    # request, and on a loaded machine one INSERT ... SELECT can outlast the web limit.
    return create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_ROOT": tempfile.mkdtemp(prefix="bench-"),
            "DB_STATEMENT_TIMEOUT_MS": 0,
        },
    )


def fresh_database(name: str) -> tuple[str, Flask]:
    """Create (or re-create) database ``name``, migrate it, and return its URL and an app."""
    from flask_migrate import upgrade

    url = create_fresh_database(server_url(), name)
    app = make_app(url)
    with app.app_context():
        upgrade()
    return url, app


def local(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=ZoneInfo(TIMEZONE)).astimezone(UTC)


def opening(day: date) -> tuple[int, int]:
    return (10 * 60, 18 * 60) if day.weekday() == 6 else (9 * 60, 21 * 60)


def build_venue(seed: int = SEED, *, bookings: bool = True) -> BenchVenue:
    """The venue, its services and team, and (unless ``bookings`` is False) its bookings.
    Runs inside an app context and commits."""
    rng = random.Random(seed)
    owner = User(email=f"owner-{seed}@bench.example", name="Bench Owner", role=Role.PROVIDER)
    owner.password_hash = PASSWORD_HASH
    owner.email_verified_at = datetime.now(UTC)
    db.session.add(owner)
    db.session.flush()
    venue: Venue = create_venue(owner, name="Busy Spa", category_id=None)
    venue.timezone = TIMEZONE
    for weekday in range(7):
        opens, closes = (10 * 60, 18 * 60) if weekday == 6 else (9 * 60, 21 * 60)
        set_day_hours(venue, weekday, [Range(opens, closes)])
    services: list[Service] = []
    for n in range(20):
        is_class = n >= 17
        services.append(
            save_service(
                venue,
                None,
                name=f"{'Class' if is_class else 'Treatment'} {n + 1}",
                description="",
                category_id=None,
                duration_minutes=[30, 45, 60, 60, 90][n % 5] if not is_class else 60,
                price_minor=4000 + 500 * n,
                capacity=CLASS_CAPACITY if is_class else 1,
                buffer_minutes=[0, 10, 15][n % 3] if not is_class else 0,
                is_active=True,
            )
        )
    treatments = [s for s in services if s.capacity == 1]
    members: list[TeamMember] = []
    for m in range(5):
        # Each treatment is done by two or three of the five; the first one by everyone.
        does = [s.id for i, s in enumerate(treatments) if i == 0 or (i + m) % 5 in (0, 1) or (i * m) % 7 == 3]
        members.append(add_team_member(venue, name=f"Therapist {m + 1}", title="", bio="", service_ids=does))
    today = datetime.now(UTC).date()
    add_closure(venue, starts_on=today + timedelta(days=11), ends_on=today + timedelta(days=11), reason="Staff day")
    _add_schedules(members, today)
    venue.status = VenueStatus.APPROVED
    db.session.commit()
    result = BenchVenue(
        venue_id=venue.id,
        service_ids=[s.id for s in services],
        member_ids=[m.id for m in members],
        class_ids=[s.id for s in services if s.capacity > 1],
    )
    if bookings:
        _add_bookings(rng, venue, treatments, members, [s for s in services if s.capacity > 1], today)
    return result


def _add_schedules(members: list[TeamMember], today: date) -> None:
    """Team schedules (migration 0020), so the engine's schedule path is measured: three work
    weekdays in two ranges, one works afternoons and Saturdays, one the venue's hours; one is
    off a week, one has a Wednesday exception and a part-day absence."""
    from app.team_schedules.service import add_time_off, set_exception, set_week

    split = [Range(9 * 60, 13 * 60), Range(14 * 60, 18 * 60)]
    for member in members[:3]:
        set_week(member, dict.fromkeys(range(5), split))
    set_week(members[3], {**{weekday: [Range(13 * 60, 21 * 60)] for weekday in range(5)}, 5: [Range(9 * 60, 17 * 60)]})
    add_time_off(members[0], kind="holiday", reason="", days=(today + timedelta(days=14), today + timedelta(days=20)))
    wednesday = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    set_exception(members[1], wednesday, [Range(12 * 60, 16 * 60)], "")
    noon = datetime.combine(today + timedelta(days=5), datetime.min.time(), tzinfo=ZoneInfo(TIMEZONE)) + timedelta(
        hours=12
    )
    add_time_off(members[2], kind="other", reason="", times=(noon, noon + timedelta(hours=3)))


def _add_bookings(
    rng: random.Random,
    venue: Venue,
    treatments: list[Service],
    members: list[TeamMember],
    classes: list[Service],
    today: date,
) -> None:
    now = datetime.now(UTC)
    customers = [
        {
            "email": f"customer-{n}@bench.example",
            "name": f"Customer {n}",
            "role": Role.CUSTOMER,
            "password_hash": PASSWORD_HASH,
            "email_verified_at": now,
        }
        for n in range(100)
    ]
    customer_ids = list(db.session.scalars(insert(User).returning(User.id), customers))
    closed = {c.starts_on for c in venue.closures}
    days = [today + timedelta(days=d) for d in range(1, BOOKING_DAYS + 1) if today + timedelta(days=d) not in closed]
    member_services = {m.id: [s for s in treatments if s in m.services] for m in members}
    taken: dict[tuple[int, date], list[tuple[int, int]]] = {}
    rows: list[dict] = []

    def booking(service: Service, member_id: int | None, starts: datetime, quantity: int) -> dict:
        held = rng.random() < 0.1
        ends = starts + timedelta(minutes=service.duration_minutes)
        return {
            "service": service,
            "team_member_id": member_id,
            "starts_at": starts,
            "ends_at": ends,
            "blocks_until": ends + timedelta(minutes=service.buffer_minutes),
            "status": BookingStatus.HELD if held else BookingStatus.CONFIRMED,
            # Half the holds have expired and not been cleaned up yet.
            "hold_expires_at": (now + timedelta(minutes=rng.choice([-5, 20]))) if held else None,
            "quantity": quantity,
        }

    attempts = 0
    while len(rows) < MEMBER_BOOKINGS and attempts < 200_000:
        attempts += 1
        member = rng.choice(members)
        day = rng.choice(days)
        service = rng.choice(member_services[member.id])
        opens, closes = opening(day)
        length = service.duration_minutes + service.buffer_minutes
        start = opens + rng.randrange(0, (closes - opens - service.duration_minutes) // 15 + 1) * 15
        busy = taken.setdefault((member.id, day), [])
        if any(start < b_end and b_start < start + length for b_start, b_end in busy):
            continue
        busy.append((start, start + length))
        rows.append(booking(service, member.id, local(day, start), 1))
    places: dict[tuple[int, datetime], int] = {}
    while len(rows) < MEMBER_BOOKINGS + CLASS_BOOKINGS:
        service = rng.choice(classes)
        day = rng.choice(days)
        opens, _closes = opening(day)
        starts = local(day, opens + rng.choice([60, 180, 480]))  # classes run at fixed times
        quantity = rng.randint(1, 3)
        if places.get((service.id, starts), 0) + quantity > CLASS_CAPACITY:
            continue
        places[(service.id, starts)] = places.get((service.id, starts), 0) + quantity
        rows.append(booking(service, None, starts, quantity))

    orders = [
        {
            "customer_id": rng.choice(customer_ids),
            "status": OrderStatus.PENDING_PAYMENT if row["status"] == BookingStatus.HELD else OrderStatus.PAID,
            "currency": row["service"].currency,
            "total_minor": row["service"].price_minor * row["quantity"],
            "hold_expires_at": row["hold_expires_at"] or now,
        }
        for row in rows
    ]
    order_ids = list(db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), orders))
    db.session.execute(
        insert(Booking),
        [
            {
                "reference": new_reference(),
                "order_id": order_id,
                "customer_id": order["customer_id"],
                "venue_id": venue.id,
                "service_id": row["service"].id,
                "team_member_id": row["team_member_id"],
                "status": row["status"],
                "starts_at": row["starts_at"],
                "ends_at": row["ends_at"],
                "blocks_until": row["blocks_until"],
                "hold_expires_at": row["hold_expires_at"],
                "quantity": row["quantity"],
                "unit_price_minor": row["service"].price_minor,
                "currency": row["service"].currency,
                "cancel_free_hours": row["service"].cancel_free_hours,
                "cancel_late_fee_percent": row["service"].cancel_late_fee_percent,
            }
            for row, order, order_id in zip(rows, orders, order_ids, strict=True)
        ],
    )
    blocks: list[dict] = []
    # A lunch break as a block would collide with bookings already placed; blocks go where a
    # member is free, and one venue-wide block on a quiet morning.
    for m in members:
        for day in days[::3]:
            lunch = (13 * 60, 13 * 60 + 30)
            busy = taken.get((m.id, day), [])
            if not any(lunch[0] < b_end and b_start < lunch[1] for b_start, b_end in busy):
                blocks.append(
                    {
                        "venue_id": venue.id,
                        "team_member_id": m.id,
                        "starts_at": local(day, lunch[0]),
                        "ends_at": local(day, lunch[1]),
                    }
                )
    blocks.append(
        {
            "venue_id": venue.id,
            "team_member_id": None,
            "starts_at": local(days[4], 9 * 60),
            "ends_at": local(days[4], 11 * 60),
        }
    )
    db.session.execute(insert(TimeBlock), blocks)
    db.session.commit()


def add_rooms(venue_id: int, *, quantity: int = 5) -> int:
    """Rooms (issue 44, item 4): "Treatment room" x ``quantity``, needed (one each) by every
    treatment; each live booking of a treatment takes the lowest unit free for its whole time,
    in start order (interval colouring: 5 therapists never need more than 5 rooms), as
    checkout would have given them. Returns the resource's id; commits. ``remove_rooms`` undoes it."""
    room = Resource(venue_id=venue_id, name="Treatment room", quantity=quantity, position=0)
    db.session.add(room)
    db.session.flush()
    treatments = list(
        db.session.scalars(
            select(Service.id)
            .where(Service.venue_id == venue_id, Service.name.like("Treatment %"))
            .order_by(Service.id)
        )
    )
    db.session.execute(
        insert(ServiceResource), [{"service_id": s, "resource_id": room.id, "units": 1} for s in treatments]
    )
    bookings = db.session.execute(
        select(Booking.id, Booking.starts_at, Booking.blocks_until)
        .where(Booking.service_id.in_(treatments), Booking.status.in_(list(LIVE_STATUSES)))
        .order_by(Booking.starts_at, Booking.id)
    ).all()
    free_from = [datetime.min.replace(tzinfo=UTC)] * quantity  # when each unit is next free
    rows = []
    for booking_id, starts, until in bookings:
        unit = next((n for n in range(quantity) if free_from[n] <= starts), None)
        if unit is None:
            continue  # more at once than rooms: never with one room a therapist
        free_from[unit] = until
        rows.append(
            {
                "booking_id": booking_id,
                "resource_id": room.id,
                "unit": unit + 1,
                "starts_at": starts,
                "blocks_until": until,
                "live": True,
            }
        )
    if rows:
        db.session.execute(insert(BookingResource), rows)
    db.session.execute(text("ANALYZE booking_resources"))  # the planner sees the units, run after run
    db.session.commit()
    return room.id


def remove_rooms(resource_id: int) -> None:
    """Undo ``add_rooms``: the resource, what needs it and the units taken go (cascades)."""
    db.session.execute(delete(Resource).where(Resource.id == resource_id))
    db.session.commit()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    _url, app = fresh_database(args.database)
    with app.app_context():
        built = build_venue(args.seed)
        count = db.session.query(Booking).count()
    print(f"{args.database}: venue {built.venue_id}, {len(built.service_ids)} services, {count} bookings")


if __name__ == "__main__":
    main()
