"""Which requests read from the replica (DATABASE_REPLICA_URL, app/platform/db_routing.py).

Only reads that may be a moment old: a GET or HEAD of the public pages and search
(``REPLICA_BLUEPRINTS``) by a browser that is not signed in and has changed nothing lately.
Everything else reads the primary: signed-in pages (a session just ended must not live on in a
lagging copy), writes, and read-your-writes: after any other request (a POST) the browser gets a
cookie that keeps it on the primary for ``DATABASE_REPLICA_STICKY_SECONDS``, longer than a
healthy replica lags. Writes a routed request makes (a flush, an INSERT) still go to the primary.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session

from app.platform import db_routing

REPLICA_BLUEPRINTS = frozenset({"discovery", "venues_public"})
REPLICA_ENDPOINTS = frozenset({"main.index"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
STICKY_COOKIE = "cozywish_primary"


def init_app(app: Flask) -> None:
    """Only when a replica is configured; its hook runs before every other one, whose queries it routes."""
    if db_routing.replica_of(app) is None:
        return
    app.before_request_funcs.setdefault(None, []).insert(0, choose_database)
    app.after_request(stick_to_primary_after_a_write)
    app.teardown_request(back_to_the_primary)


def eligible() -> bool:
    if request.method not in SAFE_METHODS:
        return False
    if request.blueprint not in REPLICA_BLUEPRINTS and request.endpoint not in REPLICA_ENDPOINTS:
        return False
    if STICKY_COOKIE in request.cookies:  # this browser changed something a moment ago
        return False
    signed_in = "_user_id" in session or current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    return not signed_in


def choose_database() -> None:
    db_routing.read_from_replica(eligible())


def back_to_the_primary(_error: BaseException | None = None) -> None:
    db_routing.read_from_replica(False)


def stick_to_primary_after_a_write(response: Response) -> Response:
    if request.method not in SAFE_METHODS and request.method != "OPTIONS":
        seconds = int(current_app.config.get("DATABASE_REPLICA_STICKY_SECONDS", 10))
        response.set_cookie(
            STICKY_COOKIE,
            "1",
            max_age=seconds,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response
