"""My bookings comes a page at a time: 20 bookings, then links to the next and previous pages;
a page number that can't be read is a 400 that says why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from app.booking.models import Booking
from app.booking.views.my_bookings import PAGE_SIZE, find_my_bookings
from app.platform.extensions import db
from app.waitlist.models import WaitlistOffer
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


def test_every_visit_runs_the_statements_built_once(web, customer, many_bookings):
    """The tab's statement and the offers' are built once and run with the visit's values: the
    same statement objects on every visit (building them with their loader options cost about as
    much as running them), each visit still its own customer's, moment's and page's rows."""
    web.sign_in_as(customer)
    seen: list[list[int]] = []

    def record(conn, clauseelement, multiparams, params, execution_options):
        described = getattr(clauseelement, "column_descriptions", None)
        if described and described[0].get("entity") in (Booking, WaitlistOffer):
            seen[-1].append(id(clauseelement))

    event.listen(db.engine, "before_execute", record)
    try:
        for page in ("", "?page=2", "?tab=past", "?page=2&x=1"):
            seen.append([])
            assert web.get(f"/bookings{page}").status_code == 200
    finally:
        event.remove(db.engine, "before_execute", record)
    upcoming, second, past, again = (set(ids) for ids in seen)
    assert len(upcoming) == 2 and upcoming == second == again  # the same objects, other values
    assert len(past) == 1 and not past & upcoming  # the other tab's own statement (no offers there)
    assert find_my_bookings(customer.id, "upcoming", datetime.now(UTC), page=2)[0].reference == many_bookings[PAGE_SIZE]
