"""Who is looking, and what they saved: the web layer's reading of ``current_user``, the session
and the request for the services, which take plain values (a user id, a list of venue ids, a
place id).

The viewer's saved venue ids are read once per request and kept in ``g``; a template's hearts
(``is_saved``) and the page's ETag ask nothing at all without a session or a signed-in user.
"""

from __future__ import annotations

from flask import g, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.discovery import last_place
from app.saved import service as saved
from search.places import FoundPlace

SAVED_IDS = "saved_venue_ids"  # the per-request cache in g


def signed_in_user() -> User | None:
    """The signed-in user, or None for a visitor."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def customer_id() -> int | None:
    """The signed-in customer's id; None for a visitor and for venue and admin accounts."""
    if current_user.is_authenticated and current_user.role == "customer":
        return current_user.id
    return None


# -- saved venues ---------------------------------------------------------------------------------


def saved_ids() -> list[int]:
    """The viewer's saved venue ids, newest first; read once per request."""
    if SAVED_IDS not in g:
        if current_user.is_authenticated:
            g.saved_venue_ids = saved.account_saved_ids(current_user.id)
        else:
            g.saved_venue_ids = saved.clean_session_ids(session.get(saved.SESSION_KEY))
    return g.saved_venue_ids


def viewer_saved_ids() -> list[int]:
    """The viewer's saved ids, or none without a session or a signed-in user (no query then)."""
    if not current_user.is_authenticated and saved.SESSION_KEY not in session:
        return []
    return saved_ids()


def is_saved(venue_id: int) -> bool:
    """For templates: without a session or a signed-in user this asks nothing at all."""
    if not current_user.is_authenticated and saved.SESSION_KEY not in session:
        return False
    return venue_id in set(saved_ids())


def set_saved(venue_id: int, wanted: bool) -> bool:
    """Save or unsave a listed venue for the viewer: on the account, or signed out in the session."""
    g.pop(SAVED_IDS, None)
    if current_user.is_authenticated:
        return saved.set_saved_for_account(current_user.id, venue_id, wanted)
    session[saved.SESSION_KEY] = saved.set_saved_signed_out(
        saved.clean_session_ids(session.get(saved.SESSION_KEY)), venue_id, wanted
    )
    return wanted


def take_saved_from_session() -> list[int]:
    """The venues saved while signed out, oldest first (so the newest ends up newest on the
    account); read before sign-in clears the session."""
    return list(reversed(saved.clean_session_ids(session.get(saved.SESSION_KEY))))


# -- the last place searched around ---------------------------------------------------------------


def get_last_place() -> FoundPlace | None:
    """The remembered place: on the account when signed in, else from the browser's cookie."""
    user = signed_in_user()
    if user is not None:
        return last_place.get_last_place(user.last_place_id)
    return last_place.get_last_place(last_place.place_id_from_cookie(request.cookies.get(last_place.COOKIE, "")))


def remember_place(place: FoundPlace) -> int | None:
    return last_place.remember_place(signed_in_user(), place)


def forget_place(response: Response) -> Response:
    return last_place.forget_place(signed_in_user(), response, cookie_sent=last_place.COOKIE in request.cookies)
