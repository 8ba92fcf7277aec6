"""Error pages: a whole page for browsers, a small fragment for HTMX, JSON for the API and webhooks.

An error page must never fail itself: before a 500 is rendered the request's database
session is rolled back (a failed statement leaves it unusable, and the page's header loads
the signed-in user), and if rendering still fails a plain page is sent instead.
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, Response, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.ops.problems import problem_response
from app.platform import error_reports
from app.platform.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    NotFound,
    OutOfSpace,
    TooManyAttempts,
    UpstreamFailed,
    ValidationFailed,
)
from app.platform.extensions import db, limiter
from app.platform.input_guard import RAW_BODY_ENDPOINTS
from app.web.rendering import is_htmx
from app.web.unit_of_work import refusal_page

log = logging.getLogger(__name__)

# The one place a domain error's kind becomes an HTTP status (the first kind it is, in order).
STATUS_OF_KIND: tuple[tuple[type[DomainError], int], ...] = (
    (ValidationFailed, 422),
    (Conflict, 409),
    (NotFound, 404),
    (NotAllowed, 403),
    (TooManyAttempts, 429),
    (UpstreamFailed, 502),
    (OutOfSpace, 507),  # Insufficient Storage
)


def http_status(error: DomainError) -> int:
    """The HTTP status for a domain error: its kind's, or 400 for a plain one."""
    return next((status for kind, status in STATUS_OF_KIND if isinstance(error, kind)), 400)


MESSAGES = {
    400: (_l("Bad request"), _l("Something in that request didn't make sense to us.")),
    403: (_l("Not allowed"), _l("You don't have access to this page.")),
    404: (_l("Page not found"), _l("We couldn't find that page. It may have moved, or the link may be mistyped.")),
    405: (_l("Not allowed"), _l("That action isn't available here.")),
    413: (_l("Too large"), _l("That upload is larger than we accept.")),
    414: (_l("Address too long"), _l("This address is too long. Check the link and try again.")),
    422: (_l("Check your input"), _l("Some of what you entered needs another look.")),
    429: (_l("Slow down"), _l("Too many attempts. Please wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("Sorry, that's our fault. We've logged it and will look into it.")),
    503: (_l("Temporarily unavailable"), _l("We're having trouble right now. Please try again shortly.")),
}


def render_error(status: int, message: str | None = None, *, errors=None, headers=None):
    title, default_message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    title, message = str(title), str(message or default_message)  # lazy (translated) text: plain for JSON
    if request.path.startswith("/api/"):  # the JSON API: RFC 9457 problem details (app/ops/problems.py)
        return problem_response(status, message, errors=errors, headers=headers), status
    if wants_json():
        response = jsonify(error=title, message=message, status=status)
    else:
        template = "errors/fragment.html" if is_htmx() else "errors/error.html"
        response = make_response(render_template(template, status=status, title=title, message=message))
    response.headers.update(headers or {})  # a 405's Allow, a 429's Retry-After
    return response, status


def wants_json() -> bool:
    return (
        request.path.startswith("/api/")
        or request.endpoint in RAW_BODY_ENDPOINTS
        or request.accept_mimetypes.best == "application/json"
    )


def field_errors(error: DomainError) -> dict | None:
    """A validation problem's ``errors`` for the API, as marshmallow writes them: the argument it
    names (``field``; ``new_client.name`` nests) in the body (``json``) or the query; a rule
    about no one argument (an empty cart, an unconfirmed email) under ``_schema``, marshmallow's
    name for the request as a whole. Pages show the message alone."""
    if not isinstance(error, ValidationFailed):
        return None
    where = "query" if request.method in ("GET", "HEAD", "DELETE") else "json"
    found: object = [error.message]
    for name in reversed((error.field or "_schema").split(".")):
        found = {name: found}
    return {where: found}


def retry_after_seconds() -> int | None:
    """Seconds until the rate limit this request broke (Flask-Limiter's, in the limits' storage:
    app/platform/rate_limits.py) lets it through again; None when that can't be read."""
    broken = limiter.current_limit
    if broken is None:
        return None
    try:
        resets = broken.window.reset_time  # (``reset_at`` rounds it up a second more)
    except Exception:  # the limits' storage failed just now: the page says "a few minutes"
        log.warning("rate limit reset time unavailable", exc_info=True)
        return None
    return max(1, math.ceil(resets - time.time()))


def wait_message(seconds: int) -> str:
    """The "Slow down" page's sentence: how long to wait, in seconds under a minute, else minutes."""
    if seconds < 60:
        return ngettext(
            "Too many attempts from your network. Please try again in about %(num)d second.",
            "Too many attempts from your network. Please try again in about %(num)d seconds.",
            seconds,
        )
    return ngettext(
        "Too many attempts from your network. Please try again in about %(num)d minute.",
        "Too many attempts from your network. Please try again in about %(num)d minutes.",
        math.ceil(seconds / 60),
    )


def render_server_error() -> tuple[Response | str, int]:
    """The 500 page, rendered on a clean session; a bare page if even that fails."""
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone; the page must still be sent
        log.exception("rollback before the error page failed")
    try:
        return render_error(500)
    except Exception:
        log.exception("the error page failed; sending a plain one")
        title, message = map(str, MESSAGES[500])
        body = f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>"
        return Response(body, 500, mimetype="text/html"), 500


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, _("Your form expired or came from elsewhere. Reload the page and try again."))

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        # The view's own page for it (unit_of_work.on_refusal), else the error page of its kind.
        own = refusal_page(error, http_status(error))
        if own is not None:
            return own
        return render_error(http_status(error), error.message, errors=field_errors(error))

    @app.errorhandler(429)
    def too_many(error):
        data = getattr(error, "data", None) or {}
        if data.get("message"):  # the API's own rate limit (app/api/auth.py) says which and when
            return render_error(429, data["message"], headers=data.get("headers"))
        seconds = retry_after_seconds()
        if seconds is None:
            return render_error(429, _("Too many attempts from your network. Please wait a few minutes and try again."))
        return render_error(429, wait_message(seconds), headers={"Retry-After": str(seconds)})

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Our own abort(400, "message") wins; Werkzeug's stock descriptions give way to ours.
        custom = error.description if error.description != type(error).description else None
        # The API's validation (webargs, through flask-smorest) and its own aborts put details in ``data``.
        data = getattr(error, "data", None) or {}
        errors = data.get("errors") or data.get("messages")
        if data.get("message"):
            custom = data["message"]
        elif errors and custom is None:
            custom = _("Some of what you sent needs another look: see errors.")
        # Werkzeug's own headers stay (a 405's Allow lists the methods the address takes), ours win.
        headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        return render_error(error.code or 500, custom, errors=errors, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if app.testing and not app.config.get("RENDER_ERRORS_IN_TESTS"):
            raise error  # let the test see the real traceback
        log.exception("unhandled error")
        error_reports.capture(error)  # to Sentry when SENTRY_DSN is set, personal data scrubbed
        return render_server_error()
