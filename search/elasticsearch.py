"""The Elasticsearch backend: an explicit mapping, an alias swapped on full reindex, fuzzy search.

What is sent and how answers are read lives in `search.es_queries` (pure, tested without a
cluster); this module talks to the cluster. Only approved venues are indexed
(`search.documents.load_documents` decides).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError
from sqlalchemy import select

from app.platform.extensions import db
from app.venues.hours import Range, is_open_at, is_valid_timezone
from app.venues.models import Closure, OpeningHours, Venue, VenueStatus
from search import free_time
from search.documents import load_documents
from search.es_queries import (
    ANALYSIS,
    BACKEND_NAME,
    CANDIDATE_WINDOW,
    INDEX_SETTINGS,
    MAPPING,
    MAX_TERMS,
    _body,
    build_candidates_body,
    build_search_body,
    build_suggest_body,
    document_source,
    haversine_km,
    parse_search_response,
    parse_suggest_response,
    relaxed_groups,
)
from search.synonyms import get_synonyms
from search.types import SearchQuery, SearchResult, VenueDocument
from search.understanding import Synonyms, relaxed_label, term_groups

__all__ = [
    "ANALYSIS",
    "CANDIDATE_WINDOW",
    "INDEX_SETTINGS",
    "MAPPING",
    "ElasticsearchBackend",
    "IndexingFailed",
    "SearchUnavailable",
    "build_candidates_body",
    "build_search_body",
    "build_suggest_body",
    "document_source",
    "haversine_km",
    "parse_search_response",
    "parse_suggest_response",
]

log = logging.getLogger(__name__)

CHUNK_SIZE = 500  # documents per bulk request


class SearchUnavailable(RuntimeError):
    """The cluster can't answer (down, unreachable, or no index yet): callers fall back to PostgreSQL."""


class IndexingFailed(RuntimeError):
    """Elasticsearch refused some documents of a bulk request."""


def _chunks(items: Sequence[Any], size: int = CHUNK_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ElasticsearchBackend:
    """Reads and writes go through the alias `index_prefix`; indices are `index_prefix-YYYYMMDDHHMMSS`."""

    name = BACKEND_NAME

    def __init__(self, url: str | None, index_prefix: str = "cozywish-venues", client: Any = None) -> None:
        if client is None:
            if not url:
                raise ValueError("An Elasticsearch URL is needed.")
            client = Elasticsearch(url, request_timeout=5, max_retries=1, retry_on_timeout=True)
        self.client = client
        self.alias = index_prefix
        self._index_name = re.compile(rf"^{re.escape(index_prefix)}-\d{{14}}(-\d+)?$")
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @contextmanager
    def _cluster(self, action: str) -> Iterator[None]:
        try:
            yield
        except TransportError as exc:  # connection refused, timeout, TLS
            log.warning("Elasticsearch unreachable during %s: %s", action, exc)
            raise SearchUnavailable(f"Elasticsearch is unreachable ({action}).") from exc
        except ApiError as exc:
            if isinstance(exc, NotFoundError) or exc.status_code >= 500:  # no index yet, or a sick cluster
                log.warning("Elasticsearch can't %s: %s", action, exc)
                raise SearchUnavailable(f"Elasticsearch can't {action} ({exc.status_code}).") from exc
            raise  # a request we got wrong: a bug to see, not to hide

    def ping(self) -> bool:
        """Does the cluster answer? (`search.backend.get_backend` asks before choosing us.)"""
        try:
            return bool(self.client.ping())
        except (TransportError, ApiError):
            return False

    def refresh(self) -> None:
        """Make every write searchable now (tests; writes already wait for the next refresh)."""
        with self._cluster("refresh"):
            self.client.indices.refresh(index=self.alias)

    def _load_documents(self, venue_ids: Sequence[int]) -> list[VenueDocument]:
        return load_documents(venue_ids)

    def _approved_venue_ids(self) -> list[int]:
        statement = select(Venue.id).where(Venue.status == VenueStatus.APPROVED).order_by(Venue.id)
        return list(db.session.scalars(statement))

    # -- indices and the alias

    def _our_indices(self) -> dict[str, set[str]]:
        """Our timestamped indices, each with its aliases."""
        try:
            found = _body(self.client.indices.get_alias(index=f"{self.alias}-*"))
        except NotFoundError:
            return {}
        return {name: set(info.get("aliases") or {}) for name, info in found.items() if self._index_name.match(name)}

    def _create_index(self, existing: Iterable[str], **settings: Any) -> str:
        base = f"{self.alias}-{self.now():%Y%m%d%H%M%S}"
        taken, name, n = set(existing), base, 1
        while name in taken:  # two rebuilds in one second
            n += 1
            name = f"{base}-{n}"
        self.client.indices.create(index=name, settings={**INDEX_SETTINGS, **settings}, mappings=MAPPING)
        return name

    def _write_targets(self, *, create: bool) -> list[str]:
        """The aliased index, plus any newer one a full reindex is building (so it misses nothing)."""
        indices = self._our_indices()
        live = sorted(name for name, aliases in indices.items() if self.alias in aliases)
        if not live and create:
            live = [self._create_index(indices)]
            self.client.indices.update_aliases(actions=[{"add": {"index": live[0], "alias": self.alias}}])
        building = sorted(name for name in indices if live and name not in live and name > live[-1])
        return live + building

    def _bulk(self, index: str, docs: Sequence[VenueDocument], delete_ids: Sequence[int], refresh: Any) -> None:
        actions: list[tuple[dict[str, Any], dict[str, Any] | None]] = [
            ({"index": {"_index": index, "_id": str(doc.id)}}, document_source(doc)) for doc in docs
        ]
        actions += [({"delete": {"_index": index, "_id": str(venue_id)}}, None) for venue_id in delete_ids]
        for chunk in _chunks(actions):
            operations = [line for action, source in chunk for line in (action, source) if line is not None]
            answer = _body(self.client.bulk(operations=operations, refresh=refresh))
            if not answer.get("errors"):
                continue
            failed = [
                result
                for item in answer.get("items", [])
                for op, result in item.items()
                if result.get("error") and not (op == "delete" and result.get("status") == 404)
            ]
            if failed:
                raise IndexingFailed(f"{len(failed)} document(s) refused; the first: {failed[0]['error']}")

    # -- the protocol

    def index(self, venue_ids: list[int]) -> None:
        ids = sorted({int(i) for i in venue_ids})
        if not ids:
            return
        docs = self._load_documents(ids)
        indexed = {doc.id for doc in docs}
        gone = [venue_id for venue_id in ids if venue_id not in indexed]  # not approved (any more)
        with self._cluster("index"):
            for target in self._write_targets(create=True):
                self._bulk(target, docs, gone, refresh="wait_for")

    def remove(self, venue_ids: list[int]) -> None:
        ids = sorted({int(i) for i in venue_ids})
        if not ids:
            return
        with self._cluster("remove"):
            for target in self._write_targets(create=False):
                self._bulk(target, [], ids, refresh="wait_for")

    def reindex_all(self, progress: Callable[[int, int], Any] | None = None) -> int:
        """Build a new index beside the live one, then swap the alias in one atomic call."""
        venue_ids = self._approved_venue_ids()
        total, done, indexed = len(venue_ids), 0, 0
        with self._cluster("reindex"):
            existing = self._our_indices()
            # No replicas or refreshes while loading; both restored before the swap.
            new = self._create_index(existing, number_of_replicas=0, refresh_interval="-1")
            try:
                if progress:
                    progress(0, total)
                for chunk in _chunks(venue_ids):
                    docs = self._load_documents(chunk)
                    self._bulk(new, docs, [], refresh=False)
                    done, indexed = done + len(chunk), indexed + len(docs)
                    if progress:
                        progress(done, total)
                replicas = INDEX_SETTINGS["number_of_replicas"]
                self.client.indices.put_settings(
                    index=new, settings={"number_of_replicas": replicas, "refresh_interval": None}
                )
                self.client.indices.refresh(index=new)
            except BaseException:
                with suppress(TransportError, ApiError):  # report the first error, not the clean-up's
                    self.client.indices.delete(index=new, ignore_unavailable=True)
                raise
            swap = [{"remove": {"index": name, "alias": self.alias}} for name, a in existing.items() if self.alias in a]
            self.client.indices.update_aliases(actions=[*swap, {"add": {"index": new, "alias": self.alias}}])
            old = sorted(name for name in existing if name != new)
            if old:
                self.client.indices.delete(index=old, ignore_unavailable=True)
        return indexed

    def search(self, query: SearchQuery) -> SearchResult:
        synonyms = get_synonyms()
        _, result = self._search(query, synonyms)
        groups = term_groups(query.text, synonyms)[:MAX_TERMS]
        if result.total or len(groups) < 2:
            return result
        # No venue matched every word: relax one group at a time (minimum_should_match), as
        # PostgreSQL keeps the most groups any venue matches, and say which ones were matched.
        for at_least in range(len(groups) - 1, 0, -1):
            response, relaxed = self._search(query, synonyms, at_least)
            if relaxed.total:
                matched = sorted({found for found in relaxed_groups(response) if len(found) >= at_least})
                labels = tuple(relaxed_label(groups, found) for found in matched[:3])
                return dataclasses.replace(relaxed, relaxed=labels)
        return result

    def _search(
        self, query: SearchQuery, synonyms: Synonyms, min_groups: int | None = None
    ) -> tuple[Any, SearchResult]:
        only_ids = None
        if query.open_now or query.free_from is not None:
            body = build_candidates_body(query, synonyms=synonyms, min_groups=min_groups)
            with self._cluster("search"):
                candidates = _body(self.client.search(index=self.alias, body=body))
            zones = {int(h["_id"]): h.get("_source", {}).get("timezone") for h in candidates["hits"]["hits"]}
            only_ids = self._post_filter(zones, query)
        body = build_search_body(query, only_ids=only_ids, synonyms=synonyms, min_groups=min_groups)
        with self._cluster("search"):
            response = self.client.search(index=self.alias, body=body)
        return response, parse_search_response(response, query)

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        words = " ".join((prefix or "").split())[:100]
        if not words:
            return []
        with self._cluster("suggest"):
            response = self.client.search(index=self.alias, body=build_suggest_body(words, limit))
        return parse_suggest_response(response, words, limit)

    # -- what Elasticsearch can't filter

    def _post_filter(self, zones: dict[int, str | None], query: SearchQuery) -> list[int]:
        """The candidates (venue id -> time zone, best first) that are open now / free in the window."""
        keep = list(zones)
        if query.open_now and keep:
            open_now = self._open_now_ids({venue_id: zones[venue_id] or "UTC" for venue_id in keep}, self.now())
            keep = [venue_id for venue_id in keep if venue_id in open_now]
        if query.free_from is not None and query.free_to is not None and keep:
            free = free_time.venues_free_between(keep, query.free_from, query.free_to, now=self.now())
            keep = [venue_id for venue_id in keep if venue_id in free]
        return keep

    def _open_now_ids(self, zones: dict[int, str], now: datetime) -> set[int]:
        ids = list(zones)
        ranges: dict[int, dict[int, list[Range]]] = {venue_id: {} for venue_id in ids}
        for h in db.session.scalars(select(OpeningHours).where(OpeningHours.venue_id.in_(ids))):
            ranges[h.venue_id].setdefault(h.weekday, []).append(Range(h.opens_minute, h.closes_minute))
        closed: dict[int, list[tuple[Any, Any]]] = {venue_id: [] for venue_id in ids}
        # A venue's local date is at most a day from UTC's: older closures can't matter.
        recent = select(Closure).where(Closure.venue_id.in_(ids), Closure.ends_on >= (now - timedelta(days=1)).date())
        for c in db.session.scalars(recent):
            closed[c.venue_id].append((c.starts_on, c.ends_on))
        return {
            venue_id
            for venue_id in ids
            if is_open_at(
                ranges[venue_id], closed[venue_id], now, tz if is_valid_timezone(tz := zones[venue_id]) else "UTC"
            )
        }
