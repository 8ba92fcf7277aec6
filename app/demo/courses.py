"""Demo packages and memberships (docs/packages.md, docs/memberships.md): each venue taking
payments sells a five-session package of its first service and offers a monthly membership with
one session of it and 10% off, so a new user sees both on the venue pages. Idempotent: a venue
that has any package or plan already is left as it is."""

from __future__ import annotations

from sqlalchemy import select

from app.memberships import plans
from app.memberships.models import MembershipPlan
from app.packages import service as packages
from app.packages.models import Package
from app.platform.extensions import db
from app.venues.models import Venue


def seed_demo_courses(venues: list[Venue]) -> None:
    for venue in venues:
        services = [s for s in venue.services if s.is_active]
        if not services:
            continue
        first = services[0]
        if db.session.scalar(select(Package.id).where(Package.venue_id == venue.id).limit(1)) is None:
            packages.save_offer(
                venue,
                packages.OfferInput(
                    service_id=first.id,
                    option_id=None,
                    name=f"Five × {first.name}"[:120],
                    sessions=5,
                    valid_days=180,
                    price_minor=first.price_minor * 4,  # one session free
                ),
            )
        if db.session.scalar(select(MembershipPlan.id).where(MembershipPlan.venue_id == venue.id).limit(1)) is None:
            plans.save_plan(
                venue,
                plans.PlanInput(
                    name=f"{venue.name} club"[:80],
                    price_minor=max(first.price_minor, 1000),
                    included_service_id=first.id,
                    included_sessions=1,
                    discount_percent=10,
                ),
            )
