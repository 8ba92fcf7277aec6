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

from app.extensions import db
from app.venues.models import Venue, VenueStatus
from search.documents import build_document, document_to_json, load_venues
from search.pg_text import TS_CONFIG

WRITER_LOCK_KEY = 0x5EA4C4  # pg_advisory_xact_lock key held by index writers
BATCH_SIZE = 500


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
    db.session.flush()
    lock_writers()
    ids = list(db.session.scalars(select(Venue.id).where(Venue.status == VenueStatus.APPROVED).order_by(Venue.id)))
    db.session.execute(
        text("DELETE FROM venue_search WHERE venue_id NOT IN (SELECT id FROM venues WHERE status = 'approved')")
    )
    done = 0
    if progress:
        progress(0, len(ids))
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        index_venues(batch)
        done += len(batch)
        if progress:
            progress(done, len(ids))
    return done


def lock_writers() -> None:
    """One index writer at a time (until its commit). The vocabulary and suggestion triggers
    update shared count rows, one statement at a time: two writers of several statements each
    could otherwise take those rows in opposite orders and deadlock."""
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def index_rows(venues: list[Venue]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for venue_search and venue_search_terms, as JSON-ready dicts."""
    rows, terms = [], []
    for venue in venues:
        document = build_document(venue)
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
    " search_vector, earth, indexed_at"
)
_UPDATES = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}" for c in _COLUMNS.split(",")[1:])

UPSERT_SQL = f"""
INSERT INTO venue_search ({_COLUMNS})
SELECT d.venue_id, d.slug, d.name, d.description, d.category, d.category_name, d.tags, d.service_names,
       d.city, d.lat, d.lng, d.price_from, d.currency, d.rating, d.review_count, d.cover_thumb, d.timezone,
       d.updated_at, CAST(d.week_hours AS int4multirange), CAST(d.closed_days AS datemultirange),
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
    week_hours text, closed_days text
)
ON CONFLICT (venue_id) DO UPDATE SET {_UPDATES}"""

TERMS_SQL = """
INSERT INTO venue_search_terms (venue_id, kind, term, term_key)
SELECT t.venue_id, t.kind, t.term, lower(unaccent(t.term))
FROM jsonb_to_recordset(CAST(:terms AS jsonb)) AS t(venue_id integer, kind text, term text)
ON CONFLICT DO NOTHING"""
