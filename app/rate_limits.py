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
a key's window starts at its first hit and lasts the limit's period, as with Redis.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from limits.storage import RedisStorage, Storage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

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


def _engine(database_url: str) -> Engine:
    """One small pool per database per process, apart from the request's session: a hit is
    committed at once, whatever the request's own transaction does afterwards."""
    with _engines_lock:
        if database_url not in _engines:
            _engines[database_url] = create_engine(
                database_url, pool_size=2, max_overflow=8, pool_pre_ping=True, isolation_level="AUTOCOMMIT"
            )
        return _engines[database_url]


class PostgresCounters:
    """Fixed-window counters in ``rate_counters``; keys carry the storage's prefix."""

    def __init__(self, database_url: str, prefix: str) -> None:
        self.database_url = database_url
        self.prefix = prefix

    def _run(self, statement, **params: Any):
        with _engine(self.database_url).connect() as conn:
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
        with _engine(self.database_url).connect() as conn:
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
    ``redis_options`` (socket timeouts)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        *,
        database_url: str,
        redis_url: str | None = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        key_prefix: str = "",
        redis_options: dict[str, Any] | None = None,
        **_: Any,
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.counters = PostgresCounters(database_url, f"{key_prefix}LIMITS:")
        self.redis: RedisStorage | None = None
        if redis_url:
            self.redis = RedisStorage(redis_url, key_prefix=f"{key_prefix}LIMITS", **(redis_options or {}))
        self.retry_seconds = float(retry_seconds)
        self.redis_errors = 0  # since start; /readyz and `flask diagnose` report them
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @property
    def redis_is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def _redis_or_counters(self, operation: str, *args: Any) -> Any:
        if self.redis is not None and not self.redis_is_down:
            try:
                return getattr(self.redis, operation)(*args)
            except Exception as exc:  # connection refused, a timeout, a Redis error alike
                with self._lock:
                    self.redis_errors += 1
                    self._down_until = time.monotonic() + self.retry_seconds
                log.warning(
                    "rate limits: Redis %s failed (%s: %s); counting in PostgreSQL for %.0f s",
                    operation,
                    type(exc).__name__,
                    str(exc)[:200],
                    self.retry_seconds,
                )
        return getattr(self.counters, operation)(*args)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self._redis_or_counters("incr", key, expiry, amount)

    def get(self, key: str) -> int:
        return self._redis_or_counters("get", key)

    def get_expiry(self, key: str) -> float:
        return self._redis_or_counters("get_expiry", key)

    def clear(self, key: str) -> None:
        if self.redis is not None and not self.redis_is_down:
            self._redis_or_counters("clear", key)
        self.counters.clear(key)

    def reset(self) -> int | None:
        removed = self.counters.reset()
        if self.redis is not None and not self.redis_is_down:
            removed += self._redis_or_counters("reset") or 0
        return removed

    def check(self) -> bool:
        """Healthy when PostgreSQL answers (Redis is optional: ``redis_check`` says about it)."""
        return self.counters.check()

    def redis_check(self) -> bool | None:
        """None without Redis; else whether it answers now (asked even while left alone)."""
        if self.redis is None:
            return None
        return bool(self.redis.check())


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
        "retry_seconds": config.get("RATE_LIMIT_REDIS_RETRY_SECONDS", DEFAULT_RETRY_SECONDS),
        "key_prefix": config.get("RATELIMIT_KEY_PREFIX", ""),
        # A dead host must not hold a sign-in for the OS's connect timeout.
        "redis_options": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    config["RATELIMIT_STORAGE_OPTIONS"] = {**options, **(config.get("RATELIMIT_STORAGE_OPTIONS") or {})}
    # Nothing to fall back to: this storage falls back to PostgreSQL itself.
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False


def prune_expired(database_url: str) -> int:
    """Delete counters whose window ended (the retention job calls it)."""
    with _engine(database_url).connect() as conn:
        return conn.execute(PRUNE_SQL).rowcount
