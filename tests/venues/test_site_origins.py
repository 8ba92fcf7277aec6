"""The provider's booking button page: the snippet, and the website origins it accepts (only
scheme, host and port; https in production; at most five), bad ones refused with nothing saved."""

from __future__ import annotations

import html

import pytest

from app.platform.extensions import db
from tests.booking.helpers import make_bookable_venue

PAGE = "/provider/booking-button"


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def owner(web, provider, salon):
    web.sign_in_as(provider)
    return web


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_page_shows_the_snippet_with_a_noscript_link(owner, salon):
    venue, _ = salon
    page = text(owner.get(PAGE))
    assert f'data-cozywish-venue="{venue.slug}"' in page
    assert "/static/js/embed.js" in page
    assert f'<noscript><a href="http://localhost/venues/{venue.slug}">' in page


def test_origins_are_saved_normalised(owner, salon):
    venue, _ = salon
    response = owner.post(
        PAGE, {"origins": "https://WWW.Example.com/, https://example.com:8443 https://example.com:8443"}
    )
    assert response.status_code == 200, text(response)[-3000:]
    db.session.refresh(venue)
    assert venue.site_origins == ["https://www.example.com", "https://example.com:8443"]


@pytest.mark.parametrize(
    ("origins", "message"),
    [
        ("https://example.com/booking", "isn't a website origin"),
        ("https://*.example.com", "isn't a website origin"),
        ("javascript:alert(1)", "starts with https://"),
        ("example.com", "starts with https://"),
        ("https://user@example.com", "isn't a website origin"),
        ("https://example.com?x=1", "isn't a website origin"),
        ("https://example.com:99999", "isn't a website origin"),
        ("https://'none'", "isn't a website origin"),
        (" ".join(f"https://site{n}.example" for n in range(6)), "at most 5"),
    ],
)
def test_bad_origins_are_refused_and_nothing_is_saved(owner, salon, origins, message):
    venue, _ = salon
    response = owner.post(PAGE, {"origins": origins})
    assert response.status_code == 422
    assert message in text(response)
    db.session.refresh(venue)
    assert venue.site_origins == []


def test_plain_http_origins_are_refused_in_production(app, owner, salon, monkeypatch):
    monkeypatch.setitem(app.config, "EMBED_ALLOW_HTTP_ORIGINS", False)
    venue, _ = salon
    response = owner.post(PAGE, {"origins": "http://example.com"})
    assert response.status_code == 422
    db.session.refresh(venue)
    assert venue.site_origins == []


def test_the_form_needs_its_csrf_token(owner, salon):
    venue, _ = salon
    assert owner.post(PAGE, {"origins": "https://example.com"}, csrf=False).status_code == 400
    db.session.refresh(venue)
    assert venue.site_origins == []
