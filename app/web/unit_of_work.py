"""One unit of work per request, as indico's request handler keeps it (``RH.process``).

A view runs; when it returns, the request's database session commits once, before the answer
leaves (a commit that fails is an error like any other: a lost connection gets the 503 page
of app/web/db_faults.py, a broken rule its refusal). Any exception rolls the session back
before an error handler runs, so nothing half-done is ever kept (``roll_back``: a transaction
that wrote nothing ends without psycopg's costly ROLLBACK). HTML pages and the JSON API
alike; a page module never commits, rolls back or catches a domain error
(tests/foundation/test_page_modules.py holds that):

- a service that refuses raises a ``DomainError``; the app's handler (app/ops/errors.py)
  answers it with its kind's status, as a page, an HTMX fragment with a toast, or problem
  details;
- a view that shows a refusal on its own page (the form again, the message beside it) says
  how first, with ``on_refusal(render)``: after the rollback the handler answers
  ``render(error)``, with the error's status unless ``render`` set one.

A view whose work must be kept even though it then refuses (a failed sign-in counts the
attempt) returns its answer instead of raising: what it did commits with the answer.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, current_app, g
from flask.typing import ResponseReturnValue

from app.platform.errors import DomainError
from app.platform.extensions import db
from app.platform.sqlutil import roll_back

_REFUSAL = "refusal_page"  # g: how this view shows a refusal


def init_app(app: Flask) -> None:
    dispatch, handle = app.dispatch_request, app.handle_user_exception

    def dispatch_request() -> ResponseReturnValue:
        answer = dispatch()
        if db.session().in_transaction():  # a view that never touched the database has nothing to keep
            db.session.commit()
        return answer

    def handle_user_exception(error: Exception):
        roll_back()  # a refusal that only read keeps the connection's prepared statements
        return handle(error)

    app.dispatch_request = dispatch_request  # type: ignore[method-assign]
    app.handle_user_exception = handle_user_exception  # type: ignore[method-assign]


def keep_now() -> None:
    """Commit what the request has done so far, before its view runs: for a record kept whatever
    the view then does (an API token's "last used"), in a transaction of its own so its row is
    not held locked while the view runs."""
    db.session.commit()


def settle() -> None:
    """Before a view renders what its change left (a list reordered, a row added beside a list
    already loaded): send the change to the database and forget what the session remembers, as
    a commit does, so the page reads the rows as they now are. The commit still comes once, after."""
    db.session.flush()
    db.session.expire_all()


def on_refusal(
    render: Callable[[DomainError], ResponseReturnValue],
    *,
    kinds: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
) -> None:
    """If a service refuses later in this view, answer ``render(error)`` (after the rollback).
    ``kinds`` narrows which refusals the view shows itself; any other gets its kind's error page."""
    setattr(g, _REFUSAL, (render, kinds))


def refusal_page(error: DomainError, status: int) -> Response | None:
    """The view's own answer to ``error`` (``on_refusal``), with ``status`` unless it set one;
    None when the view named none for it. Called by the app's DomainError handler."""
    render, kinds = g.pop(_REFUSAL, (None, DomainError))
    if render is None or not isinstance(error, kinds):
        return None
    response = current_app.make_response(render(error))
    if response.status_code < 300:  # a page shown again says what went wrong; a redirect stays one
        response.status_code = status
    return response
