"""A listed venue's page as built for anyone, kept in the app cache (app/venues/views/public.py,
``shared_page_key``): a signed-in visitor, whom the page cache does not serve, gets it without
its reads; what is theirs (the navbar, the token) is still theirs; an edit shows at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from app.accounts.models import Role
from app.platform.extensions import db
from app.venues.models import VenueStatus
from app.venues.views import public
from tests.booking.helpers import make_bookable_venue
from tests.conftest import Browser
from tests.statements import statements_sent


@pytest.fixture
def venue(ctx, make_user, page_cache):
    found, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Juniper Hollow Spa")
    db.session.commit()
    return found


@pytest.fixture(autouse=True)
def one_minute(monkeypatch):
    """The page's views see one instant: the shared copy's key holds the minute, and two visits
    that straddled a minute's end would rightly build the page twice (seen once in CI)."""
    instant = datetime.now(UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return instant.astimezone(tz) if tz is not None else instant.replace(tzinfo=None)

    monkeypatch.setattr(public, "datetime", Frozen)


def venue_reads(sent: list[str]) -> int:
    return sum(1 for s in sent if "FROM venues" in s or "FROM services" in s or "FROM venue_images" in s)


def test_a_signed_in_visitor_gets_the_built_page_without_its_reads(app, venue, make_user):
    first, second = make_user(role=Role.CUSTOMER), make_user(role=Role.CUSTOMER)
    db.session.commit()
    path = f"/venues/{venue.slug}"
    page = Browser.own(app, first).get(path)
    assert page.status_code == 200
    web = Browser.own(app, second)
    with statements_sent() as sent:
        again = web.get(path)
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and "Juniper Hollow Spa" in html
    assert venue_reads(sent) == 0
    token = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
    assert token.search(html).group(1) != token.search(page.get_data(as_text=True)).group(1)  # the viewer's own


def test_an_edit_or_a_suspension_shows_on_the_next_visit(app, venue, customer):
    web = Browser.own(app, customer)
    path = f"/venues/{venue.slug}"
    assert web.get(path).status_code == 200
    venue.name = "Juniper Hollow Renamed"
    db.session.commit()
    assert "Juniper Hollow Renamed" in web.get(path).get_data(as_text=True)
    venue.status = VenueStatus.SUSPENDED
    db.session.commit()
    assert web.get(path).status_code == 404
