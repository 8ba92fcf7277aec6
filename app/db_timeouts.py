"""PostgreSQL's ``statement_timeout`` on every connection of the app's pool.

A statement that runs longer than ``DB_STATEMENT_TIMEOUT_MS`` (web processes) or
``JOBS_STATEMENT_TIMEOUT_MS`` (the job worker, which calls ``use_jobs_timeout``) is cancelled by
the server; the web layer answers such a request with the 503 page (app/web/db_faults.py).

The limit is set with a plain ``SET`` when the pool opens a connection, not as a startup
``options`` parameter: PgBouncer refuses unknown startup parameters, a ``SET`` passes through
it (docs/operations.md, "Statement timeouts", says what transaction pooling changes).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

_KEY = "db_statement_timeout"


class StatementTimeout:
    """The limit new connections get; a holder, so the worker can change it before it connects."""

    def __init__(self, milliseconds: int) -> None:
        self.milliseconds = milliseconds

    def on_connect(self, dbapi_connection, _record) -> None:
        milliseconds = max(int(self.milliseconds), 0)
        with dbapi_connection.cursor() as cursor:
            # A SET cannot take a bound parameter; the value is an int we formatted ourselves.
            cursor.execute(f"SET statement_timeout = {milliseconds}")
        dbapi_connection.commit()  # else the pool's reset (a ROLLBACK) would undo the SET


def init_app(app: Flask) -> None:
    holder = StatementTimeout(app.config.get("DB_STATEMENT_TIMEOUT_MS", 0))
    app.extensions[_KEY] = holder
    with app.app_context():
        engine: Engine = db.engine
    event.listen(engine, "connect", holder.on_connect)


def use_jobs_timeout(app: Flask) -> None:
    """Switch this process to the job worker's limit; connections opened before are closed."""
    holder: StatementTimeout = app.extensions[_KEY]
    holder.milliseconds = app.config.get("JOBS_STATEMENT_TIMEOUT_MS", 0)
    with app.app_context():
        db.engine.dispose()
