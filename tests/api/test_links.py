"""The OpenAPI links of the document, followed as a client would: add a cart item, check out
(CheckOut), fetch the order (GetOrder), pay (PayOrder), fetch the booking (GetFirstBooking),
cancel it (CancelFirstBooking). Each link's runtime expression is read from the document and
evaluated against the answer it hangs from."""

from __future__ import annotations

from typing import Any

from app.booking.models import Order
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.booking.helpers import future_slot, iso


def resolve(spec: dict[str, Any], operation_ref: str) -> tuple[str, str]:
    parts = operation_ref.removeprefix("#/paths/").split("/")
    path = parts[0].replace("~1", "/").replace("~0", "~")
    assert parts[1] in spec["paths"][path]
    return path, parts[1]


def pointer(document: Any, expression: str) -> Any:
    assert expression.startswith("$response.body#/")
    for part in expression.removeprefix("$response.body#/").split("/"):
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document


def follow(client, spec, headers, answer, links, name) -> Any:
    link = links[name]
    path, method = resolve(spec, link["operationRef"])
    for parameter, expression in link.get("parameters", {}).items():
        path = path.replace("{" + parameter + "}", str(pointer(answer.get_json(), expression)))
    response = client.open(path, method=method.upper(), headers=headers, json={} if method == "post" else None)
    return response


def links_of(spec, path, method, status):
    return spec["paths"][path][method]["responses"][status]["links"]


def test_the_documents_links_lead_from_a_cart_item_to_a_cancelled_booking(client, customer, make_token, listed):
    _venue, service = listed
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = bearer(make_token(customer, "read", "write"))
    added = client.post(
        "/api/v1/me/cart/items", json={"service_id": service.id, "starts_at": iso(future_slot())}, headers=headers
    )
    assert added.status_code == 201
    order = follow(client, spec, headers, added, links_of(spec, "/api/v1/me/cart/items", "post", "201"), "CheckOut")
    assert order.status_code == 201
    order_links = links_of(spec, "/api/v1/me/orders", "post", "201")
    fetched = follow(client, spec, headers, order, order_links, "GetOrder")
    assert fetched.status_code == 200 and fetched.get_json()["id"] == order.get_json()["id"]
    paying = follow(client, spec, headers, order, order_links, "PayOrder")
    assert paying.status_code == 201 and paying.get_json()["order_id"] == order.get_json()["id"]
    booking = follow(
        client, spec, headers, fetched, links_of(spec, "/api/v1/me/orders/{order_id}", "get", "200"), "GetFirstBooking"
    )
    assert booking.status_code == 200 and booking.get_json()["status"] == "held"
    # The customer pays on the Demo gateway's page (what its "Pay" button does).
    assert pay_by_demo_card(db.session.get(Order, order.get_json()["id"])) == "paid: bookings confirmed"
    db.session.commit()
    cancelled = follow(client, spec, headers, order, order_links, "CancelFirstBooking")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["booking"]["reference"] == booking.get_json()["reference"]
    assert cancelled.get_json()["booking"]["status"].startswith("cancelled")
