"""Visits and groups through the API (issue 44, items 5-7): the public visit-times of a visit
(one guest's treatments back to back, or a group's side by side), adding a visit to the cart as
a customer, and the visit and guest on cart items and bookings; bad input is a 422 that adds
nothing; another venue's service is refused."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking.models import CartItem, Order
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.service import save_service
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def spa(listed):
    """The listed venue's 60-minute massage by two therapists, and a 30-minute facial by one."""
    venue, massage = listed
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=30,
        price_minor=4000,
        capacity=2,
        buffer_minutes=0,
        is_active=True,
    )
    massage.capacity = 2
    add_team_member(venue, name="Amy", title="", bio="", service_ids=[massage.id, facial.id])
    add_team_member(venue, name="Ben", title="", bio="", service_ids=[massage.id])
    db.session.commit()
    return venue, massage, facial


def times(client, venue, treatments: str, day):
    return client.get(f"/api/v1/venues/{venue.slug}/visit-times", query_string={"treatments": treatments, "date": day})


def test_the_times_of_a_visit_and_of_a_couple(client, spa):
    venue, massage, facial = spa
    day = future_slot(days=3).astimezone(LONDON).date().isoformat()
    one = times(client, venue, f"1:{massage.id},1:{facial.id}", day)
    assert one.status_code == 200, one.get_json()
    first = one.get_json()["times"][0]
    assert [t["service_id"] for t in first["treatments"]] == [massage.id, facial.id]
    assert first["treatments"][1]["start"] == first["treatments"][0]["end"]  # back to back
    couple = times(client, venue, f"1:{massage.id},2:{massage.id}", day).get_json()
    placed = couple["times"][0]["treatments"]
    assert {p["guest"] for p in placed} == {1, 2} and len({p["team_member_id"] for p in placed}) == 2


@pytest.mark.parametrize("treatments", ["1:abc", "12", "1:2:3:4", "1:5+x", "١:5"])
def test_a_treatment_that_cant_be_read_is_a_422(client, spa, treatments):
    venue, _massage, _facial = spa
    response = times(client, venue, treatments, future_slot(days=3).date().isoformat())
    assert response.status_code == 422
    assert "treatments" in response.get_json()["errors"]["query"]


def test_another_venues_service_is_refused(client, spa, make_user):
    venue, massage, _facial = spa
    _elsewhere, other = make_bookable_venue(make_user(role="provider"), name="Elsewhere")
    db.session.commit()
    response = times(client, venue, f"1:{massage.id},1:{other.id}", future_slot(days=3).date().isoformat())
    assert response.status_code == 422


def test_a_customer_adds_a_couple_to_the_cart_and_checks_out(client, spa, customer, make_token):
    venue, massage, _facial = spa
    token = make_token(customer, "read", "write")
    start = future_slot(days=3, hour=10)
    body = {
        "venue_slug": venue.slug,
        "starts_at": iso(start),
        "treatments": [
            {"service_id": massage.id, "guest": 1},
            {"service_id": massage.id, "guest": 2},
        ],
        "guest_names": ["Ana", "Ben Okoro"],
    }
    added = client.post("/api/v1/me/cart/visits", json=body, headers=bearer(token))
    assert added.status_code == 201, added.get_json()
    [item] = added.get_json()["items"]
    assert (item["quantity"], item["guests"], item["guest_names"]) == (2, [1, 2], ["Ana", "Ben Okoro"])
    assert item["visit_key"]
    ordered = client.post("/api/v1/me/orders", json={}, headers=bearer(token))
    assert ordered.status_code == 201
    assert pay_by_demo_card(db.session.get(Order, ordered.get_json()["id"])) == "paid: bookings confirmed"
    db.session.commit()
    bookings = client.get(f"/api/v1/me/orders/{ordered.get_json()['id']}", headers=bearer(token)).get_json()["bookings"]
    assert sorted((b["guest"], b["guest_name"]) for b in bookings) == [(1, "Ana"), (2, "Ben Okoro")]
    assert len({b["visit_key"] for b in bookings}) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"treatments": []},
        {"treatments": [{"service_id": 1, "guest": 7}]},
        {"guest_names": ["x" * 81]},
        {"starts_at": "tomorrow"},
        {"venue_slug": ""},
    ],
)
def test_a_visit_that_makes_no_sense_is_a_422_and_nothing_is_added(client, spa, customer, make_token, change):
    venue, massage, facial = spa
    token = make_token(customer, "read", "write")
    body = {
        "venue_slug": venue.slug,
        "starts_at": iso(future_slot(days=3, hour=10)),
        "treatments": [{"service_id": massage.id}, {"service_id": facial.id}],
        **change,
    }
    response = client.post("/api/v1/me/cart/visits", json=body, headers=bearer(token))
    assert response.status_code == 422, response.get_json()
    assert db.session.scalars(select(CartItem)).all() == []


def test_a_time_the_visit_no_longer_fits_is_a_422(client, spa, customer, make_token):
    venue, massage, facial = spa
    token = make_token(customer, "read", "write")
    body = {
        "venue_slug": venue.slug,
        "starts_at": iso(future_slot(days=3, hour=17) + timedelta(minutes=30)),  # the facial would end past 18:00
        "treatments": [{"service_id": massage.id}, {"service_id": facial.id}],
    }
    response = client.post("/api/v1/me/cart/visits", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "whole visit" in response.get_json()["detail"]
