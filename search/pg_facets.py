"""Facet counts on PostgreSQL: the SQL that counts them from a ``base`` of matching venues,
grouping the rows into ``Facet`` values, and the cache for searches nothing narrows.

Each facet (category, tags, price buckets, rating buckets) counts with every other filter
applied but not its own. The cache key holds the "public" cache version (app.cache_versions),
which every statement writing ``venue_search`` changes in its own transaction (a trigger).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import text

from app import cache_versions
from app.extensions import cache, db
from search.types import (
    PRICE_BUCKETS,
    RATING_BUCKETS,
    TOP_TAGS,
    Facet,
    FacetValue,
    price_bucket_key,
    price_bucket_label,
    rating_bucket_key,
    rating_bucket_label,
)

# Facet counts of searches that neither text nor a radius narrows read (nearly) every venue;
# they are cached under the public cache version (see facet_rows), for at most this long.
FACETS_TTL = 600


def facet_rows(sql: str, params: dict[str, Any], *, cached: bool) -> list[tuple[str, str, str, int]]:
    """The facets statement's rows; with ``cached``, from the cache when this statement with
    these parameters already ran against the same index state.

    The key holds the public cache version, which every statement writing venue_search
    changes in the same transaction: a reader that sees new rows sees a new version (within
    CACHE_VERSION_TTL), and a rolled-back write leaves behind a version that never comes back."""
    if not cached:
        return [tuple(row) for row in db.session.execute(text(sql), params)]
    token = cache_versions.current(cache_versions.PUBLIC)
    used = {name: params[name] for name in sorted(set(_PARAM.findall(sql))) if name in params}
    digest = hashlib.sha256(f"{sql}\n{used!r}".encode()).hexdigest()[:32]
    key = f"search:facets:{token}:{digest}"
    rows = cache.get(key)
    if rows is None:
        rows = [tuple(row) for row in db.session.execute(text(sql), params)]
        cache.set(key, rows, timeout=FACETS_TTL)
    return rows


_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def group_facets(rows: Iterable[tuple[str, str, str, int]]) -> tuple[int, dict[str, Facet]]:
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


def facets_sql(base: list[str], filters: dict[str, str]) -> str:
    """The total and the facets as one statement of their own (see facet_rows_sql)."""
    flags = ", ".join(f"({condition}) AS f_{name}" for name, condition in filters.items())
    return f"""
WITH base AS MATERIALIZED (
    SELECT vs.category, vs.category_name, vs.tags, vs.price_from, vs.rating, {flags}
    FROM venue_search vs
    WHERE {" AND ".join(f"({b})" for b in base)}
)
{facet_rows_sql(filters)}"""


def facet_rows_sql(filters: dict[str, str]) -> str:
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


def index_zones() -> list[str]:
    """The time zones of indexed venues (a handful), cached under the public cache version."""
    token = cache_versions.current(cache_versions.PUBLIC)
    key = f"search:zones:{token}"
    zones = cache.get(key)
    if zones is None:
        zones = list(db.session.scalars(text("SELECT DISTINCT timezone FROM venue_search")))
        cache.set(key, zones, timeout=FACETS_TTL)
    return zones
