"""The cursor the app's engines hand SQLAlchemy: psycopg's own, with a ``description`` that is
built only when someone reads a column of it.

After every statement SQLAlchemy asks ``cursor.description`` whether the statement returned rows,
and for a statement it has run before it reads nothing more: the result's columns come from its
compiled-statement cache. psycopg builds the whole list of ``Column`` objects for that question,
about 1.5 microseconds a column (a booking row has 42): 2,313 of them a booking journey, 75 with
this cursor, about 3 ms of a journey's CPU, 1% (docs/benchmarks.md, "A result's description built
only when read"). ``LazyDescription`` answers the question (None, or a sequence of the right
length) and builds psycopg's columns on the first read of one.

Engines get it through ``connect_args={"cursor_factory": Cursor}`` (app/platform/db_routing.py),
as SQLAlchemy documents for psycopg cursor classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import pq

_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class LazyDescription(Sequence[Any]):
    """psycopg's ``description`` of one result, its ``Column`` objects built on the first read."""

    __slots__ = ("_columns", "_cursor", "_result")

    def __init__(self, cursor: Cursor, result: pq.abc.PGresult) -> None:
        self._cursor = cursor
        self._result = result
        self._columns: list[psycopg.Column] | None = None

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index):  # an int or a slice, as on a list
        return self.columns()[index]

    def __repr__(self) -> str:
        return repr(self.columns())

    def columns(self) -> list[psycopg.Column]:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                # psycopg's columns read the cursor's current result: built now, they would
                # describe another statement's.
                raise RuntimeError("a cursor's description was read after the cursor ran another statement")
            self._columns = psycopg.Cursor.description.fget(self._cursor)
        return self._columns


class Cursor(psycopg.Cursor):
    """psycopg's client cursor with a ``description`` built only when read (the module's docstring)."""

    @property
    def description(self) -> LazyDescription | None:  # type: ignore[override]
        result = self.pgresult
        if result is not None and (result.nfields or result.status in _ROWS):
            return LazyDescription(self, result)
        return None
