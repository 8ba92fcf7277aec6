"""Writing the PostgreSQL search index: one ``venue_search`` row (and its document) per
approved venue, and its suggestion terms. The vocabulary, suggestion and state tables follow
by triggers (migration 0007)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.payouts.accounts import collect_before_enabled
from app.platform.extensions import db
from app.venues.models import Venue, VenueStatus
from search.documents import bookable_ids, build_document, document_to_json, hidden_slug, load_venues
from search.pg_text import TS_CONFIG

WRITER_LOCK_KEY = 0x5EA4C4  # pg_advisory_xact_lock key held by index writers
BATCH_SIZE = 500
REINDEX_BATCH_SIZE = 5000  # venues per statement of a full reindex
ANALYZE_EVERY = 20  # batches between statistics updates during a full reindex (and after the first)


def index_venues(venue_ids: Iterable[int]) -> None:
    """Upsert the approved venues among ``venue_ids``; remove the rest."""
    ids = sorted({int(i) for i in venue_ids})
    if not ids:
        return
    db.session.flush()
    lock_writers()
    # A private session on the same connection (so the same transaction) reads fresh rows and
    # leaves no objects behind; it is closed before anything is written.
    reader = Session(bind=db.session.connection(), autoflush=False)
    try:
        rows, terms = index_rows(load_venues(ids, session=reader))
    finally:
        reader.close()
    if rows:
        kept = [row["venue_id"] for row in rows]
        db.session.execute(text(UPSERT_SQL), {"rows": json.dumps(rows)})
        db.session.execute(text("DELETE FROM venue_search_terms WHERE venue_id = ANY(:ids)"), {"ids": kept})
        db.session.execute(text(TERMS_SQL), {"terms": json.dumps(terms)})
    gone = sorted(set(ids) - {row["venue_id"] for row in rows})
    if gone:
        remove_venues(gone)


def remove_venues(venue_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in venue_ids})
    if ids:
        lock_writers()
        # Suggestion terms go with their row (ON DELETE CASCADE).
        db.session.execute(text("DELETE FROM venue_search WHERE venue_id = ANY(:ids)"), {"ids": ids})


def reindex_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild venue_search from every approved venue, set-based: each batch of venues (by id)
    is one INSERT ... SELECT that builds the rows from the venue tables in SQL (REINDEX_SQL, the
    same document as build_document), then one statement for its suggestion terms.
    ``progress(done, total)`` is called after each batch."""
    db.session.flush()
    lock_writers()
    # The facet cells' triggers stand aside; every cell is rebuilt once at the end instead of
    # being updated for each batch (migration 0040). Until the end of this transaction only.
    db.session.execute(text("SET LOCAL cozywish.facet_cells_deferred = on"))
    # Approved venues but the synthetic probe's (hidden_slug), as load_venues chooses them.
    hidden = hidden_slug()
    approved = select(Venue.id).where(Venue.status == VenueStatus.APPROVED, Venue.slug != hidden)
    ids = list(db.session.scalars(approved.order_by(Venue.id)))
    db.session.execute(
        text(
            "DELETE FROM venue_search WHERE venue_id NOT IN"
            " (SELECT id FROM venues WHERE status = 'approved' AND slug <> :hidden)"
        ),
        {"hidden": hidden},
    )
    done = 0
    if progress:
        progress(0, len(ids))
    for start in range(0, len(ids), REINDEX_BATCH_SIZE):
        batch = ids[start : start + REINDEX_BATCH_SIZE]
        bounds = {"first": batch[0], "last": batch[-1]}
        db.session.execute(
            text(REINDEX_SQL), {**bounds, "hidden": hidden, "collect_before_enabled": collect_before_enabled()}
        )
        if len(ids) > REINDEX_BATCH_SIZE and start // REINDEX_BATCH_SIZE % ANALYZE_EVERY == 0:
            # The batches' rows are read back by venue id; statistics of a table that was empty (a
            # first reindex) would have the planner scan everything written so far, every batch.
            # (One batch needs none; ANALYZE's row counts outlive a rollback, e.g. in tests.)
            db.session.execute(text("ANALYZE venue_search, venue_search_terms"))
        db.session.execute(text(STALE_TERMS_SQL), bounds)
        db.session.execute(text(REINDEX_TERMS_SQL), bounds)
        done += len(batch)
        if progress:
            progress(done, len(ids))
    rebuild_facet_cells()
    db.session.execute(text("SET LOCAL cozywish.facet_cells_deferred = off"))
    return done


def rebuild_facet_cells() -> None:
    """Every facet cell counted afresh from venue_search, as the triggers count them (one SQL
    function of migration 0040, from the triggers' own SQL)."""
    db.session.execute(text("SELECT venue_search_facet_cells_rebuild()"))


def lock_writers() -> None:
    """One index writer at a time (until its commit). The vocabulary and suggestion triggers
    update shared count rows, one statement at a time: two writers of several statements each
    could otherwise take those rows in opposite orders and deadlock."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def index_rows(venues: list[Venue]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for venue_search and venue_search_terms, as JSON-ready dicts."""
    rows, terms = [], []
    bookable = bookable_ids(venues)
    for venue in venues:
        document = build_document(venue, bookable=venue.id in bookable)
        data = document_to_json(document)
        rows.append(
            {
                **data,
                "venue_id": document.id,
                "week_hours": week_hours_literal(venue),
                "closed_days": closed_days_literal(venue),
            }
        )
        terms.append({"venue_id": venue.id, "kind": "venue", "term": document.name})
        if document.category_name:
            terms.append({"venue_id": venue.id, "kind": "category", "term": document.category_name})
        terms.extend({"venue_id": venue.id, "kind": "service", "term": name} for name in document.service_names)
    return rows, terms


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
    "venue_id, slug, name, description, category, category_name, tags, service_names, city, lat, lng,"
    " price_from, currency, rating, review_count, cover_thumb, timezone, updated_at, week_hours, closed_days,"
    " bookable, search_vector, earth, indexed_at"
)
_UPDATES = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in _COLUMNS.split(",")[1:])

UPSERT_SQL = f"""
INSERT INTO venue_search ({_COLUMNS})
SELECT d.venue_id, d.slug, d.name, d.description, d.category, d.category_name, d.tags, d.service_names,
       d.city, d.lat, d.lng, d.price_from, d.currency, d.rating, d.review_count, d.cover_thumb, d.timezone,
       d.updated_at, CAST(d.week_hours AS int4multirange), CAST(d.closed_days AS datemultirange), d.bookable,
       setweight(to_tsvector('{TS_CONFIG}', d.name), 'A')
       || setweight(
           to_tsvector('{TS_CONFIG}', concat_ws(' ', d.category_name, array_to_string(d.service_names, ' '))), 'B'
       )
       || setweight(to_tsvector('{TS_CONFIG}', array_to_string(d.tags, ' ') || ' ' || d.city), 'C')
       || setweight(to_tsvector('{TS_CONFIG}', d.description), 'D'),
       CASE WHEN d.lat IS NOT NULL AND d.lng IS NOT NULL THEN ll_to_earth(d.lat, d.lng) END,
       now()
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS d(
    venue_id integer, slug text, name text, description text, category text, category_name text, tags text[],
    service_names text[], city text, lat double precision, lng double precision, price_from integer,
    currency text, rating numeric, review_count integer, cover_thumb text, timezone text, updated_at timestamptz,
    week_hours text, closed_days text, bookable boolean
)
ON CONFLICT (venue_id) DO UPDATE SET {_UPDATES}"""

TERMS_SQL = """
INSERT INTO venue_search_terms (venue_id, kind, term, term_key)
SELECT t.venue_id, t.kind, t.term, lower(unaccent(t.term))
FROM jsonb_to_recordset(CAST(:terms AS jsonb)) AS t(venue_id integer, kind text, term text)
ON CONFLICT DO NOTHING"""

# A full reindex builds the rows in SQL, as build_document does in Python (tested equal in
# tests/search/test_indexing.py): active services in position order, the price from the
# cheapest, the cover image (the first venue image marked as cover, else the first) and its
# "card" variant (else its first), the opening hours and closures as multiranges, and whether the
# venue takes paid bookings.
REINDEX_SQL = f"""
INSERT INTO venue_search ({_COLUMNS})
SELECT d.venue_id, d.slug, d.name, d.description, d.category, d.category_name, d.tags, d.service_names,
       d.city, d.lat, d.lng, d.price_from, d.currency, d.rating, d.review_count, d.cover_thumb, d.timezone,
       d.updated_at, d.week_hours, d.closed_days, d.bookable,
       setweight(to_tsvector('{TS_CONFIG}', d.name), 'A')
       || setweight(
           to_tsvector('{TS_CONFIG}', concat_ws(' ', d.category_name, array_to_string(d.service_names, ' '))), 'B'
       )
       || setweight(to_tsvector('{TS_CONFIG}', array_to_string(d.tags, ' ') || ' ' || d.city), 'C')
       || setweight(to_tsvector('{TS_CONFIG}', d.description), 'D'),
       CASE WHEN d.lat IS NOT NULL AND d.lng IS NOT NULL THEN ll_to_earth(d.lat, d.lng) END,
       now()
FROM (
    SELECT v.id AS venue_id, v.slug, v.name, coalesce(v.description, '') AS description, c.slug AS category,
           c.name AS category_name, CAST(coalesce(v.tags, '{{}}') AS text[]) AS tags,
           coalesce(s.names, '{{}}') AS service_names, coalesce(v.city, '') AS city, v.latitude AS lat,
           v.longitude AS lng, s.price_from, v.currency, v.rating, coalesce(v.review_count, 0) AS review_count,
           cover.thumb AS cover_thumb, v.timezone, v.updated_at,
           coalesce(hours.ranges, '{{}}') AS week_hours, coalesce(closed.ranges, '{{}}') AS closed_days,
           -- payable_venue_ids (app.payouts.accounts): an enabled payout account, unless every venue
           -- may take paid bookings (PAYOUTS_COLLECT_BEFORE_ENABLED)
           CAST(:collect_before_enabled AS boolean) OR EXISTS (
               SELECT 1 FROM connected_accounts ca WHERE ca.venue_id = v.id AND ca.status = 'enabled'
           ) AS bookable
    FROM venues v
    LEFT JOIN categories c ON c.id = v.category_id
    LEFT JOIN LATERAL (
        SELECT CAST(array_agg(sv.name ORDER BY sv.position, sv.id) AS text[]) AS names,
               min(sv.price_minor) AS price_from
        FROM services sv WHERE sv.venue_id = v.id AND sv.is_active
    ) AS s ON true
    LEFT JOIN LATERAL (
        SELECT coalesce(
                   CASE WHEN jsonb_typeof(i.variants -> 'card') = 'object' AND i.variants -> 'card' <> '{{}}'
                        THEN i.variants -> 'card' END,
                   (SELECT e.value FROM jsonb_each(i.variants) AS e LIMIT 1)
               ) ->> 'key' AS thumb
        FROM venue_images i WHERE i.venue_id = v.id AND i.kind = 'venue'
        ORDER BY i.is_cover DESC, i.position, i.id LIMIT 1
    ) AS cover ON true
    LEFT JOIN LATERAL (
        SELECT range_agg(int4range(h.weekday * 1440 + h.opens_minute, h.weekday * 1440 + h.closes_minute)) AS ranges
        FROM opening_hours h WHERE h.venue_id = v.id
    ) AS hours ON true
    LEFT JOIN LATERAL (
        SELECT range_agg(daterange(cl.starts_on, cl.ends_on + 1)) AS ranges FROM closures cl WHERE cl.venue_id = v.id
    ) AS closed ON true
    WHERE v.status = 'approved' AND v.slug <> :hidden AND v.id BETWEEN :first AND :last
) AS d
ON CONFLICT (venue_id) DO UPDATE SET {_UPDATES}
-- A row that would not change is left alone: no index entries, no trigger work (indexed_at is
-- when a row last changed).
WHERE ({", ".join(f"venue_search.{c.strip()}" for c in _COLUMNS.split(",")[1:-1])})
    IS DISTINCT FROM ({", ".join(f"EXCLUDED.{c.strip()}" for c in _COLUMNS.split(",")[1:-1])})"""

# The suggestion terms of the rows REINDEX_SQL wrote, as index_rows lists them: for each
# (venue, kind, folded term), the first in its order (what index_venues' ON CONFLICT DO NOTHING keeps).
_NEW_TERMS = """
SELECT DISTINCT ON (t.venue_id, t.kind, lower(unaccent(t.term)))
       t.venue_id, t.kind, t.term, lower(unaccent(t.term)) AS term_key
FROM (
    SELECT vs.venue_id, 'venue' AS kind, vs.name AS term, 0 AS n FROM venue_search vs
    WHERE vs.venue_id BETWEEN :first AND :last
    UNION ALL
    SELECT vs.venue_id, 'category', vs.category_name, 1 FROM venue_search vs
    WHERE vs.venue_id BETWEEN :first AND :last AND vs.category_name IS NOT NULL AND vs.category_name <> ''
    UNION ALL
    SELECT vs.venue_id, 'service', s.name, 1 + s.n
    FROM venue_search vs, unnest(vs.service_names) WITH ORDINALITY AS s(name, n)
    WHERE vs.venue_id BETWEEN :first AND :last
) AS t
ORDER BY t.venue_id, t.kind, lower(unaccent(t.term)), t.n"""

# Terms of the batch that are no longer there as they are (a term that stays is not rewritten).
STALE_TERMS_SQL = f"""
DELETE FROM venue_search_terms AS old
WHERE old.venue_id BETWEEN :first AND :last
  AND NOT EXISTS (
      SELECT 1 FROM ({_NEW_TERMS}) AS new
      WHERE new.venue_id = old.venue_id AND new.kind = old.kind AND new.term_key = old.term_key AND new.term = old.term
  )"""

REINDEX_TERMS_SQL = f"""
INSERT INTO venue_search_terms (venue_id, kind, term, term_key)
{_NEW_TERMS}
ON CONFLICT DO NOTHING"""
