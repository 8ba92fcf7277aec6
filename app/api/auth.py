"""Who is calling the API, with which scopes, and how often.

- ``Authorization: Bearer cw_pat_...``: a personal access token (app/accounts/api_tokens.py), or
  ``Bearer cw_oat_...``: an OAuth 2.0 access token an app got with the user's consent
  (app/accounts/oauth_apps.py), treated the same way: its scopes, its rate limit. The token's
  user becomes ``current_user`` for this request only (nothing is written to a session, no
  cookie is sent), so the guards the pages use (roles, ``venue_required``, own bookings) apply
  unchanged. CSRF does not apply: a browser never adds this header by itself.
- No bearer header: the browser's session, if any, as on the pages. A state-changing request
  then needs the CSRF token (the ``X-CSRFToken`` header), exactly as the site's HTMX requests.
- Scopes: a token acts only within its scopes (read for reading the customer's own things,
  write for changing them, venue for the provider area, admin for moderation). A browser session
  has every scope its account's role allows.
- Rate limits: per token (or per network address without one), with ``RateLimit`` and
  ``RateLimit-Policy`` headers on every answer (draft-ietf-httpapi-ratelimit-headers).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from limits import parse

from app.accounts.api_tokens import ApiToken, find_live_token
from app.accounts.models import User
from app.accounts.oauth_apps import find_live_access_token
from app.accounts.oauth_models import OAuthToken
from app.platform.extensions import csrf, db, limiter
from app.web.unit_of_work import keep_now

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A personal access token (cw_pat_...) or an OAuth 2.0 access token (cw_oat_...)",
}


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or ""


def unauthorized(message: str):
    abort(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="api"'})


def authenticate() -> None:
    """The API's first step (a before_request hook of its blueprints): token, CSRF, rate limit."""
    g.api_token = None
    plain = bearer_token()
    if plain is not None or "Authorization" in request.headers:
        token = find_live_token(plain or "") or find_live_access_token(plain or "")
        if token is None:
            unauthorized(_("That API token is unknown, revoked or malformed."))
        user = token_user(token)
        if user is None:
            unauthorized(_("That API token's account is closed."))
        # "Last used" commits at once, in its own transaction, not with the request's work: it is
        # kept whatever the request then does (a refusal or an error rolls that work back), and the
        # token's row is not held locked while the view runs (a token's parallel requests would
        # otherwise wait on each other's commit).
        keep_now()
        g.api_token = token
        g._login_user = user  # Flask-Login's current_user, for this request only
    elif request.method not in SAFE_METHODS and current_user.is_authenticated:
        # A cookie request: the same CSRF check as every form and HTMX request. Without a session
        # there is nothing to forge: the route's ``require`` answers 401.
        csrf.protect()
    check_rate_limit()


def token_user(token: ApiToken | OAuthToken) -> User | None:
    user = db.session.get(User, token.user_id)
    return user if user is not None and user.is_active else None


def scopes() -> frozenset[str]:
    """The scopes of this request: the token's, or everything for a browser session."""
    token = g.get("api_token")
    if token is not None:
        return frozenset(token.scopes)
    return frozenset({"read", "write", "venue", "admin"}) if current_user.is_authenticated else frozenset()


def require(scope: str) -> Callable:
    """A view needs a signed-in caller whose token has ``scope``."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                unauthorized(_("Send a token: Authorization: Bearer cw_pat_..."))
            if scope not in scopes():
                abort(403, message=_("This token lacks the %(scope)s scope.", scope=scope))
            return view(*args, **kwargs)

        wrapped.api_scope = scope  # the OpenAPI spec lists it (app/api/__init__.py)
        return wrapped

    return decorate


# -- rate limits ----------------------------------------------------------------------------------


def caller_key() -> str | None:
    """Who the API counts and remembers (rate limits, Idempotency-Key): a personal token, or an
    OAuth app acting for one user (across its refreshed tokens); None without a token."""
    token = g.get("api_token")
    if isinstance(token, OAuthToken):
        return f"oauth:{token.app_id}:{token.user_id}"
    return f"token:{token.id}" if token is not None else None


def _limit_and_key() -> tuple[str, str, str]:
    key = caller_key()
    if key is not None:
        return current_app.config["API_TOKEN_RATE_LIMIT"], f"api-{key}", "token"
    return current_app.config["API_ANONYMOUS_RATE_LIMIT"], f"api-ip:{request.remote_addr}", "address"


def check_rate_limit() -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    text, key, policy = _limit_and_key()
    item = parse(text)
    strategy = limiter.limiter
    try:
        allowed = strategy.hit(item, key)
        stats = strategy.get_window_stats(item, key)
    except Exception:  # the limits' storage (Redis) is down: serve unlimited rather than fail
        log.warning("API rate limit storage unavailable", exc_info=True)
        return
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    g.api_rate = {
        "RateLimit-Policy": f'"{policy}";q={item.amount};w={item.get_expiry()}',
        "RateLimit": f'"{policy}";r={max(0, stats.remaining)};t={reset}',
    }
    if not allowed:
        abort(
            429,
            message=_("Too many requests: %(limit)s. Try again in %(seconds)s s.", limit=text, seconds=reset),
            headers={**g.api_rate, "Retry-After": str(reset)},
        )
