"""The venue page's selling parts: a title block with rating, prices and "Book now", a gallery
grid with "show all", a booking summary beside the page and a booking bar on phones (the demo
illustrations a new user first sees: tests/demo/test_demo_art.py)."""

from __future__ import annotations

import re

import pytest

from app.platform.extensions import db
from app.venues.models import Service, VenueImage
from app.web.venue_page import price_range
from tests.venues.test_public_and_approval import text_of

TILE_RE = re.compile(r'class="venue-gallery-tile[^"]*"')
MODAL_PHOTO_RE = re.compile(r'<li class="[^"]*" id="photo-\d+">')


def add_photos(venue, count: int) -> None:
    start = len(venue.images)
    for n in range(start, start + count):
        venue.images.append(
            VenueImage(
                kind="venue",
                alt_text=f"Room {n}",
                position=n,
                variants={"hero": {"key": f"venues/{venue.id}/{n}-hero.webp", "width": 1600, "height": 900}},
            )
        )
    db.session.flush()


# -- the title block -----------------------------------------------------------------------------


def test_the_title_block_shows_rating_prices_and_a_book_button(client, make_venue):
    venue = make_venue()
    venue.rating, venue.review_count = 4.6, 12
    db.session.flush()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    title = page[page.index('<header class="venue-title') : page.index("</header>", page.index("venue-title"))]
    assert "Lantern House Spa" in title
    assert "Rated 4.6 out of 5 from 12 reviews" in title
    assert 'href="#reviews"' in title
    assert "£29.99 – £65.00" in title  # the inactive £50 service is not offered, so not counted
    assert '<a class="btn btn-primary btn-lg d-none d-md-inline-block" href="#services">Book now</a>' in title


def test_a_venue_without_reviews_says_it_is_new_instead_of_zero_stars(client, make_venue):
    venue = make_venue()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    title = page[page.index('<header class="venue-title') : page.index("</header>", page.index("venue-title"))]
    assert "New on CozyWish" in title and "★" not in title


def test_without_bookable_services_there_is_no_book_button_anywhere(client, make_venue):
    venue = make_venue()
    for service in venue.services:
        service.is_active = False
    db.session.flush()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    assert "Book now" not in page and "venue-book-bar" not in page
    assert "Bookings open once this venue lists its services." in page


@pytest.mark.parametrize(
    ("prices", "expected"),
    [
        ([], ""),
        ([("GBP", 4000)], "£40.00"),
        ([("GBP", 4000), ("GBP", 4000)], "£40.00"),
        ([("GBP", 11000), ("GBP", 2500), ("GBP", 4000)], "£25.00 – £110.00"),
        ([("GBP", 4000), ("EUR", 5000)], ""),  # no honest single range across currencies
    ],
)
def test_price_range(ctx, prices, expected):
    services = [Service(name="x", duration_minutes=30, price_minor=p, currency=c) for c, p in prices]
    assert price_range(services) == expected


# -- the gallery grid ----------------------------------------------------------------------------


def test_the_grid_shows_five_photos_and_show_all_opens_every_one(client, make_venue):
    venue = make_venue()
    add_photos(venue, 6)  # seven with the cover
    page = text_of(client.get(f"/venues/{venue.slug}"))
    assert len(TILE_RE.findall(page)) == 5
    assert 'class="venue-gallery venue-gallery-5"' in page
    assert "Show all 7 photos" in page
    assert len(MODAL_PHOTO_RE.findall(page)) == 7
    # The large photo is the cover, loaded first; the small ones wait.
    first_tile = page[page.index("venue-gallery-main") :]
    assert 'alt="Treatment room lit by candles" fetchpriority="high"' in first_tile[: first_tile.index("</a>")]


def test_a_single_photo_fills_the_grid_without_show_all(client, make_venue):
    venue = make_venue()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    assert 'class="venue-gallery venue-gallery-1"' in page
    assert "Show all" not in page


def test_a_venue_without_photos_has_no_gallery(client, make_venue):
    venue = make_venue()
    for image in list(venue.images):
        db.session.delete(image)
    db.session.flush()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    assert "venue-gallery" not in page and 'id="all-photos"' not in page


# -- the booking summary and the phone bar -------------------------------------------------------


def test_the_summary_beside_the_page_has_prices_today_and_book_now(client, make_venue):
    venue = make_venue()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    summary = page[page.index('class="card shadow-sm venue-summary"') : page.index("</aside>")]
    assert "2 services · £29.99 – £65.00" in summary
    assert "12 Orchard Lane, London N1 7AB" in summary
    assert re.search(r"(today \d\d:\d\d–\d\d:\d\d|closed today)", summary)
    assert 'href="#services">Book now</a>' in summary


def test_phones_get_a_booking_bar(client, make_venue):
    venue = make_venue()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    bar = page[page.index('class="venue-book-bar') :]
    bar = bar[: bar.index("</a>")]
    assert "£29.99 – £65.00" in bar and "2 services" in bar and 'href="#services">Book now' in bar


def test_hours_and_location_stay_on_the_page(client, make_venue):
    venue = make_venue()
    page = text_of(client.get(f"/venues/{venue.slug}"))
    for heading in ('id="hours"', 'id="contact"', 'id="services"', 'id="reviews"', 'id="team"', 'id="faqs"'):
        assert heading in page
