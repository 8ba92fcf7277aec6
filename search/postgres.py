"""The PostgreSQL search backend (the default): one denormalised row per approved venue.

``venue_search`` (migration 0005) holds a weighted ``tsvector`` (name A; category and services
B; tags and city C; description D) built with the ``cozywish_search`` configuration (simple +
unaccent), an ``earth`` cube for radius and distance, and the opening hours as a multirange
of local minutes since Monday 00:00 so "open now" is answered in SQL, in each venue's own
time zone.

Typos are forgiven by correcting the query, not by comparing it with every venue: a query
word the index has never seen is OR'ed with its nearest words from ``venue_search_words``
(the index's vocabulary, kept by triggers; migration 0007) by ``pg_trgm`` similarity, so
"masage" searches ``masage | massage``. The search itself then uses only the full-text index.

A text search is three short statements: the correction, the page of hits, and one aggregate
statement over a CTE for the total and the facets. Each facet counts with every other filter
applied but not its own.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import escape
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.extensions import cache, db
from app.venues.models import Venue, VenueStatus
from search.documents import build_document, document_from_json, document_to_json, load_venues
from search.types import (
    PRICE_BUCKETS,
    RATING_BUCKETS,
    Facet,
    FacetValue,
    SearchHit,
    SearchQuery,
    SearchResult,
)

TS_CONFIG = "cozywish_search"
WRITER_LOCK_KEY = 0x5EA4C4  # pg_advisory_xact_lock key held by index writers
# Facet counts of searches that neither text nor a radius narrows read (nearly) every venue;
# they are cached under the index's state token (see _facet_rows), for at most this long.
FACETS_TTL = 600
BATCH_SIZE = 500
TOP_TAGS = 15
# "Free in this window" runs the slot engine per candidate venue; beyond this many candidates
# (in the requested order) the rest are not checked. See search.availability.
FREE_WINDOW_MAX_CANDIDATES = 1000
MINUTES_PER_WEEK = 7 * 24 * 60
TSQUERY = "CAST(:tsquery AS tsquery)"
# ts_rank: word frequency under the A-D weights. ts_rank_cd (cover density) also rewards words
# standing close together, at four times the cost per matching row (bench/search/notes.md).
RANK_SQL = f"ts_rank(vs.search_vector, {TSQUERY})"
# How many close words stand in for one the index has never seen, and how close they must be
# (pg_trgm similarity, 0-1; 0.3 is pg_trgm's own default threshold).
TYPO_ALTERNATIVES = 3
TYPO_SIMILARITY = 0.3
HEADLINE_OPTIONS = 'StartSel=<mark>, StopSel=</mark>, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'


# -- facet buckets: values and labels (shared wording for every backend) -------------------


def price_bucket_key(low: int, high: int | None) -> str:
    return f"{low}-{high if high is not None else ''}"


def price_bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return f"£{low // 100} and up"
    if low == 0:
        return f"Under £{high // 100}"
    return f"£{low // 100}–£{high // 100}"


def rating_bucket_key(minimum: float) -> str:
    return f"{minimum:g}"


def rating_bucket_label(minimum: float) -> str:
    return f"{minimum:g} and up"


# -- SQL fragments ---------------------------------------------------------------------------


def _escape_html_sql(expression: str) -> str:
    """ts_headline copies the source as it is: escape it first so only <mark> tags are live."""
    out = expression
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("''", "&#39;")):
        out = f"replace({out}, '{raw}', '{entity}')"
    return out


def _local_now_sql(instant: str) -> str:
    return f"({instant} AT TIME ZONE vs.timezone)"


def _minute_of_week_sql(local: str) -> str:
    return (
        f"((extract(isodow FROM {local})::int - 1) * 1440"
        f" + extract(hour FROM {local})::int * 60 + extract(minute FROM {local})::int)"
    )


# "Open now", from the local minute of the week and local date of each time zone the index
# holds, worked out once per search (see local_moments) and looked up by each row's zone.
OPEN_NOW_SQL = (
    "vs.week_hours @> CAST(CAST(:open_minutes AS jsonb) ->> vs.timezone AS integer)"
    " AND NOT vs.closed_days @> CAST(CAST(:open_dates AS jsonb) ->> vs.timezone AS date)"
)

# Opening hours overlap the window [free_from, free_to), judged in each venue's local week.
_FROM_MOW = _minute_of_week_sql(_local_now_sql("CAST(:free_from AS timestamptz)"))
_TO_MOW = _minute_of_week_sql(_local_now_sql("CAST(:free_to AS timestamptz)"))
OPEN_DURING_WINDOW_SQL = (
    "(CAST(:free_to AS timestamptz) - CAST(:free_from AS timestamptz) >= interval '7 days'"
    f" OR CASE WHEN {_TO_MOW} > {_FROM_MOW}"
    f" THEN vs.week_hours && int4multirange(int4range({_FROM_MOW}, {_TO_MOW}))"
    f" ELSE vs.week_hours && int4multirange(int4range({_FROM_MOW}, {MINUTES_PER_WEEK + 1}), int4range(0, {_TO_MOW}))"
    " END)"
)


@dataclass
class CompiledSearch:
    """The SQL a query runs, with its parameters (``PostgresBackend.explain`` shows it).

    ``statements`` is ``[("search", sql)]`` when one statement answers page and facets
    together, else ``[("hits", sql), ("facets", sql)]``."""

    statements: list[tuple[str, str]]
    params: dict[str, Any]
    base: list[str] = field(default_factory=list)


class PostgresBackend:
    name = "postgres"

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))

    # -- indexing ------------------------------------------------------------------------------

    def index(self, venue_ids: Iterable[int]) -> None:
        """Upsert the approved venues among ``venue_ids``; remove the rest."""
        ids = sorted({int(i) for i in venue_ids})
        if not ids:
            return
        db.session.flush()
        _lock_writers()
        # A private session on the same connection (so the same transaction) reads fresh rows and
        # leaves no objects behind; it is closed before anything is written.
        reader = Session(bind=db.session.connection(), autoflush=False)
        try:
            rows, terms = _index_rows(load_venues(ids, session=reader))
        finally:
            reader.close()
        if rows:
            kept = [row["venue_id"] for row in rows]
            payload = json.dumps(rows)
            db.session.execute(text(UPSERT_SQL), {"rows": payload})
            db.session.execute(text(UPSERT_DOCUMENTS_SQL), {"rows": payload})
            db.session.execute(text("DELETE FROM venue_search_terms WHERE venue_id = ANY(:ids)"), {"ids": kept})
            db.session.execute(text(TERMS_SQL), {"terms": json.dumps(terms)})
        gone = sorted(set(ids) - {row["venue_id"] for row in rows})
        if gone:
            self.remove(gone)

    def remove(self, venue_ids: Iterable[int]) -> None:
        ids = sorted({int(i) for i in venue_ids})
        if ids:
            _lock_writers()
            # Suggestion terms go with their row (ON DELETE CASCADE).
            db.session.execute(text("DELETE FROM venue_search WHERE venue_id = ANY(:ids)"), {"ids": ids})

    def reindex_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        db.session.flush()
        _lock_writers()
        ids = list(db.session.scalars(select(Venue.id).where(Venue.status == VenueStatus.APPROVED).order_by(Venue.id)))
        db.session.execute(
            text("DELETE FROM venue_search WHERE venue_id NOT IN (SELECT id FROM venues WHERE status = 'approved')")
        )
        done = 0
        if progress:
            progress(0, len(ids))
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            self.index(batch)
            done += len(batch)
            if progress:
                progress(done, len(ids))
        return done

    # -- searching ---------------------------------------------------------------------------

    def compile(self, query: SearchQuery, *, only_ids: list[int] | None = None) -> CompiledSearch:
        """Build the SQL for ``query``. ``only_ids`` restricts to venues free in the window."""
        params: dict[str, Any] = {"limit": query.per_page, "offset": query.offset}
        base: list[str] = []
        words = " ".join(query.text.split())
        if words:
            params["tsquery"] = self.corrected_tsquery(words)
            base.append(f"vs.search_vector @@ {TSQUERY}")
            score = RANK_SQL
        else:
            score = "0.0"
        located = query.lat is not None and query.lng is not None
        if located:
            params.update(lat=query.lat, lng=query.lng)
            distance = "earth_distance(ll_to_earth(:lat, :lng), vs.earth)"
        else:
            distance = "CAST(NULL AS double precision)"
        if located and query.radius_km is not None:
            params["radius_m"] = query.radius_km * 1000.0
            # The GiST index finds the box; the circle is checked on the straight-line (chord)
            # distance, a plain C function: earth_distance() is the same test through a SQL
            # function per row (sec_to_gc, not inlined), which cost a third of a dense search.
            base.append(
                "earth_box(ll_to_earth(:lat, :lng), :radius_m) @> vs.earth"
                " AND cube_distance(ll_to_earth(:lat, :lng), vs.earth) <= 2 * earth() * sin(:radius_m / (2 * earth()))"
            )
        if query.open_now:
            # Opening hours are kept to the minute: the seconds change nothing, and without them
            # every search in the same minute shares its cached facet counts.
            minutes, dates = local_moments(self._now().replace(second=0, microsecond=0), _index_zones())
            params.update(open_minutes=json.dumps(minutes), open_dates=json.dumps(dates))
            base.append(OPEN_NOW_SQL)
        if only_ids is not None:
            params["only_ids"] = only_ids
            base.append("vs.venue_id = ANY(:only_ids)")

        facet_filters = {"category": "true", "tags": "true", "price": "true", "rating": "true"}
        if query.category:
            params["category"] = query.category
            facet_filters["category"] = "vs.category = :category"
        if query.tags:
            params["tags"] = list(query.tags)
            facet_filters["tags"] = "vs.tags @> CAST(:tags AS text[])"
        price = []
        if query.price_min is not None:
            params["price_min"] = query.price_min
            price.append("vs.price_from >= :price_min")
        if query.price_max is not None:
            params["price_max"] = query.price_max
            price.append("vs.price_from <= :price_max")
        if price:
            facet_filters["price"] = " AND ".join(price)
        if query.min_rating is not None:
            params["min_rating"] = query.min_rating
            facet_filters["rating"] = "vs.rating >= :min_rating"

        where = [*base, *(f for f in facet_filters.values() if f != "true")] or ["true"]
        order = _order_keys(query, bool(words), located)
        keys = ", ".join(f"{expr} AS k{i}" for i, (expr, _) in enumerate(order))
        inner_keys = order
        if query.sort == "distance" and order and "<->" in order[0][0]:
            # Nearest-first straight from the GiST index: PostgreSQL before 16 can't add an
            # incremental sort on top of an ordered-by-distance index scan, so tie-breakers
            # here would turn the KNN scan into a full sort. Ties are broken on the page below
            # (only venues at exactly the same point can tie).
            inner_keys = order[:1]
        inner_order = ", ".join(f"{expr} {direction}" for expr, direction in inner_keys)
        outer_order = ", ".join(f"page.k{i} {direction}" for i, (_, direction) in enumerate(order))
        if words:
            params["headline_options"] = HEADLINE_OPTIONS
            highlight = (
                f"ts_headline('{TS_CONFIG}', {_escape_html_sql('doc.description')}, {TSQUERY}, :headline_options)"
            )
        else:
            highlight = "''"
        if words or "radius_m" in params:
            # The text or the radius narrows the venues to a few thousand at most: read them
            # once, and take the page and the facets from that one read.
            flags = ", ".join(f"({condition}) AS f_{name}" for name, condition in facet_filters.items())
            base_order = ", ".join(f"base.k{i} {direction}" for i, (_, direction) in enumerate(order))
            sql = f"""
WITH base AS MATERIALIZED (
    SELECT vs.venue_id, vs.category, vs.category_name, vs.tags, vs.price_from, vs.rating, {flags},
           {score} AS score, {keys}
    FROM venue_search vs
    WHERE {" AND ".join(f"({b})" for b in base)}
),
page AS (
    SELECT base.* FROM base
    WHERE f_category AND f_tags AND f_price AND f_rating
    ORDER BY {base_order}
    LIMIT :limit OFFSET :offset
)
SELECT 'hit' AS kind, row_number() OVER (ORDER BY {outer_order}) AS position, page.venue_id, page.score,
       {distance} AS distance_m, doc.document, doc.description, {highlight} AS highlight,
       NULL AS facet, NULL AS value, NULL AS label, NULL AS n
FROM page
JOIN venue_search vs ON vs.venue_id = page.venue_id
JOIN venue_search_documents doc ON doc.venue_id = page.venue_id
UNION ALL
SELECT 'facet', NULL, NULL, NULL, NULL, NULL, NULL, NULL, f.facet, f.value, f.label, f.n
FROM ({_facet_rows_sql(facet_filters)}) AS f"""
            return CompiledSearch(statements=[("search", sql)], params=params, base=base)

        # The page is chosen reading only the keys; documents are read for its rows alone.
        hits_sql = f"""
SELECT page.venue_id, page.score, {distance} AS distance_m, doc.document, doc.description, {highlight} AS highlight
FROM (
    SELECT vs.venue_id, {score} AS score, {keys}
    FROM venue_search vs
    WHERE {" AND ".join(f"({w})" for w in where)}
    ORDER BY {inner_order}
    LIMIT :limit OFFSET :offset
) AS page
JOIN venue_search vs ON vs.venue_id = page.venue_id
JOIN venue_search_documents doc ON doc.venue_id = page.venue_id
ORDER BY {outer_order}"""
        facets_sql = _facets_sql(base or ["true"], facet_filters)
        return CompiledSearch(statements=[("hits", hits_sql), ("facets", facets_sql)], params=params, base=base)

    def corrected_tsquery(self, words: str) -> str:
        """``words`` as tsquery text, typos OR'ed with the closest words of the index."""
        row = db.session.execute(
            text(CORRECTION_SQL),
            {"text": words, "threshold": TYPO_SIMILARITY, "alternatives": TYPO_ALTERNATIVES},
        ).one()
        return rewrite_tsquery(row.tsquery, row.fixes) if row.fixes else row.tsquery

    def explain(self, query: SearchQuery) -> list[tuple[str, str, dict[str, Any]]]:
        """(name, SQL, params) of every statement ``search(query)`` runs, for EXPLAIN."""
        compiled = self.compile(query, only_ids=[] if query.free_from else None)
        return [(name, sql, compiled.params) for name, sql in compiled.statements]

    def search(self, query: SearchQuery) -> SearchResult:
        only_ids = self._free_venue_ids(query) if query.free_from and query.free_to else None
        compiled = self.compile(query, only_ids=only_ids)
        if len(compiled.statements) == 1:
            rows = db.session.execute(text(compiled.statements[0][1]), compiled.params).mappings().all()
            hit_rows = sorted((row for row in rows if row["kind"] == "hit"), key=lambda row: row["position"])
            facet_rows = [(row["facet"], row["value"], row["label"], row["n"]) for row in rows if row["kind"] != "hit"]
        else:
            (_, hits_sql), (_, facets_sql) = compiled.statements
            hit_rows = db.session.execute(text(hits_sql), compiled.params).mappings().all()
            facet_rows = _facet_rows(facets_sql, compiled.params, cached=only_ids is None)
        hits = tuple(
            SearchHit(
                venue_id=row["venue_id"],
                slug=row["document"]["slug"],
                name=row["document"]["name"],
                score=float(row["score"] or 0.0),
                distance_km=(row["distance_m"] / 1000.0 if row["distance_m"] is not None else None),
                highlight=row["highlight"] or _plain_snippet(row["description"]),
                document=document_from_json(row["document"]),
            )
            for row in hit_rows
        )
        total, facets = _group_facets(facet_rows)
        return SearchResult(hits=hits, total=total, facets=facets, backend=self.name)

    def _free_venue_ids(self, query: SearchQuery) -> list[int]:
        """Venues matching the other filters that the slot engine says can take a booking in
        the window. Opening hours prune candidates in SQL first."""
        from search.availability import venues_free_between

        compiled = self.compile(query)
        params = {**compiled.params, "free_from": query.free_from, "free_to": query.free_to}
        params.update(limit=FREE_WINDOW_MAX_CANDIDATES, offset=0)
        where = [*compiled.base, OPEN_DURING_WINDOW_SQL]
        candidates = list(
            db.session.scalars(
                text(
                    "SELECT vs.venue_id FROM venue_search vs WHERE "
                    + " AND ".join(f"({w})" for w in where)
                    + " ORDER BY vs.venue_id LIMIT :limit"
                ),
                params,
            )
        )
        return sorted(venues_free_between(candidates, query.free_from, query.free_to))

    # -- suggestions ----------------------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        """Terms that start with ``prefix`` (or have a word that does), the most used first; when
        there are fewer than ``limit``, the same for ``prefix`` with its typos corrected."""
        words = " ".join((prefix or "").split())[:100]
        if not words:
            return []
        found = self._terms_starting(words, limit)
        if len(found) < limit:
            corrected = db.session.execute(text(CORRECT_WORDS_SQL), {"words": words.split(" ")}).scalar_one()
            if corrected and corrected != words.lower():
                found += [t for t in self._terms_starting(corrected, limit) if t not in found]
        return found[:limit]

    def _terms_starting(self, words: str, limit: int) -> list[str]:
        like = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = db.session.execute(
            text(SUGGEST_SQL), {"starts": like + "%", "inside": "% " + like + "%", "limit": limit}
        )
        return [row.term for row in rows]


def local_moments(instant: datetime, zones: Iterable[str]) -> tuple[dict[str, int], dict[str, str]]:
    """For each zone: the local minute of the week (Monday 00:00 = 0) and the local date of
    ``instant``, as OPEN_NOW_SQL looks them up. The same zoneinfo as the slot engine."""
    minutes: dict[str, int] = {}
    dates: dict[str, str] = {}
    for zone in zones:
        try:
            local = instant.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a venue in an unknown zone is never "open now"
        minutes[zone] = local.weekday() * 1440 + local.hour * 60 + local.minute
        dates[zone] = local.date().isoformat()
    return minutes, dates


def _index_zones() -> list[str]:
    """The time zones of indexed venues (a handful), cached under the index state token."""
    token = _state_token()
    key = f"search:zones:{token}"
    zones = cache.get(key)
    if zones is None:
        zones = list(db.session.scalars(text("SELECT DISTINCT timezone FROM venue_search")))
        cache.set(key, zones, timeout=FACETS_TTL)
    return zones


def _state_token() -> str:
    return str(db.session.execute(text("SELECT token FROM venue_search_state")).scalar_one())


def _lock_writers() -> None:
    """One index writer at a time (until its commit). The vocabulary and suggestion triggers
    update shared count rows, one statement at a time: two writers of several statements each
    could otherwise take those rows in opposite orders and deadlock."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def _index_rows(venues: list[Venue]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for venue_search and venue_search_terms, as JSON-ready dicts."""
    rows, terms = [], []
    for venue in venues:
        document = build_document(venue)
        data = document_to_json(document)
        rows.append(
            {
                **data,
                "venue_id": document.id,
                "service_names_text": ", ".join(document.service_names),
                "week_hours": week_hours_literal(venue),
                "closed_days": closed_days_literal(venue),
                "document": data,
            }
        )
        terms.append({"venue_id": venue.id, "kind": "venue", "term": document.name})
        if document.category_name:
            terms.append({"venue_id": venue.id, "kind": "category", "term": document.category_name})
        terms.extend({"venue_id": venue.id, "kind": "service", "term": name} for name in document.service_names)
    return rows, terms


def _order_keys(query: SearchQuery, has_text: bool, located: bool) -> list[tuple[str, str]]:
    name_keys = [("vs.name", "ASC"), ("vs.venue_id", "ASC")]
    rating_keys = [("vs.rating", "DESC NULLS LAST"), ("vs.review_count", "DESC")]
    if query.sort == "distance" and located:
        # cube's <-> (straight-line distance in the earth model) orders like earth_distance and
        # lets the GiST index return nearest first.
        return [("vs.earth <-> ll_to_earth(:lat, :lng)", "ASC NULLS LAST"), *name_keys]
    if query.sort == "price":
        return [("vs.price_from", "ASC NULLS LAST"), *name_keys]
    if query.sort == "rating" or not has_text:
        return [*rating_keys, *name_keys]
    return [(RANK_SQL, "DESC"), *name_keys]


def _facet_rows(sql: str, params: dict[str, Any], *, cached: bool) -> list[tuple[str, str, str, int]]:
    """The facets statement's rows; with ``cached``, from the cache when this statement with
    these parameters already ran against the same index state.

    The key holds ``venue_search_state.token``, which every statement writing venue_search
    changes in the same transaction: a reader that sees new rows sees a new token, and a
    rolled-back write leaves behind a token that never comes back."""
    if not cached:
        return [tuple(row) for row in db.session.execute(text(sql), params)]
    token = _state_token()
    used = {name: params[name] for name in sorted(set(_PARAM.findall(sql))) if name in params}
    digest = hashlib.sha256(f"{sql}\n{used!r}".encode()).hexdigest()[:32]
    key = f"search:facets:{token}:{digest}"
    rows = cache.get(key)
    if rows is None:
        rows = [tuple(row) for row in db.session.execute(text(sql), params)]
        cache.set(key, rows, timeout=FACETS_TTL)
    return rows


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def _group_facets(rows: Iterable[tuple[str, str, str, int]]) -> tuple[int, dict[str, Facet]]:
    total = 0
    grouped: dict[str, list[FacetValue]] = {"category": [], "tags": [], "price": [], "rating": []}
    for facet, value, label, count in rows:
        if facet == "total":
            total = int(count)
        else:
            grouped[facet].append(FacetValue(value=value, label=label or value, count=int(count)))
    grouped["category"].sort(key=lambda v: (-v.count, v.label))
    price_labels = {price_bucket_key(lo, hi): price_bucket_label(lo, hi) for lo, hi in PRICE_BUCKETS}
    rating_labels = {rating_bucket_key(r): rating_bucket_label(r) for r in RATING_BUCKETS}
    grouped["price"] = [FacetValue(v.value, price_labels[v.value], v.count) for v in grouped["price"]]
    grouped["rating"] = [FacetValue(v.value, rating_labels[v.value], v.count) for v in grouped["rating"]]
    return total, {name: Facet(name=name, values=tuple(values)) for name, values in grouped.items()}


def _facets_sql(base: list[str], filters: dict[str, str]) -> str:
    """The total and the facets as one statement of their own (see _facet_rows_sql)."""
    flags = ", ".join(f"({condition}) AS f_{name}" for name, condition in filters.items())
    return f"""
WITH base AS MATERIALIZED (
    SELECT vs.category, vs.category_name, vs.tags, vs.price_from, vs.rating, {flags}
    FROM venue_search vs
    WHERE {" AND ".join(f"({b})" for b in base)}
)
{_facet_rows_sql(filters)}"""


def _facet_rows_sql(filters: dict[str, str]) -> str:
    """(facet, value, label, n) rows from a CTE ``base`` with a flag ``f_<name>`` per facet
    filter: the total, and each facet counted with every other filter but its own."""

    def others(name: str) -> str:
        return " AND ".join(f"f_{other}" for other in filters if other != name)

    price_counts = ", ".join(
        f"count(*) FILTER (WHERE price_from >= {lo}{f' AND price_from < {hi}' if hi is not None else ''}) AS p{i}"
        for i, (lo, hi) in enumerate(PRICE_BUCKETS)
    )
    price_values = ", ".join(f"('{price_bucket_key(lo, hi)}', c.p{i})" for i, (lo, hi) in enumerate(PRICE_BUCKETS))
    rating_counts = ", ".join(
        f"count(*) FILTER (WHERE rating >= {minimum}) AS r{i}" for i, minimum in enumerate(RATING_BUCKETS)
    )
    rating_values = ", ".join(f"('{rating_bucket_key(m)}', c.r{i})" for i, m in enumerate(RATING_BUCKETS))
    return f"""
SELECT 'total' AS facet, '' AS value, '' AS label, count(*) AS n
FROM base WHERE f_category AND f_tags AND f_price AND f_rating
UNION ALL
SELECT 'category', category, min(category_name), count(*)
FROM base WHERE {others("category")} AND category IS NOT NULL GROUP BY category
UNION ALL
(SELECT 'tags', tag, tag, count(*)
 FROM (SELECT unnest(base.tags) AS tag FROM base WHERE {others("tags")}) AS tagged
 GROUP BY tag ORDER BY count(*) DESC, tag LIMIT {TOP_TAGS})
UNION ALL
SELECT 'price', b.key, '', b.n
FROM (SELECT {price_counts} FROM base WHERE {others("price")}) AS c
CROSS JOIN LATERAL (VALUES {price_values}) AS b(key, n)
UNION ALL
SELECT 'rating', b.key, '', b.n
FROM (SELECT {rating_counts} FROM base WHERE {others("rating")}) AS c
CROSS JOIN LATERAL (VALUES {rating_values}) AS b(key, n)"""


def _plain_snippet(description: str | None, words: int = 30) -> str:
    parts = (description or "").split()
    snippet = " ".join(parts[:words]) + (" …" if len(parts) > words else "")
    return str(escape(snippet))


def week_hours_literal(venue: Venue) -> str:
    """Opening ranges as an int4multirange literal of local minutes since Monday 00:00."""
    ranges = sorted(
        (h.weekday * 1440 + h.opens_minute, h.weekday * 1440 + h.closes_minute) for h in venue.opening_hours
    )
    return "{" + ",".join(f"[{lo},{hi})" for lo, hi in ranges) + "}"


def closed_days_literal(venue: Venue) -> str:
    """Closures as a datemultirange literal (their last day included)."""
    ranges = sorted((c.starts_on, c.ends_on + timedelta(days=1)) for c in venue.closures)
    return "{" + ",".join(f"[{lo.isoformat()},{hi.isoformat()})" for lo, hi in ranges) + "}"


_COLUMNS = (
    "venue_id, slug, name, category, category_name, tags, service_names, city, lat, lng,"
    " price_from, currency, rating, review_count, cover_thumb, timezone, week_hours, closed_days,"
    " search_vector, earth, indexed_at"
)
_UPDATES = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in _COLUMNS.split(",")[1:])

UPSERT_SQL = f"""
INSERT INTO venue_search ({_COLUMNS})
SELECT d.venue_id, d.slug, d.name, d.category, d.category_name, d.tags, d.service_names_text,
       d.city, d.lat, d.lng, d.price_from, d.currency, d.rating, d.review_count, d.cover_thumb, d.timezone,
       CAST(d.week_hours AS int4multirange), CAST(d.closed_days AS datemultirange),
       setweight(to_tsvector('{TS_CONFIG}', d.name), 'A')
       || setweight(to_tsvector('{TS_CONFIG}', coalesce(d.category_name, '') || ' ' || d.service_names_text), 'B')
       || setweight(to_tsvector('{TS_CONFIG}', array_to_string(d.tags, ' ') || ' ' || d.city), 'C')
       || setweight(to_tsvector('{TS_CONFIG}', d.description), 'D'),
       CASE WHEN d.lat IS NOT NULL AND d.lng IS NOT NULL THEN ll_to_earth(d.lat, d.lng) END,
       now()
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS d(
    venue_id integer, slug text, name text, description text, category text, category_name text, tags text[],
    service_names_text text, city text, lat double precision, lng double precision, price_from integer,
    currency text, rating real, review_count integer, cover_thumb text, timezone text, week_hours text,
    closed_days text
)
ON CONFLICT (venue_id) DO UPDATE SET {_UPDATES}"""

# What a hit shows, kept apart so the rows searches scan stay narrow (migration 0007).
UPSERT_DOCUMENTS_SQL = """
INSERT INTO venue_search_documents (venue_id, document, description)
SELECT d.venue_id, d.document, d.description
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS d(venue_id integer, document jsonb, description text)
ON CONFLICT (venue_id) DO UPDATE SET document = EXCLUDED.document, description = EXCLUDED.description"""

TERMS_SQL = """
INSERT INTO venue_search_terms (venue_id, kind, term, term_key)
SELECT t.venue_id, t.kind, t.term, lower(unaccent(t.term))
FROM jsonb_to_recordset(CAST(:terms AS jsonb)) AS t(venue_id integer, kind text, term text)
ON CONFLICT DO NOTHING"""

# Terms whose start, or the start of one of whose words, is the prefix: whole-term prefixes
# first, then the terms most venues use. One row per distinct term (venue_search_suggestions,
# kept by triggers). search_fold() is lower(unaccent()) declared IMMUTABLE, so the input is
# folded once, not on every row.
SUGGEST_SQL = """
SELECT term, term_key LIKE search_fold(:starts) AS starts
FROM venue_search_suggestions
WHERE term_key LIKE search_fold(:starts) OR term_key LIKE search_fold(:inside)
ORDER BY starts DESC, venues DESC, term_key
LIMIT :limit"""

# The typed words with each one the vocabulary lacks replaced by its closest word (kept as it
# is when nothing is close): "masage" -> "massage", "hot stnoe" -> "hot stone".
CORRECT_WORDS_SQL = """
SELECT string_agg(coalesce(known.word, close.word, q.word), ' ' ORDER BY q.position)
FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS typed(raw, position)
CROSS JOIN LATERAL (SELECT search_fold(typed.raw) AS word, typed.position) AS q
LEFT JOIN venue_search_words known ON known.word = q.word
LEFT JOIN LATERAL (
    SELECT v.word FROM venue_search_words v
    WHERE known.word IS NULL AND v.word % q.word
    ORDER BY similarity(v.word, q.word) DESC, v.venues DESC, v.word
    LIMIT 1
) AS close ON true"""

# The query as websearch_to_tsquery reads it, and for each of its words the vocabulary lacks,
# the closest words the vocabulary has (through the trigram index on venue_search_words).
CORRECTION_SQL = f"""
SELECT CAST(websearch_to_tsquery('{TS_CONFIG}', :text) AS text) AS tsquery,
       coalesce((
           SELECT jsonb_object_agg(q.word, ARRAY(
               SELECT v.word FROM venue_search_words v
               WHERE v.word % q.word AND similarity(v.word, q.word) >= :threshold
               ORDER BY similarity(v.word, q.word) DESC, v.venues DESC, v.word
               LIMIT :alternatives))
           FROM unnest(tsvector_to_array(to_tsvector('{TS_CONFIG}', :text))) AS q(word)
           WHERE NOT EXISTS (SELECT 1 FROM venue_search_words known WHERE known.word = q.word)
       ), '{{}}'::jsonb) AS fixes"""

_TSQUERY_LEXEME = re.compile(r"'((?:[^'\\]|''|\\.)*)'")


def _quote_lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def _unquote_lexeme(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted.replace("''", "'"))


def rewrite_tsquery(tsquery: str, fixes: dict[str, list[str]]) -> str:
    """Replace each lexeme of ``tsquery`` (tsquery text) that has close words by an OR group:
    ``'masage' & 'london'`` with {"masage": ["massage"]} is ``( 'masage' | 'massage' ) & 'london'``.
    Operators, phrases and negations are kept as they are."""

    def replace(match: re.Match[str]) -> str:
        word = _unquote_lexeme(match.group(1))
        alternatives = [w for w in fixes.get(word, ()) if w != word]
        if not alternatives:
            return match.group(0)
        return "( " + " | ".join(_quote_lexeme(w) for w in [word, *alternatives]) + " )"

    return _TSQUERY_LEXEME.sub(replace, tsquery)
