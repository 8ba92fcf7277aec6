"""Small SQL expressions shared by the data layer."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def in_ids(column: ColumnElement, ids: Iterable[int]) -> ColumnElement[bool]:
    """``column = ANY(:ids)``, the ids sent as one array parameter. ``column.in_(ids)`` renders
    a bound parameter per id, and SQLAlchemy took longer to build that SQL than PostgreSQL took
    to run it: 3 ms against 0.4 ms for a search's batch of 21 venues' bookings and blocks."""
    return column == any_(bindparam(None, [int(i) for i in ids], type_=ARRAY(Integer), unique=True))
