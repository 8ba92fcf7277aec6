"""The rows a URL names, loaded and access-checked once, before the view runs (indico's
``_process_args``): a view receives the row itself, never an id it must look up and guard.

- ``@venue_row(Service)`` under ``@venue_required``: ``<int:service_id>`` becomes ``service``,
  one of the signed-in person's venue's own rows; another venue's id, or one that names no row,
  is a 404 (another venue's rows don't exist from here).
- ``@own_row(Order)`` under a sign-in guard: ``<int:order_id>`` becomes ``order``, one of the
  signed-in customer's own rows (``customer_id``); anyone else's is a 404, like a missing one.

The URL argument is the row's name plus ``_id`` (``name=`` overrides the name, ``arg=`` the
argument); ``options`` are the loader options the view needs (``selectinload(...)``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import abort
from flask_login import current_user

from app.platform.extensions import db


def row_name(model: type) -> str:
    """``TeamMember`` -> ``team_member``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def _load(model: type, row_id: Any, options: Sequence[Any], belongs: Callable[[Any], bool]) -> Any:
    row = db.session.get(model, row_id, options=list(options)) if isinstance(row_id, int) else None
    if row is None or not belongs(row):
        abort(404)
    return row


def venue_row(
    model: type,
    *,
    name: str | None = None,
    arg: str | None = None,
    options: Sequence[Any] = (),
    venue_of: Callable[[Any], int] = lambda row: row.venue_id,
) -> Callable:
    """The venue's own ``model`` row the URL names, passed as ``name`` (inside ``venue_required``)."""
    name = name or row_name(model)
    arg = arg or f"{name}_id"

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, venue: Any, **kwargs: Any) -> Any:
            kwargs[name] = _load(model, kwargs.pop(arg), options, lambda row: venue_of(row) == venue.id)
            return view(*args, venue=venue, **kwargs)

        return wrapped

    return decorate


def own_row(
    model: type,
    *,
    name: str | None = None,
    arg: str | None = None,
    options: Sequence[Any] = (),
    owner_of: Callable[[Any], int | None] = lambda row: row.customer_id,
) -> Callable:
    """The signed-in person's own ``model`` row the URL names, passed as ``name``."""
    name = name or row_name(model)
    arg = arg or f"{name}_id"

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            mine = current_user.is_authenticated and current_user.id
            kwargs[name] = _load(model, kwargs.pop(arg), options, lambda row: bool(mine) and owner_of(row) == mine)
            return view(*args, **kwargs)

        return wrapped

    return decorate
