"""Keep the search index in step with the venues: a change to a venue, its services, images,
hours, closures, team or category enqueues one reindex job in the same transaction.

``after_flush`` collects the ids of venues touched by each flush; ``before_commit`` enqueues
one ``search.reindex_venues`` job for all of them through ``app.platform.jobs.enqueue``, so the job
commits or rolls back with the change. The job indexes what it finds then: an approved venue
is upserted, anything else (rejected, suspended, deleted) removed.

A venue's payout account changing status re-indexes the venue too (``account_changed``, at the
commit, with the rest): whether it can take paid bookings ranks it.

A venue taken down (approved -> anything else) also leaves the PostgreSQL index at once, in the
takedown's own transaction: a suspended listing vanishes from every page at its commit, not
when a worker gets round to the job (which still runs, for Elasticsearch).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain

from flask import Flask, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.payouts.accounts import account_changed
from app.platform.extensions import db
from app.platform.jobs import enqueue, job
from app.venues.models import Category, Closure, OpeningHours, Service, TeamMember, Venue, VenueImage, VenueStatus
from search.backend import SecondaryIndexFailed, get_backend
from search.pg_index import remove_venues

log = logging.getLogger(__name__)

PENDING_VENUES = "search_pending_venue_ids"
PENDING_CATEGORIES = "search_pending_category_ids"
WITHDRAWN_VENUES = "search_withdrawn_venue_ids"  # approved venues taken down in this transaction
MAX_ATTEMPTS = 6  # for a reindex that reached PostgreSQL but not Elasticsearch
CHILDREN = (Service, VenueImage, OpeningHours, Closure, TeamMember)
# Venue columns the index shows or filters on; other edits (calendar token, status reason,
# changed_fields) don't reindex.
VENUE_FIELDS = (
    "rating",
    "review_count",
    "name",
    "slug",
    "description",
    "category_id",
    "tags",
    "city",
    "latitude",
    "longitude",
    "timezone",
    "currency",
    "status",
)

# True while the reindex job runs: what it writes must not enqueue another job.
_suppressed: ContextVar[bool] = ContextVar("search_indexing_suppressed", default=False)
_registered = False


@contextmanager
def indexing_suppressed():
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


@job(name="search.reindex_venues")
def reindex_venues(venue_ids: list[int], attempt: int = 0) -> None:
    """Index ``venue_ids`` (approved ones upserted, the rest removed). Writing venue_search
    bumps the public cache version in the same transaction (a trigger), so cached results go
    with the commit.

    When Elasticsearch is configured but down, PostgreSQL is still indexed and committed, and
    the job comes back later for the cluster (up to MAX_ATTEMPTS, then `flask search reindex`).
    """
    with indexing_suppressed():
        try:
            get_backend(for_indexing=True).index(venue_ids)
        except SecondaryIndexFailed:
            if attempt + 1 < MAX_ATTEMPTS:
                enqueue(reindex_venues, schedule_in={"minutes": 2**attempt}, venue_ids=venue_ids, attempt=attempt + 1)
            else:
                log.error("search: Elasticsearch missed venues %s; run `flask search reindex`", venue_ids)
        db.session.commit()


def _values(obj, attribute: str) -> set[int]:
    """Current and previous values of ``attribute`` (a deleted child still names its venue)."""
    state = inspect(obj)
    found = {state.dict.get(attribute)}
    history = state.attrs[attribute].history
    found.update(history.added or ())
    found.update(history.deleted or ())
    found.update(history.unchanged or ())
    return {v for v in found if isinstance(v, int)}


def _venue_changed(session: Session, venue: Venue) -> bool:
    state = inspect(venue)
    return any(state.attrs[name].history.has_changes() for name in VENUE_FIELDS)


def venue_ids_touched(session: Session) -> tuple[set[int], set[int]]:
    """(venue ids, category ids) of the objects this flush writes."""
    venues: set[int] = set()
    categories: set[int] = set()
    for obj in chain(session.new, session.deleted):
        if isinstance(obj, Venue):
            venues.update(_values(obj, "id"))
        elif isinstance(obj, CHILDREN):
            venues.update(_values(obj, "venue_id"))
    for obj in session.dirty:
        if isinstance(obj, Venue):
            if _venue_changed(session, obj):
                venues.update(_values(obj, "id"))
        elif isinstance(obj, CHILDREN):
            if session.is_modified(obj):
                venues.update(_values(obj, "venue_id"))
        elif isinstance(obj, Category) and session.is_modified(obj):
            categories.update(_values(obj, "id"))
    return venues, categories


def venues_taken_down(session: Session) -> set[int]:
    """Ids of approved venues this flush moves to another status."""
    found: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Venue) and obj.id is not None:
            history = inspect(obj).attrs["status"].history
            if VenueStatus.APPROVED in (history.deleted or ()) and obj.status != VenueStatus.APPROVED:
                found.add(obj.id)
    return found


def _after_flush(session: Session, flush_context) -> None:
    if _suppressed.get():
        return
    withdrawn = venues_taken_down(session)
    if withdrawn:
        session.info.setdefault(WITHDRAWN_VENUES, set()).update(withdrawn)
    venues, categories = venue_ids_touched(session)
    if venues:
        session.info.setdefault(PENDING_VENUES, set()).update(venues)
    if categories:
        session.info.setdefault(PENDING_CATEGORIES, set()).update(categories)


@account_changed.connect
def _payout_account_changed(status: str, *, venue_id: int) -> None:
    """Re-index the venue at the commit, with the transaction's other changes (one job)."""
    if not _suppressed.get():
        db.session.info.setdefault(PENDING_VENUES, set()).add(venue_id)


def _before_commit(session: Session) -> None:
    if _suppressed.get() or session.in_nested_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook; collect those changes now
    withdrawn: set[int] = session.info.pop(WITHDRAWN_VENUES, set())
    venues: set[int] = session.info.pop(PENDING_VENUES, set())
    categories: set[int] = session.info.pop(PENDING_CATEGORIES, set())
    if categories:
        venues.update(session.scalars(select(Venue.id).where(Venue.category_id.in_(sorted(categories)))))
    if not venues:
        return
    if not (has_app_context() and db.session.registry.has() and db.session() is session):
        log.warning("search: venues %s changed outside the app session; run `flask search reindex`", sorted(venues))
        return
    if withdrawn:
        withdraw_now(withdrawn)
    enqueue_reindex(venues)


def withdraw_now(venue_ids: Iterable[int]) -> None:
    """Remove taken-down venues from the PostgreSQL index in the current transaction."""
    remove_venues(venue_ids)


def enqueue_reindex(venue_ids: Iterable[int]) -> int:
    """Queue one reindex job for ``venue_ids`` in the current transaction."""
    return enqueue(reindex_venues, venue_ids=sorted(venue_ids))


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the session's outermost transaction: committed or rolled back
        session.info.pop(PENDING_VENUES, None)
        session.info.pop(PENDING_CATEGORIES, None)
        session.info.pop(WITHDRAWN_VENUES, None)


def init_app(app: Flask) -> None:
    """Listen on every SQLAlchemy session, once per process."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    _registered = True
