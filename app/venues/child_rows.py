"""Saving a service's list of small rows (its options, its add-ons) as the owner gives it: the
rows in the order given, an ``id`` keeping the row it names (carts and bookings that name it
still do), no ``id`` making a new one, and the rows left out deleted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from app.platform.errors import ValidationFailed
from app.platform.extensions import db

Row = TypeVar("Row")


def replace_rows(
    existing: Sequence[Row],
    given: Sequence[Any],
    *,
    make: Callable[[], Row],
    fields: Sequence[str],
    foreign: ValidationFailed,
) -> list[Row]:
    """The rows for ``given`` (each with an ``id`` or None, and ``fields``), in its order, their
    ``position`` set; a new row is ``make()``. Raises ``foreign`` when an id names none of
    ``existing``, before anything changes. The caller assigns the list to its relationship."""
    by_id = {row.id: row for row in existing}
    if any(item.id is not None and item.id not in by_id for item in given):
        raise foreign
    kept = []
    for position, item in enumerate(given):
        row = by_id.get(item.id) if item.id is not None else None
        row = row if row is not None else make()
        for name in fields:
            value = getattr(item, name)
            setattr(row, name, value.strip() if isinstance(value, str) else value)
        row.position = position
        kept.append(row)
    for row in existing:
        if row not in kept:
            db.session.delete(row)
    db.session.flush()
    return kept
