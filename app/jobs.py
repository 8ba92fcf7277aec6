"""The procrastinate job queue, on the same PostgreSQL as everything else.

``enqueue()`` writes the job through the SQLAlchemy session's own connection, so the
job commits or rolls back together with the change that caused it. Task bodies run
inside a Flask application context.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

import procrastinate
import procrastinate.testing
from flask import Flask
from procrastinate import jobs as pjobs
from procrastinate.manager import JobManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector

from app.extensions import db

log = logging.getLogger(__name__)

# Tasks register on this one app. Its connector is swapped for the real one while a worker
# runs (run_worker); web processes never use it: enqueue() writes through the session.
queue = procrastinate.App(connector=procrastinate.testing.InMemoryConnector(), import_paths=["app.tasks"])

# Used only with an external connection (the session's), so its pool is never opened.
_transactional_manager = JobManager(SyncPsycopgConnector())

_worker_flask_app: Flask | None = None


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)


def init_app(app: Flask) -> None:
    app.extensions["procrastinate_conninfo"] = libpq_url(app.config["SQLALCHEMY_DATABASE_URI"])


def job(name: str | None = None, **options: Any) -> Callable:
    """Register a task whose body runs in a Flask application context."""

    def decorator(func: Callable) -> procrastinate.tasks.Task:
        @functools.wraps(func)
        def run_in_app_context(**kwargs: Any) -> Any:
            app = _worker_flask_app
            if app is None:
                return func(**kwargs)  # already inside an app context (tests, in-process runs)
            # A fresh app context per job: a request context would otherwise reuse the worker
            # command's own, and jobs running side by side would share one database session.
            # The request context on BASE_URL lets url_for(..., _external=True) work in emails.
            with app.app_context(), app.test_request_context(base_url=app.config["BASE_URL"]):
                try:
                    return func(**kwargs)
                finally:
                    db.session.remove()

        return queue.task(name=name or f"{func.__module__}.{func.__name__}", **options)(run_in_app_context)

    return decorator


def enqueue(task: procrastinate.tasks.Task, *, schedule_in: dict | None = None, **kwargs: Any) -> int:
    """Defer ``task`` inside the current database transaction; returns the job id."""
    connection = db.session.connection().connection.driver_connection
    options: dict[str, Any] = {}
    if schedule_in:
        options["schedule_in"] = schedule_in
    template = task.configure(**options).job
    deferrer = pjobs.JobDeferrer(job_manager=_transactional_manager, job=template, connection=connection)
    return deferrer.defer(**kwargs)


def run_worker(app: Flask, *, wait: bool = True, concurrency: int = 1) -> None:
    """Run the real procrastinate worker for this Flask app (``flask jobs worker``)."""
    global _worker_flask_app
    _worker_flask_app = app
    importlib.import_module("app.tasks")  # every task and periodic schedule registered

    connector = procrastinate.PsycopgConnector(conninfo=app.extensions["procrastinate_conninfo"])
    try:
        with queue.replace_connector(connector) as proc_app, proc_app.open():
            # Successful jobs are deleted: their arguments can hold emailed links.
            proc_app.run_worker(
                wait=wait, concurrency=concurrency, install_signal_handlers=wait, delete_jobs="successful"
            )
    finally:
        _worker_flask_app = None


def run_pending_jobs(limit: int = 100) -> list[str]:
    """Run queued jobs in this process on the session's connection (tests, `flask jobs run-once`).

    Uses procrastinate's own fetch and finish functions, so a job is taken once even if a
    worker runs beside it.
    """
    from sqlalchemy import text

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


def get_queue_counts() -> dict[str, int]:
    from sqlalchemy import text

    rows = db.session.execute(text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status"))
    return dict(rows)
