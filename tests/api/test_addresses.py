"""Every address the API gives a client to follow is whole, on BASE_URL, whatever host the request
came in on: a third-party app that redirects its user to ``checkout_url`` must land on CozyWish,
not on its own domain. ``Location``, ``Link: rel="next"``, ``checkout_url`` (an order's and a
dearer move's top-up's) and a notification's ``link``."""

from __future__ import annotations

from urllib.parse import urlsplit

from app.notifications import centre
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso

ELSEWHERE = {"Host": "127.0.0.1"}  # loopback: a host the app takes, other than BASE_URL's


def test_the_checkout_url_and_the_locations_are_whole_addresses(app, client, customer, make_token, listed):
    _venue, service = listed
    base = app.config["BASE_URL"]
    headers = {**bearer(make_token(customer, "read", "write")), **ELSEWHERE}
    added = client.post(
        "/api/v1/me/cart/items", json={"service_id": service.id, "starts_at": iso(future_slot())}, headers=headers
    )
    ordered = client.post("/api/v1/me/orders", json={}, headers=headers)
    order_id = ordered.get_json()["id"]
    paying = client.post(f"/api/v1/me/orders/{order_id}/payments", headers=headers)
    assert (added.status_code, ordered.status_code, paying.status_code) == (201, 201, 201)
    checkout_url = paying.get_json()["checkout_url"]
    assert {
        "cart item": added.headers["Location"],
        "order": ordered.headers["Location"],
        "checkout": checkout_url.rsplit("/", 1)[0],
    } == {
        "cart item": f"{base}/api/v1/me/cart",
        "order": f"{base}/api/v1/me/orders/{order_id}",
        "checkout": f"{base}/payments/demo",
    }
    endpoint, _args = app.url_map.bind("localhost").match(urlsplit(checkout_url).path)
    assert endpoint == "demo.checkout"  # the Demo gateway's page, at the address given


def test_the_next_page_and_a_notices_link_are_whole_addresses(app, client, customer, make_token, ctx):
    for n in range(2):
        centre.notify(customer, "booking", f"Notice {n}", link="/bookings")
    db.session.commit()
    base = app.config["BASE_URL"]
    first = client.get(
        "/api/v1/me/notifications?limit=1", headers={**bearer(make_token(customer, "read")), **ELSEWHERE}
    )
    link = first.headers["Link"]
    assert link.startswith(f"<{base}/api/v1/me/notifications?limit=1&cursor=") and link.endswith('>; rel="next"')
    assert first.get_json()["notices"][0]["link"] == f"{base}/bookings"
