"""Error pages: a whole page for browsers, a small fragment for HTMX, JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.errors import DomainError
from app.rendering import is_htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "Something in that request didn't make sense to us."),
    403: ("Not allowed", "You don't have access to this page."),
    404: ("Page not found", "We couldn't find that page. It may have moved, or the link may be mistyped."),
    405: ("Not allowed", "That action isn't available here."),
    413: ("Too large", "That upload is larger than we accept."),
    422: ("Check your input", "Some of what you entered needs another look."),
    429: ("Slow down", "Too many attempts. Please wait a few minutes and try again."),
    500: ("Something went wrong", "Sorry, that's our fault. We've logged it and will look into it."),
    503: ("Temporarily unavailable", "We're having trouble right now. Please try again shortly."),
}


def render_error(status: int, message: str | None = None):
    title, default_message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    message = message or default_message
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, message=message, status=status), status
    template = "errors/fragment.html" if is_htmx() else "errors/error.html"
    response = render_template(template, status=status, title=title, message=message)
    return response, status


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, "Your form expired or came from elsewhere. Reload the page and try again.")

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return render_error(error.status_code, error.message)

    @app.errorhandler(429)
    def too_many(error):
        return render_error(429, "Too many attempts from your network. Please wait a few minutes and try again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Our own abort(400, "message") wins; Werkzeug's stock descriptions give way to ours.
        custom = error.description if error.description != type(error).description else None
        return render_error(error.code or 500, custom)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if app.testing and not app.config.get("RENDER_ERRORS_IN_TESTS"):
            raise error  # let the test see the real traceback
        log.exception("unhandled error")
        return render_error(500)
