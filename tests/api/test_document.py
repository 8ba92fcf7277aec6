"""The OpenAPI document as a third-party developer reads it: the same bytes on every fetch, an
``operationId`` and a summary on every operation, valid OpenAPI 3.1 (openapi-spec-validator),
and the OAuth addresses whole, on BASE_URL."""

from __future__ import annotations

from collections import Counter

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

METHODS = ("get", "put", "post", "delete", "patch")


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_the_document_is_the_same_on_its_first_and_hundredth_fetch(client):
    first = client.get("/api/v1/openapi.json").get_data()
    for _ in range(98):
        client.get("/api/v1/openapi.json")
    hundredth = client.get("/api/v1/openapi.json").get_data()
    assert hundredth == first
    posts = [op for _path, method, op in operations(client.get("/api/v1/openapi.json").get_json()) if method == "post"]
    for operation in posts:  # one Idempotency-Key each, not one more per fetch
        assert [p["name"] for p in operation["parameters"]].count("Idempotency-Key") == 1


def test_every_operation_has_a_unique_operation_id_and_a_summary(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    found = list(operations(spec))
    assert len(found) >= 60
    ids = Counter(operation.get("operationId") for _path, _method, operation in found)
    assert None not in ids, [f"{m.upper()} {p}" for p, m, op in found if "operationId" not in op]
    assert [name for name, count in ids.items() if count > 1] == []
    missing = [f"{m.upper()} {p}" for p, m, op in found if not (op.get("summary") or "").strip()]
    assert missing == []
    assert all("\n" not in op["summary"] for _p, _m, op in found)  # one line each
    by_id = {op["operationId"]: (p, m) for p, m, op in found}
    assert by_id["add_to_cart"] == ("/api/v1/me/cart/items", "post")
    assert by_id["decide"] == ("/api/v1/admin/listings/{venue_id}/{action}", "post")


def test_the_published_document_is_valid_openapi_3_1(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    try:
        validate(spec)
    except OpenAPIValidationError as error:  # say where, not only that
        raise AssertionError(f"{error.message} at {list(error.absolute_path)}") from None
    client.get("/api/v1/openapi.json")
    validate(client.get("/api/v1/openapi.json").get_json())  # and still after more fetches


def test_the_oauth_addresses_are_whole_on_base_url(app, client):
    spec = client.get("/api/v1/openapi.json", headers={"Host": "127.0.0.1"}).get_json()
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["authorizationCode"]
    base = app.config["BASE_URL"]
    assert flow["authorizationUrl"] == f"{base}/oauth/authorize"
    assert flow["tokenUrl"] == flow["refreshUrl"] == f"{base}/oauth/token"
