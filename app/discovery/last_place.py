"""The place a person last searched around, shown pre-filled in the "where" field next time.

Signed in, it is kept on the user (``users.last_place_id``), so it follows them to any
browser. Signed out, it is kept in the ``last_place`` cookie, which the page's script sets
from the results' ``data-remember-place`` (static/js/search.js): the server never sets a
cookie on a search page, so a cookie-less visitor's page stays one that anyone could be sent
and the page cache can store it (app/web/page_cache.py). It is remembered when a search uses a
place from the "where" field (a place typed in the text is not: it was for that search), and
forgotten with the field's "Clear" button (a POST with its CSRF token, which also deletes the
cookie). The page reads the account and the cookie (``app/web/viewer.py``) and hands them here.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from app.accounts.models import User
from search.places import FoundPlace, get_place

COOKIE = "last_place"
COOKIE_DAYS = 365
MAX_ID_DIGITS = 9


def place_id_from_cookie(raw: str) -> int | None:
    """The place id in a ``last_place`` cookie's value, or None for anything else."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS else None


def get_last_place(place_id: int | None) -> FoundPlace | None:
    """The remembered place, or None (one statement when there is one, none otherwise)."""
    return get_place(place_id) if place_id else None


def remember_place(user: User | None, place: FoundPlace) -> int | None:
    """Keep ``place`` as the last one. Signed in, on the account (the caller commits); signed
    out (``user`` None), returns its id for the page to hand to the script (``data-remember-place``)."""
    if user is not None:
        if user.last_place_id != place.id:
            user.last_place_id = place.id
        return None
    return place.id


def forget_place(user: User | None, response: Response, *, cookie_sent: bool) -> Response:
    """Forget the remembered place on the account (the caller commits) and in the browser (when
    the request sent the cookie)."""
    if user is not None:
        user.last_place_id = None
    if cookie_sent:
        response.delete_cookie(COOKIE, path="/", samesite="Lax")
    return response
