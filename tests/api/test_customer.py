"""The customer's API: cart, checkout, orders, paying with the Demo gateway, bookings and
cancelling, each through the services the pages use; Idempotency-Key replays and races."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from app.accounts.api_tokens import ApiToken, IdempotencyRecord
from app.accounts.models import User
from app.booking.models import Booking, BookingAddon, CartItem, Order
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.options import OptionInput, set_options
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso


def add(client, token, service, start, **extra):
    body = {"service_id": service.id, "starts_at": iso(start), **extra}
    return client.post("/api/v1/me/cart/items", json=body, headers=bearer(token))


def test_cart_checkout_pay_and_cancel(client, customer, make_token, listed):
    _venue, service = listed
    token = make_token(customer, "read", "write")
    added = add(client, token, service, future_slot())
    assert added.status_code == 201
    item = added.get_json()
    assert item["price"] == {"amount": 6000, "currency": "GBP"}
    assert item["starts_at"].endswith(("+00:00", "+01:00")) and "T10:00:00" in item["starts_at"]
    assert [i["id"] for i in client.get("/api/v1/me/cart", headers=bearer(token)).get_json()["items"]] == [item["id"]]
    ordered = client.post("/api/v1/me/orders", json={}, headers=bearer(token))
    assert ordered.status_code == 201
    order = ordered.get_json()
    assert order["status"] == "pending_payment" and order["total"] == {"amount": 6000, "currency": "GBP"}
    assert ordered.headers["Location"].endswith(f"/api/v1/me/orders/{order['id']}")
    assert client.get("/api/v1/me/cart", headers=bearer(token)).get_json()["items"] == []
    paying = client.post(f"/api/v1/me/orders/{order['id']}/payments", headers=bearer(token))
    assert paying.status_code == 201
    assert paying.get_json()["gateway"] == "demo" and "/payments/demo/" in paying.get_json()["checkout_url"]
    assert pay_by_demo_card(db.session.get(Order, order["id"])) == "paid: bookings confirmed"
    db.session.commit()
    paid = client.get(f"/api/v1/me/orders/{order['id']}", headers=bearer(token)).get_json()
    assert paid["status"] == "paid"
    reference = paid["bookings"][0]["reference"]
    assert client.get("/api/v1/me/bookings", headers=bearer(token)).get_json()["bookings"][0]["reference"] == reference
    cancelled = client.post(f"/api/v1/me/bookings/{reference}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200
    assert cancelled.get_json()["booking"]["status"].startswith("cancelled")
    assert cancelled.get_json()["refund"] == {"amount": 6000, "currency": "GBP"}  # free until 24 h before
    again = client.post(f"/api/v1/me/bookings/{reference}/cancel", headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["type"] == "/api/v1/problems/conflict"


def test_a_service_refusal_is_a_problem_and_changes_nothing(client, customer, make_token, listed):
    _venue, service = listed
    token = make_token(customer, "write", "read")
    response = client.post(
        "/api/v1/me/cart/items",
        json={"service_id": service.id, "starts_at": "2020-01-01T10:00:00+00:00"},
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert response.get_json()["type"] == "/api/v1/problems/validation" and response.get_json()["detail"]
    naive = client.post(
        "/api/v1/me/cart/items",
        json={"service_id": service.id, "starts_at": "2030-01-01T10:00:00"},
        headers=bearer(token),
    )
    assert naive.status_code == 422 and "starts_at" in naive.get_json()["errors"]["json"]
    extra = client.post(
        "/api/v1/me/cart/items",
        json={"service_id": service.id, "starts_at": iso(future_slot()), "price": 1},
        headers=bearer(token),
    )
    assert extra.status_code == 422 and "price" in extra.get_json()["errors"]["json"]
    empty = client.post("/api/v1/me/orders", json={}, headers=bearer(token))
    assert empty.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_another_customers_order_and_booking_are_404(client, customer, make_user, make_token, listed):
    _venue, service = listed
    mine = make_token(customer, "read", "write")
    add(client, mine, service, future_slot())
    order = client.post("/api/v1/me/orders", json={}, headers=bearer(mine)).get_json()
    theirs = make_token(make_user(), "read", "write")
    assert client.get(f"/api/v1/me/orders/{order['id']}", headers=bearer(theirs)).status_code == 404
    assert client.post(f"/api/v1/me/orders/{order['id']}/payments", headers=bearer(theirs)).status_code == 404
    reference = order["bookings"][0]["reference"]
    assert client.post(f"/api/v1/me/bookings/{reference}/cancel", headers=bearer(theirs)).status_code == 404
    assert client.get(f"/api/v1/me/bookings/{reference}", headers=bearer(theirs)).status_code == 404


def test_venue_accounts_cannot_book_through_the_api(client, provider, make_token, listed):
    _venue, service = listed
    token = make_token(provider, "read", "write")
    assert add(client, token, service, future_slot()).status_code == 403


def test_an_idempotency_key_replays_the_first_answer(client, customer, make_token, listed):
    _venue, service = listed
    token = make_token(customer, "read", "write")
    add(client, token, service, future_slot())
    headers = {**bearer(token), "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/me/orders", json={}, headers=headers)
    second = client.post("/api/v1/me/orders", json={}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.get_json() == first.get_json() and second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    other_body = client.post("/api/v1/me/orders", json={"voucher_code": "X"}, headers=headers)
    assert other_body.status_code == 422 and "different request" in other_body.get_json()["detail"]
    too_long = client.post("/api/v1/me/orders", json={}, headers={**bearer(token), "Idempotency-Key": "k" * 300})
    assert too_long.status_code == 400


@pytest.mark.committing
@pytest.mark.slow
def test_a_race_of_one_key_from_two_threads_makes_one_order(app, make_user):
    """Two threads send the same checkout with one Idempotency-Key at once, on real connections."""
    from app.accounts.api_tokens import create_token
    from app.venues.models import Venue
    from tests.booking.helpers import make_bookable_venue

    with app.app_context():
        owner = make_user(role="provider", email="race-owner@example.com")
        customer = make_user(email="race-customer@example.com")
        venue, service = make_bookable_venue(owner, name="Race Rooms")
        _row, token = create_token(customer.id, name="race", scopes=["read", "write"])
        db.session.commit()
        ids = (owner.id, customer.id, venue.id)
        service_id = service.id
    try:
        barrier = threading.Barrier(2)
        answers: list[int] = []
        with app.test_client() as setup:
            start = iso(future_slot())
            assert (
                setup.post(
                    "/api/v1/me/cart/items", json={"service_id": service_id, "starts_at": start}, headers=bearer(token)
                ).status_code
                == 201
            )

        def send():
            with app.test_client() as client:
                barrier.wait()
                response = client.post(
                    "/api/v1/me/orders", json={}, headers={**bearer(token), "Idempotency-Key": "same-key"}
                )
                answers.append(response.status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with app.app_context():
            orders = db.session.scalars(select(Order).where(Order.customer_id == ids[1])).all()
            assert len(orders) == 1
            assert sorted(answers) in ([201, 201], [201, 409])
    finally:
        with app.app_context():
            order_ids = select(Order.id).where(Order.customer_id == ids[1])
            db.session.execute(delete(Payment).where(Payment.order_id.in_(order_ids)))
            db.session.execute(delete(Booking).where(Booking.order_id.in_(order_ids)))
            db.session.execute(delete(Order).where(Order.customer_id == ids[1]))
            db.session.execute(delete(CartItem).where(CartItem.user_id == ids[1]))
            db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.owner.like("token:%")))
            db.session.execute(delete(ApiToken).where(ApiToken.user_id == ids[1]))
            db.session.delete(db.session.get(Venue, ids[2]))
            db.session.execute(delete(User).where(User.id.in_(ids[:2])))
            db.session.commit()


def test_a_cart_item_names_the_option_and_costs_its_price(client, customer, make_token, listed):
    _venue, service = listed
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    token = make_token(customer, "read", "write")
    longer = service.options[1].id
    missing = add(client, token, service, future_slot())
    assert missing.status_code == 422 and "Choose one of the service's options" in missing.get_json()["detail"]
    foreign = add(client, token, service, future_slot(), option_id=longer + 1000)
    assert foreign.status_code == 422
    assert db.session.scalar(select(func.count(CartItem.id)).where(CartItem.user_id == customer.id)) == 0
    added = add(client, token, service, future_slot(), option_id=longer)
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["option_id"] == longer
    assert added.get_json()["price"] == {"amount": 6500, "currency": "GBP"}
    ordered = client.post("/api/v1/me/orders", json={}, headers=bearer(token)).get_json()
    assert ordered["total"] == {"amount": 6500, "currency": "GBP"}


def test_a_cart_item_takes_addons_and_costs_their_price(client, customer, make_token, listed):
    _venue, service = listed
    set_addons(service, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    db.session.commit()
    token = make_token(customer, "read", "write")
    stones, scalp = (a.id for a in service.addons)
    for wrong in ([stones + 1000], [stones, stones], ["x"]):
        refused = add(client, token, service, future_slot(), addon_ids=wrong)
        assert refused.status_code == 422, refused.get_json()
    assert db.session.scalar(select(func.count(CartItem.id)).where(CartItem.user_id == customer.id)) == 0
    late = add(client, token, service, future_slot(hour=17), addon_ids=[stones])  # 75 minutes past 18:00
    assert late.status_code == 422 and "no longer available" in late.get_json()["detail"]

    added = add(client, token, service, future_slot(), addon_ids=[scalp, stones])
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["addon_ids"] == [stones, scalp]  # the service's order
    assert added.get_json()["price"] == {"amount": 8500, "currency": "GBP"}
    listed_cart = client.get("/api/v1/me/cart", headers=bearer(token)).get_json()
    assert listed_cart["items"][0]["addon_ids"] == [stones, scalp]
    ordered = client.post("/api/v1/me/orders", json={}, headers=bearer(token)).get_json()
    assert ordered["total"] == {"amount": 8500, "currency": "GBP"}
    booking = db.session.scalars(select(Booking).where(Booking.customer_id == customer.id)).one()
    assert booking.ends_at - booking.starts_at == timedelta(minutes=75)
    names = db.session.scalars(select(BookingAddon.name).where(BookingAddon.booking_id == booking.id)).all()
    assert names == ["Hot stones", "Scalp massage"]


def test_a_cart_item_without_addons_is_as_before(client, customer, make_token, listed):
    _venue, service = listed
    token = make_token(customer, "read", "write")
    added = add(client, token, service, future_slot())
    assert added.status_code == 201
    assert added.get_json()["addon_ids"] == [] and added.get_json()["price"] == {"amount": 6000, "currency": "GBP"}
