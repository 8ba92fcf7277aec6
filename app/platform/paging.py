"""Keyset paging: one page of a query's rows in the order of a unique key (an id), starting just
past the last row the previous page showed.

A page asks for one row more than it shows: that row only says whether another page follows,
and the last row shown is where the next one starts. Unlike an offset, a row added or removed
meanwhile shifts nothing between pages. The JSON API wraps the key in an opaque cursor
(app/api/conventions.py); the notification centre's page puts it in its query string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from app.platform.extensions import db

Row = TypeVar("Row")


@dataclass(frozen=True)
class KeysetPage(Generic[Row]):
    rows: list[Row]
    next_key: int | None  # the last row's key when more rows follow; None on the last page


def keyset_page(
    query: Select[tuple[Row]],
    key: InstrumentedAttribute[Any],
    *,
    size: int,
    last_shown: int | None = None,
    descending: bool = False,
) -> KeysetPage[Row]:
    """``size`` rows of ``query`` in ``key`` order (``descending``: highest first), those past
    ``last_shown`` (the previous page's ``next_key``; None for the first page). One statement."""
    if last_shown is not None:
        query = query.where(key < last_shown if descending else key > last_shown)
    ordered = query.order_by(key.desc() if descending else key).limit(size + 1)
    rows = list(db.session.scalars(ordered))
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows=rows, next_key=getattr(rows[-1], key.key) if more else None)
