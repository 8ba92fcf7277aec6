"""Facet counts on PostgreSQL: the SQL that counts them from a ``base`` of matching venues,
grouping the rows into ``Facet`` values, and the cache for searches nothing narrows.

Each facet (category, tags, price buckets, rating buckets) counts with every other filter
applied but not its own. The cache key holds the "public" cache version (app.platform.cache_versions),
which every statement writing ``venue_search`` changes in its own transaction (a trigger).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import text

from app.platform import cache_versions
from app.platform.extensions import cache, db
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


def facet_rows_sql(filters: dict[str, str], counts: dict[str, str] | None = None) -> str:
    """(facet, value, label, n) rows from a CTE ``base`` with a flag ``f_<name>`` per facet
    filter: the total, and each facet counted with every other filter but its own. ``counts``:
    more rows (name, '', '', how many of ``base`` pass the condition). The total, the price and
    rating buckets and ``counts`` are counted in one pass over ``base``, each with its own
    FILTER: a scan of the CTE apiece cost about 0.2 ms per thousand rows each."""

    def others(name: str) -> str:
        return " AND ".join(f"f_{other}" for other in filters if other != name)

    every = " AND ".join(f"f_{name}" for name in filters)
    columns = [f"count(*) FILTER (WHERE {every}) AS total"]
    values = ["('total', '', c.total)"]
    for i, (lo, hi) in enumerate(PRICE_BUCKETS):
        upper = f" AND price_from < {hi}" if hi is not None else ""
        columns.append(f"count(*) FILTER (WHERE {others('price')} AND price_from >= {lo}{upper}) AS p{i}")
        values.append(f"('price', '{price_bucket_key(lo, hi)}', c.p{i})")
    for i, minimum in enumerate(RATING_BUCKETS):
        columns.append(f"count(*) FILTER (WHERE {others('rating')} AND rating >= {minimum}) AS r{i}")
        values.append(f"('rating', '{rating_bucket_key(minimum)}', c.r{i})")
    for i, (name, condition) in enumerate((counts or {}).items()):
        columns.append(f"count(*) FILTER (WHERE {condition}) AS x{i}")
        values.append(f"('{name}', '', c.x{i})")
    return f"""
SELECT b.facet, b.value, '' AS label, b.n
FROM (SELECT {", ".join(columns)} FROM base) AS c
CROSS JOIN LATERAL (VALUES {", ".join(values)}) AS b(facet, value, n)
UNION ALL
SELECT 'category', category, min(category_name), count(*)
FROM base WHERE {others("category")} AND category IS NOT NULL GROUP BY category
UNION ALL
(SELECT 'tags', tag, tag, count(*)
 FROM (SELECT unnest(base.tags) AS tag FROM base WHERE {others("tags")}) AS tagged
 GROUP BY tag ORDER BY count(*) DESC, tag LIMIT {TOP_TAGS})"""


def _per_index_state(name: str, read: Callable[[], Any]) -> Any:
    """``read()``, cached under the public cache version (a new index state reads it again)."""
    key = f"search:{name}:{cache_versions.current(cache_versions.PUBLIC)}"
    value = cache.get(key)
    if value is None:
        value = read()
        cache.set(key, value, timeout=FACETS_TTL)
    return value


def index_zones() -> list[str]:
    """The time zones of indexed venues (a handful)."""
    return list(zone_boxes())


ZONE_BOXES_SQL = "SELECT timezone, min(lat), max(lat), min(lng), max(lng) FROM venue_search GROUP BY timezone"


def zone_boxes() -> dict[str, tuple[float, float, float, float] | None]:
    """Each time zone of indexed venues, with the south, north, west and east limits of its
    venues' locations (None when none of them has one): a zone whose box misses a circle has
    no venue in it (search.postgres keeps such zones' keys out of an index lookup)."""

    def read() -> dict[str, tuple[float, float, float, float] | None]:
        rows = db.session.execute(text(ZONE_BOXES_SQL))
        return {zone: (None if box[0] is None else tuple(box)) for zone, *box in rows}

    return _per_index_state("zone_boxes", read)


def unbookable_count() -> int:
    """How many indexed venues can't take paid bookings yet (their partial index, migration 0051)."""
    sql = text("SELECT count(*) FROM venue_search WHERE NOT bookable")
    return _per_index_state("unbookable", lambda: int(db.session.execute(sql).scalar_one()))


def index_size() -> int:
    """About how many venues the index holds (the planner's own count)."""
    sql = text("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'venue_search'::regclass")
    return _per_index_state("size", lambda: int(db.session.execute(sql).scalar_one()))


# -- facets from the cells (migration 0035) ---------------------------------------------------
#
# venue_search_facet_cells holds the facet counts grouped by what the facets and their filters
# look at (kinds: "v" venues per zone, hours, category, price and rating bucket; "t" the same
# per tag without the hours; "h" venues per zone, hours and tag; migration 0040: "p" and "q", as
# "v" and "t" without the hours and with the exact price; migration 0041: "b", as "v" without
# the hours, which searches without "open now" sum: a few hundred cells at any size). A search that neither text nor a
# radius narrows sums cells instead of reading every venue, when its filters are ones the
# cells can tell apart: any price filter (a range typed as from/to sums "p" and "q" between its
# ends), a rating filter that is one of RATING_BUCKETS, at most one tag. "Open now" with no other
# filter reads the weekly profiles of migration 0043 instead (open_now_facets_sql). The counts are
# exact, the same as counting rows (tests/search/test_facet_cells.py).


def price_bucket_index(price_min: int | None, price_max: int | None) -> int | None:
    """The PRICE_BUCKETS index the filter [price_min, price_max] is exactly; None otherwise."""
    for n, (low, high) in enumerate(PRICE_BUCKETS):
        if price_min == low and price_max == (high - 1 if high is not None else None):
            return n
    return None


def rating_bucket_index(min_rating: Any) -> int | None:
    for n, minimum in enumerate(RATING_BUCKETS):
        if min_rating is not None and float(min_rating) == minimum:
            return n
    return None


def cells_facets_sql(query: Any, params: dict[str, Any]) -> str | None:
    """The facets of ``query`` (no text, no radius) from the cells, or None when the cells can't
    answer its filters exactly (with "open now" alone: the profiles). Adds its parameters to
    ``params``; with "open now" it reads ``open_minutes`` and ``open_dates`` (set by the caller)."""
    price_filtered = query.price_min is not None or query.price_max is not None
    price_b = price_bucket_index(query.price_min, query.price_max) if price_filtered else None
    # A typed range (not one of the buckets) sums the cells by exact price (migration 0040).
    typed = price_filtered and price_b is None
    if typed and query.open_now:
        return None
    rating_b = rating_bucket_index(query.min_rating) if query.min_rating is not None else None
    if query.min_rating is not None and rating_b is None:
        return None
    if len(query.tags) > 1:
        return None
    filtered = bool(query.category or query.tags or price_filtered or query.min_rating is not None)
    if query.open_now:
        # Alone (the cells can't tell "open now" and another filter apart): the profiles.
        return None if filtered else open_now_facets_sql(params)
    flags = {"category": "true", "price": "true", "rating": "true"}
    if query.category:
        params["cell_category"] = query.category
        flags["category"] = "category = :cell_category"
    if price_b is not None:
        params["cell_price_b"] = price_b
        flags["price"] = "price_b = :cell_price_b"
    if typed:
        params.update(cell_price_min=query.price_min or 0, cell_price_max=query.price_max)
        flags["price"] = "price >= :cell_price_min" + (
            " AND price <= :cell_price_max" if query.price_max is not None else ""
        )
    if rating_b is not None:
        params["cell_rating_b"] = rating_b
        flags["rating"] = "rating_b <= :cell_rating_b"
    # Venues per category, price and rating; per tag as well. By exact price (kinds "p" and
    # "q") for a typed range, else by the price facet's buckets ("b", migration 0041, and
    # "t"), none of them by hours.
    venue_kind, tag_kind = ("p", "q") if typed else ("b", "t")
    if query.tags:
        params["cell_tag"] = query.tags[0]
        venues = f"kind = '{tag_kind}' AND tag = :cell_tag"
    else:
        venues = f"kind = '{venue_kind}'"
    cells = f"""
WITH v AS (
    SELECT category, category_name, price_b, price, rating_b, n FROM venue_search_facet_cells WHERE {venues}
), t AS (
    SELECT tag, n FROM venue_search_facet_cells
    WHERE kind = '{tag_kind}' AND {flags["category"]} AND {flags["price"]} AND {flags["rating"]}
)"""

    def others(name: str) -> str:
        return " AND ".join(condition for other, condition in flags.items() if other != name)

    price_sums = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE price_b = {i}), 0) AS p{i}" for i in range(len(PRICE_BUCKETS))
    )
    price_values = ", ".join(f"('{price_bucket_key(lo, hi)}', c.p{i})" for i, (lo, hi) in enumerate(PRICE_BUCKETS))
    rating_sums = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE rating_b <= {i}), 0) AS r{i}" for i in range(len(RATING_BUCKETS))
    )
    rating_values = ", ".join(f"('{rating_bucket_key(m)}', c.r{i})" for i, m in enumerate(RATING_BUCKETS))
    return f"""{cells}
SELECT 'total' AS facet, '' AS value, '' AS label, coalesce(sum(n), 0) AS n
FROM v WHERE {" AND ".join(flags.values())}
UNION ALL
SELECT 'category', category, min(NULLIF(category_name, '')), sum(n)
FROM v WHERE {others("category")} AND category <> '' GROUP BY category HAVING sum(n) > 0
UNION ALL
(SELECT 'tags', tag, tag, sum(n) FROM t GROUP BY tag HAVING sum(n) > 0 ORDER BY sum(n) DESC, tag LIMIT {TOP_TAGS})
UNION ALL
SELECT 'price', b.key, '', b.n
FROM (SELECT {price_sums} FROM v WHERE {others("price")}) AS c
CROSS JOIN LATERAL (VALUES {price_values}) AS b(key, n)
UNION ALL
SELECT 'rating', b.key, '', b.n
FROM (SELECT {rating_sums} FROM v WHERE {others("rating")}) AS c
CROSS JOIN LATERAL (VALUES {rating_values}) AS b(key, n)"""


def open_now_facets_sql(params: dict[str, Any]) -> str:
    """The facets of "open now" alone, from the weekly profiles (migration 0043): per zone and
    facet value, the count at the zone's minute of the week (``open_minutes``) is one binary
    search in the profile's edges. The venues open by their hours but closed today (a closure,
    found through the closed_days index) are subtracted, each in every facet it counts in."""
    dates = sorted(set(json.loads(params["open_dates"]).values()))
    params["closed_window"] = "{[" + dates[0] + "," + dates[-1] + "]}" if dates else "{}"  # every local "today"
    price_sums = ", ".join(
        f"coalesce(sum(n) FILTER (WHERE facet = 'price' AND value = '{i}'), 0) AS p{i}"
        for i in range(len(PRICE_BUCKETS))
    )
    price_values = ", ".join(f"('{price_bucket_key(lo, hi)}', c.p{i})" for i, (lo, hi) in enumerate(PRICE_BUCKETS))
    rating_sums = ", ".join(
        "coalesce(sum(n) FILTER (WHERE facet = 'rating' AND value IN ({})), 0) AS r{}".format(
            ", ".join(f"'{b}'" for b in range(i + 1)), i
        )
        for i in range(len(RATING_BUCKETS))
    )
    rating_values = ", ".join(f"('{rating_bucket_key(m)}', c.r{i})" for i, m in enumerate(RATING_BUCKETS))
    return f"""
WITH closed AS MATERIALIZED (
    SELECT vs.category, vs.price_from, vs.rating, vs.tags FROM venue_search vs
    WHERE vs.closed_days && CAST(:closed_window AS datemultirange)
      AND vs.closed_days @> CAST(CAST(:open_dates AS jsonb) ->> vs.timezone AS date)
      AND vs.week_hours @> CAST(CAST(:open_minutes AS jsonb) ->> vs.timezone AS integer)
), p AS MATERIALIZED (
    SELECT p.facet, p.value, p.label, coalesce(p.counts[width_bucket(CAST(z.minute AS integer), p.edges)], 0) AS n
    FROM jsonb_each_text(CAST(:open_minutes AS jsonb)) AS z(timezone, minute)
    JOIN venue_search_open_profiles p ON p.timezone = z.timezone
    UNION ALL
    SELECT f.facet, f.value, '', -1
    FROM closed vs
    CROSS JOIN LATERAL (
        SELECT 'total', ''
        UNION ALL SELECT 'category', coalesce(vs.category, '')
        UNION ALL SELECT 'price', CAST(venue_search_price_bucket(vs.price_from) AS text)
        UNION ALL SELECT 'rating', CAST(venue_search_rating_bucket(vs.rating) AS text)
        UNION ALL SELECT 'tag', t.tag FROM unnest(vs.tags) AS t(tag)
    ) AS f(facet, value)
)
SELECT 'total' AS facet, '' AS value, '' AS label, coalesce(sum(n), 0) AS n FROM p WHERE facet = 'total'
UNION ALL
SELECT 'category', value, min(NULLIF(label, '')), sum(n)
FROM p WHERE facet = 'category' AND value <> '' GROUP BY value HAVING sum(n) > 0
UNION ALL
(SELECT 'tags', value, value, sum(n) FROM p WHERE facet = 'tag'
 GROUP BY value HAVING sum(n) > 0 ORDER BY sum(n) DESC, value LIMIT {TOP_TAGS})
UNION ALL
SELECT 'price', b.key, '', b.n
FROM (SELECT {price_sums} FROM p) AS c
CROSS JOIN LATERAL (VALUES {price_values}) AS b(key, n)
UNION ALL
SELECT 'rating', b.key, '', b.n
FROM (SELECT {rating_sums} FROM p) AS c
CROSS JOIN LATERAL (VALUES {rating_values}) AS b(key, n)"""
