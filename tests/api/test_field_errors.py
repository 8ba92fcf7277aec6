"""Every validation problem of the API names its field (docs/api.md "Conventions"): the service's
own refusals (a domain ``ValidationFailed``) as much as the request schema's, under ``errors``
as marshmallow writes them; a rule about no one field under ``_schema``. Each refusal changes
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Booking, CartItem, Order
from app.clients.models import VenueClient
from app.platform.extensions import db
from app.venues.models import FAQ
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def problem(response, status: int = 422) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.fixture
def shopper(customer, make_token):
    return bearer(make_token(customer, "read", "write"))


def test_an_unknown_service_in_the_cart_names_service_id(client, listed, shopper):
    body = problem(
        client.post(
            "/api/v1/me/cart/items", json={"service_id": 999_999, "starts_at": iso(future_slot())}, headers=shopper
        )
    )
    assert body["type"] == "/api/v1/problems/validation"
    assert body["errors"] == {"json": {"service_id": ["That service can't be booked."]}}
    assert count(CartItem) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_at": "2020-01-01T10:00:00+00:00"}, "starts_at"),  # passed
        ({"starts_at": iso(future_slot(days=3, hour=7))}, "starts_at"),  # before opening: not a free time
        ({"quantity": 2}, "quantity"),  # one place at that time
    ],
)
def test_a_refused_cart_item_names_its_field(client, listed, shopper, change, field):
    _venue, service = listed
    answer = client.post(
        "/api/v1/me/cart/items",
        json={"service_id": service.id, "starts_at": iso(future_slot()), **change},
        headers=shopper,
    )
    body = problem(answer)
    assert list(body["errors"]["json"]) == [field] and body["errors"]["json"][field] == [body["detail"]]
    assert count(CartItem) == 0


def test_a_rule_about_the_whole_request_is_under_schema(client, listed, shopper):
    body = problem(client.post("/api/v1/me/orders", json={}, headers=shopper))
    assert body["errors"] == {"json": {"_schema": ["Your cart is empty."]}}
    assert count(Order) == 0


def test_a_search_parameter_the_search_refuses_is_named(client):
    body = problem(client.get("/api/v1/venues?category=no-such-category"))
    assert body["errors"] == {"query": {"category": ["We don't know that category. Choose one from the list."]}}
    radius = problem(client.get("/api/v1/venues?radius=5"))
    assert list(radius["errors"]["query"]) == ["radius"]


def test_a_cursor_we_did_not_write_names_cursor(client, customer, make_token):
    body = problem(client.get("/api/v1/me/orders?cursor=bm9wZQ", headers=bearer(make_token(customer, "read"))))
    assert list(body["errors"]["query"]) == ["cursor"]


def test_a_desk_refusal_names_the_new_clients_field(client, world, tokens):
    body = {
        "service_id": int(world.ids["service_id"]),
        "starts_at": future_slot(days=6, hour=14).isoformat(),
        "new_client": {"name": "Ann", "email": "not-an-email"},
    }
    before = (count(Booking), count(VenueClient))
    refused = problem(client.post("/api/v1/venue/bookings", json=body, headers=bearer(tokens["receptionist"])))
    assert list(refused["errors"]["json"]) == ["new_client"] and list(refused["errors"]["json"]["new_client"]) == [
        "email"
    ]
    code = problem(client.post("/api/v1/venue/check-ins", json={"code": "nonsense!"}, headers=bearer(tokens["owner"])))
    assert list(code["errors"]["json"]) == ["code"]
    assert (count(Booking), count(VenueClient)) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "Parking?\u0000", "answer": "Yes"}, "question"),  # PostgreSQL keeps no NUL: a 422, not a 500
        ({"question": "Parking?", "answer": 5}, "answer"),
    ],
)
def test_text_postgresql_cannot_keep_is_refused_by_field(client, world, tokens, body, field):
    before = count(FAQ)
    refused = problem(client.post("/api/v1/venue/faqs", json=body, headers=bearer(tokens["owner"])))
    assert list(refused["errors"]["json"]) == [field]
    assert count(FAQ) == before


@pytest.mark.parametrize("weekday", [2.5, "2", True, 2.5e-42])
def test_a_number_that_is_no_whole_number_is_refused_not_cut(client, world, tokens, weekday):
    """marshmallow's own Integer read 2.5 as 2 (and 2.5e-42 as Monday): the week was saved wrong."""
    week = {"weekly": [{"weekday": weekday, "opens": "09:00", "closes": "18:00"}]}
    refused = problem(client.put("/api/v1/venue/hours", json=week, headers=bearer(tokens["owner"])))
    assert "weekday" in refused["errors"]["json"]["weekly"]["0"]
    hours = client.get("/api/v1/venue/hours", headers=bearer(tokens["owner"])).get_json()["weekly"]
    assert len(hours) == 7  # the week as it was: open every day


def test_a_whole_number_written_with_a_point_is_taken(client, world, tokens):
    week = {"weekly": [{"weekday": 2.0, "opens": "09:00", "closes": "18:00"}]}
    saved = client.put("/api/v1/venue/hours", json=week, headers=bearer(tokens["owner"]))
    assert saved.status_code == 200 and [d["weekday"] for d in saved.get_json()["weekly"]] == [2]


def test_a_waitlist_day_in_the_past_names_day(client, listed, shopper):
    _venue, service = listed
    yesterday = (future_slot(days=-1)).date().isoformat()
    body = problem(
        client.post("/api/v1/me/waitlist", json={"service_id": service.id, "day": yesterday}, headers=shopper)
    )
    assert list(body["errors"]["json"]) == ["day"]


def test_a_block_that_ends_before_it_starts_names_ends_at(client, world, tokens):
    start = future_slot(days=8, hour=10)
    body = {"starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat()}
    refused = problem(client.post("/api/v1/venue/blocks", json=body, headers=bearer(tokens["owner"])))
    assert list(refused["errors"]["json"]) == ["ends_at"]
