"""Fixtures of the API's tests: a listed venue, tokens of each scope, and a venue with its staff
(owner, manager, receptionist, practitioner) and a venue token for each of them."""

from __future__ import annotations

import pytest

from app.accounts import api_tokens
from app.platform.extensions import db
from search.backend import get_backend, search
from tests.booking.helpers import make_bookable_venue
from tests.venues.staff_world import build_world


@pytest.fixture
def listed(ctx, provider):
    """An approved venue open every day 09:00-18:00 with one 60-minute service, in the search index."""
    venue, service = make_bookable_venue(provider)
    venue.city = "London"
    venue.description = "Quiet massage rooms"
    db.session.flush()
    get_backend(for_indexing=True).index([venue.id])
    db.session.commit()
    assert search  # the same backend the search page reads
    return venue, service


@pytest.fixture
def make_token(ctx):
    def make(user, *scopes: str) -> str:
        _token, plain = api_tokens.create_token(user.id, name="test", scopes=list(scopes or ("read", "write")))
        db.session.commit()
        return plain

    return make


@pytest.fixture
def world(ctx, make_user, customer):
    """A venue with one person of each staff role (tests/venues/staff_world.py), committed."""
    built = build_world(make_user, customer)
    db.session.commit()
    return built


@pytest.fixture
def tokens(world, make_token):
    """A ``venue`` token for each of the world's people, by role."""
    return {who: make_token(user, "venue") for who, user in world.people.items()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
