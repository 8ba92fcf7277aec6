"""gunicorn's settings file for CozyWish (``gunicorn --config python:app.ops.gunicorn_hooks``, in
the commands of app/ops/serve.py, the Dockerfile and docker-compose.yml): no request-line limit of
its own (``limit_request_line``, below), how many workers (``workers``: WEB_CONCURRENCY), and the
metrics its workers share (app/platform/metrics.py)
when PROMETHEUS_MULTIPROC_DIR is set: the directory is emptied when gunicorn starts (a
restarted container keeps its files), and a worker that ends takes its live gauges with it.
Imports only prometheus_client's multiprocess helper, so gunicorn's master stays small.

Each worker also warms itself before it accepts a connection (``post_worker_init``): the app
registers the warm-up as ``app.extensions["warm_up"]`` (app/ops/warm_up.py), so this file
imports none of the app. Then it freezes what it holds by then (``gc.freeze``): the app, its
libraries and caches live as long as the worker, and without it every full garbage collection
walks them all again, about 170 ms for 355,000 objects in the middle of some request (the calendar
week's p95 in docs/benchmarks.md, "Calendar week grid"); frozen, a full collection walks only
what requests made."""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# No request-line limit of gunicorn's own (its default, 4094 bytes, answers a longer line with
# an HTML 400 the app never sees): the app refuses an address too long itself, with a 414
# (problem+json under /api/, the error page elsewhere; app/platform/input_guard.py MAX_PATH and
# MAX_QUERY_STRING). A proxy in front keeps its own cap on the request's size.
limit_request_line = 0

# How many web workers: WEB_CONCURRENCY (gunicorn's own variable), 3 when unset, as the image has
# always run. On one 2-core machine that also runs PostgreSQL and the job worker
# (docker-compose.yml), 2 measured 6-9% less server CPU a booking journey, held more load and no
# worse p99 (docs/benchmarks.md, "Two web workers or three"); a machine of its own for the web
# keeps 3, so that a worker waiting on the database leaves no core idle.
DEFAULT_WORKERS = 3


def workers_from(value: str | None) -> int:
    """The number of web workers WEB_CONCURRENCY asks for (unset or empty: DEFAULT_WORKERS)."""
    text = (value or "").strip()
    if not text:
        return DEFAULT_WORKERS
    if not text.isdigit() or int(text) < 1:
        raise SystemExit(f"WEB_CONCURRENCY must be a whole number of web workers, 1 or more (it is {value!r}).")
    return int(text)


workers = workers_from(os.environ.get("WEB_CONCURRENCY"))


def on_starting(_server: Any) -> None:
    if directory := os.environ.get(MULTIPROC_ENV):
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(_server: Any, worker: Any) -> None:
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    extensions = getattr(worker.wsgi, "extensions", None) or {}
    if warm := extensions.get("warm_up"):
        warm()
    gc.freeze()
