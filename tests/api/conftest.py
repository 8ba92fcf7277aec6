"""Fixtures of the API's tests: a listed venue, tokens of each scope, and a JSON client."""

from __future__ import annotations

import pytest

from app.accounts import api_tokens
from app.extensions import db
from search.backend import get_backend, search
from tests.booking.helpers import make_bookable_venue


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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
