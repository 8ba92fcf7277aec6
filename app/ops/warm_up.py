"""A web worker warms itself before it takes traffic.

A fresh process pays, on its first requests, for what it does only once: opening its database
connections and compiling each SQLAlchemy statement it sends (kept afterwards in the engine's
cache, per process). A checkout race met by freshly started workers paid all of that inside
the race, under the service lock the late losers wait on (docs/benchmarks.md, "Checkout under
contention": p99 609-626 ms cold against ~390 ms after one race). So gunicorn's
``post_worker_init`` hook (app/ops/gunicorn_hooks.py) calls ``warm_up`` before the worker
accepts a connection: it opens ``WARM_UP_CONNECTIONS`` of the pool's connections and runs
checkout's statements once where they find nothing (``app.checkout.checkout.warm_up``), then
rolls back; the pool hands that connection out first (``pool_use_lifo``,
app/platform/db_routing.py). It writes nothing and locks no row; a failure (say, the database
is not up yet) is logged and the worker serves anyway, colder. /readyz answers 503 while a
warm-up is running.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, current_app

from app.checkout import checkout
from app.ops.checks import Check
from app.platform.extensions import db

log = logging.getLogger(__name__)

EXTENSION = "cozywish_warm_up"


@dataclass
class WarmUp:
    state: str = "not run"  # "warming", "done" or "failed"
    seconds: float = 0.0
    connections: int = 0
    service_id: int = 0  # the service whose free slot was looked at (0: none offered yet)
    error: str = ""


def state_of(app: Flask) -> WarmUp:
    return app.extensions.setdefault(EXTENSION, WarmUp())


def check_warm_up() -> Check:
    """For /readyz: not ready while this worker warms itself (done, failed or never run: ready)."""
    state = state_of(current_app)
    if state.state == "warming":
        return Check("warm_up", False, "warming up", "Wait for the worker to finish warming itself.")
    return Check("warm_up", True, state.state)


def install(app: Flask) -> None:
    """Make ``app.extensions["warm_up"]`` the callable gunicorn's hook runs (no import there)."""
    state_of(app)
    app.extensions["warm_up"] = lambda: warm_up(app)


def warm_up(app: Flask) -> WarmUp:
    state = state_of(app)
    state.state = "warming"
    started = time.perf_counter()
    try:
        with app.app_context(), app.test_request_context("/"):
            state.connections = _open_connections(app.config.get("WARM_UP_CONNECTIONS", 2))
            try:
                state.service_id = checkout.warm_up()
            finally:
                db.session.rollback()
                db.session.remove()
        state.state = "done"
    except Exception as exc:  # never keep a worker from serving: it is only slower
        state.state, state.error = "failed", f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        log.warning("warm-up failed, serving cold: %s", state.error)
    state.seconds = time.perf_counter() - started
    log.info("warm-up %s in %.0f ms (%d connections)", state.state, state.seconds * 1000, state.connections)
    return state


def _open_connections(wanted: int) -> int:
    """Check out ``wanted`` connections at once (each new one pays its connect and its session
    settings now) and give them back to the pool, where the first requests find them."""
    held = []
    try:
        for _ in range(max(0, wanted)):
            connection = db.engine.connect()
            held.append(connection)
            connection.exec_driver_sql("SELECT 1")
            connection.rollback()
    finally:
        for connection in held:
            connection.close()
    return len(held)
