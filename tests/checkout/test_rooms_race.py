"""Issue 44, item 4's proof: rooms are never oversold. 50 customers with the same time in their
carts check out at once, each on a connection of its own, at a venue with 3 therapists and 2
treatment rooms, for a massage that needs one room: exactly 2 hold their time, the other 48 are
told it was just taken (SlotUnavailable), nothing else fails, and no room unit is in two live
bookings.

These tests really commit, like tests/checkout/test_overbooking.py, whose committed-data
helpers they use.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.booking.models import BookingResource
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.models import Resource, ServiceResource
from app.venues.service import save_service
from tests.booking.helpers import future_slot
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    RACERS,
    add_to_cart,
    assert_clean,
    jobs_before_the_races,
    live_bookings,
    made,
    make_users,
    make_venue,
    race,
    race_app,
)

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]


def give_rooms(venue_id: int, service_ids: list[int], *, name: str = "Treatment room", quantity: int = 2) -> int:
    room = Resource(venue_id=venue_id, name=name, quantity=quantity, position=0)
    db.session.add(room)
    db.session.flush()
    db.session.add_all(ServiceResource(service_id=s, resource_id=room.id, units=1) for s in service_ids)
    return room.id


def test_fifty_checkouts_for_two_rooms_confirm_exactly_two(race_app, made):
    start = future_slot(days=7)
    with race_app.app_context():
        venue, service = make_venue(made, capacity=3, team=3)
        service_id = service.id
        room_id = give_rooms(venue.id, [service_id])
        customers = make_users(made, RACERS)
        db.session.commit()
        for customer_id in customers:  # carts are filled while both rooms are free
            add_to_cart(customer_id, service_id, start)
        db.session.commit()
        db.session.remove()

    result = race(race_app, customers)
    print(f"\n{RACERS}-way race, 3 therapists, 2 rooms: {result.seconds:.3f} s")

    assert_clean(result, RACERS)
    assert result.connections >= RACERS
    assert len(result.won) == 2
    assert len(result.refused) == RACERS - 2
    assert all("no longer available" in message for message in result.messages)
    with race_app.app_context():
        bookings = live_bookings([service_id], start)
        assert len(bookings) == 2 and {b.customer_id for b in bookings} == set(result.won)
        assert len({b.team_member_id for b in bookings}) == 2
        units = db.session.execute(
            select(BookingResource.resource_id, BookingResource.unit).where(
                BookingResource.booking_id.in_([b.id for b in bookings]), BookingResource.live
            )
        ).all()
        assert sorted(units) == [(room_id, 1), (room_id, 2)]
        db.session.remove()


def test_two_services_sharing_one_room_never_both_take_it(race_app, made):
    """Two services with teams of their own (their row locks don't serialise each other) need
    the one double room: the resources' row lock does, and the constraint backs it."""
    start = future_slot(days=8)
    with race_app.app_context():
        venue, first = make_venue(made, capacity=1, team=1)
        second = save_service(
            venue,
            None,
            name="Couples massage",
            description="",
            category_id=None,
            duration_minutes=60,
            price_minor=9000,
            capacity=1,
            buffer_minutes=0,
            is_active=True,
        )
        add_team_member(venue, name="Second therapist", title="", bio="", service_ids=[second.id])
        service_ids = [first.id, second.id]
        give_rooms(venue.id, service_ids, name="Double room", quantity=1)
        customers = make_users(made, 20)
        db.session.commit()
        for n, customer_id in enumerate(customers):
            add_to_cart(customer_id, service_ids[n % 2], start)
        db.session.commit()
        db.session.remove()

    result = race(race_app, customers)

    assert_clean(result, len(customers))
    assert len(result.won) == 1
    with race_app.app_context():
        assert len(live_bookings(service_ids, start)) == 1
        db.session.remove()
