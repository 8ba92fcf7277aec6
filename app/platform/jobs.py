"""The procrastinate job queue, on the same PostgreSQL as everything else.

``enqueue()`` writes the job through the SQLAlchemy session's own connection, so the
job commits or rolls back together with the change that caused it. Task bodies run
inside a Flask application context.

This module knows no task. Each domain registers its own: its ``wiring.init_app(app)``
imports the modules that define its jobs (``@job``) and puts its periodic ones on the
schedule with ``every()``; ``create_app`` calls every domain's, so a worker started from
an app (``flask jobs worker``) knows every task name and the whole schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import signal
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import procrastinate
import procrastinate.testing
import psycopg
import sqlalchemy.exc
from flask import Flask, current_app, has_request_context
from procrastinate.retry import RetryStrategy
from sqlalchemy import text

from app.platform import db_routing, metrics, tracing
from app.platform.extensions import db

log = logging.getLogger(__name__)

# Tasks register on this one app. Its connector is swapped for the real one while a worker
# runs (run_worker); web processes never use it: enqueue() writes through the session.
queue = procrastinate.App(connector=procrastinate.testing.InMemoryConnector())

_worker_flask_app: Flask | None = None

# A worker that lost the database is started again after 1, 2, 4 ... 30 s.
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
RESTART_RESET_AFTER = 60.0
# A job whose worker died this many times is not retried again (it may be what kills them).
STALLED_MAX_ATTEMPTS = 5
# A job with no retry of its own that meets an OperationalError mid-run runs again a few seconds
# later instead of being marked failed: PostgreSQL restarting or a connection cut, and also what
# psycopg files under it (a deadlock broken, a statement or lock timeout). Its transaction never
# committed, so running it again is running it once. Any other error still fails it.
LOST_DATABASE_RETRY = RetryStrategy(
    max_attempts=3, wait=5, retry_exceptions=(sqlalchemy.exc.OperationalError, psycopg.OperationalError)
)


Row = TypeVar("Row")


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def init_app(app: Flask) -> None:
    # A direct connection (JOBS_DATABASE_URL): the worker LISTENs and locks, which a transaction
    # pooler cannot carry. enqueue() writes through the request's session, pooled or not.
    app.extensions["procrastinate_conninfo"] = libpq_url(db_routing.direct_url(app.config))


def job(name: str | None = None, **options: Any) -> Callable:
    """Register a task whose body runs in a Flask application context. Without a ``retry`` of
    its own, it is retried only when it lost the database (``LOST_DATABASE_RETRY``)."""
    options.setdefault("retry", LOST_DATABASE_RETRY)

    def decorator(func: Callable) -> procrastinate.tasks.Task:
        task_name = name or f"{func.__module__}.{func.__name__}"

        @functools.wraps(func)
        def run_in_app_context(**kwargs: Any) -> Any:
            carried = kwargs.pop(tracing.TRACE_KEY, None)  # the enqueuing request's id (enqueue)
            app = _worker_flask_app
            if app is None:
                # already inside an app context (tests, in-process runs)
                return _run_observed(task_name, carried, func, kwargs)
            # A fresh app context per job: a request context would otherwise reuse the worker
            # command's own, and jobs running side by side would share one database session.
            # The request context on BASE_URL lets url_for(..., _external=True) work in emails.
            with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
                try:
                    return _run_observed(task_name, carried, func, kwargs)
                finally:
                    db.session.remove()

        return queue.task(name=task_name, **options)(run_in_app_context)

    return decorator


def act_on_locked_row(model: type[Row], row_id: int, act: Callable[[Row], str]) -> str | None:
    """A job's work on one row: ``act`` on row ``row_id`` of ``model``, locked (FOR UPDATE) so that
    two workers never act on it at once, then commit. What ``act`` says it did; None, with nothing
    done, when the row is gone. (Not the row: the commit expired it, reading it would load it again.)"""
    row = db.session.get(model, row_id, with_for_update=True)
    if row is None:
        return None
    outcome = act(row)
    db.session.commit()
    return outcome


def _run_observed(task_name: str, carried: Any, func: Callable, kwargs: dict[str, Any]) -> Any:
    """Run a job's body in its span, with its request id restored, counting how it ended."""
    with tracing.job_span(task_name, carried):
        try:
            result = func(**kwargs)
        except Exception:
            metrics.job_run(task_name, "failed")
            raise
    metrics.job_run(task_name, "succeeded")
    return result


# procrastinate's own deferral (its procrastinate_defer_jobs_v1), its one job's fields bound as
# plain values: procrastinate's JobManager sends them as an array of composites, whose text form
# escapes the arguments (an email's bodies) twice, by regular expression, on every job.
DEFER_SQL = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW(CAST(:queue AS varchar), CAST(:task AS varchar),"
    " CAST(:priority AS integer), CAST(:lock AS text), CAST(:queueing_lock AS text), CAST(:args AS jsonb),"
    " CAST(:scheduled_at AS timestamptz))::procrastinate_job_to_defer_v1]))"
)


def enqueue(
    task: procrastinate.tasks.Task,
    *,
    schedule_in: dict | None = None,
    schedule_at: datetime | None = None,
    **kwargs: Any,
) -> int:
    """Defer ``task`` inside the current database transaction; returns the job id.

    ``schedule_in`` (a timedelta's keywords) or ``schedule_at`` (an aware datetime) delay it."""
    options: dict[str, Any] = {}
    if schedule_in:
        options["schedule_in"] = schedule_in
    if schedule_at:
        options["schedule_at"] = schedule_at
    carried = tracing.job_context()
    if carried is not None:  # enqueued by a web request: the job's logs and span name it
        kwargs[tracing.TRACE_KEY] = carried
    job = task.configure(**options).job  # the task's queue, priority and locks; when it is due
    values = {
        "queue": job.queue,
        "task": job.task_name,
        "priority": job.priority,
        "lock": job.lock,
        "queueing_lock": job.queueing_lock,
        "args": json.dumps(kwargs),
        "scheduled_at": job.scheduled_at,
    }
    return int(db.session.execute(DEFER_SQL, values).scalar_one())


def every(cron: str, periodic_id: str, task: procrastinate.tasks.Task, **options: Any) -> None:
    """Run ``task`` on ``cron``: every worker runs the schedule, the database keeps one job per
    tick. Registering the same ``periodic_id`` again replaces it, so this is safe to repeat."""
    queue.periodic_registry.periodic_tasks.pop((task.name, periodic_id), None)
    queue.periodic(cron=cron, periodic_id=periodic_id, **options)(task)


def run_worker(app: Flask, *, wait: bool = True, concurrency: int = 1) -> None:
    """Run the real procrastinate worker for this Flask app (``flask jobs worker``).

    With ``wait`` the worker is supervised: when it loses the database (a PostgreSQL
    restart, a dropped connection) it is started again with backoff instead of exiting, and
    SIGINT/SIGTERM stop it after its running jobs finish. Without ``wait`` it runs the jobs
    due now once and returns.
    """
    global _worker_flask_app
    _worker_flask_app = app
    # Ahead of any backlog: a queue full of emails must not delay the rescue of a stalled one.
    # Registered per run with this app's interval; a second run in one process replaces it.
    every(
        stalled_check_cron(app.config["JOBS_STALLED_CHECK_SECONDS"]),
        "retry-stalled",
        retry_stalled_jobs_job,
        priority=100,
    )
    try:
        if wait:
            asyncio.run(_run_supervised(app, concurrency=concurrency))
        else:
            asyncio.run(_run_once(app, wait=False, concurrency=concurrency))
    finally:
        _worker_flask_app = None


async def _run_once(app: Flask, *, wait: bool, concurrency: int) -> None:
    # A fresh connector (and pool) per run: nothing survives from a connection that broke.
    connector = procrastinate.PsycopgConnector(conninfo=app.extensions["procrastinate_conninfo"])
    with queue.replace_connector(connector) as proc_app:
        async with proc_app.open_async():
            # Successful jobs are deleted: their arguments can hold emailed links.
            await proc_app.run_worker_async(
                wait=wait,
                concurrency=concurrency,
                install_signal_handlers=False,
                delete_jobs="successful",
                update_heartbeat_interval=app.config["JOBS_HEARTBEAT_SECONDS"],
                stalled_worker_timeout=app.config["JOBS_STALLED_AFTER_SECONDS"],
            )


async def _run_supervised(app: Flask, *, concurrency: int) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    current: asyncio.Task | None = None

    def request_stop() -> None:
        if not stopping.is_set():
            log.info("job worker: stop requested, finishing the running jobs")
            stopping.set()
            if current is not None:
                current.cancel()  # procrastinate turns this into a graceful stop

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, request_stop)

    try:
        delay = RESTART_FIRST_DELAY
        while not stopping.is_set():
            started = loop.time()
            current = asyncio.create_task(_run_once(app, wait=True, concurrency=concurrency))
            try:
                await current
                problem = "it stopped on its own (a side task lost the database)"
            except asyncio.CancelledError:
                if stopping.is_set():
                    break
                raise
            except Exception as exc:  # the database went away under the worker
                problem = f"{type(exc).__name__}: {exc}"
            if stopping.is_set():
                break
            if loop.time() - started > RESTART_RESET_AFTER:
                delay = RESTART_FIRST_DELAY  # it ran fine for a while: this is a new incident
            log.warning("job worker lost its run (%s); restarting in %.1f s", problem, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, RESTART_MAX_DELAY)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
    log.info("job worker stopped")


def stalled_check_cron(every_seconds: int) -> str:
    """A cron line (seconds field when under a minute) for the stalled-job check."""
    if every_seconds >= 60:
        return f"*/{max(1, every_seconds // 60)} * * * *"
    return f"* * * * * */{max(1, every_seconds)}"


def retry_stalled_jobs(stalled_after_seconds: float, max_attempts: int = STALLED_MAX_ATTEMPTS) -> list[int]:
    """Put back in the queue the jobs left ``doing`` by a worker whose heartbeat stopped.

    A worker killed mid-job (OOM, kill -9, a lost machine) never finishes its job; once its
    heartbeat is older than ``stalled_after_seconds`` the job runs again on a live worker.
    A job that keeps killing its workers is marked failed after ``max_attempts``.
    """
    rows = db.session.execute(
        text(
            "SELECT job.id, job.task_name, job.attempts, job.worker_id FROM procrastinate_jobs job"
            " LEFT JOIN procrastinate_workers worker ON worker.id = job.worker_id"
            " WHERE job.status = 'doing' AND CASE"
            "   WHEN worker.id IS NOT NULL THEN worker.last_heartbeat < now() - make_interval(secs => :after)"
            # No worker row: pruned after going silent, or taken by `flask jobs run-once`
            # (which has none); only a job with no news for as long counts as stalled.
            "   ELSE NOT EXISTS (SELECT 1 FROM procrastinate_events event WHERE event.job_id = job.id"
            "                    AND event.at > now() - make_interval(secs => :after))"
            " END ORDER BY job.id FOR UPDATE OF job SKIP LOCKED"
        ),
        {"after": stalled_after_seconds},
    ).all()
    retried = []
    for row in rows:
        if row.attempts + 1 >= max_attempts:
            log.error("job %s (%s) stalled %s times; marked failed", row.id, row.task_name, row.attempts + 1)
            db.session.execute(
                text("SELECT procrastinate_finish_job_v1(:id, 'failed'::procrastinate_job_status, false)"),
                {"id": row.id},
            )
            continue
        worker = f"worker {row.worker_id}" if row.worker_id else "its worker was pruned"
        log.warning("job %s (%s) stalled, no heartbeat (%s); retrying it", row.id, row.task_name, worker)
        db.session.execute(
            text("SELECT procrastinate_retry_job_v2(:id, now(), NULL::integer, NULL::varchar, NULL::varchar)"),
            {"id": row.id},
        )
        retried.append(row.id)
    return retried


def run_pending_jobs(limit: int = 100) -> list[str]:
    """Run queued jobs in this process on the session's connection (tests, `flask jobs run-once`).

    Uses procrastinate's own fetch and finish functions, so a job is taken once even if a
    worker runs beside it. As in the worker, the jobs run in a request on ``BASE_URL``, so
    that the links they build (in an email, on a receipt) are absolute.
    """
    if not has_request_context():
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            return run_pending_jobs(limit)
    done: list[str] = []
    for _ in range(limit):
        row = (
            db.session.execute(text("SELECT id, task_name, args FROM procrastinate_fetch_job_v2(NULL, NULL)"))
            .mappings()
            .first()
        )
        if row is None or row["id"] is None:
            break
        task = queue.tasks[row["task_name"]]
        try:
            task.func(**row["args"])
        except Exception:
            log.exception("job %s (%s) failed", row["id"], row["task_name"])
            status = "failed"
        else:
            status = "succeeded"
        db.session.execute(
            text("SELECT procrastinate_finish_job_v1(:id, CAST(:status AS procrastinate_job_status), :delete)"),
            {"id": row["id"], "status": status, "delete": status == "succeeded"},
        )
        done.append(f"{row['task_name']}:{status}")
    return done


@job(name="jobs.retry_stalled")
def retry_stalled_jobs_job(timestamp: int | None = None) -> None:
    retry_stalled_jobs(current_app.config["JOBS_STALLED_AFTER_SECONDS"])
    db.session.commit()
