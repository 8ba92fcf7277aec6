"""Per-request session rules: idle timeout, and values every template needs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

# "Last seen" in the session cookie is rewritten at most this often: a page that changes nothing
# else then sends no new cookie (signing and compressing the session on every request was a
# tenth of a signed-in page's time). The idle timeout is 30 minutes; a minute is noise in it.
LAST_SEEN_EVERY = 60.0
# Requests a page makes by itself (the navigation bell's poll): they neither keep a session
# alive nor rewrite its cookie; a session that timed out just stops them (286: htmx stops polling).
BACKGROUND_ENDPOINTS = frozenset({"notifications.unread_count"})


def enforce_idle_timeout():
    """Sign out a session idle for longer than IDLE_TIMEOUT, unless the user chose 'keep me signed in'."""
    if request.endpoint in (None, "static") or request.path.startswith(("/healthz", "/readyz", "/media/")):
        return None
    if not current_user.is_authenticated or g.get("api_token") is not None:
        return None  # a bearer request to the API (app/api/auth.py) has no session to time out
    now = datetime.now(UTC).timestamp()
    last_seen = session.get("last_seen")
    timeout = current_app.config["IDLE_TIMEOUT"].total_seconds()
    background = request.endpoint in BACKGROUND_ENDPOINTS
    if not session.get("remember") and last_seen is not None and now - last_seen > timeout:
        logout_user()
        session.clear()
        if background:
            return Response("", 286)
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    if not background and (last_seen is None or now - last_seen >= LAST_SEEN_EVERY):
        session["last_seen"] = now
    return None


def keep_private_pages_out_of_caches(response: Response) -> Response:
    """A response to a request with a session or remember cookie may hold personal data:
    ``Cache-Control: private, no-store`` unless the view chose its own caching."""
    config = current_app.config
    carries_identity = config["SESSION_COOKIE_NAME"] in request.cookies or (
        config["REMEMBER_COOKIE_NAME"] in request.cookies
    )
    if carries_identity and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    if carries_identity:
        response.vary.add("Cookie")
    return response


def inject_template_globals() -> dict:
    return {"app_name": current_app.config["APP_NAME"]}
