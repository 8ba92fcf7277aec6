"""Fixtures the web tests share."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.accounts.sessions import forget_remembered_sessions
from app.platform import cache_versions
from app.platform.extensions import db
from app.venues.menus import MENUS
from app.web.guards import CART_COUNTS
from app.web.private_cache import forget_all
from tests.booking.helpers import make_bookable_venue


@pytest.fixture
def as_in_production(app, monkeypatch):
    """Versions memoised and sessions remembered as in production (tests turn both off), with
    every memory of them (sessions, booking pages' venues, cart counts) and every private page copy empty
    before and after."""
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 60)
    cache_versions.forget()
    forget_all()
    forget_remembered_sessions()
    MENUS.forget()
    CART_COUNTS.forget()
    yield
    cache_versions.forget()
    forget_all()
    forget_remembered_sessions()
    MENUS.forget()
    CART_COUNTS.forget()


@pytest.fixture
def private_pages(app, monkeypatch, as_in_production):
    """The private page cache on too, as in production."""
    monkeypatch.setitem(app.config, "PRIVATE_PAGE_CACHE_ENABLED", True)


@pytest.fixture
def venue_and_service(ctx, make_user):
    """A bookable venue of its owner's, and its service."""
    venue, service = make_bookable_venue(make_user(role=Role.PROVIDER, name="Priya Owner"), name="Linden Rooms")
    db.session.commit()
    return venue, service
