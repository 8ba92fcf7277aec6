"""Where the app's SQL goes: straight to PostgreSQL or through PgBouncer, and to a read replica.

- ``DATABASE_POOLER=pgbouncer-transaction``: ``DATABASE_URL`` is a PgBouncer in transaction
  pooling. Each transaction may run on another server connection, so the app sends nothing that
  lives in a session: no startup ``options`` (PgBouncer refuses them), no ``SET`` on connect
  (app/platform/db_timeouts.py skips it), and no prepared statements (``prepare_threshold=None``; PgBouncer
  1.18 cannot route them). ``timezone``, ``jit``, ``statement_timeout`` and ``lock_timeout`` come
  from the role's settings instead (``flask db-settings apply``, docs/operations.md).
- ``JOBS_DATABASE_URL``: a direct connection (default: ``DATABASE_URL``) for what needs a
  session: the job queue's LISTEN/NOTIFY and locks, migrations and backups.
- ``DATABASE_REPLICA_URL``: a streaming replica. ``RoutingSession`` sends a request's reads
  there when the web layer marked the request (``read_from_replica``: anonymous GETs of public
  pages, app/web/replica_reads.py); writes, flushes and every other request use the primary. A
  replica that fails is left alone for ``DATABASE_REPLICA_RETRY_SECONDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.dml import UpdateBase

from app.platform import connection_check
from app.platform.cursors import Cursor

log = logging.getLogger(__name__)

POOLER_TRANSACTION = "pgbouncer-transaction"
POOLERS = ("", POOLER_TRANSACTION)
_REPLICA_KEY = "db_replica"
# This request's reads go to the replica: set by app/web/replica_reads.py before each request and
# cleared at its teardown (a context variable, so this module reads nothing of the request).
_ON_REPLICA: ContextVar[bool] = ContextVar("cozywish_reads_on_replica", default=False)


def transaction_pooled(config) -> bool:
    """Whether DATABASE_URL is a PgBouncer in transaction pooling; any other value is refused."""
    value = (config.get("DATABASE_POOLER") or "").strip().lower()
    if value not in POOLERS:
        raise RuntimeError(f"DATABASE_POOLER must be empty or {POOLER_TRANSACTION!r}, not {value!r}")
    return value == POOLER_TRANSACTION


def engine_options(config) -> dict[str, Any]:
    """SQLALCHEMY_ENGINE_OPTIONS for this deployment: our cursor class (app/platform/cursors.py);
    without startup options and prepared statements behind a transaction pooler."""
    options = direct_engine_options(config)
    if transaction_pooled(config):
        connect_args = {key: value for key, value in options["connect_args"].items() if key != "options"}
        connect_args["prepare_threshold"] = None
        options["connect_args"] = connect_args
    return options


def pooled_connect_args(config) -> dict[str, Any]:
    """What other engines on DATABASE_URL (rate limits) must pass to psycopg."""
    return {"prepare_threshold": None} if transaction_pooled(config) else {}


def direct_url(config) -> str:
    """The URL for session-bound work: the job queue, migrations, backups."""
    return config.get("JOBS_DATABASE_URL") or config["SQLALCHEMY_DATABASE_URI"]


def direct_engine_options(config) -> dict[str, Any]:
    """Engine options for the direct URL: the configured ones, startup options included, and our
    cursor class (app/platform/cursors.py)."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # The connection given back last is handed out first: a sync worker serves every request on
    # one warm connection (statements prepared, the backend's caches filled), the one its warm-up
    # ran checkout's statements on, and the others wait idle (docs/architecture.md).
    options.setdefault("pool_use_lifo", True)
    options["connect_args"] = {"cursor_factory": Cursor, **(options.get("connect_args") or {})}
    return options


# What a transaction-pooled role needs, as the direct connection's startup options and
# app/platform/db_timeouts.py would otherwise give each session.
def role_settings(config) -> dict[str, str]:
    return {
        "timezone": "UTC",
        "jit": "off",
        "statement_timeout": str(max(int(config.get("DB_STATEMENT_TIMEOUT_MS") or 0), 0)),
        "lock_timeout": str(max(int(config.get("DB_LOCK_TIMEOUT_MS") or 0), 0)),
    }


def role_settings_sql(connection: Connection, config, role: str | None = None) -> list[str]:
    """``ALTER ROLE ... IN DATABASE ... SET`` statements for ``role`` (default: the connection's)."""
    found = connection.execute(text("SELECT current_user, current_database()")).one()
    preparer = connection.dialect.identifier_preparer
    who = preparer.quote_identifier(role or found[0])
    where = preparer.quote_identifier(found[1])
    return [
        f"ALTER ROLE {who} IN DATABASE {where} SET {name} = '{value}'" for name, value in role_settings(config).items()
    ]


# Reads on a replica ---------------------------------------------------------------------------


class Replica:
    """The replica's engine and whether it is left alone after a failure."""

    def __init__(self, engine: Engine, retry_seconds: float) -> None:
        self.engine = engine
        self.retry_seconds = retry_seconds
        self.down_until = 0.0
        self.failures = 0
        self._lock = threading.Lock()
        event.listen(engine, "handle_error", self._on_error)

    def is_up(self) -> bool:
        return time.monotonic() >= self.down_until

    def mark_down(self, reason: str) -> None:
        with self._lock:
            self.failures += 1
            self.down_until = time.monotonic() + self.retry_seconds
        log.warning("read replica failed (%s); reading from the primary for %.0f s", reason[:200], self.retry_seconds)

    def _on_error(self, context) -> None:
        error = context.original_exception
        connection_lost = context.is_disconnect or type(error).__name__ in {"OperationalError", "InterfaceError"}
        if connection_lost and not _is_cancelled(error):
            self.mark_down(f"{type(error).__name__}: {error}".splitlines()[0])


def _is_cancelled(error: BaseException) -> bool:
    # a statement or lock timeout is the statement's fault, not the replica's
    return getattr(error, "sqlstate", None) in {"57014", "55P03"}


def init_replica(app: Flask, on_connect=None) -> Replica | None:
    """Open the replica's engine when DATABASE_REPLICA_URL is set; ``on_connect`` runs on its new
    connections (the statement and lock timeouts)."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    engine = create_engine(url, **engine_options(app.config))
    connection_check.watch(engine)
    if on_connect is not None:
        event.listen(engine, "connect", on_connect)
    replica = Replica(engine, float(app.config.get("DATABASE_REPLICA_RETRY_SECONDS", 30)))
    app.extensions[_REPLICA_KEY] = replica
    return replica


def replica_of(app: Flask) -> Replica | None:
    return app.extensions.get(_REPLICA_KEY)


def read_from_replica(on: bool = True) -> bool:
    """Send this request's reads to the replica (when there is one and it is up); returns whether
    they go there."""
    replica = replica_of(current_app)
    chosen = bool(on and replica is not None and replica.is_up())
    _ON_REPLICA.set(chosen)
    return chosen


def reading_from_replica() -> bool:
    return _ON_REPLICA.get()


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, reading from the replica in requests marked for it."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        if (
            bind is None
            and not self._flushing
            and not isinstance(clause, UpdateBase)
            and has_app_context()
            and reading_from_replica()
        ):
            replica = replica_of(current_app)
            if replica is not None and replica.is_up():
                return replica.engine
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
