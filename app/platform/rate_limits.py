"""Rate-limit counters that hold exactly across web workers and machines, with or without Redis.

Flask-Limiter counts through a ``limits`` storage. Its in-process ``memory://`` storage counts in
each gunicorn worker apart (three workers let 90 sign-in attempts through a limit of 30), so
the app never uses it. This module registers one storage, ``cozywish://``:

- without Redis, every hit is one atomic ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` on
  ``rate_counters`` (migration 0062) in PostgreSQL, which every process shares;
- with Redis (``REDIS_URL``), hits go to Redis; when Redis fails the hit (and every hit for the
  next ``RATE_LIMIT_REDIS_RETRY_SECONDS``, 30 by default) is counted in PostgreSQL instead, so a
  Redis outage neither lets attempts through nor costs a connect timeout per request.

Only the fixed-window strategy (Flask-Limiter's default, the one config.py uses) is supported:
a key's window starts at its first hit and lasts the limit's period, as with Redis. The
``rate_limits.prune`` job (hourly) deletes the rows of ended windows.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from flask import current_app, has_app_context
from limits.storage import RedisStorage, Storage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.platform import connection_check
from app.platform.db_routing import transaction_pooled
from app.platform.jobs import every, job

log = logging.getLogger(__name__)

SCHEME = "cozywish"
DEFAULT_RETRY_SECONDS = 30.0

# One statement, one row lock: concurrent hits on a key queue on the row and each sees its count.
HIT_SQL = text(
    "INSERT INTO rate_counters AS c (key, window_start, expires_at, count)"
    " VALUES (:key, clock_timestamp(), clock_timestamp() + make_interval(secs => :expiry), :amount)"
    " ON CONFLICT (key) DO UPDATE SET"
    "   count = CASE WHEN c.expires_at <= clock_timestamp() THEN EXCLUDED.count ELSE c.count + EXCLUDED.count END,"
    "   window_start = CASE WHEN c.expires_at <= clock_timestamp() THEN EXCLUDED.window_start ELSE c.window_start END,"
    "   expires_at = CASE WHEN c.expires_at <= clock_timestamp() THEN EXCLUDED.expires_at ELSE c.expires_at END"
    " RETURNING count"
)
GET_SQL = text("SELECT count FROM rate_counters WHERE key = :key AND expires_at > clock_timestamp()")
EXPIRY_SQL = text(
    "SELECT extract(epoch FROM expires_at) FROM rate_counters WHERE key = :key AND expires_at > clock_timestamp()"
)
CLEAR_SQL = text("DELETE FROM rate_counters WHERE key = :key")
RESET_SQL = text("DELETE FROM rate_counters WHERE key LIKE :prefix")
PRUNE_SQL = text("DELETE FROM rate_counters WHERE expires_at < clock_timestamp() - interval '1 minute'")

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _forget_engines_after_fork() -> None:
    """A forked process (gunicorn --preload, multiprocessing) opens its own connections."""
    for engine in _engines.values():
        engine.dispose(close=False)
    _engines.clear()


os.register_at_fork(after_in_child=_forget_engines_after_fork)


def _engine(database_url: str, pooled: bool = False) -> Engine:
    """One small pool per database per process, apart from the request's session: a hit is
    committed at once, whatever the request's own transaction does afterwards. ``pooled``: the
    URL is a transaction pooler's, which cannot carry prepared statements (app/platform/db_routing.py)."""
    with _engines_lock:
        if database_url not in _engines:
            engine = create_engine(
                database_url,
                pool_size=2,
                max_overflow=8,
                isolation_level="AUTOCOMMIT",
                connect_args={"prepare_threshold": None} if pooled else {},
            )
            connection_check.watch(engine)  # a connection the server closed is replaced at checkout
            _engines[database_url] = engine
        return _engines[database_url]


class PostgresCounters:
    """Fixed-window counters in ``rate_counters``; keys carry the storage's prefix."""

    def __init__(self, database_url: str, prefix: str, pooled: bool = False) -> None:
        self.database_url = database_url
        self.prefix = prefix
        self.pooled = pooled

    def _run(self, statement, **params: Any):
        with _engine(self.database_url, self.pooled).connect() as conn:
            return conn.execute(statement, params).scalar()

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return int(self._run(HIT_SQL, key=self.prefix + key, expiry=float(expiry), amount=amount))

    def get(self, key: str) -> int:
        return int(self._run(GET_SQL, key=self.prefix + key) or 0)

    def get_expiry(self, key: str) -> float:
        found = self._run(EXPIRY_SQL, key=self.prefix + key)
        return float(found) if found is not None else time.time()

    def clear(self, key: str) -> None:
        self._run(CLEAR_SQL, key=self.prefix + key)

    def reset(self) -> int:
        with _engine(self.database_url, self.pooled).connect() as conn:
            return conn.execute(RESET_SQL, {"prefix": self.prefix.replace("%", r"\%") + "%"}).rowcount

    def check(self) -> bool:
        try:
            self._run(text("SELECT 1"))
        except Exception:
            return False
        return True


class CozyWishStorage(Storage):
    """``cozywish://`` for Flask-Limiter: Redis when configured and answering, else PostgreSQL.

    Options (RATELIMIT_STORAGE_OPTIONS, set by ``configure``): ``database_url``, ``redis_url``
    (optional), ``retry_seconds`` (how long to leave a failed Redis alone), ``key_prefix`` and
    ``redis_options`` (socket timeouts).

    Flask-Limiter keeps one storage on its one (module-level) Limiter, whatever app bound it
    last; so inside an app context the database and Redis are that app's (its
    SQLALCHEMY_DATABASE_URI and REDIS_URL), and the options serve outside one (``limiter.reset``
    in a script). One process serves one app in production; tests make many."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        database_url: str,
        redis_url: str | None = None,
        pooled: bool = False,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        key_prefix: str = "",
        redis_options: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.database_url = database_url
        self.pooled = pooled
        self.redis_url = redis_url
        self.prefix = f"{key_prefix}LIMITS:"
        self.redis_options = redis_options or {}
        self.retry_seconds = float(retry_seconds)
        self.redis_errors = 0  # since start; /readyz and `flask diagnose` report them
        self._redis: dict[str, RedisStorage] = {}
        self._down_until: dict[str, float] = {}  # Redis URL -> until when it is left alone
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def counters(self) -> PostgresCounters:
        if has_app_context():
            config = current_app.config
            return PostgresCounters(config["SQLALCHEMY_DATABASE_URI"], self.prefix, transaction_pooled(config))
        return PostgresCounters(self.database_url, self.prefix, self.pooled)

    def redis(self) -> tuple[str, RedisStorage] | None:
        url = current_app.config.get("REDIS_URL") if has_app_context() else self.redis_url
        if not url:
            return None
        with self._lock:
            if url not in self._redis:
                self._redis[url] = RedisStorage(url, key_prefix=self.prefix.rstrip(":"), **self.redis_options)
            return url, self._redis[url]

    def redis_is_down(self, url: str | None = None) -> bool:
        target = url or (found[0] if (found := self.redis()) else None)
        return target is not None and time.monotonic() < self._down_until.get(target, 0.0)

    def _redis_or_counters(self, operation: str, *args: Any) -> Any:
        found = self.redis()
        if found is not None and not self.redis_is_down(found[0]):
            url, redis = found
            try:
                return getattr(redis, operation)(*args)
            except Exception as exc:  # connection refused, a timeout, a Redis error alike
                with self._lock:
                    self.redis_errors += 1
                    self._down_until[url] = time.monotonic() + self.retry_seconds
                log.warning(
                    "rate limits: Redis %s failed (%s: %s); counting in PostgreSQL for %.0f s",
                    operation,
                    type(exc).__name__,
                    str(exc)[:200],
                    self.retry_seconds,
                )
        return getattr(self.counters(), operation)(*args)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._redis_or_counters("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._redis_or_counters("get", key)

    def get_expiry(self, key: str) -> float:
        return self._redis_or_counters("get_expiry", key)

    def clear(self, key: str) -> None:
        found = self.redis()
        if found is not None and not self.redis_is_down(found[0]):
            self._redis_or_counters("clear", key)
        self.counters().clear(key)

    def reset(self) -> int | None:
        """Forget every count (tests; an operator after a false alarm)."""
        try:
            removed = self.counters().reset()
        except OperationalError:
            if has_app_context():
                raise
            # Outside an app, the database is the one the last app named; gone, it holds nothing.
            log.warning("rate limits: reset could not reach %s", make_url(self.database_url).database)
            removed = 0
        found = self.redis()
        if found is not None and not self.redis_is_down(found[0]):
            removed += self._redis_or_counters("reset") or 0
        return removed

    def check(self) -> bool:
        """Healthy when PostgreSQL answers (Redis is optional: ``redis_check`` says about it)."""
        return self.counters().check()

    def redis_check(self) -> bool | None:
        """None without Redis; else whether it answers now (asked even while left alone)."""
        found = self.redis()
        return None if found is None else bool(found[1].check())


def configure(app) -> None:
    """Point Flask-Limiter at ``cozywish://`` unless RATELIMIT_STORAGE_URI names another storage.
    Call after the database URL is known and before ``limiter.init_app``."""
    config = app.config
    if config.get("RATELIMIT_STORAGE_URI"):
        return
    config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://"
    options = {
        "database_url": config["SQLALCHEMY_DATABASE_URI"],
        "redis_url": config.get("REDIS_URL"),
        "pooled": transaction_pooled(config),
        "retry_seconds": config.get("RATE_LIMIT_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS),
        "key_prefix": config.get("RATELIMIT_KEY_PREFIX", ""),
        # A dead host must not hold a sign-in for the OS's connect timeout.
        "redis_options": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    config["RATELIMIT_STORAGE_OPTIONS"] = {**options, **(config.get("RATELIMIT_STORAGE_OPTIONS") or {})}
    # Nothing to fall back to: this storage falls back to PostgreSQL itself.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False


def prune_expired(database_url: str, pooled: bool = False) -> int:
    """Delete counters whose window ended over a minute ago."""
    with _engine(database_url, pooled).connect() as conn:
        return conn.execute(PRUNE_SQL).rowcount


@job(name="rate_limits.prune")
def prune_expired_job(timestamp: int | None = None) -> None:
    prune_expired(current_app.config["SQLALCHEMY_DATABASE_URI"], transaction_pooled(current_app.config))


def init_app(app) -> None:
    """Count in Redis or PostgreSQL (``configure``) and prune PostgreSQL's ended windows."""
    configure(app)
    every("23 * * * *", "rate-limits-prune", prune_expired_job)
