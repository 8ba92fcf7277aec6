"""The booking page for anonymous visitors comes from the page cache, keyed on the venue's
bookings and time blocks as well as on public data: a booking or a block at the venue shows on
the next visit, one at another venue leaves the cached page alone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from app.accounts.models import Role
from app.booking.time_blocks import add_time_block
from app.platform.extensions import db
from tests.booking.helpers import book, book_path, future_slot, make_bookable_venue
from tests.conftest import IsolatedClient
from tests.statements import statements_sent

SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}


@pytest.fixture
def anonymous(app):
    return IsolatedClient(app, app.response_class, use_cookies=False)


@pytest.fixture
def venue_and_service(ctx, make_user, page_cache):
    venue, service = make_bookable_venue(make_user(role=Role.PROVIDER), name="Juniper Rooms")
    db.session.commit()
    return venue, service


def day_of(start) -> str:
    return start.astimezone(ZoneInfo("Europe/London")).date().isoformat()


def test_a_repeat_anonymous_visit_to_the_booking_page_touches_no_database(anonymous, venue_and_service):
    venue, service = venue_and_service
    day = day_of(future_slot())
    for path, headers in ((book_path(venue, service), {}), (book_path(venue, service, day=day), SLOTS)):
        first = anonymous.get(path, headers=headers)
        assert first.status_code == 200 and first.headers["X-Page-Cache"] == "miss", path
        with statements_sent(savepoints=True) as sql:
            again = anonymous.get(path, headers=headers)
        assert again.headers["X-Page-Cache"] == "hit" and sql == [], path
        assert again.get_data() == first.get_data()
        assert "csrf" not in again.get_data(as_text=True).lower()


def test_the_day_fragment_and_the_whole_page_are_cached_apart(anonymous, venue_and_service):
    venue, service = venue_and_service
    path = book_path(venue, service, day=day_of(future_slot()))
    whole = anonymous.get(path)
    fragment = anonymous.get(path, headers=SLOTS)
    assert fragment.headers["X-Page-Cache"] == "miss"
    assert "<html" in whole.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert anonymous.get(path).get_data() == whole.get_data()
    assert anonymous.get(path, headers=SLOTS).get_data() == fragment.get_data()


def test_a_booking_at_the_venue_shows_on_the_next_visit(anonymous, venue_and_service, make_user):
    venue, service = venue_and_service
    start = future_slot()
    path = book_path(venue, service, day=day_of(start))
    anonymous.get(path, headers=SLOTS)
    assert "10:00" in anonymous.get(path, headers=SLOTS).get_data(as_text=True)

    book(make_user(role=Role.CUSTOMER), service, start)  # capacity 1: 10:00 is gone
    db.session.commit()
    after = anonymous.get(path, headers=SLOTS)
    assert after.headers["X-Page-Cache"] == "miss"
    assert ">10:00<" not in after.get_data(as_text=True) and ">11:00<" in after.get_data(as_text=True)


def test_a_time_block_at_the_venue_shows_on_the_next_visit(anonymous, venue_and_service):
    venue, service = venue_and_service
    start = future_slot()
    path = book_path(venue, service, day=day_of(start))
    anonymous.get(path, headers=SLOTS)
    add_time_block(venue, member_id=None, starts_at=start, ends_at=start + timedelta(hours=1), reason="Staff training")
    db.session.commit()
    after = anonymous.get(path, headers=SLOTS)
    assert after.headers["X-Page-Cache"] == "miss"
    assert ">10:00<" not in after.get_data(as_text=True)


def test_a_booking_at_another_venue_leaves_the_cached_page(anonymous, venue_and_service, make_user):
    venue, service = venue_and_service
    _, elsewhere = make_bookable_venue(make_user(role=Role.PROVIDER), name="Other Rooms")
    db.session.commit()
    path = book_path(venue, service)
    anonymous.get(path)
    book(make_user(role=Role.CUSTOMER), elsewhere, future_slot())
    db.session.commit()
    assert anonymous.get(path).headers["X-Page-Cache"] == "hit"


def test_a_chosen_time_with_its_form_is_never_cached(anonymous, venue_and_service):
    venue, service = venue_and_service
    start = future_slot()
    path = book_path(venue, service, day=day_of(start), start=start.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for _ in range(2):
        response = anonymous.get(path)
        assert response.status_code == 200 and "X-Page-Cache" not in response.headers
        assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_a_visitor_with_a_cookie_gets_the_page_rendered_for_them(app, anonymous, venue_and_service, customer):
    venue, service = venue_and_service
    path = book_path(venue, service)
    anonymous.get(path)
    visitor = IsolatedClient(app, app.response_class, use_cookies=True)
    visitor.get("/account/sign-in")  # a session: from now on this visitor has a cookie
    response = visitor.get(path)
    assert "X-Page-Cache" not in response.headers
    assert 'name="csrf-token"' in response.get_data(as_text=True)


def test_an_unknown_service_is_a_404_and_never_stored(anonymous, venue_and_service):
    venue, _ = venue_and_service
    for _ in range(2):
        response = anonymous.get(f"/venues/{venue.slug}/book/999999")
        assert response.status_code == 404 and "X-Page-Cache" not in response.headers
