"""Request guards shared by page modules of several domains: who may book (customers and
visitors, not venue or admin accounts), whose cart this is (the signed-in customer's or the
session's anonymous one), the customer's own booking (``get_own_booking``, else 404), and
``venue_required`` for the provider's pages of a venue."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import abort, redirect, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.access import role_required
from app.accounts.models import Role
from app.booking import cart as carts
from app.booking.models import Booking, CartItem
from app.booking.presenting import find_own_booking
from app.extensions import db
from app.venues.service import get_venue_for_owner

CART_TOKEN = "cart_token"  # noqa: S105 - the session key of the anonymous cart, not a secret
NOT_FOR_BOOKING = _l("Venue and admin accounts can't book. Sign in with a customer account to book.")


def get_own_booking(reference: str) -> Booking:
    """The signed-in customer's booking with this reference; anyone else's (or a move's hold) is a 404."""
    booking = find_own_booking(reference, current_user.id)
    if booking is None:
        abort(404)
    return booking


def may_book() -> bool:
    """Customers and anonymous visitors book; venue and admin accounts don't."""
    return not current_user.is_authenticated or current_user.has_role(Role.CUSTOMER)


def require_booker() -> None:
    if not may_book():
        abort(403, NOT_FOR_BOOKING)


def get_cart_owner(*, create: bool = False) -> carts.CartOwner | None:
    """The signed-in customer's cart, or the session's anonymous one (made on first add)."""
    if current_user.is_authenticated:
        return carts.CartOwner(user_id=current_user.id)
    token = session.get(CART_TOKEN)
    if not isinstance(token, str) or not token:
        if not create:
            return None
        token = secrets.token_urlsafe(24)
        session[CART_TOKEN] = token
    return carts.CartOwner(token=token)


def count_cart_items() -> int:
    if not may_book():
        return 0
    owner = get_cart_owner()
    if owner is None:
        return 0
    query = select(func.count()).select_from(CartItem).where(owner.where(), CartItem.expires_at > datetime.now(UTC))
    try:
        return db.session.scalar(query) or 0
    except SQLAlchemyError:  # an error page after a database failure still renders its navbar
        return 0


def venue_required(view: Callable) -> Callable:
    """A provider with a venue: passes ``venue`` (their own, always) to the view.

    A provider only ever reaches their own venue: it is loaded by owner, never from the URL.
    Without a venue yet, they are sent to the first wizard step.
    """

    @role_required("provider")
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        venue = get_venue_for_owner(current_user.id)
        if venue is None:
            return redirect(url_for("venues_dashboard.basics"))
        return view(*args, venue=venue, **kwargs)

    return wrapped
