"""Packages in the public API (docs/packages.md, docs/api.md): a venue's packages on sale, buying
one as an order and paying it like any, and your packages with their sessions left."""

from __future__ import annotations

from sqlalchemy import func, select

from app.booking.models import Order
from app.packages import service as packages
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso


def offer(venue, svc, **changes):
    data = {"service_id": svc.id, "option_id": None, "name": "Five", "sessions": 5, "valid_days": 90, **changes}
    return packages.save_offer(venue, packages.OfferInput(price_minor=25000, **data))


def test_buy_a_package_pay_it_and_book_with_it(client, customer, make_token, listed):
    venue, svc = listed
    package = offer(venue, svc)
    db.session.commit()
    listing = client.get(f"/api/v1/venues/{venue.slug}/packages").get_json()
    assert [(p["id"], p["sessions"], p["price"]["amount"]) for p in listing] == [(package.id, 5, 25000)]
    assert listing[0]["usual_price"] == {"amount": 5 * svc.price_minor, "currency": "GBP"}
    assert listing[0]["option"] is None and listing[0]["service"]["id"] == svc.id

    token = make_token(customer, "read", "write")
    bought = client.post(f"/api/v1/me/packages/{package.id}/orders", headers=bearer(token))
    assert bought.status_code == 201
    order = bought.get_json()
    assert order["status"] == "pending_payment" and order["total"] == {"amount": 25000, "currency": "GBP"}
    assert order["bookings"] == []
    assert client.get("/api/v1/me/packages", headers=bearer(token)).get_json() == []  # not paid yet
    assert pay_by_demo_card(db.session.get(Order, order["id"])) == "paid: bookings confirmed"
    db.session.commit()
    [held] = client.get("/api/v1/me/packages", headers=bearer(token)).get_json()
    assert (held["name"], held["used"], held["left"], held["state"]) == ("Five", 0, 5, "active")
    assert held["venue"] == {"id": venue.id, "name": venue.name} and held["expires_at"]

    added = client.post(
        "/api/v1/me/cart/items", json={"service_id": svc.id, "starts_at": iso(future_slot())}, headers=bearer(token)
    )
    assert added.status_code == 201
    checked_out = client.post("/api/v1/me/orders", json={}, headers=bearer(token)).get_json()
    assert checked_out["status"] == "paid" and checked_out["total"] == {"amount": 0, "currency": "GBP"}
    [held] = client.get("/api/v1/me/packages", headers=bearer(token)).get_json()
    assert (held["used"], held["left"]) == (1, 4)


def test_an_unknown_or_switched_off_package_is_refused_and_orders_nothing(client, customer, make_token, listed):
    venue, svc = listed
    package = offer(venue, svc)
    package.is_active = False
    db.session.commit()
    token = make_token(customer, "read", "write")
    orders_before = db.session.scalar(select(func.count()).select_from(Order))
    missing = client.post("/api/v1/me/packages/999999/orders", headers=bearer(token))
    assert missing.status_code == 404
    off = client.post(f"/api/v1/me/packages/{package.id}/orders", headers=bearer(token))
    assert off.status_code == 409 and "isn't on sale" in off.get_json()["detail"]
    assert db.session.scalar(select(func.count()).select_from(Order)) == orders_before
    assert client.get(f"/api/v1/venues/{venue.slug}/packages").get_json() == []


def test_packages_need_a_token(client, listed):
    assert client.get("/api/v1/me/packages").status_code == 401
