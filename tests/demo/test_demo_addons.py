"""The demo seed's add-ons (app/demo/venues.py), issue 44's demo: every demo spa offers its
aromatherapy massage at 60 and 90 minutes with "Hot stones" as an add-on (+£15, +15 min), and a
couples massage (60 or 90 minutes, hot stones too) for two guests sharing its double room."""

from __future__ import annotations

from sqlalchemy import select

from app.demo.seed import seed_demo
from app.platform.extensions import db
from app.venues.models import Category, Venue
from tests.demo.test_demo_seed import plain_pictures  # noqa: F401 - the fixture, shared


def test_every_demo_spa_offers_hot_stones_with_its_massage_and_a_couples_massage(ctx, plain_pictures):  # noqa: F811
    seed_demo()
    db.session.flush()
    spa = db.session.scalar(select(Category).where(Category.slug == "spa"))
    spas = list(db.session.scalars(select(Venue).where(Venue.category_id == spa.id)))
    assert spas
    for venue in spas:
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
