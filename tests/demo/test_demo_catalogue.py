"""What the demo seed sells (app/demo/venues.py), read from one seed shared by this module's tests.

Every demo venue lists rooms its services need (spas and massage rooms: two treatment rooms and a
double room, their couples massage in the double room); every demo spa sells its aromatherapy
massage at 60 and 90 minutes, the 90 dearer, with "Hot stones" as an add-on, and a couples massage
for two guests sharing the double room; every hair salon sells a full colour with 30 minutes of
processing that a blow-dry fits into; addresses and phone numbers belong to their city.

Seeding the demo takes seconds, so the module seeds once, in an outer transaction rolled back after
its last test, and each test runs in a savepoint of it, rolled back after the test (the suite's own
``_transaction`` fixture, tests/conftest.py, overridden here for this module only). The tests only
read. The seed's other tests (taking a booking, seeding again) change what they seed and seed their
own: tests/demo/test_demo_seed.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.booking.availability import get_slots
from app.demo import venues as demo
from app.demo.seed import seed_demo
from app.demo.venues import CITIES, ROOMS
from app.platform.extensions import db
from app.venues.models import Category, Service, Venue
from app.venues.resources import venue_resources
from tests.booking.helpers import book
from tests.conftest import session_on
from tests.demo.helpers import plain_picture


@pytest.fixture(scope="module")
def seeded_connection(app):
    """A connection holding one demo seed, uncommitted; rolled back after the module's tests."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    with pytest.MonkeyPatch.context() as patch, app.test_request_context(), session_on(connection):
        patch.setattr(demo, "illustration", plain_picture)
        seed_demo()
        db.session.commit()  # into the outer transaction (a savepoint released), not the database
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture(autouse=True)
def _transaction(app, seeded_connection):
    """Each test in a savepoint of the seeded connection, rolled back after it."""
    with app.app_context():
        savepoint = seeded_connection.begin_nested()
        try:
            with session_on(seeded_connection):
                yield
        finally:
            savepoint.rollback()


def category(slug: str) -> Category:
    return db.session.scalar(select(Category).where(Category.slug == slug))


def venues_of(slug: str) -> list[Venue]:
    found = list(db.session.scalars(select(Venue).where(Venue.category_id == category(slug).id).order_by(Venue.id)))
    assert found, f"no demo venue of {slug}"
    return found


def test_every_demo_venue_has_rooms_its_services_need(ctx):
    slugs = {c.id: c.slug for c in db.session.scalars(select(Category))}
    venues = list(db.session.scalars(select(Venue)))
    assert venues
    for venue in venues:
        rooms = venue_resources(venue.id)
        assert [(r.name, r.quantity) for r in rooms] == ROOMS[slugs[venue.category_id]], venue.name
        for service in venue.services:
            assert len(service.needs) == 1, (venue.name, service.name)
            need = service.needs[0]
            assert need.resource.venue_id == venue.id and 1 <= need.units <= need.resource.quantity
        if slugs[venue.category_id] in ("spa", "massage"):
            assert [(r.name, r.quantity) for r in rooms] == [("Treatment room", 2), ("Double room", 1)]
            couples = next(s for s in venue.services if s.name == "Couples massage")
            assert couples.needs[0].resource.name == "Double room"
            assert all(couples in member.services for member in venue.team)
            massages = [s for s in venue.services if "massage" in s.name.lower() and s is not couples]
            assert all(s.needs[0].resource.name == "Treatment room" for s in massages)


def test_every_demo_spa_offers_a_massage_in_60_and_90_minutes(ctx):
    for venue in venues_of("spa"):
        massage = next(s for s in venue.services if s.options)
        lengths = {o.name: (o.duration_minutes, o.price_minor) for o in massage.options}
        assert set(lengths) == {"60 min", "90 min"}
        assert lengths["60 min"][0] == 60 and lengths["90 min"][0] == 90
        assert lengths["90 min"][1] > lengths["60 min"][1]
        assert (massage.duration_minutes, massage.price_minor) == lengths["60 min"]  # the cheapest drives it
        assert all(massage in member.services for member in venue.team)


def test_every_demo_spa_offers_hot_stones_with_its_massage_and_a_couples_massage(ctx):
    for venue in venues_of("spa"):
        massage = next(s for s in venue.services if s.name == "Aromatherapy massage")
        assert {o.name: o.duration_minutes for o in massage.options} == {"60 min": 60, "90 min": 90}
        assert [(a.name, a.price_minor, a.extra_minutes) for a in massage.addons] == [("Hot stones", 1500, 15)]
        couples = next(s for s in venue.services if s.name == "Couples massage")
        assert [(n.resource.name, n.shared) for n in couples.needs] == [("Double room", True)]  # one for both
        assert couples.capacity == 2  # two guests side by side, a therapist each
        assert {o.name: o.duration_minutes for o in couples.options} == {"60 min": 60, "90 min": 90}
        assert [a.name for a in couples.addons] == ["Hot stones"]
        assert all(massage in member.services and couples in member.services for member in venue.team)
        others = [s for s in venue.services if s not in (massage, couples)]
        assert all(not s.addons for s in others), venue.name  # only the massages sell an add-on


def test_every_demo_salon_sells_a_colour_with_processing_time(ctx):
    hair = category("hair")
    for venue in venues_of("hair"):
        colour = next(s for s in venue.services if s.name == "Full colour")
        blow_dry = next(s for s in venue.services if s.name == "Cut and blow-dry")
        assert (colour.duration_minutes, colour.processing_after_minutes, colour.processing_minutes) == (90, 30, 30)
        assert blow_dry.duration_minutes == 30 and blow_dry.processing_minutes is None
        assert all(colour in m.services and blow_dry in m.services for m in venue.team), venue.name
    with_gap = db.session.scalars(select(Service).where(Service.processing_minutes.is_not(None))).all()
    assert {s.name for s in with_gap} == {"Full colour"}
    assert {s.venue.category_id for s in with_gap} == {hair.id}


def test_a_demo_colour_leaves_its_stylist_free_in_the_gap(ctx, customer, make_user):
    """At an approved salon the colour's start times are whole 90-minute visits, and once one is
    booked its stylist takes a blow-dry in the colour's processing gap."""
    venue = next(v for v in venues_of("hair") if v.status == "approved")
    colour = next(s for s in venue.services if s.name == "Full colour")
    blow_dry = next(s for s in venue.services if s.name == "Cut and blow-dry")
    day = (datetime.now(UTC) + timedelta(days=7)).date()
    slots = get_slots(colour, day)
    assert slots and all(s.end - s.start == timedelta(minutes=90) for s in slots)

    start = slots[0].start
    booked = book(customer, colour, start)
    in_the_gap = book(make_user(), blow_dry, start + timedelta(minutes=30), team_member_id=booked.team_member_id)
    assert in_the_gap.team_member_id == booked.team_member_id


def test_demo_addresses_and_phone_numbers_belong_to_their_city(ctx):
    districts = {city: tuple(area.district for area in areas) for city, _dialling, areas in CITIES}
    dialling = {"London": "020 7946 0", "Manchester": "0161 496 0", "Edinburgh": "0131 496 0"}
    for venue in db.session.scalars(select(Venue)):
        outward = venue.postcode.split()[0]
        assert outward in districts[venue.city], (venue.name, venue.city, venue.postcode)
        assert re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}", venue.postcode), venue.postcode
        national = "0" + venue.phone.removeprefix("+44 ")
        assert national.startswith(dialling[venue.city]), (venue.name, venue.city, venue.phone)
        area = next(a for c, _d, areas in CITIES if c == venue.city for a in areas if a.district == outward)
        assert f"in {area.name}, {venue.city}." in venue.description
        assert abs(float(venue.latitude) - area.lat) < 0.01 and abs(float(venue.longitude) - area.lng) < 0.01
