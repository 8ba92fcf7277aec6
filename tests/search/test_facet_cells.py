"""Facet counts from venue_search_facet_cells (migration 0035) equal counting the rows.

The cells are kept by triggers on venue_search; these tests write venue_search the ways the
app does (the indexer) and directly (a rating update, a delete, a closure), then compare the
cells with a recount from scratch, and the facets a search shows from the cells with the facets
of the same search counted row by row (pg_facets.cells_facets_sql turned off).
"""

from __future__ import annotations

import importlib.util
import operator
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from app.platform.extensions import db
from search import pg_facets
from search.postgres import PostgresBackend
from search.types import PRICE_BUCKETS, RATING_BUCKETS, SearchQuery

RECOUNT_SQL = """
SELECT kind, timezone, week_hours::text, category, category_name, price_b, rating_b, tag, sum(n)::integer
FROM (
    SELECT 'v' AS kind, timezone, week_hours, coalesce(category, '') AS category,
           coalesce(category_name, '') AS category_name,
           CASE WHEN price_from IS NULL THEN -1 WHEN price_from < 2500 THEN 0 WHEN price_from < 5000 THEN 1
                WHEN price_from < 10000 THEN 2 ELSE 3 END AS price_b,
           CASE WHEN rating >= 4.5 THEN 0 WHEN rating >= 4.0 THEN 1 WHEN rating >= 3.0 THEN 2 ELSE 3 END AS rating_b,
           '' AS tag, 1 AS n
    FROM venue_search
    UNION ALL
    SELECT 't', '', '{}'::int4multirange, coalesce(category, ''), coalesce(category_name, ''),
           CASE WHEN price_from IS NULL THEN -1 WHEN price_from < 2500 THEN 0 WHEN price_from < 5000 THEN 1
                WHEN price_from < 10000 THEN 2 ELSE 3 END,
           CASE WHEN rating >= 4.5 THEN 0 WHEN rating >= 4.0 THEN 1 WHEN rating >= 3.0 THEN 2 ELSE 3 END,
           t, 1
    FROM venue_search, unnest(tags) AS t
    UNION ALL
    SELECT 'h', timezone, week_hours, '', '', 0, 0, t, 1 FROM venue_search, unnest(tags) AS t
    UNION ALL
    SELECT 'b', '', '{}'::int4multirange, coalesce(category, ''), coalesce(category_name, ''),
           venue_search_price_bucket(price_from), venue_search_rating_bucket(rating), '', 1
    FROM venue_search
) AS rows
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"""

# Migration 0040's cells: by exact price, without the hours.
RECOUNT_PRICE_SQL = """
SELECT kind, category, price, price_b, rating_b, tag, sum(n)::integer
FROM (
    SELECT 'p' AS kind, coalesce(category, '') AS category, coalesce(price_from, -1) AS price,
           venue_search_price_bucket(price_from) AS price_b, venue_search_rating_bucket(rating) AS rating_b,
           '' AS tag, 1 AS n
    FROM venue_search
    UNION ALL
    SELECT 'q', coalesce(category, ''), coalesce(price_from, -1), venue_search_price_bucket(price_from),
           venue_search_rating_bucket(rating), t, 1
    FROM venue_search, unnest(tags) AS t
) AS rows
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6"""


def cells() -> list[tuple]:
    rows = db.session.execute(
        text(
            "SELECT kind, timezone, week_hours::text, category, category_name, price_b, rating_b, tag, n"
            " FROM venue_search_facet_cells WHERE kind IN ('v', 't', 'h', 'b') ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
        )
    )
    price_rows = db.session.execute(
        text(
            "SELECT kind, category, price, price_b, rating_b, tag, n"
            " FROM venue_search_facet_cells WHERE kind IN ('p', 'q') ORDER BY 1, 2, 3, 4, 5, 6"
        )
    )
    return [tuple(row) for row in rows] + [tuple(row) for row in price_rows]


def recount() -> list[tuple]:
    rows = db.session.execute(text(RECOUNT_SQL))
    price_rows = db.session.execute(text(RECOUNT_PRICE_SQL))
    return [tuple(row) for row in rows] + [tuple(row) for row in price_rows]


# Migration 0043's profiles: how many venues of a zone and facet value are open at each minute,
# read from the profiles, and counted from venue_search, at every minute where some venue's
# hours start or end and the minute before it.
PROFILE_MINUTES = """
    SELECT DISTINCT m FROM venue_search, unnest(week_hours) AS h(hours),
    LATERAL (VALUES (lower(h.hours)), (lower(h.hours) - 1), (upper(h.hours)), (upper(h.hours) - 1)) AS ms(m)
"""
PROFILE_READ_SQL = f"""
SELECT p.timezone, p.facet, p.value, m.m, p.counts[width_bucket(m.m, p.edges)]
FROM venue_search_open_profiles p, ({PROFILE_MINUTES}) AS m
WHERE coalesce(p.counts[width_bucket(m.m, p.edges)], 0) <> 0
ORDER BY 1, 2, 3, 4"""
PROFILE_COUNT_SQL = f"""
SELECT vs.timezone, f.facet, f.value, m.m, count(*)
FROM venue_search vs
JOIN ({PROFILE_MINUTES}) AS m ON vs.week_hours @> m.m
CROSS JOIN LATERAL (
    SELECT 'total', '' UNION ALL SELECT 'category', coalesce(vs.category, '')
    UNION ALL SELECT 'price', venue_search_price_bucket(vs.price_from)::text
    UNION ALL SELECT 'rating', venue_search_rating_bucket(vs.rating)::text
    UNION ALL SELECT 'tag', t FROM unnest(vs.tags) AS t
) AS f(facet, value)
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4"""


def profiles_both_ways() -> tuple[list[tuple], list[tuple]]:
    """The open counts from the profiles and counted from the rows, and no profile that is 0
    everywhere or has an edge where its count does not change."""
    read = [tuple(row) for row in db.session.execute(text(PROFILE_READ_SQL))]
    counted = [tuple(row) for row in db.session.execute(text(PROFILE_COUNT_SQL))]
    idle = db.session.execute(
        text(
            "SELECT count(*) FROM venue_search_open_profiles p WHERE cardinality(p.edges) = 0"
            " OR EXISTS (SELECT 1 FROM generate_subscripts(p.counts, 1) AS i"
            "  WHERE p.counts[i] = coalesce(p.counts[i - 1], 0))"
        )
    ).scalar_one()
    assert idle == 0
    return read, counted


def facets_both_ways(backend: PostgresBackend, query: SearchQuery, monkeypatch) -> tuple:
    """(total, facets) of ``query`` from the cells, and counted row by row."""
    compiled = backend.compile(query)
    facets_sql = compiled.statements[-1][1]
    assert "venue_search_facet_cells" in facets_sql or "venue_search_open_profiles" in facets_sql, (
        "this query should use the cells or the profiles"
    )
    from_cells = backend.search(query)
    with monkeypatch.context() as patch:
        patch.setattr(pg_facets, "cells_facets_sql", lambda query, params: None)
        by_rows = backend.search(query)
    return (from_cells.total, from_cells.facets), (by_rows.total, by_rows.facets)


def test_the_bucket_functions_agree_with_the_shared_buckets(ctx):
    for n, (low, high) in enumerate(PRICE_BUCKETS):
        for price in (low, high - 1 if high else low + 10**6):
            assert db.session.scalar(text("SELECT venue_search_price_bucket(:p)"), {"p": price}) == n
    assert db.session.scalar(text("SELECT venue_search_price_bucket(NULL)")) == -1
    for n, minimum in enumerate(RATING_BUCKETS):
        assert db.session.scalar(text("SELECT venue_search_rating_bucket(CAST(:r AS numeric))"), {"r": minimum}) == n
        below = db.session.scalar(text("SELECT venue_search_rating_bucket(CAST(:r AS numeric))"), {"r": minimum - 0.01})
        assert below == n + 1
    assert db.session.scalar(text("SELECT venue_search_rating_bucket(NULL)")) == len(RATING_BUCKETS)


def test_cells_follow_inserts_updates_and_deletes(backend, corpus):
    assert cells() == recount() and cells()  # after the indexer's upserts
    read, counted = profiles_both_ways()
    assert read == counted and read
    ids = sorted(corpus.ids)
    db.session.execute(
        text("UPDATE venue_search SET rating = 4.6, tags = tags || '{extra}' WHERE venue_id = ANY(:ids)"),
        {"ids": ids[:3]},
    )
    db.session.execute(
        text("UPDATE venue_search SET category = NULL, price_from = NULL WHERE venue_id = :id"), {"id": ids[3]}
    )
    db.session.execute(
        text("UPDATE venue_search SET week_hours = '{[0,10080)}', timezone = 'Asia/Tokyo' WHERE venue_id = :id"),
        {"id": ids[4]},
    )
    db.session.execute(text("UPDATE venue_search SET week_hours = '{}' WHERE venue_id = :id"), {"id": ids[5]})
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())
    db.session.execute(text("DELETE FROM venue_search WHERE venue_id = ANY(:ids)"), {"ids": ids[:2]})
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())
    backend.index(ids)  # the indexer again: rows come back as the venues say
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())
    db.session.execute(text("DELETE FROM venue_search"))
    assert cells() == []
    assert db.session.execute(text("SELECT count(*) FROM venue_search_open_profiles")).scalar_one() == 0


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "massage"},
        {"tags": ("parking",)},
        {"price_min": 2500, "price_max": 4999},
        {"price_min": 10000},
        # Typed ranges (not a bucket): the cells by exact price (migration 0040).
        {"price_min": 2000, "price_max": 6000},
        {"price_min": 3000, "price_max": 3000},
        {"price_max": 4500},
        {"category": "massage", "price_min": 4500, "price_max": 8000, "min_rating": 4.0},
        {"tags": ("parking",), "price_min": 1000, "price_max": 9000},
        {"min_rating": 4.0},
        {"category": "nails", "tags": ("vegan products",), "price_min": 0, "price_max": 2499, "min_rating": 3.0},
        {"lat": 51.5, "lng": -0.12, "sort": "distance"},
        {"sort": "price"},
    ],
)
def test_facets_from_the_cells_equal_counting_rows(backend, corpus, monkeypatch, filters):
    db.session.execute(
        text("UPDATE venue_search SET rating = 3.0 + (venue_id % 20) / 10.0 WHERE venue_id = ANY(:ids)"),
        {"ids": corpus.ids},
    )
    from_cells, by_rows = facets_both_ways(backend, SearchQuery(**filters), monkeypatch)
    assert from_cells == by_rows


@pytest.mark.parametrize(
    "filters",
    [
        {"price_min": 2000, "price_max": 6000, "open_now": True},  # a typed range with "open now"
        {"tags": ("parking", "walk-ins")},
        {"min_rating": 4.2},
        {"open_now": True, "category": "massage"},
        {"text": "massage"},
    ],
)
def test_filters_the_cells_cannot_tell_apart_count_rows(backend, corpus, filters):
    assert "venue_search_facet_cells" not in backend.compile(SearchQuery(**filters)).statements[-1][1]


def test_open_now_from_the_cells_equals_counting_rows_over_a_week_with_dst(backend, corpus, monkeypatch):
    """Every 97 minutes over the week of London's spring-forward (and a New York venue, whose
    clocks moved two weeks earlier), with a closure and several opening patterns."""
    ids = sorted(corpus.ids)
    db.session.execute(
        text("UPDATE venue_search SET timezone = 'America/New_York' WHERE venue_id = ANY(:ids)"), {"ids": ids[:3]}
    )
    db.session.execute(
        text(
            "UPDATE venue_search SET week_hours = '{[0,180),[600,1020),[8520,8640),[9060,10080)}'"
            " WHERE venue_id = ANY(:ids)"
        ),
        {"ids": ids[2:6]},
    )
    db.session.execute(
        text("UPDATE venue_search SET closed_days = '{[2026-03-29,2026-03-31)}' WHERE venue_id = ANY(:ids)"),
        {"ids": [ids[0], ids[4], ids[7]]},
    )
    db.session.execute(text("UPDATE venue_search SET tags = '{late}' WHERE venue_id = :id"), {"id": ids[4]})
    start = datetime(2026, 3, 26, 0, 7, tzinfo=UTC)
    moments = [start + timedelta(minutes=97 * n) for n in range(7 * 24 * 60 // 97)]
    assert any(m.date() == date(2026, 3, 29) for m in moments)
    assert operator.eq(*profiles_both_ways())
    opened = set()
    for moment in moments:
        timed = PostgresBackend(now=lambda moment=moment: moment)
        from_cells, by_rows = facets_both_ways(timed, SearchQuery(open_now=True), monkeypatch)
        assert from_cells == by_rows, moment
        opened.add(from_cells[0])
    assert len(opened) > 2  # the moments saw different numbers of open venues


def test_a_full_reindex_rebuilds_the_cells_and_leaves_the_triggers_on(backend, corpus):
    from search import pg_index

    # While deferred (a full reindex), the triggers leave the cells alone...
    db.session.execute(text("SET LOCAL cozywish.facet_cells_deferred = on"))
    db.session.execute(text("UPDATE venue_search SET rating = 4.8, tags = tags || '{deferred}'"))
    assert cells() != recount()
    # ...and one rebuild counts them all afresh.
    pg_index.rebuild_facet_cells()
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())
    db.session.execute(text("SET LOCAL cozywish.facet_cells_deferred = off"))

    backend.reindex_all()
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())
    # After it, a write updates the cells again.
    db.session.execute(text("UPDATE venue_search SET rating = 3.1 WHERE venue_id = :id"), {"id": corpus.ids[0]})
    assert cells() == recount()
    assert operator.eq(*profiles_both_ways())


def test_step_functions_add_and_drop_edges_that_change_nothing(ctx):
    def add(a, b):
        row = db.session.execute(
            text("SELECT edges, counts FROM venue_search_steps_add(:ae, :ac, :be, :bc)"),
            {"ae": a[0], "ac": a[1], "be": b[0], "bc": b[1]},
        ).one()
        return list(row.edges), list(row.counts)

    nine_to_five = ([540, 1020], [1, 0])
    noon_to_eight = ([720, 1200], [1, 0])
    assert add(nine_to_five, noon_to_eight) == ([540, 720, 1020, 1200], [1, 2, 1, 0])
    assert add(nine_to_five, ([540, 1020], [-1, 0])) == ([], [])  # a venue and its removal
    assert add(([540, 1020], [1, 0]), ([1020, 1200], [1, 0])) == ([540, 1200], [1, 0])  # back to back
    assert add(([], []), ([540, 600, 1020], [1, 1, 0])) == ([540, 1020], [1, 0])  # normalised


def _migration_0043():
    path = Path(__file__).resolve().parents[2] / "migrations/versions/20261124_0043_search_open_profiles.py"
    spec = importlib.util.spec_from_file_location("migration_0043", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_concurrent_writers_of_one_profile_both_count(ctx):
    """The trigger's upsert of a profile, from two transactions at once: the second waits for
    the first's row, then adds to the row as the first committed it (nothing lost)."""
    migration = _migration_0043()

    def upsert(start: int, end: int) -> str:
        points = (
            "SELECT 'Test/Zone' AS timezone, 'total' AS facet, '' AS value, '' AS label, at, d"
            f" FROM (VALUES ({start}, 1), ({end}, -1)) AS v(at, d)"
        )
        return migration.APPLY_PROFILES.format(steps=migration.STEPS.format(points=points))

    first, second = db.engine.connect(), db.engine.connect()
    try:
        first.exec_driver_sql(upsert(540, 1020))  # uncommitted: holds the new row
        done = threading.Event()

        def other() -> None:
            second.exec_driver_sql(upsert(720, 1200))
            second.commit()
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert not done.wait(0.5)  # waiting for the first writer
        first.commit()
        thread.join(10)
        assert done.is_set()
        row = first.exec_driver_sql(
            "SELECT edges, counts FROM venue_search_open_profiles WHERE timezone = 'Test/Zone'"
        ).one()
        assert (list(row.edges), list(row.counts)) == ([540, 720, 1020, 1200], [1, 2, 1, 0])
    finally:
        first.rollback()
        first.exec_driver_sql("DELETE FROM venue_search_open_profiles WHERE timezone = 'Test/Zone'")
        first.commit()
        first.close()
        second.close()
