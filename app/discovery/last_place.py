"""The place a person last searched around, shown pre-filled in the "where" field next time.

Signed in, it is kept on the user (``users.last_place_id``), so it follows them to any
browser; signed out, in the session cookie. It is remembered when a search uses a place from
the "where" field (a place typed in the text is not: it was for that search), and forgotten
with the field's "Clear" button (a POST with its CSRF token).
"""

from __future__ import annotations

from flask import session
from flask_login import current_user

from search.places import FoundPlace, get_place

SESSION_KEY = "last_place"


def get_last_place() -> FoundPlace | None:
    """The remembered place, or None (one statement when there is one, none otherwise)."""
    place_id = current_user.last_place_id if current_user.is_authenticated else session.get(SESSION_KEY)
    return get_place(place_id) if isinstance(place_id, int) else None


def remember_place(place: FoundPlace) -> None:
    """Keep ``place`` as the last one (the caller commits); a no-op when it already is."""
    if current_user.is_authenticated:
        if current_user.last_place_id != place.id:
            current_user.last_place_id = place.id
    elif session.get(SESSION_KEY) != place.id:
        session[SESSION_KEY] = place.id


def forget_place() -> None:
    """Forget the remembered place (the caller commits)."""
    if current_user.is_authenticated:
        current_user.last_place_id = None
    session.pop(SESSION_KEY, None)
