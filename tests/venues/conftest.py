"""Shared fixtures for the venue tests. Keep names specific: several test modules use this file."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.platform.extensions import db
from app.venues.models import FAQ, Category, Closure, OpeningHours, Service, TeamMember, Venue, VenueImage, VenueSlug
from app.venues.service import create_venue, update_location
from tests.conftest import Browser


class RequestScopedClient(FlaskClient):
    """Each request gets its own application context (and so its own session and current_user), as
    in production, instead of sharing the one the test's transaction fixture keeps pushed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def dashboard_web(app) -> Browser:
    """A browser whose requests see only what earlier requests committed."""
    return Browser(RequestScopedClient(app, app.response_class, use_cookies=True))


@pytest.fixture
def provider_with_venue(ctx, provider):
    """A provider who has started a draft venue (basics and location done), in London."""
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    update_location(
        venue,
        address_line="1 Willow Walk",
        city="London",
        postcode="E1 6AN",
        country="GB",
        latitude=51.5205,
        longitude=-0.0726,
        timezone="Europe/London",
    )
    db.session.flush()
    return provider


@pytest.fixture
def make_venue(ctx, provider):
    """A complete venue: category, services, hours, a closure, a photo, a team member, an FAQ."""

    def make(owner=None, *, name="Lantern House Spa", status="approved", slug=None, **fields) -> Venue:
        owner = owner or provider
        category = db.session.scalar(select(Category).order_by(Category.position).limit(1))
        now = datetime.now(UTC)
        values = {
            "owner_id": owner.id,
            "name": name,
            "slug": slug or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
            "status": status,
            "category_id": category.id,
            "tags": ["quiet", "couples"],
            "changed_fields": [],
            "description": "A calm townhouse spa with candle-lit rooms and a small garden. " * 4,
            "address_line": "12 Orchard Lane",
            "city": "London",
            "postcode": "N1 7AB",
            "country": "GB",
            "latitude": 51.5072,
            "longitude": -0.1276,
            "timezone": "Europe/London",
            "phone": "+44 20 7946 0000",
            "email": "hello@lantern.example",
            "website": "https://lantern.example/spa",
            "submitted_at": now - timedelta(days=1) if status != "draft" else None,
            "approved_at": now if status in ("approved", "suspended") else None,
        }
        values.update(fields)
        venue = Venue(**values)
        db.session.add(venue)
        db.session.flush()
        db.session.add(VenueSlug(slug=venue.slug, venue_id=venue.id))
        massage = Service(
            name="Deep tissue massage",
            description="Firm pressure for tired shoulders.",
            category_id=category.id,
            duration_minutes=90,
            price_minor=6500,
            currency="GBP",
            position=0,
        )
        venue.services.append(massage)
        venue.services.append(Service(name="Express facial", duration_minutes=30, price_minor=2999, position=1))
        venue.services.append(
            Service(name="Retired hot stones", duration_minutes=60, price_minor=5000, position=2, is_active=False)
        )
        for weekday in range(5):
            venue.opening_hours.append(OpeningHours(weekday=weekday, opens_minute=9 * 60, closes_minute=17 * 60))
        venue.opening_hours.append(OpeningHours(weekday=5, opens_minute=10 * 60, closes_minute=16 * 60 + 30))
        today = datetime.now(UTC).date()
        venue.closures.append(
            Closure(starts_on=today + timedelta(days=10), ends_on=today + timedelta(days=12), reason="Staff training")
        )
        venue.closures.append(Closure(starts_on=date(2020, 1, 1), ends_on=date(2020, 1, 2), reason="Long past"))
        venue.images.append(
            VenueImage(
                kind="venue",
                alt_text="Treatment room lit by candles",
                is_cover=True,
                position=0,
                variants={
                    "thumb": {"key": f"venues/{venue.id}/cover-thumb.webp", "width": 320, "height": 240},
                    "card": {"key": f"venues/{venue.id}/cover-card.webp", "width": 800, "height": 600},
                    "hero": {"key": f"venues/{venue.id}/cover-hero.webp", "width": 1600, "height": 900},
                },
            )
        )
        db.session.flush()
        venue.team.append(
            TeamMember(name="Ingrid Holm", title="Senior therapist", bio="Ten years of sports massage.", position=0)
        )
        venue.faqs.append(FAQ(question="Is there parking?", answer="Two spaces behind the building.", position=0))
        db.session.flush()
        venue.team[0].services = [massage]
        db.session.flush()
        return venue

    return make
