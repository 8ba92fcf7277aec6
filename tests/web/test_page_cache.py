"""Whole public pages for anonymous visitors: a repeat visit touches no database, nobody's
secrets are stored, and an edit or a suspension shows at once."""

from __future__ import annotations

import re

import brotli
import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.platform.extensions import cache, db
from app.venues import approval
from app.venues.models import Category
from app.venues.service import update_basics
from app.web.page_cache import forget_local
from search.backend import get_backend
from tests.booking.helpers import make_bookable_venue
from tests.conftest import IsolatedClient
from tests.statements import statements_sent

HX = {"HX-Request": "true"}


@pytest.fixture
def venue(ctx, make_user, page_cache):
    venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Quiet Cedar Rooms")
    venue.city, venue.latitude, venue.longitude = "London", 51.5072, -0.1276
    venue.category_id = db.session.scalar(select(Category.id).where(Category.slug == "massage"))
    get_backend().index([venue.id])
    db.session.commit()
    return venue


@pytest.fixture
def anonymous(app):
    """A visitor without cookies, as a crawler or a first visit."""
    return IsolatedClient(app, app.response_class, use_cookies=False)


def pages(venue) -> list[str]:
    return [
        "/",
        "/search?q=cedar",
        "/search?q=cedar&near=London&radius=10",  # a place from the "where" field
        "/c/massage",
        f"/venues/{venue.slug}",
        "/sitemap.xml",
    ]


def test_a_repeat_anonymous_visit_is_served_without_touching_the_database(anonymous, venue):
    for path in pages(venue):
        first = anonymous.get(path)
        assert first.status_code == 200 and first.headers["X-Page-Cache"] == "miss", path
        with statements_sent(savepoints=True) as sql:
            again = anonymous.get(path)
        assert again.headers["X-Page-Cache"] == "hit", path
        assert sql == [], path
        assert again.get_data() == first.get_data()
        assert again.headers["Content-Type"] == first.headers["Content-Type"]


def test_a_hit_keeps_the_security_headers_the_validator_and_vary(anonymous, venue):
    path = f"/venues/{venue.slug}"
    first = anonymous.get(path)
    hit = anonymous.get(path)
    for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options"):
        assert hit.headers.get(header) == first.headers.get(header) is not None, header
    assert hit.headers["Vary"] == first.headers["Vary"] and "Cookie" in hit.headers["Vary"]
    assert hit.headers["Cache-Control"] == "private, no-cache"
    assert hit.headers["ETag"] == first.headers["ETag"]
    assert hit.headers["X-Request-ID"] != first.headers["X-Request-ID"]  # per response, never stored
    revalidated = anonymous.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert revalidated.status_code == 304


def test_a_cached_page_holds_no_csrf_token_and_sets_no_cookie(anonymous, venue):
    for path in pages(venue):
        for response in (anonymous.get(path), anonymous.get(path)):
            text = response.get_data(as_text=True)
            assert "Set-Cookie" not in response.headers, path
            assert "csrf" not in text.lower(), path


def test_a_searched_place_is_handed_to_the_script_not_kept_in_a_session(anonymous, venue):
    """The signed-out "last place" is a cookie the page's script sets, so the page sets none
    and asks for no CSRF token: its Clear button only forgets this browser's cookie."""
    page = anonymous.get("/search?q=cedar&near=London&radius=10")
    assert page.headers["X-Page-Cache"] == "miss" and "Set-Cookie" not in page.headers
    text = page.get_data(as_text=True)
    assert re.search(r'data-remember-place="\d+"', text)
    assert "data-place-clear-local" in text and "forget-place-form" not in text and "csrf" not in text.lower()
    assert anonymous.get("/search?q=cedar&near=London&radius=10").headers["X-Page-Cache"] == "hit"


def test_the_fragment_and_the_whole_page_are_cached_apart(anonymous, venue):
    whole = anonymous.get("/search?q=cedar")
    fragment = anonymous.get("/search?q=cedar", headers=HX)
    assert fragment.headers["X-Page-Cache"] == "miss"
    assert {"HX-Request", "Cookie"} <= {v.strip() for v in fragment.headers["Vary"].split(",")}
    assert anonymous.get("/search?q=cedar", headers=HX).get_data() == fragment.get_data()
    assert anonymous.get("/search?q=cedar").get_data() == whole.get_data()
    assert "<html" in whole.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)


def test_a_signed_in_user_never_gets_or_leaves_a_cached_page(anonymous, web, venue, customer):
    path = f"/venues/{venue.slug}"
    anonymous.get(path)
    web.sign_in_as(customer)
    mine = web.get(path)
    text = mine.get_data(as_text=True)
    assert "X-Page-Cache" not in mine.headers
    assert customer.first_name in text and 'name="csrf-token"' in text
    after = anonymous.get(path)
    assert after.headers["X-Page-Cache"] == "hit"
    assert customer.first_name not in after.get_data(as_text=True)


def test_any_cookie_bypasses_the_cache(app, venue):
    visitor = IsolatedClient(app, app.response_class, use_cookies=True)
    path = f"/venues/{venue.slug}"
    visitor.get("/account/sign-in")  # a session starts: from now on this visitor has a cookie
    for _ in range(2):
        response = visitor.get(path)
        assert "X-Page-Cache" not in response.headers
        assert 'name="csrf-token"' in response.get_data(as_text=True)  # its own token, as before


def test_a_venue_edit_shows_on_the_next_visit(anonymous, venue):
    path = f"/venues/{venue.slug}"
    anonymous.get(path)
    assert anonymous.get(path).headers["X-Page-Cache"] == "hit"
    update_basics(
        venue,
        name=venue.name,
        description="Now with a cedar sauna.",
        category_id=None,
        tags="",
        phone="",
        email="",
        website="",
    )
    db.session.commit()
    edited = anonymous.get(path)
    assert edited.headers["X-Page-Cache"] == "miss"
    assert "Now with a cedar sauna." in edited.get_data(as_text=True)


def test_a_suspension_empties_every_cached_page_of_the_venue(anonymous, venue, admin):
    link = f"/venues/{venue.slug}"
    for path in pages(venue):
        anonymous.get(path)
        assert link in anonymous.get(path).get_data(as_text=True), path
    approval.transition(venue, "suspend", actor=admin, reason="Complaints", notify=False)
    db.session.commit()
    assert anonymous.get(link).status_code == 404
    for path in ("/", "/search?q=cedar", "/c/massage", "/sitemap.xml"):
        assert link not in anonymous.get(path).get_data(as_text=True), path


def test_an_error_page_is_never_stored(anonymous, page_cache):
    assert anonymous.get("/venues/no-such-venue").status_code == 404
    assert "X-Page-Cache" not in anonymous.get("/venues/no-such-venue").headers


@pytest.mark.parametrize("first", ["br", "gzip"])
def test_a_page_stored_for_one_encoding_is_served_to_each_client_as_it_asks(anonymous, venue, first):
    """The page is stored before it is compressed: a client that asked for no encoding never gets
    a compressed body from another client's visit, and each encoding is labelled."""
    path = f"/venues/{venue.slug}"
    compressed = anonymous.get(path, headers={"Accept-Encoding": first})
    plain = anonymous.get(path, headers={"Accept-Encoding": "identity"})
    other = anonymous.get(path, headers={"Accept-Encoding": "gzip" if first == "br" else "br"})

    assert compressed.headers["Content-Encoding"] == first
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data(as_text=True).startswith("<!doctype html>")
    assert other.headers["Content-Encoding"] == ("gzip" if first == "br" else "br")


@pytest.fixture
def compressions(monkeypatch) -> list[int]:
    """The sizes of the bodies Brotli was asked to compress (ours and Flask-Compress's)."""
    sizes: list[int] = []
    compress = brotli.compress

    def counting(data, *args, **kwargs):
        sizes.append(len(data))
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(brotli, "compress", counting)
    return sizes


BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}


def test_a_page_is_compressed_once_when_stored_and_hits_send_that_form(anonymous, venue, compressions):
    path = f"/venues/{venue.slug}"
    plain = anonymous.get(path, headers={"Accept-Encoding": "identity"})
    assert plain.headers["X-Page-Cache"] == "miss" and len(compressions) == 1  # its Brotli form, kept with it
    forget_local()  # the next hits read the copy back from the shared cache, as another worker does
    compressions.clear()
    hits = [anonymous.get(path, headers=BROWSER) for _ in range(3)]

    assert compressions == []  # no hit compressed anything
    for hit in hits:
        assert (hit.headers["X-Page-Cache"], hit.headers["Content-Encoding"]) == ("hit", "br")
        assert brotli.decompress(hit.get_data()) == plain.get_data()
        assert int(hit.headers["Content-Length"]) == len(hit.get_data()) < len(plain.get_data()) / 3
        assert "Accept-Encoding" in hit.headers["Vary"] and hit.headers["ETag"] == plain.headers["ETag"]
    assert anonymous.get(path, headers={**BROWSER, "If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_the_miss_sends_the_form_it_stored(anonymous, venue, compressions):
    first = anonymous.get(f"/venues/{venue.slug}", headers=BROWSER)
    assert (first.headers["X-Page-Cache"], first.headers["Content-Encoding"]) == ("miss", "br")
    assert len(compressions) == 1  # compressed once, for the copy and for this answer
    assert brotli.decompress(first.get_data()).startswith(b"<!doctype html>")


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip;q=1, br;q=0.5", "gzip"),
        ("br;q=0, gzip", "gzip"),
        ("*", "br"),
        ("deflate", None),
        ("br;q=nonsense", "br"),  # a quality that isn't a number: Flask-Compress reads it as 1
    ],
)
def test_a_hit_honours_the_clients_preferences(anonymous, venue, accept, encoding):
    path = f"/venues/{venue.slug}"
    plain = anonymous.get(path, headers={"Accept-Encoding": "identity"})
    hit = anonymous.get(path, headers={"Accept-Encoding": accept})
    assert hit.headers["X-Page-Cache"] == "hit"
    assert hit.headers.get("Content-Encoding") == encoding
    if encoding is None:
        assert hit.get_data() == plain.get_data()


def test_a_copy_stored_without_its_brotli_form_is_compressed_as_it_goes_out(anonymous, venue):
    """After a deploy, Redis still holds copies the previous version stored, without ``br``."""
    path = f"/venues/{venue.slug}"
    plain = anonymous.get(path, headers={"Accept-Encoding": "identity"})
    store = cache.cache
    for key in list(store._cache):
        entry = store.get(key)
        if isinstance(entry, dict) and "br" in entry:
            del entry["br"]
            store.set(key, entry)
    forget_local()
    again = anonymous.get(path, headers=BROWSER)
    assert (again.headers["X-Page-Cache"], again.headers["Content-Encoding"]) == ("hit", "br")
    assert brotli.decompress(again.get_data()) == plain.get_data()


def test_a_copy_stored_before_copies_carried_their_time_is_still_served(anonymous, venue):
    """After a deploy, Redis still holds copies the previous version stored, without
    ``fresh_until``: they are hits until they expire, not a 500."""
    path = f"/venues/{venue.slug}"
    first = anonymous.get(path)
    assert first.headers["X-Page-Cache"] == "miss"
    store = cache.cache  # the test app's SimpleCache
    copies = {key: store.get(key) for key in list(store._cache)}
    copies = {key: entry for key, entry in copies.items() if isinstance(entry, dict) and "fresh_until" in entry}
    assert copies
    for key, entry in copies.items():
        del entry["fresh_until"]
        store.set(key, entry)
    forget_local()
    again = anonymous.get(path)
    assert (again.status_code, again.headers["X-Page-Cache"]) == (200, "hit")
    assert again.get_data() == first.get_data()
