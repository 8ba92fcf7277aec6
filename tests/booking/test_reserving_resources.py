"""Rooms and equipment when a time is reserved (issue 44, item 4; app/booking/reserving.py):
every path that writes a booking takes the lowest free units of what its service needs, a moved
booking takes them again at its new time, holds that ran out let theirs go, and the database
refuses a unit in two live bookings at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.booking import cart
from app.booking.availability import get_bookable_days, get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.models import Booking, BookingResource, BookingStatus
from app.booking.reserving import UNIT_OVERLAP_CONSTRAINT, lock_resources
from app.checkout import checkout, reschedule, top_ups
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.platform import held_locks
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.models import Resource, ServiceResource
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.statements import statements_sent


def give(venue, name: str, quantity: int) -> Resource:
    resource = Resource(venue_id=venue.id, name=name, quantity=quantity, position=0)
    db.session.add(resource)
    db.session.flush()
    return resource


def needs(service, resource: Resource, units: int = 1) -> None:
    db.session.add(ServiceResource(service_id=service.id, resource_id=resource.id, units=units))
    db.session.flush()
    db.session.expire(service, ["needs"])


def spa(provider, *, rooms: int = 2, team: int = 3):
    """A venue with ``team`` therapists and ``rooms`` treatment rooms; its massage needs one."""
    venue, massage = make_bookable_venue(provider, capacity=team, team=team)
    room = give(venue, "Treatment room", rooms)
    needs(massage, room)
    return venue, massage, room


def units_of(booking: Booking) -> list[tuple[int, int, bool]]:
    rows = db.session.scalars(select(BookingResource).where(BookingResource.booking_id == booking.id))
    return sorted((row.resource_id, row.unit, row.live) for row in rows)


def second_service(venue, name: str = "Facial", *, team_ids=()) -> object:
    service = save_service(
        venue,
        None,
        name=name,
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=5000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    db.session.flush()
    return service


def insert(row: BookingResource) -> None:
    with db.session.begin_nested():
        db.session.add(row)
        db.session.flush()


def test_checkouts_take_the_lowest_free_room_and_the_third_is_refused(ctx, provider, make_user):
    _venue, massage, room = spa(provider)
    start = future_slot(days=3, hour=10)
    third = make_user(name="Third")
    cart.add_item(
        cart.CartOwner(user_id=third.id), service_id=massage.id, starts_at=start, quantity=1, team_member_id=None
    )
    first = book(make_user(name="First"), massage, start)
    second = book(make_user(name="Second"), massage, start)
    assert units_of(first) == [(room.id, 1, True)] and units_of(second) == [(room.id, 2, True)]
    assert start not in [s.start for s in get_slots(massage, start.date())]  # no room left then
    with pytest.raises(CartItemInvalid):  # a therapist is free, no room is
        book(make_user(name="Fourth"), massage, start)

    with pytest.raises(SlotUnavailable, match="no longer available"):
        checkout.checkout(third)  # its cart was filled while the rooms were free
    assert db.session.scalar(select(BookingResource.id).where(BookingResource.unit > 2)) is None
    assert db.session.scalar(select(Booking.id).where(Booking.customer_id == third.id)) is None


def test_the_database_refuses_a_unit_in_two_live_bookings_at_once(ctx, provider, make_user):
    _venue, massage, room = spa(provider, rooms=2)
    start = future_slot(days=3, hour=10)
    first = book(make_user(name="First"), massage, start)
    other = book(make_user(name="Other"), massage, start + timedelta(hours=2))
    clash = BookingResource(
        booking_id=other.id,
        resource_id=room.id,
        unit=1,  # the first booking's unit, at a time that meets it
        starts_at=start + timedelta(minutes=30),
        blocks_until=start + timedelta(minutes=90),
        live=True,
    )
    with pytest.raises(IntegrityError, match=UNIT_OVERLAP_CONSTRAINT):
        insert(clash)
    # Not live (cancelled), or the booking's own move's hold: allowed.
    for row in (
        BookingResource(
            booking_id=other.id, resource_id=room.id, unit=1, starts_at=start, blocks_until=start, live=False
        ),
        BookingResource(
            booking_id=other.id,
            resource_id=room.id,
            unit=1,
            starts_at=start,
            blocks_until=start + timedelta(hours=1),
            moves_booking_id=first.id,
            live=True,
        ),
    ):
        insert(row)


def test_a_cancelled_booking_frees_its_room(ctx, provider, customer, make_user):
    _venue, massage, room = spa(provider, rooms=1)
    start = future_slot(days=3, hour=10)
    first = book(customer, massage, start)
    assert start not in [s.start for s in get_slots(massage, start.date())]
    first.status = BookingStatus.CANCELLED_BY_CUSTOMER
    db.session.flush()
    assert units_of(first) == [(room.id, 1, False)]  # the trigger follows the booking
    assert book(make_user(name="Next"), massage, start).status == BookingStatus.CONFIRMED


def test_two_services_sharing_one_room_take_turns(ctx, provider, make_user):
    venue, massage, room = spa(provider, rooms=1, team=1)
    facial = second_service(venue)
    add_team_member(venue, name="Facialist", title="", bio="", service_ids=[facial.id])
    needs(facial, room)
    start = future_slot(days=3, hour=10)
    book(make_user(name="Massage client"), massage, start)

    facial_times = [s.start for s in get_slots(facial, start.date())]
    assert start + timedelta(minutes=30) not in facial_times  # the room is taken until 11:00
    assert start + timedelta(hours=1) in facial_times
    with pytest.raises(CartItemInvalid):
        book(make_user(name="Facial client"), facial, start + timedelta(minutes=30))


def test_a_hold_that_ran_out_lets_its_room_go(ctx, provider, make_user):
    """A hold of another service (another therapist) that ran out still has its room in the
    database: the engine counts it free, and reserving lets the hold go before taking it."""
    venue, massage, room = spa(provider, rooms=1, team=1)
    facial = second_service(venue)
    add_team_member(venue, name="Facialist", title="", bio="", service_ids=[facial.id])
    needs(facial, room)
    start = future_slot(days=3, hour=10)
    stale = book(make_user(name="Slow payer"), facial, start, confirm=False)
    past = datetime.now(UTC) - timedelta(minutes=1)
    stale.order.hold_expires_at = stale.hold_expires_at = past
    db.session.flush()
    assert units_of(stale) == [(room.id, 1, True)]
    assert start in [s.start for s in get_slots(massage, start.date())]

    booked = book(make_user(name="On time"), massage, start)

    assert units_of(booked) == [(room.id, 1, True)]
    db.session.refresh(stale)
    assert stale.status == BookingStatus.EXPIRED and units_of(stale) == [(room.id, 1, False)]


def test_a_move_takes_a_room_free_at_the_new_time(ctx, provider, customer, make_user):
    _venue, massage, room = spa(provider, rooms=2)
    start, later = future_slot(days=3, hour=10), future_slot(days=3, hour=14)
    moving = book(customer, massage, start)  # room 1 at 10:00
    book(make_user(name="Afternoon"), massage, later)  # room 1 at 14:00
    assert units_of(moving) == [(room.id, 1, True)]

    reschedule.move_booking(moving, later, None, by=customer)

    assert units_of(moving) == [(room.id, 2, True)]  # room 1 is taken then: room 2
    row = db.session.scalar(select(BookingResource).where(BookingResource.booking_id == moving.id))
    assert (row.starts_at, row.blocks_until) == (moving.starts_at, moving.blocks_until)


def test_a_move_to_a_time_with_no_room_is_refused_and_keeps_its_room(ctx, provider, customer, make_user):
    _venue, massage, room = spa(provider, rooms=1, team=2)
    start, later = future_slot(days=3, hour=10), future_slot(days=3, hour=14)
    moving = book(customer, massage, start)
    book(make_user(name="Afternoon"), massage, later)
    with pytest.raises(SlotUnavailable):
        reschedule.move_booking(moving, later, None, by=customer)
    assert moving.starts_at == start and units_of(moving) == [(room.id, 1, True)]


def test_a_desk_booking_takes_a_room(ctx, provider, make_user):
    venue, massage, room = spa(provider, rooms=1)
    start = future_slot(days=3, hour=10)
    book(make_user(name="Online"), massage, start)
    client = clients.add_client(venue.id, name="Walk In", email="walkin@example.com")
    with pytest.raises(SlotUnavailable):
        book_at_desk(
            venue,
            client,
            service_id=massage.id,
            starts_at=start,
            team_member_id=None,
            staff=provider,
            now=datetime.now(UTC),
        )
    walk_in = book_at_desk(
        venue,
        client,
        service_id=massage.id,
        starts_at=start + timedelta(hours=1),
        team_member_id=None,
        staff=provider,
        now=datetime.now(UTC),
    )
    assert units_of(walk_in) == [(room.id, 1, True)]


def test_a_couples_massage_takes_the_double_room_a_massage_a_treatment_room(ctx, provider, make_user):
    venue, massage, _room = spa(provider, rooms=2)
    couples = second_service(venue, "Couples massage")
    add_team_member(venue, name="Pair", title="", bio="", service_ids=[couples.id])
    double = give(venue, "Double room", 1)
    needs(couples, double)
    start = future_slot(days=3, hour=10)
    together = book(make_user(name="Couple"), couples, start)
    assert units_of(together) == [(double.id, 1, True)]
    assert start not in [s.start for s in get_slots(couples, start.date())]
    assert start in [s.start for s in get_slots(massage, start.date())]


def test_availability_reads_rooms_in_the_same_statements(ctx, provider, make_user):
    """The units and the needs come with the bookings and the blocks: a service with rooms
    reads its slots and its month in as many statements as one without."""
    venue, massage, _room = spa(provider)
    plain = second_service(venue, "Plain")
    start = future_slot(days=3, hour=10)
    book(make_user(name="Booked"), massage, start)
    db.session.expire_all()
    counts = {}
    for service in (massage, plain):
        service = db.session.get(type(service), service.id)
        get_slots(service, start.date())  # loads the venue's hours and closures once
        with statements_sent(savepoints=True) as seen:
            get_slots(service, start.date())
            get_bookable_days(service, start.date(), 30)
        counts[service.name] = len(seen)
    assert counts["Deep tissue massage"] == counts["Plain"]
    slot = next(s for s in get_slots(massage, start.date()) if s.start == start)
    assert slot.remaining == 1  # three therapists, two rooms, one taken


def test_a_top_up_hold_takes_a_room_and_hands_it_to_the_booking_when_paid(ctx, provider, customer, make_user):
    _venue, massage, room = spa(provider, rooms=2)
    start, later = future_slot(days=3, hour=10), future_slot(days=3, hour=14)
    moving = book(customer, massage, start)  # room 1 at 10:00
    book(make_user(name="Afternoon"), massage, later)  # room 1 at 14:00
    massage.price_minor += 1000  # the new time costs more now: a top-up
    db.session.flush()

    top_up, payment = top_ups.start_top_up(moving, later, None, by=customer, expected_minor=1000)

    hold = db.session.get(Booking, top_up.hold_booking_id)
    assert units_of(hold) == [(room.id, 2, True)] and units_of(moving) == [(room.id, 1, True)]
    assert top_ups.settle_paid(payment) == "top-up paid: booking moved"
    assert moving.starts_at == later
    assert units_of(moving) == [(room.id, 2, True)] and units_of(hold) == [(room.id, 2, False)]


def test_a_checkout_locks_its_rooms_once_and_takes_one(ctx, provider, customer):
    _venue, massage, room = spa(provider)
    start = future_slot(days=3, hour=10)
    cart.add_item(
        cart.CartOwner(user_id=customer.id), service_id=massage.id, starts_at=start, quantity=1, team_member_id=None
    )
    with statements_sent() as sent:
        order = checkout.checkout(customer)
    assert units_of(order.bookings[0]) == [(room.id, 1, True)]
    # Locked at once for the cart, before any savepoint; holding the item asks again twice (the
    # slot's count, the units it takes) and reads what this transaction already holds.
    assert len([s for s in sent if "FOR UPDATE OF resources" in s]) == 1, sent


def test_rooms_locked_inside_a_savepoint_are_locked_again_after_it(ctx, provider):
    """A savepoint rolled back lets go of the locks taken in it: only those taken outside any
    are remembered, and only until the transaction ends."""
    _venue, massage, room = spa(provider)
    with db.session.begin_nested():
        assert lock_resources([massage.id]) == [(massage.id, room.id, 1, 2, False)]
    with statements_sent() as sent:
        lock_resources([massage.id])  # locked again, outside the savepoint: remembered from now on
        assert lock_resources([massage.id]) == [(massage.id, room.id, 1, 2, False)]
        assert lock_resources([]) == []
    assert len(sent) == 1, sent
    db.session.rollback()  # the transaction ends: its locks are gone, and so is what it remembered
    assert held_locks.held("resources") == {}
