"""Signed-in pages from this process's memory: one copy per browser session, never shared.

A view decorated with ``private_page(namespaces)`` (inside its access checks, so who may see
it is decided on every request as before) is looked up under a key made of the signed-in
session (``_user_id``: the user, their token and the session's own key), the session's CSRF
secret, the URL, the HTMX headers that pick a fragment and the request's language. A copy is served only while

- every namespace it follows (app/platform/cache_versions.py) still has the version it was rendered
  under: ``namespaces(...)`` names them before the view reads anything, and the view may add
  more with ``follows`` (read before the data they cover);
- its time has not run out: at most PRIVATE_PAGE_CACHE_TTL seconds, and never past the moment
  the view names with ``valid_until`` (a hold that ends, a booking that starts, midnight);
- the session has no flashed message waiting (a toast is shown once, by a fresh render);
- the browser did not itself change anything in the last CACHE_VERSION_TTL + 1 seconds: a
  request that bumped a version marks its session (``OWN_CHANGE``), so the next pages it asks
  for are rendered fresh on every worker, even one whose memo of the version is not a second
  old yet (read your own writes; other people's changes show within CACHE_VERSION_TTL).

Served early. A copy that only the signed-in account decides may be seen (everyone but a staff
login, whose place at a venue is read on every request) is served by a ``before_request`` hook
that runs right after the public page cache's, before the user is loaded, the rate limiter and
the view's own access checks: the copy was rendered for this very session after those checks
passed, and it also follows the account's namespace (the user row, its sessions, its role) and
"public" (which venue an owner runs), exactly what a worker's remembered session and venue follow
(app/platform/remembered.py), within the same minute. The hook answers only when the full path
would change nothing either: no flashed message, no own change pending, and the idle check's
"last seen" younger than LAST_SEEN_EVERY (else the full path signs out or rewrites the cookie).
Flask-Login's "basic" session protection is not consulted there: it only marks a session not
fresh, which no cached page asks about. A signed-in hit then costs about what a public hit does
(docs/benchmarks.md, "Pages under load").

Copies stay in the worker's memory, bounded (LOCAL_ENTRIES): private pages are never written
to Redis. A copy holds the page as rendered for that session only, so nothing of one user can
reach another; signing out, a password change or an ended session makes the user load fail
before any copy is looked at. Off in tests unless a test turns it on (PRIVATE_PAGE_CACHE_ENABLED).
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from flask import current_app, g, make_response, request, session
from flask_login import current_user

from app.ops.session import LAST_SEEN_EVERY
from app.platform import cache_versions, i18n
from app.platform.cache_versions import account_namespace, own_change_pending, user_namespace
from app.web.static_files import brotli_form, send_encoded

LOCAL_ENTRIES = 512
KEY_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target")
KEPT_HEADERS = ("Content-Type", "Vary", "HX-Push-Url", "HX-Trigger", "Link")
STATUS_HEADER = "X-Private-Cache"


def init_app(app) -> None:
    """Call right after the page cache's ``init_app``: the early hook runs before the extensions'."""
    app.before_request(expect_own_versions)
    app.before_request(serve_early)
    app.after_request(_mark_own_change)


def _mark_own_change(response):
    if bumped := g.get("cache_versions_bumped"):
        cache_versions.note_own_change(bumped, float(current_app.config["CACHE_VERSION_TTL"]) + 1.0)
    return response


def expect_own_versions() -> None:
    """A signed-in browser's request reads the versions of what decides who they are and what
    their pages show: named from the session cookie, before the user is loaded, so that the first
    read reads them all (app/platform/cache_versions.py). Only versions are read for the id it
    names: the user loader still decides whether the session is theirs."""
    user_id = str(session.get("_user_id", "")).partition(":")[0]
    if user_id.isdigit():
        cache_versions.expect(cache_versions.PUBLIC, account_namespace(int(user_id)), user_namespace(int(user_id)))


def _store() -> OrderedDict[str, dict[str, Any]]:
    return current_app.extensions.setdefault("private_page_cache", OrderedDict())


def forget_all() -> None:
    """Drop this process's copies (tests)."""
    _store().clear()


def _key(language: str | None = None) -> str:
    environ = request.environ
    parts = [
        str(session.get("_user_id", "")),
        str(session.get("csrf_token", "")),
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        *(environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in KEY_HEADERS),
        # A switch of language never serves the page in the old one. The early hook names the
        # language without the user's saved one (not loaded yet, and Flask-Babel keeps the first
        # answer for the request): a user whose saved language differs from the cookie's or the
        # browser's is then simply a miss there.
        language or i18n.current_language(),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _cacheable_request() -> bool:
    return (
        current_app.config["PRIVATE_PAGE_CACHE_ENABLED"]
        and request.method in ("GET", "HEAD")
        and current_user.is_authenticated
        and "_flashes" not in session
        and not own_change_pending()
    )


def _fresh(entry: dict[str, Any]) -> bool:
    if entry["until"] <= time.monotonic():
        return False
    return cache_versions.read(entry["versions"]) == entry["versions"]


def serve_early():
    """The stored copy of this signed-in request's page, before the user is loaded (see above);
    None to go the full way."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if not (
        getattr(view, "private_page", False)
        and current_app.config["PRIVATE_PAGE_CACHE_ENABLED"]
        and request.method in ("GET", "HEAD")
        and "_user_id" in session
        and "_flashes" not in session
        and not own_change_pending()
    ):
        return None
    last_seen = session.get("last_seen")
    if not isinstance(last_seen, (int, float)) or time.time() - last_seen >= LAST_SEEN_EVERY:
        return None  # the idle check has something to do: sign out, or note the visit
    store = _store()
    key = _key(i18n.select_language())
    entry = store.get(key)
    if entry is None or not entry["early"] or not _fresh(entry):
        return None
    store.move_to_end(key)
    return _answer(entry)


def _answer(entry: dict[str, Any]):
    response = current_app.response_class(entry["body"], status=200, headers=entry["headers"])
    send_encoded(response, entry["br"])
    response.headers[STATUS_HEADER] = "hit"
    return response


def private_page(namespaces: Callable[..., list[str]]) -> Callable:
    """Serve the view's 200 answers from this process's copy for the same session and URL while
    ``namespaces(*view args)`` (and what the view ``follows``) keep their versions."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not _cacheable_request():
                return view(*args, **kwargs)
            key = _key()
            store = _store()
            entry = store.get(key)
            if entry is not None and _fresh(entry):
                store.move_to_end(key)
                return _answer(entry)
            ttl = float(current_app.config["PRIVATE_PAGE_CACHE_TTL"])
            csrf_secret = session.get("csrf_token")
            # Served early only when the account alone decides access (a staff login's membership
            # is read on every request): then the copy also follows what decides it.
            early = not current_user.is_staff
            followed = namespaces(*args, **kwargs)
            if early:
                followed = [*followed, account_namespace(current_user.id), cache_versions.PUBLIC]
            g.private_page = page = {
                "versions": cache_versions.read(followed),
                "until": time.monotonic() + ttl,
            }
            response = make_response(view(*args, **kwargs))
            g.pop("private_page", None)
            if (
                response.status_code == 200
                and not response.is_streamed
                and not response.direct_passthrough
                and "_flashes" not in session
                and session.get("csrf_token") == csrf_secret  # the page's token is the one the key names
                and page["until"] > time.monotonic()
            ):
                store[key] = entry = {
                    "body": response.get_data(),
                    "br": brotli_form(response),
                    "headers": [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS],
                    "versions": page["versions"],
                    "until": page["until"],
                    "early": early,
                }
                store.move_to_end(key)
                while len(store) > LOCAL_ENTRIES:
                    store.popitem(last=False)
                send_encoded(response, entry["br"])
                response.headers[STATUS_HEADER] = "miss"
            return response

        wrapped.private_page = True  # type: ignore[attr-defined]  # read by serve_early; kept by outer functools.wraps
        return wrapped

    return decorator
