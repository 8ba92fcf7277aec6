"""Prometheus metrics: every metric the app exposes is defined here, and domains record through
the small functions below (``metrics.checkout_outcome("won")``), never through
prometheus_client itself. ``/metrics`` (app/ops/views.py) serves them behind METRICS_TOKEN.

Several processes (gunicorn's workers, the job worker) write one set of numbers when
PROMETHEUS_MULTIPROC_DIR names a directory: prometheus_client then keeps each value in a
memory-mapped file per process there, and a scrape sums the files (``exposition``). `flask
serve` makes that directory fresh under instance/ at every start and gunicorn's ``child_exit``
hook (app/ops/gunicorn_hooks.py) marks a dead worker's gauges as gone. Without the variable
(tests, `flask run`), the values live in this process's memory.

Values that belong to the database rather than a process (the job queue) are read at scrape
time by ``JobQueueCollector``.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds. Pages answer in milliseconds when cached and in tens of them when rendered; the
# checkout race's goal is 0.5 s at p99, so the buckets are dense around it.
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A webhook delivered to a subscriber: from the event to its acceptance, retries included.
LAG_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

http_request_duration = Histogram(
    "cozywish_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint, method and status (the _count is the request count).",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
)
page_cache_requests = Counter(
    "cozywish_page_cache_requests_total",
    "Shared public page requests answered from the page cache (hit) or rendered (miss).",
    ["result"],
)
db_pool_checked_out = Gauge(
    "cozywish_db_pool_checked_out",
    "Database connections in use, summed over live processes.",
    multiprocess_mode="livesum",
)
db_pool_size = Gauge(
    "cozywish_db_pool_size",
    "Database connections the pools keep (pool_size), summed over live processes.",
    multiprocess_mode="livesum",
)
job_runs = Counter(
    "cozywish_job_runs_total",
    "Jobs run by a worker, by task and outcome (succeeded, failed).",
    ["task", "outcome"],
)
search_duration = Histogram(
    "cozywish_search_duration_seconds",
    "Time a search backend took to answer (cached results are not counted), by backend.",
    ["backend"],
    buckets=LATENCY_BUCKETS,
)
checkout_outcomes = Counter(
    "cozywish_checkout_outcomes_total",
    "Checkouts by outcome: won (times held), lost (a time was taken, often by a race), declined (refused).",
    ["outcome"],
)
webhook_delivery_lag = Histogram(
    "cozywish_webhook_delivery_lag_seconds",
    "From a webhook event's creation to its acceptance by the subscriber (observed by app/webhooks).",
    ["outcome"],
    buckets=LAG_BUCKETS,
)
notifications_sent = Counter(
    "cozywish_notifications_sent_total",
    "Notifications handed to their channel: email, sms, in_app.",
    ["channel"],
)

CHECKOUT_OUTCOMES = ("won", "lost", "declined")
PAGE_CACHE_RESULTS = ("hit", "miss", "stale")  # stale: sent while the database was away
CHANNELS = ("email", "sms", "in_app")

# Names of the families the job queue collector yields (for the dashboard test and the docs).
JOB_QUEUE_METRICS = ("cozywish_jobs_queued", "cozywish_jobs_oldest_age_seconds")


# -- recording ---------------------------------------------------------------------------------

# One labelled child per (endpoint, method, status): a dictionary look-up per request instead
# of prometheus_client's validating ``labels()``.
_request_children: dict[tuple[str, str, str], Any] = {}


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    key = (endpoint, method, str(status))
    child = _request_children.get(key)
    if child is None:
        child = _request_children[key] = http_request_duration.labels(*key)
    child.observe(seconds)


_page_cache_children = {result: page_cache_requests.labels(result) for result in PAGE_CACHE_RESULTS}


def page_cache(result: str) -> None:
    _page_cache_children[result].inc()


def checkout_outcome(outcome: str) -> None:
    if outcome not in CHECKOUT_OUTCOMES:
        raise ValueError(f"unknown checkout outcome {outcome!r}")
    checkout_outcomes.labels(outcome).inc()


def job_run(task: str, outcome: str) -> None:
    job_runs.labels(task, outcome).inc()


def search_latency(backend: str, seconds: float) -> None:
    search_duration.labels(backend).observe(seconds)


def notification_sent(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"unknown notification channel {channel!r}")
    notifications_sent.labels(channel).inc()


def webhook_lag(seconds: float, outcome: str = "delivered") -> None:
    """For app/webhooks: call when a subscriber accepted a delivery (or it was given up)."""
    webhook_delivery_lag.labels(outcome).observe(seconds)


class timer:  # lower case: read as a function, ``with metrics.timer() as took``
    """Measures a block: ``t.seconds`` after it."""

    def __enter__(self) -> timer:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


_COUNTED = "cozywish_counted_out"  # a pool record's info: its checkout was counted


def watch_pool(engine: Engine) -> None:
    """Count ``engine``'s connections in use (checkout and checkin events) and its pool size."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        db_pool_size.inc(size())

    # A connection is counted out once and back once: while the database is away, SQLAlchemy
    # checks in connections whose checkout failed (its pre-ping, then the reconnect), which would
    # take the gauge below zero (tests/ops/test_database_away.py then test_metrics.py found it).
    @event.listens_for(engine, "checkout")
    def _out(_dbapi_connection: object, record: Any, _proxy: object) -> None:
        record.info[_COUNTED] = True
        db_pool_checked_out.inc()

    @event.listens_for(engine, "checkin")
    def _in(_dbapi_connection: object, record: Any) -> None:
        if record is not None and record.info.pop(_COUNTED, False):
            db_pool_checked_out.dec()


# -- scraping ----------------------------------------------------------------------------------


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _ThisProcess(Collector):
    """The process's own registry, when values are not shared through files."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class JobQueueCollector(Collector):
    """Due jobs waiting and the age of the oldest, by queue, read from procrastinate_jobs when
    scraped. ``connection`` is a SQLAlchemy connection (the scrape's own)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def collect(self) -> Iterator[Metric]:
        queued = GaugeMetricFamily(
            JOB_QUEUE_METRICS[0], "Jobs due and waiting for a worker, by queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            JOB_QUEUE_METRICS[1], "How long the oldest due job has waited, by queue (0 when none).", labels=["queue"]
        )
        rows = self.connection.execute(
            text(
                "SELECT job.queue_name, count(*),"
                " COALESCE(EXTRACT(EPOCH FROM now() - min(COALESCE(job.scheduled_at, deferred.at))), 0)"
                " FROM procrastinate_jobs job"
                " LEFT JOIN LATERAL (SELECT min(event.at) AS at FROM procrastinate_events event"
                "                    WHERE event.job_id = job.id AND event.type = 'deferred') deferred ON true"
                " WHERE job.status = 'todo' AND (job.scheduled_at IS NULL OR job.scheduled_at <= now())"
                " GROUP BY job.queue_name ORDER BY job.queue_name"
            )
        ).all()
        for queue_name, count, age in rows:
            queued.add_metric([queue_name], float(count))
            oldest.add_metric([queue_name], max(0.0, float(age)))
        if not rows:  # an empty queue is a value too: alerts on age see 0, not "no data"
            queued.add_metric(["default"], 0.0)
            oldest.add_metric(["default"], 0.0)
        yield queued
        yield oldest


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text format of every metric: all processes' (multiprocess mode) or this one's,
    plus ``extra`` collectors read now."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir():
        prometheus_multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


def reset_multiprocess_dir(path: str, keep_pid: int | None = None) -> str:
    """Make ``path`` an empty directory for a fresh start's value files (``flask serve``); with
    ``keep_pid``, keep that process's own files (a worker alone in its container, at start)."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db") and not (keep_pid is not None and name.endswith(f"_{keep_pid}.db")):
            # Another process may remove it first (a server stopping as the next one starts: seen
            # in the browser journeys, whose servers share the instance folder): gone is the goal.
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(path, name))
    return path


def mark_process_dead(pid: int) -> None:
    """A worker process ended: its live gauges stop counting (gunicorn's child_exit)."""
    if multiprocess_dir():
        prometheus_multiprocess.mark_process_dead(pid)


def token_matches(header: str, expected: str) -> bool:
    """``Authorization: Bearer <expected>``, compared in constant time."""
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *_args: Any) -> None:  # scrapes every 15 s: not worth a log line each
        pass


def serve_in_thread(port: int, token: str, host: str = "0.0.0.0") -> WSGIServer:  # noqa: S104 (a pod's port)
    """Serve this process's metrics on ``port`` from a daemon thread, behind the same bearer
    token as the web's /metrics: for a job worker on its own machine (``flask jobs worker``
    with WORKER_METRICS_PORT), whose counters no web process sees."""

    def application(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        if not token_matches(environ.get("HTTP_AUTHORIZATION", ""), token):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")])
            return [b"a valid bearer token is needed"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("Cache-Control", "no-store")])
        return [exposition()]

    server = make_server(host, port, application, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics served on port %s", server.server_port)
    return server


def registered_names() -> set[str]:
    """Every sample name the app can expose (histogram and counter suffixes included)."""
    names: set[str] = set(JOB_QUEUE_METRICS)
    for metric in (
        http_request_duration,
        page_cache_requests,
        db_pool_checked_out,
        db_pool_size,
        job_runs,
        search_duration,
        checkout_outcomes,
        webhook_delivery_lag,
        notifications_sent,
    ):
        for family in metric.describe():
            base = family.name
            if family.type == "histogram":
                names |= {f"{base}_bucket", f"{base}_sum", f"{base}_count"}
            elif family.type == "counter":
                names |= {f"{base}_total", f"{base}_created"}
            else:
                names.add(base)
    return names
