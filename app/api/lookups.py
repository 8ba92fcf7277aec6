"""Finding the caller's own rows for the API's routes (shared by app/api/views/ modules, which
are pages and import no page): a venue with its lists loaded, the row a venue URL names (404
before the body is read, with one message per kind of row), a customer's own order."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking.models import Booking, Order
from app.clients import service as clients
from app.platform.extensions import db
from app.venues.models import Venue
from app.venues.resources import venue_resources

ORDER_LOADS = (selectinload(Order.bookings).options(selectinload(Booking.venue), selectinload(Booking.service)),)
BOOKING_LOADS = (selectinload(Booking.venue), selectinload(Booking.service))


def own_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id, options=ORDER_LOADS)
    if order is None or order.customer_id != current_user.id:
        abort(404, message=_("You have no order with that number."))
    return order


def loaded(venue: Venue) -> Venue:
    return db.session.scalars(
        select(Venue)
        .where(Venue.id == venue.id)
        .options(
            selectinload(Venue.services),
            selectinload(Venue.team),
            selectinload(Venue.opening_hours),
            selectinload(Venue.closures),
            selectinload(Venue.category),
        )
    ).one()


# What a 404 says when the URL names a row the caller's venue doesn't have, by kind of row.
NO_SUCH = {
    "service": _l("No such service at your venue."),
    "member": _l("No such team member at your venue."),
    "faq": _l("No such question at your venue."),
    "resource": _l("No such room or equipment at your venue."),
    "client": _l("That client is not in your client book."),
}


def own_row(kind: str, rows: Iterable[Any], item_id: int) -> Any:
    """The venue's own row with this id (from one of its lists), or a 404 saying there is none."""
    for row in rows:
        if row.id == item_id:
            return row
    abort(404, message=str(NO_SUCH[kind]))
    return None  # unreachable: abort raises


# URL argument -> (kind of row, the venue's ids of that kind; None: the client book's own lookup)
NOT_YOURS: dict[str, tuple[str, Callable[[Venue], set[int]] | None]] = {
    "service_id": ("service", lambda venue: {s.id for s in venue.services}),
    "member_id": ("member", lambda venue: {m.id for m in venue.team}),
    "faq_id": ("faq", lambda venue: {f.id for f in venue.faqs}),
    "resource_id": ("resource", lambda venue: {r.id for r in venue_resources(venue.id)}),
    "client_id": ("client", None),
}


def found_first(view: Callable) -> Callable:
    """Between ``venue_required`` and ``@bp.arguments``: the row the URL names must be the
    venue's (404) before the body is read, so another venue's row is a 404 whatever is sent."""

    @functools.wraps(view)
    def wrapped(*args: Any, venue: Venue, **kwargs: Any):
        for name, (kind, ids_of) in NOT_YOURS.items():
            if name not in kwargs:
                continue
            if ids_of is None:
                clients.get_client(venue.id, kwargs[name])  # NotFound for another venue's
            elif kwargs[name] not in ids_of(venue):
                abort(404, message=str(NO_SUCH[kind]))
        return view(*args, venue=venue, **kwargs)

    return wrapped
