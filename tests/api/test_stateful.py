"""schemathesis' stateful mode over the document's OpenAPI links (app/api/__init__.py, LINKS):
its state machine chains real answers into the next calls (a cart item, the checkout, the order,
its payment, its booking, the booking's cancellation), with the answers checked against the
document: 0 server errors, 0 answers that break it.

The machine is given what a client would have: a customer's token, and for a new cart item one
of the venue's real free times (random ones would all be refused). After a checkout the order is
paid the way the Demo gateway's "Pay" does, so the booking the links lead to can be cancelled.
Kept small (a few scenarios of a few steps): this runs in CI."""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.booking.models import Order
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.api.test_fuzz import CHECKS
from tests.booking.helpers import future_slot

CHAIN = (
    r"^/api/v1/me/(cart/items|orders|orders/\{order_id\}|orders/\{order_id\}/payments"
    r"|bookings/\{reference\}|bookings/\{reference\}/cancel)$"
)


@pytest.mark.slow
def test_the_links_chain_a_cart_item_to_a_cancelled_booking(app, client, customer, make_token, listed, monkeypatch):
    _venue, service = listed
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    headers = {**bearer(make_token(customer, "read", "write")), "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).include(path_regex=CHAIN)
    # Free times to put in the cart: every hour of a week, each used once.
    starts = iter([future_slot(days=d, hour=h) for d in range(2, 9) for h in range(9, 18)])
    seen: Counter[tuple[str, str, int]] = Counter()

    class Customer(schema.as_state_machine()):
        def setup(self) -> None:
            # Each scenario starts with an item in the cart (schemathesis 4.32 makes no random
            # root of POST /me/cart/items, which only links onward), so its checkout can succeed.
            added = client.post(
                "/api/v1/me/cart/items",
                json={"service_id": service.id, "starts_at": next(starts).isoformat()},
                headers=headers,
            )
            seen[("POST", "/api/v1/me/cart/items", added.status_code)] += 1

        def before_call(self, case) -> None:
            case.headers = {**(case.headers or {}), **headers}  # the customer's token, not a generated one
            if case.method == "POST" and case.path == "/api/v1/me/cart/items":
                case.body = {"service_id": service.id, "starts_at": next(starts).isoformat()}
            elif case.method == "POST" and case.path == "/api/v1/me/orders":
                case.body = {}

        def get_call_kwargs(self, case) -> dict:
            return {"session": client}

        def after_call(self, response, case) -> None:
            seen[(case.method, case.path, response.status_code)] += 1
            if (case.method, case.path, response.status_code) == ("POST", "/api/v1/me/orders", 201):
                # The customer pays on the Demo checkout (what its "Pay" button does).
                pay_by_demo_card(db.session.get(Order, response.json()["id"]))
                db.session.commit()

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Customer.run(
        settings=settings(
            max_examples=6,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The chain was walked, each link from a real answer of the one before.
    assert seen[("POST", "/api/v1/me/cart/items", 201)] >= 1, seen
    assert seen[("POST", "/api/v1/me/orders", 201)] >= 1
    assert seen[("GET", "/api/v1/me/orders/{order_id}", 200)] >= 1
    assert seen[("POST", "/api/v1/me/bookings/{reference}/cancel", 200)] >= 1, seen
