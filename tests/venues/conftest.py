"""Shared fixtures for the venue tests. Keep names specific: several test modules use this file."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.extensions import db
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
