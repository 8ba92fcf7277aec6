"""PostgreSQL's ``statement_timeout`` and ``lock_timeout`` on every connection of the app's pool,
and room for the statements it prepares.

A statement that runs longer than ``DB_STATEMENT_TIMEOUT_MS``, or waits longer than
``DB_LOCK_TIMEOUT_MS`` for a lock (web processes and commands; the job worker, which calls
``use_jobs_timeout``, has ``JOBS_STATEMENT_TIMEOUT_MS`` and ``JOBS_LOCK_TIMEOUT_MS``), is cancelled
by the server; the web layer answers such a request with the 503 page (app/web/db_faults.py).

The limits are set with one ``set_config`` statement when the pool opens a connection, not as
a startup ``options`` parameter: PgBouncer refuses unknown startup parameters, a statement
passes through it. Behind PgBouncer in transaction pooling (``DATABASE_POOLER``,
app/platform/db_routing.py) a session setting would leak to other clients of the same server
connection, so nothing is set: the role's settings hold the limits there
(docs/operations.md, "PgBouncer").

A direct connection also keeps up to ``DB_PREPARED_STATEMENTS`` (300) prepared statements
(psycopg's ``prepared_max``, 100 by default). psycopg prepares a statement the fifth time a
connection runs it; with room for only 100, many of the app's statements were dropped before their
fifth run and PostgreSQL parsed and planned them afresh each time (docs/benchmarks.md, "Prepared
statements"). Behind the pooler nothing is prepared at all (``prepare_threshold=None``,
app/platform/db_routing.py).
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.platform import db_routing
from app.platform.extensions import db

log = logging.getLogger(__name__)

_KEY = "db_statement_timeout"


class StatementTimeout:
    """The limits new connections get; a holder, so the worker can change them before it connects."""

    def __init__(
        self, milliseconds: int, lock_milliseconds: int = 0, *, pooled: bool = False, prepared: int | None = None
    ) -> None:
        self.milliseconds = milliseconds
        self.lock_milliseconds = lock_milliseconds
        self.pooled = pooled
        self.prepared = prepared
        self._checked_role = False

    def on_connect(self, dbapi_connection, record) -> None:
        if self.pooled:
            self._check_role_settings(dbapi_connection)
            return
        self.on_connect_direct(dbapi_connection, record)

    def on_connect_direct(self, dbapi_connection, _record) -> None:
        """Set the limits on a connection that is its own session (never through the pooler), and
        how many prepared statements it keeps."""
        if self.prepared:
            dbapi_connection.prepared_max = self.prepared
        with dbapi_connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
                (str(max(int(self.milliseconds), 0)), str(max(int(self.lock_milliseconds), 0))),
            )
        dbapi_connection.commit()  # else the pool's reset (a ROLLBACK) would undo the settings

    def _check_role_settings(self, dbapi_connection) -> None:
        """Once per process: say loudly when the pooled role lacks the settings the app relies on."""
        if self._checked_role:
            return
        self._checked_role = True
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('TimeZone'), current_setting('jit')")
            zone, jit = cursor.fetchone()
        dbapi_connection.rollback()
        if zone != "UTC" or jit != "off":
            log.error(
                "behind a transaction pooler the database role must set timezone=UTC and jit=off "
                "(found %s, %s): run `flask db-settings apply` on the direct connection",
                zone,
                jit,
            )


def init_app(app: Flask) -> None:
    holder = StatementTimeout(
        app.config.get("DB_STATEMENT_TIMEOUT_MS", 0),
        app.config.get("DB_LOCK_TIMEOUT_MS", 0),
        pooled=db_routing.transaction_pooled(app.config),
        prepared=app.config.get("DB_PREPARED_STATEMENTS"),
    )
    app.extensions[_KEY] = holder
    with app.app_context():
        engine: Engine = db.engine
    event.listen(engine, "connect", holder.on_connect)


def holder_of(app: Flask) -> StatementTimeout:
    return app.extensions[_KEY]


def use_jobs_timeout(app: Flask) -> None:
    """Switch this process to the job worker's limits; connections opened before are closed."""
    holder: StatementTimeout = app.extensions[_KEY]
    holder.milliseconds = app.config.get("JOBS_STATEMENT_TIMEOUT_MS", 0)
    holder.lock_milliseconds = app.config.get("JOBS_LOCK_TIMEOUT_MS", 0)
    with app.app_context():
        db.engine.dispose()
