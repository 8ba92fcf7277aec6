"""Whole public pages for anonymous visitors, from the app cache.

A GET of a public page (home, search, category, venue page, sitemap) that carries no cookie and
no credentials is a "shared" request: whoever sends it sees the same page. Its 200 answer is
stored in the app cache (Redis with REDIS_URL, else in-process) under the full URL, the HTMX
headers that choose a fragment, and the public cache version (app/platform/cache_versions.py), for at
most PAGE_CACHE_TTL seconds. The next such request is answered by the first of our
``before_request`` hooks: no session, user, database or template. Talisman's security headers are
added to hits as to any response (its ``after_request`` runs after ours).

While the database is away (a restart, a failover) a stored page is still served, for up to
PAGE_CACHE_STALE_SECONDS past its time ("stale if error"): the version in its key is the last
one this process read (``cache_versions.current(stale_if_error=True)``), and a page whose time
ran out is rendered again only if the database answers; if it doesn't, the old copy is sent
(``X-Page-Cache: stale``) instead of the 503 page (app/web/db_faults.py asks ``stale_copy``).

A page whose content also follows other data registers with ``share`` (the booking page: its
free times follow the venue's bookings, so its key also holds ``venue_times(venue)``).

A shared request is rendered without a CSRF token (base.html asks ``shared_page``), so nothing
stored belongs to a visitor; a response that sets a cookie, or a page that asked for a token
anyway, is never stored. Any cookie at all (a session, a cart, a signed-in user) bypasses the
cache both ways.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user

from app.platform import cache_versions, metrics
from app.platform.extensions import cache
from app.platform.i18n import select_language, vary_on_language
from app.web.static_files import brotli_form, send_encoded

log = logging.getLogger(__name__)

ENDPOINTS = frozenset(
    {
        "main.index",
        "discovery.search",
        "discovery.category",
        "venues_public.venue_page",
        "venues_public.sitemap",
    }
)
# Pages registered with ``share``: endpoint -> (namespaces its key also holds, from the URL's
# view arguments; None when the URL names nothing: not shared).
_SHARED: dict[str, Callable[[dict[str, Any]], list[str] | None]] = {}
# Request headers that change what a public URL renders (rendering.render_page, the search view,
# the booking page's fragments).
KEY_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request", "HX-Target")
# Response headers a stored page keeps; the rest (request id, security headers) are per response.
# X-Search-Total: the search's hit count, so the funnel (app/analytics) counts an empty search served from here.
KEPT_HEADERS = (
    "Content-Type",
    "Cache-Control",
    "ETag",
    "Last-Modified",
    "Vary",
    "HX-Push-Url",
    "Link",
    "X-Search-Total",
)
STATUS_HEADER = "X-Page-Cache"


def init_app(app: Flask) -> None:
    """Call right after logging is set up and before the extensions: a hit then skips their
    hooks (CSRF, rate limits; no public page has a limit). Their ``after_request`` hooks,
    Talisman's security headers among them, still run on every answer."""
    app.before_request(serve_from_cache)
    app.context_processor(lambda: {"shared_page": "page_cache_key" in g})
    app.add_template_global(lambda: "page_cache_key" in g, "is_shared_page")  # for imported macros


def register_store(app: Flask) -> None:
    """Call last in create_app: ``after_request`` hooks run in reverse, so the page is stored
    first, before Flask-Compress encodes it for this one client (a hit is then encoded for
    whoever asks, as any page is). Keeps KEPT_HEADERS only."""
    app.after_request(store_in_cache)


def share(endpoint: str, namespaces: Callable[[dict[str, Any]], list[str] | None]) -> None:
    """Cache ``endpoint`` for anonymous visitors too, its key holding the versions of
    ``namespaces(view_args)`` beside the public one; when that gives None, this request is not
    cached. The view must not ask for a CSRF token on a shared request (base.html's
    ``shared_page``); a page that does is not stored."""
    _SHARED[endpoint] = namespaces


def is_shared_request() -> bool:
    """Would anyone sending this request see the same page?"""
    config = current_app.config
    return (
        config["PAGE_CACHE_ENABLED"]
        and request.method in ("GET", "HEAD")
        and (request.endpoint in ENDPOINTS or request.endpoint in _SHARED)
        and not request.headers.get("Cookie")
        and not request.headers.get("Authorization")
        # Plain HTTP that Talisman will redirect to HTTPS (its hook runs after this one).
        and not (config["FORCE_HTTPS"] and not current_app.debug and not _is_https())
    )


def _is_https() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "http") == "https"


def page_key() -> str | None:
    """The page's key, or None when a registered page's URL names nothing to cache."""
    versions = [cache_versions.current(cache_versions.PUBLIC, stale_if_error=True)]
    if (namespaces_of := _SHARED.get(request.endpoint)) is not None:
        namespaces = namespaces_of(request.view_args or {})
        if namespaces is None:
            return None
        versions += [cache_versions.current(namespace, stale_if_error=True) for namespace in namespaces]
    environ = request.environ  # the URL as received (after ProxyFix), cheaper than request.url
    parts = [
        environ.get("wsgi.url_scheme", ""),
        environ.get("HTTP_HOST", ""),
        environ.get("SERVER_NAME", ""),  # what url_for uses when the request has no Host
        environ.get("SERVER_PORT", ""),
        environ.get("SCRIPT_NAME", ""),
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        *(environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in KEY_HEADERS),
        select_language(),  # a cookie-less request's language is its browser's (app/platform/i18n.py)
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:40]
    return f"page:{'.'.join(map(str, versions))}:{digest}"


# A small per-process copy in front of the shared cache: a hit then costs no Redis round trip.
# Keys carry the content version, so an edit still shows within CACHE_VERSION_TTL everywhere.
LOCAL_ENTRIES = 256
LOCAL_SECONDS = 30.0


def _local() -> dict[str, tuple[float, dict[str, Any]]]:
    return current_app.extensions.setdefault("page_cache_local", {})


def forget_local() -> None:
    """Drop this process's copies (tests, whose rolled-back bumps can bring a version back)."""
    _local().clear()


def _local_get(key: str) -> dict[str, Any] | None:
    found = _local().get(key)
    if found is None or found[0] < time.monotonic():
        return None
    return found[1]


def _local_put(key: str, entry: dict[str, Any]) -> None:
    local = _local()
    if len(local) >= LOCAL_ENTRIES:
        for stale in list(local)[: LOCAL_ENTRIES // 4]:  # the oldest quarter (dicts keep insertion order)
            local.pop(stale, None)
    local[key] = (time.monotonic() + min(LOCAL_SECONDS, current_app.config["PAGE_CACHE_TTL"]), entry)


def serve_from_cache() -> Response | None:
    if not is_shared_request():
        return None
    try:
        key = page_key()
    except Exception:  # the version could not be read: render the page as if uncached
        log.warning("page cache: cache version unavailable; rendering", exc_info=True)
        return None
    if key is None:
        return None
    entry = _local_get(key)
    if entry is None:
        entry = cache.get(key)  # a Redis failure is a miss (app.platform.cache_backend)
        if entry is not None:
            _local_put(key, entry)
    g.page_cache_key = key  # a shared request: render it without a token, then store it
    # A copy stored before copies carried their time (a deploy meets Redis's older entries) is fresh.
    if entry is not None and entry.get("fresh_until", math.inf) < time.time():
        g.page_cache_stale = entry  # rendered again; sent only if the database fails this request
        entry = None
    if entry is None:
        metrics.page_cache("miss")
        return None
    metrics.page_cache("hit")
    return _answer(entry, "hit")


def stale_copy() -> Response | None:
    """The stored copy of this shared request's page whose time ran out, when there is one: what
    to send instead of the 503 page when the database can't be reached."""
    entry = g.pop("page_cache_stale", None)
    if entry is None:
        return None
    metrics.page_cache("stale")
    return _answer(entry, "stale")


def _answer(entry: dict[str, Any], status: str) -> Response:
    response = current_app.response_class(entry["body"], status=200, headers=entry["headers"])
    send_encoded(response, entry.get("br"))  # a copy stored before copies kept their Brotli form has none
    response.headers[STATUS_HEADER] = status
    g.pop("page_cache_key", None)  # served: nothing to store
    if "HTTP_IF_NONE_MATCH" in request.environ or "HTTP_IF_MODIFIED_SINCE" in request.environ:
        return response.make_conditional(request)
    return response


def store_in_cache(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is None:
        return response
    if not _storable(response):
        return response
    vary_on_language(response)  # as every page gets it (app/platform/i18n.py), but before it is stored
    entry: dict[str, Any] = {
        "body": response.get_data(),
        "br": brotli_form(response),
        "headers": [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS],
        "fresh_until": time.time() + current_app.config["PAGE_CACHE_TTL"],
    }
    send_encoded(response, entry["br"])
    cache.set(key, entry, timeout=current_app.config["PAGE_CACHE_TTL"] + current_app.config["PAGE_CACHE_STALE_SECONDS"])
    _local_put(key, entry)
    response.headers[STATUS_HEADER] = "miss"
    return response


def _storable(response: Response) -> bool:
    if response.status_code != 200 or response.is_streamed or response.direct_passthrough:
        return False
    if "Set-Cookie" in response.headers or session.modified or current_user.is_authenticated:
        return False
    if "csrf_token" in g:  # Flask-WTF keeps a generated token there: this page holds a secret
        log.warning("page cache: %s asked for a CSRF token on a shared request; not stored", request.endpoint)
        return False
    return True
