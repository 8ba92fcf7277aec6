"""The rows a URL names, loaded and access-checked once, before the view runs (indico's
``_process_args``): a view receives the row itself, never an id it must look up and guard.

- ``@venue_row(Service)`` under ``@venue_required``: ``<int:service_id>`` becomes ``service``,
  one of the signed-in person's venue's own rows; another venue's id, or one that names no row,
  is a 404 (another venue's rows don't exist from here).
- ``@own_row(Order)`` under a sign-in guard: ``<int:order_id>`` becomes ``order``, one of the
  signed-in customer's own rows (``customer_id``); anyone else's is a 404, like a missing one.
- ``@admin_row(SearchSynonym)`` under ``role_required("admin")``: any row, for the admins, who
  see them all; ``exists`` narrows which rows there are from here (the platform's promo codes,
  not a venue's).
- ``@own_booking`` under a sign-in guard: ``<reference>`` becomes ``booking``, the signed-in
  customer's own booking with that reference (``app.web.guards.get_own_booking``), else a 404.
- ``@child_row(TopUp, of="booking")`` under the loader of its parent: ``<int:top_up_id>``
  becomes ``top_up``, one of that booking's own rows (``booking_id``); another's is a 404.

The URL argument is the row's name plus ``_id`` (``name=`` overrides the name, ``arg=`` the
argument); ``options`` are the loader options the view needs (``selectinload(...)``);
``for_update`` locks the row (``SELECT ... FOR UPDATE``) for a change that must not race.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import abort
from flask_login import current_user

from app.platform.extensions import db
from app.web.guards import get_own_booking


def row_name(model: type) -> str:
    """``TeamMember`` -> ``team_member``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def _load(
    model: type, row_id: Any, options: Sequence[Any], belongs: Callable[[Any], bool], *, for_update: bool = False
) -> Any:
    row = None
    if isinstance(row_id, int):  # a lock (for_update) always asks the database, never the session's copy
        row = db.session.get(model, row_id, options=list(options), with_for_update=for_update or None)
    if row is None or not belongs(row):
        abort(404)
    return row


def _row_loader(
    model: type,
    name: str | None,
    arg: str | None,
    options: Sequence[Any],
    belongs: Callable[[Any, dict[str, Any]], bool],
    *,
    for_update: bool = False,
) -> Callable:
    """The decorator every loader below is: the row the URL's ``arg`` names, passed as ``name``
    when ``belongs(row, the view's other arguments)``, else a 404."""
    name = name or row_name(model)
    arg = arg or f"{name}_id"

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            row_id = kwargs.pop(arg)
            kwargs[name] = _load(model, row_id, options, lambda row: belongs(row, kwargs), for_update=for_update)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def venue_row(
    model: type,
    *,
    name: str | None = None,
    arg: str | None = None,
    options: Sequence[Any] = (),
    venue_of: Callable[[Any], int | None] = lambda row: row.venue_id,
    for_update: bool = False,
) -> Callable:
    """The venue's own ``model`` row the URL names, passed as ``name`` (inside ``venue_required``)."""
    return _row_loader(
        model, name, arg, options, lambda row, given: venue_of(row) == given["venue"].id, for_update=for_update
    )


def own_row(
    model: type,
    *,
    name: str | None = None,
    arg: str | None = None,
    options: Sequence[Any] = (),
    owner_of: Callable[[Any], int | None] = lambda row: row.customer_id,
) -> Callable:
    """The signed-in person's own ``model`` row the URL names, passed as ``name``."""

    def mine(row: Any, _given: dict[str, Any]) -> bool:
        return bool(current_user.is_authenticated and current_user.id) and owner_of(row) == current_user.id

    return _row_loader(model, name, arg, options, mine)


def admin_row(
    model: type,
    *,
    name: str | None = None,
    arg: str | None = None,
    options: Sequence[Any] = (),
    exists: Callable[[Any], bool] = lambda row: True,
    for_update: bool = False,
) -> Callable:
    """Any ``model`` row the URL names, passed as ``name`` (inside ``role_required("admin")``):
    the admins see every row; one ``exists`` turns down is a 404, like a missing one."""
    return _row_loader(model, name, arg, options, lambda row, _given: exists(row), for_update=for_update)


def own_booking(view: Callable) -> Callable:
    """The signed-in customer's own booking the URL's ``<reference>`` names, passed as ``booking``."""

    @functools.wraps(view)
    def wrapped(*args: Any, reference: str, **kwargs: Any) -> Any:
        return view(*args, booking=get_own_booking(reference), **kwargs)

    return wrapped


def child_row(
    model: type, *, of: str, name: str | None = None, arg: str | None = None, options: Sequence[Any] = ()
) -> Callable:
    """The ``model`` row the URL names, passed as ``name``: one of the rows of ``of`` (a row an
    outer loader passed, which the child names by ``<of>_id``)."""
    return _row_loader(model, name, arg, options, lambda row, given: getattr(row, f"{of}_id") == given[of].id)
