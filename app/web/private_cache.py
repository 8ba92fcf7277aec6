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

from app.platform import cache_versions, i18n
from app.platform.cache_versions import OWN_CHANGE, own_change_pending

LOCAL_ENTRIES = 512
KEY_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target")
KEPT_HEADERS = ("Content-Type", "Vary", "HX-Push-Url", "HX-Trigger", "Link")
STATUS_HEADER = "X-Private-Cache"


def init_app(app) -> None:
    app.after_request(_mark_own_change)


def _mark_own_change(response):
    if g.get("cache_versions_bumped"):
        session[OWN_CHANGE] = time.time() + float(current_app.config["CACHE_VERSION_TTL"]) + 1.0
    return response


def _store() -> OrderedDict[str, dict[str, Any]]:
    return current_app.extensions.setdefault("private_page_cache", OrderedDict())


def forget_all() -> None:
    """Drop this process's copies (tests)."""
    _store().clear()


def _key() -> str:
    environ = request.environ
    parts = [
        str(session.get("_user_id", "")),
        str(session.get("csrf_token", "")),
        environ.get("HTTP_HOST", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        *(environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in KEY_HEADERS),
        i18n.current_language(),  # a switch of language never serves the page in the old one
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
    return all(cache_versions.current(namespace) == version for namespace, version in entry["versions"].items())


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
                response = current_app.response_class(entry["body"], status=200, headers=entry["headers"])
                response.headers[STATUS_HEADER] = "hit"
                return response
            ttl = float(current_app.config["PRIVATE_PAGE_CACHE_TTL"])
            csrf_secret = session.get("csrf_token")
            g.private_page = page = {
                "versions": {namespace: cache_versions.current(namespace) for namespace in namespaces(*args, **kwargs)},
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
                store[key] = {
                    "body": response.get_data(),
                    "headers": [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS],
                    "versions": page["versions"],
                    "until": page["until"],
                }
                store.move_to_end(key)
                while len(store) > LOCAL_ENTRIES:
                    store.popitem(last=False)
                response.headers[STATUS_HEADER] = "miss"
            return response

        return wrapped

    return decorator
