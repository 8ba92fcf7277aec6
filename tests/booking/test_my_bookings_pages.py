"""My bookings comes a page at a time: 20 bookings, then links to the next and previous pages;
a page number that can't be read is a 400 that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.booking.views.my_bookings import PAGE_SIZE
from app.platform.extensions import db
from tests.booking.helpers import book, make_bookable_venue


@pytest.fixture
def many_bookings(ctx, provider, customer):
    """PAGE_SIZE + 3 upcoming bookings of one customer, one a day at 10:00 local."""
    _, service = make_bookable_venue(provider, capacity=1)
    first = datetime.now(UTC).date() + timedelta(days=2)
    references = []
    for n in range(PAGE_SIZE + 3):
        day = first + timedelta(days=n)
        start = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
        references.append(book(customer, service, start).reference)
    db.session.commit()
    return references  # soonest first, as "Upcoming" lists them


def test_upcoming_bookings_come_twenty_to_a_page(web, customer, many_bookings):
    web.sign_in_as(customer)
    first = web.get("/bookings").get_data(as_text=True)
    assert all(ref in first for ref in many_bookings[:PAGE_SIZE])
    assert not any(ref in first for ref in many_bookings[PAGE_SIZE:])
    assert 'href="/bookings?page=2"' in first and "Later" in first

    second = web.get("/bookings?page=2").get_data(as_text=True)
    assert all(ref in second for ref in many_bookings[PAGE_SIZE:])
    assert not any(ref in second for ref in many_bookings[:PAGE_SIZE])
    assert 'href="/bookings"' in second and "page=3" not in second


def test_a_page_past_the_end_says_so_and_links_back(web, customer, many_bookings):
    web.sign_in_as(customer)
    response = web.get("/bookings?page=9")
    assert response.status_code == 200
    assert "No more bookings here." in response.get_data(as_text=True)


@pytest.mark.parametrize("page", ["0", "-1", "two", "1001", "1.5"])
def test_an_unreadable_page_number_is_a_400_with_a_message(web, customer, page):
    web.sign_in_as(customer)
    response = web.get(f"/bookings?page={page}")
    assert response.status_code == 400
    assert "The page must be a whole number from 1 to 1000." in response.get_data(as_text=True)
