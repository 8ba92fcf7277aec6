"""Cache versions that every process sees: one row per namespace in ``cache_versions``.

A cache key that holds ``current(namespace)`` is invalidated everywhere by one ``bump``: the bump
is an UPDATE inside the writer's transaction, so readers see it exactly when they can see the
change itself. Each bump takes a fresh value of a sequence, so a rolled-back bump leaves a value
that never comes back (nothing cached under it is served again).

Reads are memoised per application for ``CACHE_VERSION_TTL`` seconds (default 1): a busy page
costs at most one tiny query per second per process, and a change shows everywhere within that.
A request names early the namespaces it will read (``expect``: a signed-in browser's own, from its
session cookie); the first read that must ask the database then asks for all of them that have run
out or that this browser's own change obliges it to read afresh, in one statement, rather than one
statement each as the request comes to them.

What bumps "public" (everything anonymous visitors see: search, home, category and venue pages):
- every statement writing ``venue_search`` (a trigger, migration 0010);
- every committed ORM change to a watched model (``watch``; create_app lists them).

Namespaces of rows (``watch_rows``; create_app lists them), bumped at the commit of any ORM
change to such a row:
- ``venue_times(venue_id)`` ("venue-times:<id>"): one venue's bookings and time blocks, which
  its booking pages (free times) and its provider calendar show;
- "user:<id>" (``user_namespace``): what one user's own pages show, their
  bookings, orders, cart items, reviews, payments and refunds, and the user row itself.
A held booking that expires changes nothing a page shows (availability and the pages already
treat an expired hold as gone), so the bulk UPDATE of expired holds needs no bump; any other
bulk (Core) write to these tables must call ``bump`` for the namespaces it touches.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_app_context, has_request_context, session
from sqlalchemy import ScalarSelect, column, event, func, select, table, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from app.platform.extensions import db
from app.platform.sqlutil import fresh_session, short_error

log = logging.getLogger(__name__)

PUBLIC = "public"


def venue_times(venue_id: int) -> str:
    """The namespace of one venue's free times (its bookings and time blocks)."""
    return f"venue-times:{venue_id}"


_PENDING = "cache_versions_pending"  # session.info: namespaces to bump at the commit
_BUMPED = "cache_versions_bumped"  # session.info: namespaces bumped in this transaction
_READ_THIS_REQUEST = "cache_versions_read"  # g: namespaces this request read from the database
_watched: dict[type, str] = {}  # model class -> namespace its changes bump
_watched_rows: dict[type, list[Callable[[object], str | None]]] = {}  # model -> a changed row's namespaces
_registered = False

BUMP_SQL = text(
    "INSERT INTO cache_versions (namespace, version, changed_at)"
    " VALUES (:namespace, nextval('cache_versions_seq'), now())"
    " ON CONFLICT (namespace) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at"
    " RETURNING version"
)
# Several namespaces at once (a commit's), their rows taken in order so that two such commits
# never wait on each other crosswise.
BUMP_ALL_SQL = text(
    "INSERT INTO cache_versions (namespace, version, changed_at)"
    " SELECT name, nextval('cache_versions_seq'), now() FROM unnest(CAST(:namespaces AS text[])) AS name"
    " ORDER BY name"
    " ON CONFLICT (namespace) DO UPDATE SET version = EXCLUDED.version, changed_at = EXCLUDED.changed_at"
)
READ_SQL = text("SELECT namespace, version FROM cache_versions WHERE namespace = ANY(:namespaces)")
_EXPECTED = "cache_versions_expected"  # g: namespaces this request will read
_TABLE = table("cache_versions", column("namespace"), column("version"))


def init_app(app: Flask, watched: Iterable[type] = ()) -> None:
    """Keep a per-application memo; bump PUBLIC at the commit of any change to ``watched``."""
    app.config.setdefault("CACHE_VERSION_TTL", 1.0)
    app.extensions["cache_versions"] = {}  # namespace -> (monotonic expiry, version)
    for model in watched:
        _watched[model] = PUBLIC
    _register_listeners()


def watch_rows(model: type, namespace_of: Callable[[object], str | None]) -> None:
    """Bump ``namespace_of(row)`` (None: nothing) at the commit of any ORM change to a row of
    ``model``; a model may be watched for several namespaces."""
    found = _watched_rows.setdefault(model, [])
    # Each create_app registers its functions again: one per (model, function name) is kept.
    found[:] = [f for f in found if f.__qualname__ != namespace_of.__qualname__]
    found.append(namespace_of)
    _register_listeners()


def current(namespace: str = PUBLIC, *, stale_if_error: bool = False) -> int:
    """The namespace's version, read at most once per CACHE_VERSION_TTL seconds per process. A
    browser that just changed the namespace reads it fresh, once per request
    (``own_change_unread``): its next page may land on a worker that memoised the version before
    the change.

    ``stale_if_error``: when the database can't be reached (a restart, a failover), the last
    version this process read, kept for another TTL so that a database away is not asked on
    every request (the page cache serves its copies meanwhile: app/web/page_cache.py)."""
    memo: dict[str, tuple[float, int]] = current_app.extensions["cache_versions"]
    now = time.monotonic()
    entry = memo.get(namespace)
    if entry is not None and entry[0] > now and not own_change_unread(namespace):
        return entry[1]
    ttl = float(current_app.config["CACHE_VERSION_TTL"])
    wanted = {namespace}
    if ttl > 0 and has_request_context():  # with nothing memoised, reading ahead would be wasted
        expected = g.get(_EXPECTED, set()) - wanted
        wanted |= {ns for ns in expected if ns not in memo or memo[ns][0] <= now or own_change_unread(ns)}
    try:
        found = dict(db.session.execute(READ_SQL, {"namespaces": sorted(wanted)}).all())
    except (OperationalError, InterfaceError) as error:
        if not stale_if_error or entry is None:
            raise
        log.warning("cache version of %s unreadable (%s); using the last one read", namespace, short_error(error))
        fresh_session()
        found, wanted = {namespace: entry[1]}, {namespace}
    if ttl > 0:
        for ns in wanted:
            memo[ns] = (now + ttl, int(found.get(ns, 0)))
    if has_request_context():
        g.setdefault(_READ_THIS_REQUEST, set()).update(wanted)
    return int(found.get(namespace, 0))


def expect(*namespaces: str) -> None:
    """This request will read these namespaces' versions: the first read that must ask the
    database reads those of them that have run out too, in the same statement."""
    if has_request_context():
        g.setdefault(_EXPECTED, set()).update(namespaces)


def read(namespaces: Iterable[str]) -> dict[str, int]:
    """The namespaces' versions (``current`` of each), those that have run out in one statement."""
    names = list(namespaces)
    expect(*names)
    return {namespace: current(namespace) for namespace in names}


def version_column(namespace: str) -> ScalarSelect:
    """The namespace's version as a column, to read it in the same statement as the rows it
    covers (one snapshot, one round trip); hand the value to ``note``."""
    return select(func.coalesce(func.max(_TABLE.c.version), 0)).where(_TABLE.c.namespace == namespace).scalar_subquery()


def note(namespace: str, version: int) -> None:
    """Memoise a version read by ``version_column`` as ``current`` would have."""
    ttl = float(current_app.config["CACHE_VERSION_TTL"])
    if ttl > 0:
        current_app.extensions["cache_versions"][namespace] = (time.monotonic() + ttl, int(version))


def bump(namespace: str = PUBLIC) -> int:
    """Give ``namespace`` a new version inside the caller's transaction (seen by all at its commit)."""
    version = int(db.session.execute(BUMP_SQL, {"namespace": namespace}).scalar_one())
    db.session.info.setdefault(_BUMPED, set()).add(namespace)
    return version


def forget(namespace: str | None = None) -> None:
    """Drop this process's memo (of one namespace, or all), so the next read asks the database."""
    memo = current_app.extensions["cache_versions"]
    if namespace is None:
        memo.clear()
    else:
        memo.pop(namespace, None)


# -- bumping at the commit of watched ORM changes ------------------------------------------------


def _namespaces_of(obj: object) -> set[str]:
    found = {_watched[type(obj)]} if type(obj) in _watched else set()
    for namespace_of in _watched_rows.get(type(obj), ()):
        if namespace := namespace_of(obj):
            found.add(namespace)
    return found


def _after_flush(session: Session, flush_context) -> None:
    if not _watched and not _watched_rows:
        return
    pending = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.deleted):
        pending |= _namespaces_of(obj)
    for obj in session.dirty:
        if (type(obj) in _watched or type(obj) in _watched_rows) and session.is_modified(obj):
            pending |= _namespaces_of(obj)


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit bumps
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook; collect those changes now
    pending: set[str] = session.info.pop(_PENDING, set())
    if not pending or not (has_app_context() and db.session.registry.has() and db.session() is session):
        return
    # Last thing before the commit, in one statement: the version rows stay locked for as short a
    # time as possible.
    session.execute(BUMP_ALL_SQL, {"namespaces": sorted(pending)})
    session.info.setdefault(_BUMPED, set()).update(pending)


def _after_commit(session: Session) -> None:
    bumped: set[str] = session.info.pop(_BUMPED, set())
    if bumped and has_app_context() and "cache_versions" in current_app.extensions:
        for namespace in bumped:
            forget(namespace)  # this process sees its own change at once, others within the TTL
        if has_request_context():
            # app.web.private_cache marks the session: this browser reads its own change next.
            g.cache_versions_bumped = g.get("cache_versions_bumped", set()) | bumped


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        # After a commit (after_commit ran first) or a rollback: nothing carries over.
        session.info.pop(_PENDING, None)
        session.info.pop(_BUMPED, None)


def _register_listeners() -> None:
    """Listen on every SQLAlchemy session, once per process."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_transaction_end", _after_transaction_end)
    _registered = True


# -- what a signed-in page shows, for the private page cache (app/web/private_cache.py) ----------
# A domain names what its rows cover and what the page being rendered follows through these,
# so it never imports the web layer.

OWN_CHANGE = "_changed_until"  # session key: until when this browser's own change must be read fresh
OWN_CHANGED = "_changed"  # session key: the namespaces that change bumped (absent: any may have changed)
OWN_CHANGED_KEPT = 12  # more than this many: the session says "any"


def user_namespace(user_id: int) -> str:
    """What one user's own pages show: their bookings, orders, cart, reviews, payments, account."""
    return f"user:{user_id}"


def account_namespace(user_id: int) -> str:
    """Who one user is: their user row, their sessions and, for a staff login, their place at a
    venue; what a worker remembers of a signed-in request follows it (app/platform/remembered.py),
    so that their cart or bookings changing leaves it alone."""
    return f"account:{user_id}"


def own_change_pending(namespace: str | None = None) -> bool:
    """Did this browser change something (in ``namespace``, when one is named) so recently that
    another worker may not know yet?"""
    until = session.get(OWN_CHANGE)
    if not (isinstance(until, (int, float)) and until > time.time()):
        return False
    if namespace is None:
        return True
    changed = session.get(OWN_CHANGED)
    return not isinstance(changed, list) or namespace in changed


def own_change_unread(namespace: str) -> bool:
    """Must this request read ``namespace`` from the database: its browser changed it within the
    window (``own_change_pending``) and the request has not read it yet?"""
    return has_request_context() and own_change_pending(namespace) and namespace not in g.get(_READ_THIS_REQUEST, ())


def note_own_change(bumped: set[str], seconds: float) -> None:
    """Mark this browser's session: for ``seconds`` it reads ``bumped`` fresh, with what an
    earlier change still in its window bumped (a session marked before namespaces were kept,
    or with too many, reads everything fresh)."""
    names: set[str] | None = set(bumped)
    if own_change_pending():
        earlier = session.get(OWN_CHANGED)
        names = names | set(earlier) if isinstance(earlier, list) else None
    session[OWN_CHANGE] = time.time() + seconds
    if names is None or len(names) > OWN_CHANGED_KEPT:
        session.pop(OWN_CHANGED, None)
    else:
        session[OWN_CHANGED] = sorted(names)


def recording() -> bool:
    """Is a copy of the page being rendered going to be kept (so ``follows`` and ``valid_until``
    matter)? Lets a view skip the reads that only they need."""
    return g.get("private_page") is not None


def follows(*namespaces: str) -> None:
    """The page being rendered also shows what these namespaces cover (read their versions now,
    before the data)."""
    page = g.get("private_page")
    if page is not None:
        for namespace in namespaces:
            page["versions"].setdefault(namespace, current(namespace))


def valid_until(moment: datetime | None) -> None:
    """The page being rendered changes by itself at ``moment`` (a hold ends, a booking starts)."""
    page = g.get("private_page")
    if page is not None and moment is not None:
        seconds = (moment - datetime.now(UTC)).total_seconds()
        page["until"] = min(page["until"], time.monotonic() + max(seconds, 0.0))
