"""The provider's calendar names the rooms and equipment a booking holds ("Treatment room 2"; a
resource the venue has one of by its name alone), in the day and week views and on the booking's
page, read for all of the page's bookings in one statement (tests/foundation/test_page_statements.py
counts them); and an event's title names the option booked ("Massage (90 min)", item 1)."""

from __future__ import annotations

from html import unescape

import pytest

from app.booking.calendar_view import booking_rooms
from app.booking.models import BookingResource
from app.platform.extensions import db
from app.venues.resources import add_resource
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.conftest import Browser


def hold(booking, resource, unit: int) -> None:
    db.session.add(
        BookingResource(
            booking_id=booking.id,
            resource_id=resource.id,
            unit=unit,
            starts_at=booking.starts_at,
            blocks_until=booking.blocks_until,
            live=True,
        )
    )


@pytest.fixture
def calendar(ctx, provider, customer, client):
    """A venue with two bookings three days ahead: one in treatment room 2 with the double room too,
    one with no room at all; the owner signed in."""
    venue, service = make_bookable_venue(provider, team=2)  # the service needs nothing: the rows are ours
    room = add_resource(venue, name="Treatment room", quantity=2)
    double = add_resource(venue, name="Double room", quantity=1)
    roomed = book(customer, service, future_slot(days=3, hour=10), team_member_id=venue.team[0].id)
    bare = book(customer, service, future_slot(days=3, hour=12), team_member_id=venue.team[1].id)
    hold(roomed, double, 1)
    hold(roomed, room, 2)
    roomed.option_name = "90 min"  # a booking keeps the name of the option booked (item 1)
    db.session.commit()
    web = Browser(client)
    web.sign_in_as(provider)
    return web, roomed, bare


def read(response) -> str:
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_the_rooms_of_many_bookings_are_read_at_once(calendar):
    _web, roomed, bare = calendar
    assert booking_rooms([roomed.id, bare.id]) == {roomed.id: ["Treatment room 2", "Double room"]}
    assert booking_rooms([]) == {}


@pytest.mark.parametrize("view", ["day", "week"])
def test_the_calendar_shows_each_bookings_rooms_and_option(calendar, view):
    web, _roomed, _bare = calendar
    day = future_slot(days=3, hour=10).date().isoformat()
    page = read(web.get(f"/provider/calendar?view={view}&date={day}"))
    assert "Treatment room 2, Double room" in page
    assert page.count("data-rooms") == 1  # the booking without rooms shows none
    assert "Deep tissue massage (90 min)" in page  # the option booked, in the event's title


def test_the_booking_page_shows_its_rooms(calendar):
    web, roomed, bare = calendar
    page = read(web.get(f"/provider/bookings/{roomed.id}"))
    assert "Rooms and equipment" in page and "Treatment room 2, Double room" in page
    assert "Deep tissue massage (90 min)" in page
    assert "data-rooms" not in read(web.get(f"/provider/bookings/{bare.id}"))
