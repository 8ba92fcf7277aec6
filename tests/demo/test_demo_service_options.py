"""The demo seed's service options (app/demo/venues.py): every demo spa sells a massage in two
lengths, 60 and 90 minutes, the 90 dearer, and the massage is what its team performs."""

from __future__ import annotations

from sqlalchemy import select

from app.demo.seed import seed_demo
from app.platform.extensions import db
from app.venues.models import Category, Venue
from tests.demo.test_demo_seed import plain_pictures  # noqa: F401 - the fixture, shared


def test_every_demo_spa_offers_a_massage_in_60_and_90_minutes(ctx, plain_pictures):  # noqa: F811
    seed_demo()
    db.session.flush()
    spa = db.session.scalar(select(Category).where(Category.slug == "spa"))
    spas = list(db.session.scalars(select(Venue).where(Venue.category_id == spa.id)))
    assert spas
    for venue in spas:
        massage = next(s for s in venue.services if s.options)
        lengths = {o.name: (o.duration_minutes, o.price_minor) for o in massage.options}
        assert set(lengths) == {"60 min", "90 min"}
        assert lengths["60 min"][0] == 60 and lengths["90 min"][0] == 90
        assert lengths["90 min"][1] > lengths["60 min"][1]
        assert (massage.duration_minutes, massage.price_minor) == lengths["60 min"]  # the cheapest drives it
        assert all(massage in member.services for member in venue.team)
