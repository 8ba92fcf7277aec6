"""Memberships in the public API (docs/memberships.md, docs/api.md)."""

from __future__ import annotations

from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.memberships.test_memberships import join, plan, venue_and_service  # noqa: F401  (fixtures)


def test_the_api_lists_a_venues_memberships_and_yours(client, customer, make_token, plan, venue_and_service):  # noqa: F811
    venue, svc = venue_and_service
    join(customer, plan)
    db.session.commit()
    offered = client.get(f"/api/v1/venues/{venue.slug}/memberships").get_json()
    assert offered == [
        {
            "id": plan.id,
            "name": "Calm club",
            "price": {"amount": 9900, "currency": "GBP"},
            "included_sessions": 2,
            "included_service": {"id": svc.id, "name": svc.name},
            "discount_percent": 10,
        }
    ]
    token = make_token(customer, "read")
    [mine] = client.get("/api/v1/me/memberships", headers=bearer(token)).get_json()
    assert (mine["name"], mine["status"], mine["cancel_at_period_end"]) == ("Calm club", "active", False)
    assert mine["paid_until"] and mine["venue"] == {"id": venue.id, "name": venue.name}
    assert client.get("/api/v1/me/memberships").status_code == 401


def test_join_pay_and_cancel_through_the_api(client, customer, make_user, make_token, plan):  # noqa: F811
    from app.booking.models import Order
    from app.payments.demo_webhook import pay_by_demo_card

    db.session.commit()
    token = make_token(customer, "read", "write")
    joined = client.post("/api/v1/me/memberships", json={"plan_id": plan.id}, headers=bearer(token))
    assert joined.status_code == 201
    order = joined.get_json()
    assert order["total"] == {"amount": 9900, "currency": "GBP"} and order["bookings"] == []
    again = client.post("/api/v1/me/memberships", json={"plan_id": plan.id}, headers=bearer(token))
    assert again.status_code == 409 and "already a member" in again.get_json()["detail"]
    assert pay_by_demo_card(db.session.get(Order, order["id"])) == "paid: bookings confirmed"
    db.session.commit()
    [mine] = client.get("/api/v1/me/memberships", headers=bearer(token)).get_json()
    assert mine["status"] == "active"
    other = make_token(make_user(email="other@example.com"), "read", "write")
    assert client.post(f"/api/v1/me/memberships/{mine['id']}/cancel", headers=bearer(other)).status_code == 404
    cancelled = client.post(f"/api/v1/me/memberships/{mine['id']}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.get_json()["cancel_at_period_end"] is True
    twice = client.post(f"/api/v1/me/memberships/{mine['id']}/cancel", headers=bearer(token))
    assert twice.status_code == 409


def test_bad_join_input_is_refused_and_orders_nothing(client, customer, make_token, plan):  # noqa: F811
    from sqlalchemy import func, select

    from app.booking.models import Order

    db.session.commit()
    token = make_token(customer, "read", "write")
    before = db.session.scalar(select(func.count()).select_from(Order))
    for body, status in (
        ({"plan_id": 999999}, 404),
        ({"plan_id": "x"}, 422),
        ({"plan_id": 0}, 422),
        ({}, 422),
        ({"plan_id": 1, "x": 1}, 422),
    ):
        assert client.post("/api/v1/me/memberships", json=body, headers=bearer(token)).status_code == status
    assert db.session.scalar(select(func.count()).select_from(Order)) == before
