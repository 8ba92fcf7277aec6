"""The demo seed's rooms and equipment (app/demo/venues.py): every demo venue lists some, every
service needs one of them, spas and massage rooms have two treatment rooms and a double room,
and their couples services need the double room."""

from __future__ import annotations

from sqlalchemy import select

from app.demo.seed import seed_demo
from app.demo.venues import ROOMS
from app.platform.extensions import db
from app.venues.models import Category, Venue
from app.venues.resources import venue_resources
from tests.demo.test_demo_seed import plain_pictures  # noqa: F401 - the fixture, shared


def test_every_demo_venue_has_rooms_its_services_need(ctx, plain_pictures):  # noqa: F811
    seed_demo()
    db.session.flush()
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
