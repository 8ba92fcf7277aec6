"""The public JSON API, ``/api/v1`` (docs/api.md).

Built with flask-smorest: its blueprints (defined in app/web/blueprints.py) take marshmallow
schemas (app/api/schemas.py) that both validate each request and write the OpenAPI 3.1
document. The routes (app/api/views/) call the same services as the pages. This package is
the web layer: nothing imports it but the app factory.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from app.api import auth, conventions
from app.api.schemas import Problem
from app.api.views import admin, customer, docs, public, venue, venue_edit, waitlist  # noqa: F401  (their routes join the blueprints)
from app.extensions import csrf
from app.web import blueprints

API_BLUEPRINTS = (blueprints.api_public, blueprints.api_customer, blueprints.api_venue, blueprints.api_admin)
# Once, at import (a blueprint takes no new hooks after its first registration).
for _blueprint in API_BLUEPRINTS:
    _blueprint.before_request(auth.authenticate)
    _blueprint.after_request(conventions.finish)

INFO = {
    "description": (
        "CozyWish's public API: search venues, read their services and free times, and book and pay "
        "as a customer. Errors are RFC 9457 problem details; lists page with an opaque cursor and "
        '`Link: <...>; rel="next"`; reads carry ETags; times are ISO 8601 with offsets; money is '
        "`{amount: minor units, currency}`. See docs/api.md for a quick start."
    ),
}


def _operation(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


# OpenAPI links: what a client (and the stateful test, tests/api/test_links.py) does next with an answer.
LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("/api/v1/me/cart/items", "post", "201"): {
        "CheckOut": {
            "operationRef": _operation("/api/v1/me/orders", "post"),
            "description": "Turn the cart into an order",
        }
    },
    ("/api/v1/me/orders", "post", "201"): {
        "GetOrder": {
            "operationRef": _operation("/api/v1/me/orders/{order_id}", "get"),
            "parameters": {"order_id": "$response.body#/id"},
        },
        "PayOrder": {
            "operationRef": _operation("/api/v1/me/orders/{order_id}/payments", "post"),
            "parameters": {"order_id": "$response.body#/id"},
        },
        "CancelFirstBooking": {
            "operationRef": _operation("/api/v1/me/bookings/{reference}/cancel", "post"),
            "parameters": {"reference": "$response.body#/bookings/0/reference"},
        },
    },
    ("/api/v1/me/orders/{order_id}", "get", "200"): {
        "GetFirstBooking": {
            "operationRef": _operation("/api/v1/me/bookings/{reference}", "get"),
            "parameters": {"reference": "$response.body#/bookings/0/reference"},
        }
    },
}


# Third-party apps get a token through OAuth 2.0 (app/accounts/views/oauth.py), PKCE S256 required.
OAUTH2_SCHEME = {
    "type": "oauth2",
    "description": "OAuth 2.0 authorization code with PKCE (S256); register an app at /account/oauth-apps.",
    "flows": {
        "authorizationCode": {
            "authorizationUrl": "/oauth/authorize",
            "tokenUrl": "/oauth/token",
            "refreshUrl": "/oauth/token",
            "scopes": {
                "read": "Read your bookings, orders, cart and notifications",
                "write": "Book, pay, cancel and review as you",
                "venue": "Run your venue (as your staff role allows)",
                "admin": "Admin: listings and review moderation",
            },
        }
    },
}


def oauth2_scope(path: str, method: str) -> str:
    """The scope an operation needs (the ``auth.require`` of its area, docs/api.md "What there is")."""
    if path.startswith("/api/v1/admin"):
        return "admin"
    if path == "/api/v1/venue" or path.startswith("/api/v1/venue/"):
        return "venue"
    return "read" if method == "get" else "write"


class CozyApi(Api):
    """flask-smorest's Api, leaving errors to the app's one handler (app/ops/errors.py), which
    answers every ``/api/`` error as ``application/problem+json``."""

    def _register_error_handlers(self) -> None:
        return None


def init_app(app: Flask) -> None:
    app.config.setdefault("API_TITLE", "CozyWish API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = CozyApi(app, spec_kwargs={"info": INFO})
    api.spec.components.security_scheme("bearer", auth.BEARER_SCHEME)
    api.spec.components.security_scheme("oauth2", OAUTH2_SCHEME)
    api.spec.components.schema("Problem", schema=Problem)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # auth.authenticate checks CSRF itself, for cookie requests only
    app.register_blueprint(blueprints.api_docs)
    app.extensions["api_spec"] = lambda: document(api)


def document(api: Api) -> dict[str, Any]:
    """The OpenAPI document, with what the decorators can't say: each operation's security, its
    problem answers and its headers."""
    spec = api.spec.to_dict()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, text in (("400", "Bad request"), ("401", "Unauthorized"), ("429", "Rate limited")):
                responses.setdefault(status, {"description": text, "content": problem})
            if "{" in path:
                responses.setdefault("404", {"description": "Not found", "content": problem})
            if path == "/api/v1/venue" or path.startswith(("/api/v1/me", "/api/v1/venue/", "/api/v1/admin/")):
                operation["security"] = [{"bearer": []}, {"oauth2": [oauth2_scope(path, method)]}]
                responses.setdefault("403", {"description": "Forbidden", "content": problem})
            if method in {"post", "delete"}:
                responses.setdefault("403", {"description": "Forbidden", "content": problem})
                responses.setdefault("409", {"description": "Conflict", "content": problem})
            responses.setdefault("422", {"description": "Validation failed", "content": problem})
            for status, answer in list(responses.items()):
                if status[:1] in {"4", "5"}:  # flask-smorest's own (422 of @arguments): ours are problems
                    responses[status] = {"description": answer.get("description", "Refused"), "content": problem}
            if method == "post":  # every POST of the API creates or pays
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "Repeat it to get the first answer again instead of a second order",
                    }
                )
            responses.pop("default", None)
    for (path, method, status), links in LINKS.items():
        spec["paths"][path][method]["responses"][status]["links"] = links
    for answer in spec.get("components", {}).get("responses", {}).values():
        answer["content"] = problem  # flask-smorest's DEFAULT_ERROR and UNPROCESSABLE_ENTITY
    return spec
