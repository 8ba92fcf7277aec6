"""RFC 9457 problem details: how the JSON API (``/api/``) says no.

Every refusal is ``application/problem+json`` with a ``type`` URI that names the kind of problem
and never changes (clients branch on it), a ``title`` for that kind, the HTTP ``status``, and a
``detail`` for this occurrence in the request's language. Validation problems add ``errors``
(field -> messages). ``/api/v1/problems/<name>`` describes each type.
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask_babel import lazy_gettext as _l

TYPE_BASE = "/api/v1/problems/"
MEDIA_TYPE = "application/problem+json"

# name -> (status it usually comes with, title)
TYPES: dict[str, tuple[int, Any]] = {
    "bad-request": (400, _l("Bad request")),
    "unauthorized": (401, _l("Authentication required")),
    "forbidden": (403, _l("Not allowed")),
    "not-found": (404, _l("Not found")),
    "method-not-allowed": (405, _l("Method not allowed")),
    "not-acceptable": (406, _l("Not acceptable")),
    "conflict": (409, _l("Conflict")),
    "precondition-failed": (412, _l("Precondition failed")),
    "too-large": (413, _l("Too large")),
    "uri-too-long": (414, _l("Address too long")),
    "unsupported-media-type": (415, _l("Unsupported media type")),
    "validation": (422, _l("Validation failed")),
    "rate-limited": (429, _l("Rate limited")),
    "server-error": (500, _l("Server error")),
    "upstream": (502, _l("Upstream failure")),
    "unavailable": (503, _l("Temporarily unavailable")),
    "out-of-space": (507, _l("Out of space")),
}
NAME_OF_STATUS = {status: name for name, (status, _title) in TYPES.items()}


def type_name(status: int) -> str:
    if status in NAME_OF_STATUS:
        return NAME_OF_STATUS[status]
    return "server-error" if status >= 500 else "bad-request"


def type_uri(name: str) -> str:
    return TYPE_BASE + name


def problem_body(status: int, detail: str, *, errors: Any = None, name: str | None = None) -> dict[str, Any]:
    name = name or type_name(status)
    body: dict[str, Any] = {"type": type_uri(name), "title": str(TYPES[name][1]), "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    return body


def problem_response(
    status: int, detail: str, *, errors: Any = None, name: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    body = problem_body(status, str(detail), errors=errors, name=name)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
