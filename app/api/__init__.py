"""The public JSON API, ``/api/v1`` (docs/api.md).

Built with flask-smorest: its blueprints (defined in app/web/blueprints.py) take marshmallow
schemas (app/api/schemas.py) that both validate each request and write the OpenAPI 3.1
document. The routes (app/api/views/) call the same services as the pages. This package is
the web layer: nothing imports it but the app factory.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

from flask import Flask
from flask_smorest import Api

from app.api import auth, conventions
from app.api.schemas import Problem
from app.api.views import admin, customer, docs, public, venue, venue_edit, waitlist  # noqa: F401  (their routes join the blueprints)
from app.ops.problems import MEDIA_TYPE
from app.platform.extensions import csrf
from app.platform.urls import absolute_url
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
# Its addresses are BASE_URL's (``oauth2_scheme``): a client follows them from any host.
OAUTH2_SCOPES = {
    "read": "Read your bookings, orders, cart and notifications",
    "write": "Book, pay, cancel and review as you",
    "venue": "Run your venue (as your staff role allows)",
    "admin": "Admin: listings and review moderation",
}


def oauth2_scheme() -> dict[str, Any]:
    token_url = absolute_url("oauth.token")
    return {
        "type": "oauth2",
        "description": "OAuth 2.0 authorization code with PKCE (S256); register an app at "
        + absolute_url("accounts.oauth_apps"),
        "flows": {
            "authorizationCode": {
                "authorizationUrl": absolute_url("oauth.authorize"),
                "tokenUrl": token_url,
                "refreshUrl": token_url,
                "scopes": OAUTH2_SCOPES,
            }
        },
    }


# What a parameter's text may be, as the app reads it: no control characters in a query value
# (app/platform/input_guard.py refuses them with a 400), and the two words a path takes in their own
# formats (a booking's reference, app/booking/references.py; a venue's slug).
QUERY_TEXT = r"^[^\x00-\x08\x0a-\x1f\x7f]*$"
PATH_WORDS = {
    "reference": {"type": "string", "pattern": r"^[A-Za-z0-9-]{1,16}$", "example": "CW-7K4P-Q2MX"},
    "slug": {"type": "string", "pattern": r"^[a-z0-9-]{1,140}$", "example": "calm-rooms-london"},
}
NO_NUL = r"^[^\x00]*$"  # a body's text: PostgreSQL keeps no NUL (schemas.Strict refuses one, 422)
IDEMPOTENCY_KEY = {"type": "string", "maxLength": conventions.MAX_KEY_LENGTH, "pattern": conventions.KEY_PATTERN}


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
    api.spec.components.schema("Problem", schema=Problem)
    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # auth.authenticate checks CSRF itself, for cookie requests only
    conventions.keeping_answers(app)  # an Idempotency-Key's answer commits with the request's work
    app.register_blueprint(blueprints.api_docs)
    # Built once per app, at its first fetch (its addresses need BASE_URL and the whole URL map):
    # the same document, byte for byte, on every fetch.
    app.extensions["api_spec"] = functools.cache(lambda: document(api, app))


def operation_ids(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) -> operationId: the view's name (``add_to_cart``), unique in the API."""
    ids: dict[tuple[str, str], str] = {}
    names = {blueprint.name for blueprint in API_BLUEPRINTS}
    for rule in app.url_map.iter_rules():
        area, _dot, view = rule.endpoint.partition(".")
        if area not in names:
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)  # <int:order_id> -> {order_id}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            ids[(path, method.lower())] = view
    return ids


def describe_text(parameter: dict[str, Any]) -> None:
    """A path word's format, or the text a query value may be (unless it has a format already)."""
    if parameter["in"] == "path" and parameter["name"] in PATH_WORDS:
        parameter["schema"] = dict(PATH_WORDS[parameter["name"]])
    elif parameter["in"] == "query":
        schema = parameter.get("schema", {})
        text = schema.get("items", {}) if schema.get("type") == "array" else schema
        if text.get("type") == "string" and not {"pattern", "format", "enum"} & text.keys():
            text["pattern"] = QUERY_TEXT


def body_schemas(spec: dict[str, Any]) -> set[str]:
    """The names of the schemas a request body is made of (its own and those it refers to)."""
    found: set[str] = set()
    bodies = [op["requestBody"] for ops in spec["paths"].values() for op in ops.values() if "requestBody" in op]
    pending = [json.dumps(body) for body in bodies]
    while pending:
        for name in re.findall(r'"#/components/schemas/([^"]+)"', pending.pop()):
            if name not in found:
                found.add(name)
                pending.append(json.dumps(spec["components"]["schemas"][name]))
    return found


def no_nul(schema: dict[str, Any]) -> None:
    """Every string of a request body's schema, and every key of its maps, holds no NUL."""
    types = schema.get("type")
    text = "string" in (types if isinstance(types, list) else [types])
    if text and not {"pattern", "format", "enum"} & schema.keys():
        schema["pattern"] = NO_NUL
    for inner in schema.get("properties", {}).values():
        no_nul(inner)
    if isinstance(schema.get("items"), dict):
        no_nul(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        no_nul(schema["additionalProperties"])
        schema.setdefault("propertyNames", {})["pattern"] = NO_NUL


def document(api: Api, app: Flask) -> dict[str, Any]:
    """The OpenAPI document, with what the decorators can't say: each operation's id, security,
    problem answers and headers, and the OAuth addresses on BASE_URL. Built on a copy: the dict
    flask-smorest's spec returns is its own, and a change to it would show in the next document."""
    spec = copy.deepcopy(api.spec.to_dict())
    problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    ids = operation_ids(app)
    schemas = spec.get("components", {}).get("schemas", {})
    for name in body_schemas(spec):
        no_nul(schemas[name])
    for path, operations in spec.get("paths", {}).items():
        for parameter in operations.get("parameters", []):
            describe_text(parameter)
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                describe_text(parameter)
            operation["operationId"] = ids[(path, method)]
            body = operation.get("requestBody")
            if body:  # a body whose fields are all optional may be left out: the view reads {}
                ref = body["content"]["application/json"]["schema"].get("$ref", "")
                body["required"] = bool(schemas.get(ref.rsplit("/", 1)[-1], {}).get("required"))
            if operation.get("summary"):  # the docstring's first paragraph, on one line
                operation["summary"] = " ".join(operation["summary"].split())
            responses = operation.setdefault("responses", {})
            for status, text in (
                ("400", "Bad request"),
                ("401", "Unauthorized"),
                ("414", "Address too long"),
                ("429", "Rate limited"),
            ):
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
                        "schema": dict(IDEMPOTENCY_KEY),
                        "description": "Repeat it to get the first answer again instead of a second order",
                    }
                )
            responses.pop("default", None)
    for (path, method, status), links in LINKS.items():
        spec["paths"][path][method]["responses"][status]["links"] = links
    components = spec.setdefault("components", {})
    components.setdefault("securitySchemes", {})["oauth2"] = oauth2_scheme()
    for answer in components.get("responses", {}).values():
        answer["content"] = problem  # flask-smorest's DEFAULT_ERROR and UNPROCESSABLE_ENTITY
    return spec
