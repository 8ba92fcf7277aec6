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
