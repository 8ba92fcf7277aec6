"""Saved venues (the heart), recently viewed, similar venues, trending nearby, and the home page
a signed-in customer gets."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking.models import Booking, BookingStatus
from app.platform.extensions import db
from app.saved import service
from app.saved.models import SavedVenue
from app.venues.models import Category, Service, VenueStatus
from search.backend import get_backend
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD

HTMX = {"HX-Request": "true"}
LONDON = (51.5072, -0.1276)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def listed(ctx, make_user):
    """``listed(name, category_slug, lat, lng, services=[...])``: an approved, indexed venue."""

    def make(name, category="massage", lat=LONDON[0], lng=LONDON[1], services=("Deep tissue massage",)):
        venue, service_ = make_bookable_venue(make_user(role=Role.PROVIDER), name=name)
        venue.category_id = db.session.scalar(select(Category.id).where(Category.slug == category))
        venue.latitude, venue.longitude = lat, lng
        service_.name = services[0]
        for extra in services[1:]:
            db.session.add(Service(venue_id=venue.id, name=extra, duration_minutes=30, price_minor=3000))
        db.session.flush()
        get_backend().index([venue.id])
        return venue

    return make


def heart_of(page: str, venue_id: int) -> str:
    match = re.search(rf'<form class="heart"[^>]*action="/saved/{venue_id}[^"]*"[^>]*>.*?</form>', page, re.S)
    assert match, f"no heart for venue {venue_id}"
    return match.group(0)


def saved_rows(user) -> list[int]:
    return list(db.session.scalars(select(SavedVenue.venue_id).where(SavedVenue.user_id == user.id)))


# -- the heart ------------------------------------------------------------------------------------


def test_a_customer_saves_and_removes_a_venue_with_htmx(web, customer, listed):
    venue = listed("Willow Rooms")
    web.sign_in_as(customer)
    response = web.post(f"/saved/{venue.id}", {"saved": "1", "next": "/search"}, headers=HTMX)
    assert response.status_code == 200
    assert 'aria-pressed="true"' in text(response) and 'name="saved" value="0"' in text(response)
    assert 'name="next" value="/search"' in text(response)  # the swapped heart keeps its way back
    assert json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"] == "Saved Willow Rooms."
    assert saved_rows(customer) == [venue.id]

    again = web.post(f"/saved/{venue.id}", {"saved": "1"}, headers=HTMX)  # a double click
    assert again.status_code == 200 and saved_rows(customer) == [venue.id]

    removed = web.post(f"/saved/{venue.id}", {"saved": "0"}, headers=HTMX)
    assert 'aria-pressed="false"' in text(removed)
    assert saved_rows(customer) == []


def test_without_htmx_the_heart_goes_back_to_the_page(web, customer, listed):
    venue = listed("Willow Rooms")
    web.sign_in_as(customer)
    response = web.post(f"/saved/{venue.id}", {"saved": "1", "next": f"/venues/{venue.slug}"})
    assert response.status_code == 302 and response.headers["Location"] == f"/venues/{venue.slug}"
    offsite = web.post(f"/saved/{venue.id}", {"saved": "0", "next": "https://evil.example/"})
    assert offsite.headers["Location"] == "/saved"


@pytest.mark.parametrize("value", ["", "2", "yes", None])
def test_a_heart_without_a_clear_choice_is_refused(web, customer, listed, value):
    venue = listed("Willow Rooms")
    web.sign_in_as(customer)
    data = {} if value is None else {"saved": value}
    response = web.post(f"/saved/{venue.id}", data)
    assert response.status_code == 400
    assert "Choose whether to save the venue or remove it." in text(response)
    assert saved_rows(customer) == []


def test_only_listed_venues_can_be_saved(web, customer, listed):
    hidden = listed("Not Yet Rooms")
    hidden.status = VenueStatus.PENDING_REVIEW
    db.session.flush()
    web.sign_in_as(customer)
    for venue_id in (hidden.id, 2_000_000_000):
        response = web.post(f"/saved/{venue_id}", {"saved": "1"}, headers=HTMX)
        assert response.status_code == 404
        assert "isn't listed" in json.loads(response.headers["HX-Trigger"])["cw:toast"][0]["message"]
    assert saved_rows(customer) == []


def test_a_heart_needs_the_form_token(client, customer, listed):
    venue = listed("Willow Rooms")
    response = client.post(f"/saved/{venue.id}", data={"saved": "1"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SavedVenue)) == 0


def test_removing_touches_only_your_own_list(web, customer, make_user, listed):
    venue = listed("Willow Rooms")
    other = make_user(role=Role.CUSTOMER)
    db.session.add(SavedVenue(user_id=other.id, venue_id=venue.id))
    db.session.flush()
    web.sign_in_as(customer)
    web.post(f"/saved/{venue.id}", {"saved": "0"})
    assert saved_rows(other) == [venue.id]
    page = text(web.get("/saved"))
    assert "Nothing saved yet" in page and f'data-venue-card="{venue.id}"' not in page


# -- signed out, then signing in ------------------------------------------------------------------


def test_signed_out_saves_live_in_the_session_and_join_the_account_at_sign_in(web, customer, listed):
    first, second = listed("Willow Rooms"), listed("Cedar Rooms")
    web.post(f"/saved/{first.id}", {"saved": "1"})
    web.post(f"/saved/{second.id}", {"saved": "1"})
    page = text(web.get("/saved"))
    assert page.index("Cedar Rooms") < page.index("Willow Rooms")  # newest first
    assert "Sign in</a> to keep them on every device" in page

    db.session.add(SavedVenue(user_id=customer.id, venue_id=first.id))  # already saved on the account
    db.session.flush()
    response = web.post("/account/sign-in", {"email": customer.email, "password": PASSWORD})
    assert response.status_code == 302
    assert sorted(saved_rows(customer)) == sorted([first.id, second.id])
    page = text(web.get("/saved"))
    assert "Venues you saved, newest first." in page and "Cedar Rooms" in page


def test_signed_out_saving_stops_at_the_limit_with_a_reason(web, listed, monkeypatch):
    monkeypatch.setattr(service, "MAX_SAVED_SIGNED_OUT", 2)
    venues = [listed(f"Rooms {n}") for n in range(3)]
    for venue in venues[:2]:
        assert web.post(f"/saved/{venue.id}", {"saved": "1"}).status_code == 302
    refused = web.post(f"/saved/{venues[2].id}", {"saved": "1"})
    assert refused.status_code == 409
    assert "You can save up to 2 venues while signed out. Sign in to save more." in text(refused)


def test_an_account_stops_at_its_limit_with_a_reason(web, customer, listed, monkeypatch):
    monkeypatch.setattr(service, "MAX_SAVED", 1)
    first, second = listed("Willow Rooms"), listed("Cedar Rooms")
    web.sign_in_as(customer)
    web.post(f"/saved/{first.id}", {"saved": "1"})
    refused = web.post(f"/saved/{second.id}", {"saved": "1"}, headers=HTMX)
    assert refused.status_code == 409
    assert saved_rows(customer) == [first.id]


# -- hearts on pages ------------------------------------------------------------------------------


def test_cards_and_the_venue_page_show_what_is_saved(web, customer, listed):
    saved, other = listed("Willow Rooms"), listed("Cedar Rooms")
    db.session.add(SavedVenue(user_id=customer.id, venue_id=saved.id))
    db.session.flush()
    web.sign_in_as(customer)
    results = text(web.get("/search?q=rooms"))
    assert 'aria-pressed="true"' in heart_of(results, saved.id)
    assert 'aria-pressed="false"' in heart_of(results, other.id)
    assert 'aria-pressed="true"' in heart_of(text(web.get(f"/venues/{saved.slug}")), saved.id)


def test_the_venue_page_validator_changes_when_the_heart_does(web, customer, listed):
    venue = listed("Willow Rooms")
    web.sign_in_as(customer)
    etag = web.get(f"/venues/{venue.slug}").headers["ETag"]
    web.post(f"/saved/{venue.id}", {"saved": "1"})
    again = web.get(f"/venues/{venue.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and 'aria-pressed="true"' in heart_of(text(again), venue.id)


def test_a_page_shared_by_every_visitor_has_hearts_without_a_token(app, listed, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_ENABLED", True)
    venue = listed("Willow Rooms")
    fresh = IsolatedClient(app, app.response_class, use_cookies=False)
    page = text(fresh.get("/search?q=willow"))
    heart = heart_of(page, venue.id) if f'action="/saved/{venue.id}"' in page else ""
    shared = re.search(
        rf'<form class="heart"[^>]*action="/saved/{venue.id}/confirm"[^>]*method="get"|'
        rf'<form class="heart"[^>]*method="get" action="/saved/{venue.id}/confirm"',
        page,
    )
    assert shared and not heart, "a shared page's heart must lead to the confirmation page"
    assert "csrf_token" not in page
    confirm = fresh.get(f"/saved/{venue.id}/confirm?next=/search")
    assert confirm.status_code == 200 and "Save Willow Rooms?" in text(confirm)
    assert 'name="csrf_token"' in text(confirm)
    assert fresh.get("/saved/2000000000/confirm").status_code == 404


def test_the_token_endpoint_gives_a_private_token(client):
    response = client.get("/csrf-token")
    assert response.status_code == 200 and len(response.json["token"]) > 20
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_saved_page_is_helpful_when_empty(web):
    page = text(web.get("/saved"))
    assert "Nothing saved yet" in page and "Tap the heart on any venue" in page


# -- recently viewed ------------------------------------------------------------------------------


def test_recently_viewed_keeps_the_browsers_order_and_drops_unlisted(client, listed):
    first, second, gone = listed("Willow Rooms"), listed("Cedar Rooms"), listed("Gone Rooms")
    gone.status = VenueStatus.SUSPENDED
    db.session.flush()
    get_backend().index([gone.id])
    page = text(client.get(f"/recently-viewed?ids={second.id},{gone.id},{first.id}", headers=HTMX))
    assert page.index("Cedar Rooms") < page.index("Willow Rooms") and "Gone Rooms" not in page
    assert "You haven't looked at any venues yet." in text(client.get("/recently-viewed", headers=HTMX))


@pytest.mark.parametrize("ids", ["a", "1,,2", "1;2", "-1", "9999999999", ",".join(["1"] * 13), "1,2,"])
def test_recently_viewed_refuses_what_is_not_a_short_list_of_ids(client, ids):
    response = client.get(f"/recently-viewed?ids={ids}")
    assert response.status_code == 400
    assert "Give up to 12 venue ids, separated by commas." in text(response)


# -- similar venues -------------------------------------------------------------------------------


def test_similar_venues_same_category_first_then_shared_services_then_nearer(ctx, listed):
    here = listed("Here Rooms", services=("Deep tissue massage", "Hot stone massage"))
    near_same = listed("Near Same", lat=LONDON[0] + 0.01)
    far_same = listed("Far Same", lat=LONDON[0] + 0.2)
    two_shared_same = listed("Two Shared", lat=LONDON[0] + 0.3, services=("Deep tissue massage", "Hot stone massage"))
    other_category_shared = listed("Spa Shared", category="spa", lat=LONDON[0] + 0.001)
    listed("Spa Unrelated", category="spa", lat=LONDON[0] + 0.001, services=("Sauna",))
    listed("Too Far", lat=LONDON[0] + 1.0)  # about 111 km north
    assert service.similar_venue_ids(here.id, limit=10) == [
        two_shared_same.id,
        near_same.id,
        far_same.id,
        other_category_shared.id,
    ]
    assert service.similar_venue_ids(here.id, limit=2) == [two_shared_same.id, near_same.id]
    assert service.similar_venue_ids(2_000_000_000) == []


def test_a_venue_without_a_map_pin_finds_its_category_anywhere(ctx, listed):
    here = listed("Unpinned Rooms", lat=None, lng=None)
    far = listed("Far Same", lat=LONDON[0] + 3.0)
    listed("Spa Unrelated", category="spa", services=("Sauna",))
    assert service.similar_venue_ids(here.id) == [far.id]


def test_the_similar_shelf_is_a_fragment_of_cards(client, listed):
    here = listed("Here Rooms")
    listed("Near Same", lat=LONDON[0] + 0.01)
    page = text(client.get(f"/venues/{here.id}/similar", headers=HTMX))
    assert "Near Same" in page and "Here Rooms" not in page
    venue_page = text(client.get(f"/venues/{here.slug}"))
    assert f'hx-get="/venues/{here.id}/similar" hx-trigger="revealed"' in venue_page


# -- trending, book again, the personal home --------------------------------------------------------


def test_trending_counts_recent_confirmed_bookings_nearby(ctx, make_user, listed):
    busy, quiet, far = listed("Busy Rooms"), listed("Quiet Rooms"), listed("Far Rooms", lat=LONDON[0] + 1.0)
    now = datetime.now(UTC)

    def bookings(venue, count, first_day=2, **changes):
        service_ = db.session.scalars(select(Service).where(Service.venue_id == venue.id)).first()
        for n in range(count):
            booking = book(make_user(role=Role.CUSTOMER), service_, future_slot(days=first_day + n, hour=10))
            for key, value in changes.items():
                setattr(booking, key, value)
        db.session.flush()

    bookings(busy, 3)
    bookings(quiet, 1)
    bookings(far, 5)
    bookings(quiet, 4, first_day=10, created_at=now - timedelta(days=8))  # too old to count
    bookings(quiet, 4, first_day=20, status=BookingStatus.CANCELLED_BY_CUSTOMER)  # not counted
    assert service.trending_venue_ids(lat=LONDON[0], lng=LONDON[1], now=now) == [busy.id, quiet.id]
    assert service.trending_venue_ids(lat=None, lng=None, now=now)[:1] == [far.id]


def test_a_signed_in_customer_gets_a_home_of_their_own(web, customer, listed):
    visited = listed("Visited Rooms")
    liked = listed("Liked Rooms", lat=LONDON[0] + 0.02)
    listed("Alike Rooms", lat=LONDON[0] + 0.01)
    service_ = db.session.scalars(select(Service).where(Service.venue_id == visited.id)).first()
    booking = book(customer, service_, future_slot(days=1))
    move_to_past(booking, hours=48)
    booking.status = BookingStatus.COMPLETED
    db.session.add(SavedVenue(user_id=customer.id, venue_id=liked.id))
    db.session.flush()
    assert db.session.get(Booking, booking.id).starts_at < datetime.now(UTC)

    web.sign_in_as(customer)
    page = text(web.get("/"))
    again = page[page.index('id="again-heading"') : page.index('id="saved-heading"')]
    assert "Visited Rooms" in again
    saved_shelf = page[page.index('id="saved-heading"') : page.index('id="recommended-heading"')]
    assert "Liked Rooms" in saved_shelf
    recommended = page[page.index('id="recommended-heading"') : page.index('id="recent-heading"')]
    assert "Because you liked Visited Rooms." in recommended
    assert "Alike Rooms" in recommended and "Visited Rooms" not in recommended.split("</p>", 1)[1]
    assert "Liked Rooms" not in recommended  # already saved: not recommended again


def test_anonymous_home_has_no_personal_shelves(client, listed):
    listed("Willow Rooms")
    page = text(client.get("/"))
    assert 'id="again-heading"' not in page and 'id="saved-heading"' not in page
    assert "data-recently-viewed-shelf hidden" in page
