"""The API's routes declared in one line each: the decorators every route of an area stacks, in
its one order, written once here.

- ``/api/v1/me`` (app/api/views/customer.py, waitlist.py): the route, its arguments (the query's or
  the body's), the response and any other one, the ``read`` scope for a GET and ``write`` for the
  rest, then ``Idempotency-Key`` where asked.
- ``/api/v1/venue`` (app/api/views/venue.py, venue_edit.py): the route, the query's arguments, the
  response and any other one, the ``venue`` scope and the staff roles (``venue_required``), then,
  with a body: the row the URL names checked first (``found_first``, where the URL names one), the
  body, and ``Idempotency-Key`` where asked.

``alt`` is another response the document lists: ``(status, description)`` or
``(status, description, schema)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE

from app.api.auth import require
from app.api.conventions import idempotent as idempotent_key
from app.api.lookups import found_first
from app.web.blueprints import api_customer, api_venue
from app.web.guards import OWNER_AND_MANAGER, venue_required


def stacked(decorators: list[Callable]) -> Callable:
    """The decorators as if written one a line, the first on top."""

    def decorate(view: Callable) -> Callable:
        for decorator in reversed(decorators):
            view = decorator(view)
        return view

    return decorate


def customer_route(method: str, rule: str, status: int, schema: Any = None, **options: Any) -> Callable:
    """A route of ``/api/v1/me``: a GET needs the ``read`` scope, the other methods ``write``."""
    scope = require("read" if method == "get" else "write")
    return _route(api_customer, [scope], method, rule, status, schema, body_guarded=False, **options)


def venue_route(
    method: str, rule: str, status: int, schema: Any = None, *, roles: frozenset[str] = OWNER_AND_MANAGER, **options
) -> Callable:
    """A route of ``/api/v1/venue``, for the staff whose role is in ``roles``."""
    guards = [require("venue"), venue_required(roles=roles)]
    return _route(api_venue, guards, method, rule, status, schema, body_guarded=True, **options)


def _route(
    bp,
    guards: list[Callable],
    method: str,
    rule: str,
    status: int,
    schema: Any,
    *,
    body_guarded: bool,
    query: Any = None,
    body: Any = None,
    alt: tuple = (),
    idempotent: bool = False,
) -> Callable:
    """``body_guarded``: the body is read after the guards (and after ``found_first``, where the
    URL names a row), not before the response."""
    decorators = [getattr(bp, method)(rule)]
    if query is not None:
        decorators.append(bp.arguments(query, location="query", as_kwargs=True, unknown=RAISE))
    reading = []
    if body is not None:
        reading = ([found_first] if body_guarded and "<" in rule else []) + [bp.arguments(body)]
    if not body_guarded:
        decorators += reading
    decorators.append(bp.response(status, schema))
    if alt:
        code, description, *alt_schema = alt
        decorators.append(bp.alt_response(code, schema=alt_schema[0] if alt_schema else None, description=description))
    decorators += guards
    if body_guarded:
        decorators += reading
    if idempotent:
        decorators.append(idempotent_key)
    return stacked(decorators)
