"""The place a person last searched around, shown pre-filled in the "where" field next time.

Signed in, it is kept on the user (``users.last_place_id``), so it follows them to any
browser. Signed out, it is kept in the ``last_place`` cookie, which the page's script sets
from the results' ``data-remember-place`` (static/js/search.js): the server never sets a
cookie on a search page, so a cookie-less visitor's page stays one that anyone could be sent
and the page cache can store it (app/page_cache.py). It is remembered when a search uses a
place from the "where" field (a place typed in the text is not: it was for that search), and
forgotten with the field's "Clear" button (a POST with its CSRF token, which also deletes the
cookie).
"""

from __future__ import annotations

from flask import request
from flask_login import current_user
from werkzeug.wrappers import Response

from search.places import FoundPlace, get_place

COOKIE = "last_place"
COOKIE_DAYS = 365
MAX_ID_DIGITS = 9


def get_last_place() -> FoundPlace | None:
    """The remembered place, or None (one statement when there is one, none otherwise)."""
    if current_user.is_authenticated:
        place_id = current_user.last_place_id
    else:
        raw = request.cookies.get(COOKIE, "")
        place_id = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS else None
    return get_place(place_id) if place_id else None


def remember_place(place: FoundPlace) -> int | None:
    """Keep ``place`` as the last one. Signed in, on the account (the caller commits); signed
    out, returns its id for the page to hand to the script (``data-remember-place``)."""
    if current_user.is_authenticated:
        if current_user.last_place_id != place.id:
            current_user.last_place_id = place.id
        return None
    return place.id


def forget_place(response: Response) -> Response:
    """Forget the remembered place on the account (the caller commits) and in the browser."""
    if current_user.is_authenticated:
        current_user.last_place_id = None
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path="/", samesite="Lax")
    return response
