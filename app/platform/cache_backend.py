"""The Redis cache backend that never fails a request: a Redis error is a cache miss. And a
count of the rate limiter's storage errors, which Flask-Limiter swallows and logs.

Flask-Caching's RedisCache raises when Redis is down, and every page that reads the cache then
answers 500. This one catches the error, counts it and logs it at most once a minute. After an
error it leaves Redis alone for ``CACHE_REDIS_RETRY_SECONDS`` (default 30: a circuit breaker),
so a dead Redis costs one failed call per process per period, not one per call; meanwhile it
keeps what it is given in this process's memory (a SimpleCache), so pages stay as cheap as
with Redis: a Redis outage costs each process one cold copy of each page, not every render.
That is safe because no caller relies on a delete reaching other processes: every key holds
the cache versions that PostgreSQL keeps (app/platform/cache_versions.py), and a key is only ever read
and written, so a copy in one process's memory goes stale exactly when the shared one would.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask
from flask_caching.backends.rediscache import RedisCache
from flask_caching.backends.simplecache import SimpleCache

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 60.0


class LimiterErrorCount(logging.Filter):
    """Counts what Flask-Limiter logs at WARNING or above: with RATELIMIT_SWALLOW_ERRORS and the
    in-memory fallback, each one is a storage error it swallowed (or its switch to memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.count += 1
        return True


limiter_errors = LimiterErrorCount()
logging.getLogger("flask-limiter").addFilter(limiter_errors)


class ResilientRedisCache(RedisCache):
    """RedisCache that answers from this process's memory while Redis fails."""

    retry_seconds = 30.0
    local_threshold = 2000  # entries kept in memory while Redis is down (SimpleCache's threshold)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.errors = 0  # counted since start; /readyz and `flask diagnose` report them
        self.last_error = ""
        self._down_until = 0.0
        self._logged_at = -LOG_EVERY_SECONDS
        self._lock = threading.Lock()
        self.local = SimpleCache(threshold=self.local_threshold, default_timeout=self.default_timeout)

    @classmethod
    def factory(cls, app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> RedisCache:
        # A dead host must not hold a request for the OS's connect timeout.
        options = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **(config.get("CACHE_OPTIONS") or {})}
        config["CACHE_OPTIONS"] = options
        cache = super().factory(app, config, args, kwargs)
        cache.retry_seconds = float(config.get("CACHE_REDIS_RETRY_SECONDS", cls.retry_seconds))
        return cache

    @property
    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def ping(self) -> None:
        """Raise if Redis does not answer (for the readiness check; never swallowed)."""
        self._read_client.ping()

    def _failed(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"[:200]
            self._down_until = now + self.retry_seconds
            should_log = now - self._logged_at >= LOG_EVERY_SECONDS
            if should_log:
                self._logged_at = now
        if should_log:
            log.warning(
                "cache: Redis %s failed (%s); serving without the cache (%d errors so far)",
                operation,
                self.last_error,
                self.errors,
            )

    def _safely(self, operation: str, default: Any, call, *args: Any, **kwargs: Any) -> Any:
        if not self.is_down:
            try:
                return call(*args, **kwargs)
            except Exception as exc:  # redis errors, sockets, and corrupt payloads alike
                self._failed(operation, exc)
        local = getattr(self.local, operation, None)
        if local is None:
            return default
        try:
            return local(*args, **kwargs)
        except Exception:  # a value SimpleCache cannot pickle: a miss, as before
            log.debug("cache: in-process %s failed", operation, exc_info=True)
            return default

    def get(self, key: str) -> Any:
        return self._safely("get", None, super().get, key)

    def get_many(self, *keys: str) -> list[Any]:
        return self._safely("get_many", [None] * len(keys), super().get_many, *keys)

    def get_dict(self, *keys: str) -> dict[str, Any]:
        return self._safely("get_dict", dict.fromkeys(keys), super().get_dict, *keys)

    def has(self, key: str) -> bool:
        return self._safely("has", False, super().has, key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> Any:
        return self._safely("set", False, super().set, key, value, timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> Any:
        return self._safely("add", False, super().add, key, value, timeout)

    def set_many(self, mapping: dict[str, Any], timeout: int | None = None) -> list[Any]:
        return self._safely("set_many", [], super().set_many, mapping, timeout)

    def delete(self, key: str) -> bool:
        return self._safely("delete", False, super().delete, key)

    def delete_many(self, *keys: str) -> list[Any]:
        return self._safely("delete_many", [], super().delete_many, *keys)

    def unlink(self, *keys: str) -> Any:
        return self._safely("unlink", None, super().unlink, *keys)

    def clear(self) -> bool:
        return self._safely("clear", False, super().clear)

    def inc(self, key: str, delta: int = 1) -> Any:
        return self._safely("inc", None, super().inc, key, delta)

    def dec(self, key: str, delta: int = 1) -> Any:
        return self._safely("dec", None, super().dec, key, delta)
