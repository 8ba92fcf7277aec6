"""Rows a worker remembers between requests, so that a warm worker answers the questions nearly
every request asks (who is signed in, which venue they run, which venue an address names)
without a statement.

A ``Memory`` keeps, under a key, the column values of a few rows together with the versions of
the cache namespaces that cover them (app/platform/cache_versions.py), read *before* the rows.
A remembered entry is used only while

- every one of those versions is still current (``cache_versions.current`` is memoised for
  CACHE_VERSION_TTL seconds, so a change made through another worker shows within that);
- it is younger than the memory's ``seconds``;
- when this browser itself changed something so recently that this worker's memo of the
  versions may not know it yet, the versions of the namespaces that change bumped are read
  afresh (``cache_versions.current`` does it: read your own writes); the others are not (a
  customer's cart or booking changes their "user" namespace, never their "account").

A request that changes something should decide on rows read fresh in its own transaction: the
callers ask only on GET and HEAD.

Its rows come back as persistent objects of the request's session, as if just loaded: reading
their relationships lazy-loads as usual, and nothing is written back. A memory made with
``relations`` also keeps, for a row by name, the related rows along each dotted path ("team.services":
the venue's team and each member's services) and gives them back loaded, so that reading them
sends nothing either. With CACHE_VERSION_TTL 0
(most tests) nothing is remembered. Each memory holds at most ``size`` entries per process.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.platform import cache_versions
from app.platform.extensions import db

Node = tuple[type, dict[str, Any], dict[str, Any]]  # model, column values, relation -> Row
Row = Node | list[Node] | int | None  # an int: a count kept as it is


def columns_of(obj: object) -> dict[str, Any]:
    """A loaded row's column values, to remember it."""
    return {attr.key: getattr(obj, attr.key) for attr in type(obj).__mapper__.column_attrs}


def as_loaded(model: type, values: dict[str, Any]) -> Any:
    """A row as if just loaded into this request's session, from remembered column values; the
    session's own copy when it already holds that row."""
    mapper = inspect(model)
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    held = db.session.identity_map.get(key)
    if held is not None:
        return held
    # As a query loads a row: the instance made without its constructor and its columns set
    # directly, so no attribute event runs and nothing is recorded as changed (the constructor
    # set each column through its instrumented attribute).
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    db.session.add(obj)  # persistent, no SQL
    return obj


def snapshot(found: object, paths: tuple[str, ...] = ()) -> Row:
    """A row (or a list of rows, or None) to remember, with its related rows along ``paths``."""
    if found is None or isinstance(found, int):
        return found
    if isinstance(found, list):
        return [snapshot(each, paths) for each in found]  # type: ignore[misc]
    deeper: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        deeper.setdefault(head, []).extend([rest] if rest else [])
    relations = {name: snapshot(getattr(found, name), tuple(rest)) for name, rest in deeper.items()}
    return type(found), columns_of(found), relations


def revive(row: Row) -> Any:
    """The remembered row (or rows) as loaded objects of this request's session, their remembered
    relations loaded too (``set_committed_value``: as a query would have, no change recorded)."""
    if row is None or isinstance(row, int):
        return row
    if isinstance(row, list):
        return [revive(each) for each in row]
    model, values, relations = row
    obj = as_loaded(model, values)
    for name, related in relations.items():
        set_committed_value(obj, name, revive(related))
    return obj


def _remembering() -> bool:
    return float(current_app.config["CACHE_VERSION_TTL"]) > 0


@dataclass
class _Entry:
    versions: dict[str, int]
    rows: dict[str, Row]
    until: float


class Memory:
    """One kind of remembered rows (sessions, a provider's venue, a booking page's venue and
    service). ``relations``: for a row by name, the dotted paths of related rows kept with it."""

    def __init__(
        self, name: str, *, size: int = 1024, seconds: float = 60.0, relations: dict[str, tuple[str, ...]] | None = None
    ) -> None:
        self.name, self.size, self.seconds = name, size, seconds
        self.relations = relations or {}

    def _entries(self) -> OrderedDict[Any, _Entry]:
        return current_app.extensions.setdefault(f"remembered:{self.name}", OrderedDict())

    def forget(self) -> None:
        """Drop this process's entries (tests)."""
        self._entries().clear()

    @staticmethod
    def versions(*namespaces: str) -> dict[str, int]:
        """The namespaces' versions: read them before the rows they will cover (not at all when
        nothing is remembered)."""
        if not _remembering():
            return {}
        return cache_versions.read(namespaces)

    def recall(self, key: Any) -> dict[str, Any] | None:
        """The rows remembered under ``key`` (by name, each an object or None), or None when there
        are none that may still be used."""
        entries = self._entries()
        entry = entries.get(key)
        if entry is None:
            return None
        cache_versions.expect(*entry.versions)
        if entry.until <= time.monotonic() or any(
            cache_versions.current(ns) != version for ns, version in entry.versions.items()
        ):
            entries.pop(key, None)
            return None
        entries.move_to_end(key)
        return {name: revive(row) for name, row in entry.rows.items()}

    def keep(
        self,
        key: Any,
        versions: dict[str, int],
        *,
        seconds: float | None = None,
        also: Iterable[Any] = (),
        **rows: object | None,
    ) -> None:
        """Remember ``rows`` (by name; each an object, a list of them, a count, or None for
        "there is none") under ``key`` and each key of ``also``, as of ``versions``; for ``seconds``
        when they change by themselves sooner than the memory's own lifetime."""
        if not _remembering():
            return
        kept = {name: snapshot(found, self.relations.get(name, ())) for name, found in rows.items()}
        entries = self._entries()
        lifetime = self.seconds if seconds is None else min(self.seconds, seconds)
        entry = _Entry(versions, kept, time.monotonic() + lifetime)
        for each in (key, *also):
            entries[each] = entry
            entries.move_to_end(each)
        while len(entries) > self.size:
            entries.popitem(last=False)

    def update(self, key: Any, name: str, **values: Any) -> None:
        """Change some remembered column values of one row (what this worker itself just wrote)."""
        entry = self._entries().get(key)
        row = entry.rows.get(name) if entry is not None else None
        if isinstance(row, tuple):
            row[1].update(values)
