"""Which backend answers: PostgreSQL by default, Elasticsearch when ELASTICSEARCH_URL is set
(falling back to PostgreSQL, with a warning, when the cluster can't be reached). Plus the
60-second cache of search results, keyed on the "public" cache version (app.platform.cache_versions),
which every index write changes in its own transaction, for every process at once."""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app

from app.platform import cache_versions, metrics
from app.platform.extensions import cache
from search.postgres import PostgresBackend
from search.types import SearchBackend, SearchQuery, SearchResult

log = logging.getLogger(__name__)

RESULT_TTL = 60  # seconds a cached result may be served
AVAILABILITY_TTL = 30.0  # seconds a failed cluster check keeps us on PostgreSQL

_unavailable_until: dict[str, float] = {}  # url -> monotonic time: don't try before
_checked_until: dict[str, float] = {}  # url -> monotonic time: answered a ping, don't ask again before


class SecondaryIndexFailed(RuntimeError):
    """PostgreSQL was indexed, Elasticsearch was not (the reindex job retries later)."""


def _unavailable_errors(primary: Any) -> tuple[type[BaseException], ...]:
    """Errors that mean "the cluster is down": the backend's own SearchUnavailable, and network ones."""
    module = sys.modules.get(type(primary).__module__)
    own = getattr(module, "SearchUnavailable", None)
    return (ConnectionError, TimeoutError, *((own,) if isinstance(own, type) else ()))


class FallbackBackend:
    """Elasticsearch first; PostgreSQL when the cluster is down. Indexing always writes
    PostgreSQL first, so a fallback answers with fresh data."""

    def __init__(self, primary: Any, fallback: PostgresBackend, url: str) -> None:
        self.primary = primary
        self.fallback = fallback
        self.url = url
        self.name = getattr(primary, "name", "elasticsearch")
        self.unavailable = _unavailable_errors(primary)

    def _failed(self, action: str, exc: BaseException) -> None:
        log.warning("search: Elasticsearch %s failed (%s); using PostgreSQL", action, exc)
        _unavailable_until[self.url] = time.monotonic() + AVAILABILITY_TTL

    def index(self, venue_ids: list[int]) -> None:
        self.fallback.index(venue_ids)
        try:
            self.primary.index(venue_ids)
        except self.unavailable as exc:
            self._failed("index", exc)
            raise SecondaryIndexFailed(str(exc)) from exc

    def remove(self, venue_ids: list[int]) -> None:
        self.fallback.remove(venue_ids)
        try:
            self.primary.remove(venue_ids)
        except self.unavailable as exc:
            self._failed("remove", exc)
            raise SecondaryIndexFailed(str(exc)) from exc

    def reindex_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        self.fallback.reindex_all()
        return self.primary.reindex_all(progress)

    def search(self, query: SearchQuery) -> SearchResult:
        try:
            return self.primary.search(query)
        except self.unavailable as exc:
            self._failed("search", exc)
            return self.fallback.search(query)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        try:
            return self.primary.suggest(prefix, limit)
        except self.unavailable as exc:
            self._failed("suggest", exc)
            return self.fallback.suggest(prefix, limit)


def make_elasticsearch_backend(config: Mapping[str, Any]) -> Any:
    """The Elasticsearch backend for ``config`` (its module is imported only here)."""
    # Here, not at the top: a PostgreSQL-only app (no ELASTICSEARCH_URL) never loads the
    # Elasticsearch client (about 0.3 s of every process's start). No circle needs it.
    from search.elasticsearch import ElasticsearchBackend

    factory = getattr(ElasticsearchBackend, "from_config", None)
    return factory(config) if factory else ElasticsearchBackend(config["ELASTICSEARCH_URL"])


def get_backend(*, for_indexing: bool = False) -> SearchBackend:
    """The configured backend. Elasticsearch's module is imported only when it is configured.

    For searching, a cluster that failed in the last AVAILABILITY_TTL seconds is skipped and
    a reachable one is pinged at most that often. For indexing (``for_indexing``) the cluster
    is always tried, behind PostgreSQL, so a failure is seen and retried by the job.
    """
    postgres = PostgresBackend()
    url = current_app.config.get("ELASTICSEARCH_URL")
    if not url:
        return postgres
    now = time.monotonic()
    if not for_indexing and _unavailable_until.get(url, 0.0) > now:
        return postgres
    try:
        primary = make_elasticsearch_backend(current_app.config)
        ping = getattr(primary, "ping", None)
        if not for_indexing and _checked_until.get(url, 0.0) <= now and ping is not None:
            if not ping():
                raise ConnectionError(f"no answer from {url}")
            _checked_until[url] = now + AVAILABILITY_TTL
    except Exception as exc:
        log.warning("search: Elasticsearch at %s is unavailable (%s); using PostgreSQL", url, exc)
        _unavailable_until[url] = now + AVAILABILITY_TTL
        return postgres
    return FallbackBackend(primary, postgres, url)


# -- caching -----------------------------------------------------------------------------------


def get_version() -> int:
    """The version cached results are keyed on (read at most once a second per process)."""
    return cache_versions.current(cache_versions.PUBLIC)


def bump_version() -> int:
    """Invalidate every cached search result and facet count, at the commit of this transaction.

    Index writes need not call it: a trigger on venue_search bumps the version (migration 0010).
    """
    return cache_versions.bump(cache_versions.PUBLIC)


def cache_key(query: SearchQuery, version: int | None = None) -> str:
    digest = hashlib.sha256(repr(query).encode()).hexdigest()[:32]
    return f"search:result:{get_version() if version is None else version}:{digest}"


def search(query: SearchQuery) -> SearchResult:
    """``get_backend().search(query)``, served from the cache for up to a minute.

    Queries with a free-time window skip the cache: they hang on bookings, which don't reindex.
    """
    if query.free_from is not None:
        return _timed_search(query)
    key = cache_key(query)
    result = cache.get(key)
    if result is None:
        result = _timed_search(query)
        cache.set(key, result, timeout=RESULT_TTL)
    return result


def _timed_search(query: SearchQuery) -> SearchResult:
    """The backend's answer, its time recorded under the backend that answered (a fallback
    to PostgreSQL counts as PostgreSQL's)."""
    with metrics.timer() as took:
        result = get_backend().search(query)
    metrics.search_latency(getattr(result, "backend", None) or "unknown", took.seconds)
    return result


def suggest(prefix: str, limit: int = 8) -> list[str]:
    return get_backend().suggest(prefix, limit)
