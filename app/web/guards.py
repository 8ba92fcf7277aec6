"""Request guards shared by page modules of several domains: who may book (customers and
visitors, not venue or admin accounts), a visitor sent to sign in first (``sign_in_first``),
whose cart this is (the signed-in customer's or the session's anonymous one), the customer's
own booking (``get_own_booking``, else 404), and ``venue_required`` for the provider's pages of
a venue, with the role each allows."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.access import role_required
from app.accounts.forms import ConfirmForm
from app.accounts.models import Role
from app.audit import service as audit
from app.booking import cart as carts
from app.booking.models import Booking, CartItem
from app.booking.presenting import find_own_booking
from app.platform import cache_versions
from app.platform.cache_versions import account_namespace, user_namespace
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.remembered import Memory
from app.venues import staff
from app.venues.models import StaffRole, Venue
from app.venues.service import get_venue_for_owner
from app.web.rendering import is_htmx

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


def sign_in_first(message: str, then: str) -> Response:
    """A visitor who must sign in before going on: ``message`` flashed, and sent to sign in, then
    on to ``then``: a redirect (303), or for HTMX a 204 whose ``HX-Redirect`` loads the whole
    sign-in page rather than swapping it into a part of this one."""
    flash(message, "info")
    target = url_for("accounts.sign_in", next=then)
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


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
    """The navbar's cart count: asked once per page read (a page's ETag and its navbar both show
    it); a request that changes something counts again, after its change."""
    if request.method not in ("GET", "HEAD"):
        return _count_cart_items()
    if "cart_count" not in g:
        g.cart_count = _count_cart_items()
    return g.cart_count


def cart_items_counted(count: int) -> None:
    """A page that read the cart's items as the count reads them (those not run out) gives the
    navbar their count, so that it is not asked again."""
    g.cart_count = count


# A signed-in customer's count, as a warm worker last read it: it follows their "user"
# namespace (every cart item's change bumps it) and lasts until their soonest item runs out.
CART_COUNTS = Memory("cart_counts", size=4096, seconds=60.0)


def _count_cart_items() -> int:
    if not may_book():
        return 0
    owner = get_cart_owner()
    if owner is None:
        return 0
    user_id = owner.user_id
    if user_id is not None and request.method in ("GET", "HEAD"):
        remembered = CART_COUNTS.recall(user_id)
        if remembered is not None:
            return remembered["count"]
    now = datetime.now(UTC)
    query = select(func.count(), func.min(CartItem.expires_at)).where(owner.where(), CartItem.expires_at > now)
    try:
        versions = CART_COUNTS.versions(user_namespace(user_id)) if user_id is not None else {}
        count, soonest = db.session.execute(query).one()
    except SQLAlchemyError:  # an error page after a database failure still renders its navbar
        return 0
    if user_id is not None:
        left = (soonest - now).total_seconds() if soonest is not None else None
        CART_COUNTS.keep(user_id, versions, seconds=left, count=count)
    return count


# -- the provider area: who may open which page ----------------------------------------------
#
# The owner of a venue and its staff (app/venues/models.VenueStaff) share the provider area.
# Every page of it is wrapped in ``venue_required``, which resolves the signed-in person's venue
# and their role there (``VenueAccess``) and lets them in only if the route allows that role.
# A route that says nothing allows OWNER_AND_MANAGER: the safe default. docs/staff-roles.md has
# the table; tests/web/test_staff_route_roles.py walks every route for every role.

OWNER = "owner"
MANAGER = StaffRole.MANAGER.value
RECEPTIONIST = StaffRole.RECEPTIONIST.value
PRACTITIONER = StaffRole.PRACTITIONER.value
ROLES_IN_THE_AREA = (OWNER, MANAGER, RECEPTIONIST, PRACTITIONER)

OWNER_ONLY = frozenset({OWNER})
OWNER_AND_MANAGER = frozenset({OWNER, MANAGER})
FRONT_DESK = frozenset({OWNER, MANAGER, RECEPTIONIST})
EVERYONE = frozenset(ROLES_IN_THE_AREA)


@dataclass(frozen=True)
class VenueAccess:
    """Who is acting in the provider area: their venue, role there and, for a practitioner, the
    team member they are (their calendar and bookings are filtered to that member)."""

    user_id: int
    venue_id: int | None
    role: str
    team_member_id: int | None = None

    @property
    def member_scope(self) -> int | None:
        """The only team member whose bookings this person may see; None for everyone's."""
        return self.team_member_id if self.role == PRACTITIONER else None


# A warm worker knows each venue owner's venue without a statement on the pages they read
# (app/platform/remembered.py): a change to any venue bumps "public", a change to the owner's
# account their "account" namespace. A request that changes something reads it fresh, in its own
# transaction. A staff login's membership (its venue, role and team member: three columns) is
# read on every request: the owner's removal of a member must refuse their very next request on
# every worker, whatever its memo of the versions (tests/venues/test_removed_staff_elsewhere.py).
# Its venue's row comes from the worker's memory as an owner's does.
ACCESS = Memory("venue_access")


def _venue_and_membership() -> tuple[Venue | None, Any]:
    """The venue and, for a staff login, its live membership (``venue_id``, ``role``,
    ``team_member_id``); (None, None) for a staff login that has none."""
    user_id = current_user.id
    if current_user.is_staff:
        return _staff_venue_and_membership(user_id)
    remembered = ACCESS.recall(user_id) if request.method in ("GET", "HEAD") else None
    if remembered is not None:
        return remembered["venue"], None
    versions = ACCESS.versions(cache_versions.PUBLIC, account_namespace(user_id))
    venue = get_venue_for_owner(user_id)
    ACCESS.keep(user_id, versions, venue=venue)
    return venue, None


def _staff_venue_and_membership(user_id: int) -> tuple[Venue | None, Any]:
    if request.method not in ("GET", "HEAD"):  # a change decides on rows read in its transaction
        membership = staff.find_membership(user_id, with_venue=True)
        return (membership.venue if membership is not None else None), membership
    membership = staff.live_role(user_id)
    if membership is None:
        return None, None
    key = ("staff", user_id)
    remembered = ACCESS.recall(key)
    venue = remembered["venue"] if remembered is not None else None
    if venue is None or venue.id != membership.venue_id:
        versions = ACCESS.versions(cache_versions.PUBLIC)
        venue = db.session.get(Venue, membership.venue_id)
        ACCESS.keep(key, versions, venue=venue)
    return venue, membership


def _resolve_access() -> tuple[Venue | None, VenueAccess | None]:
    """The signed-in person's venue and role; (None, None) when they have no place in the area."""
    if not (current_user.is_provider or current_user.is_staff):
        return None, None
    venue, row = _venue_and_membership()
    if current_user.is_provider:
        return venue, VenueAccess(current_user.id, venue.id if venue else None, OWNER)
    if row is None or (row.role == PRACTITIONER and row.team_member_id is None):
        return None, None
    return venue, VenueAccess(current_user.id, row.venue_id, row.role, row.team_member_id)


def current_access() -> VenueAccess | None:
    """This request's access to the provider area (resolved once per request)."""
    if not current_user.is_authenticated or not current_user.works_at_a_venue:
        return None
    if "venue_access" not in g:
        g.venue_resolved = _resolve_access()
        g.venue_access = g.venue_resolved[1]
    return g.venue_access


def acting_member_scope() -> int | None:
    """A practitioner's own team member id (their data only); None for every other role."""
    access = current_access()
    return access.member_scope if access is not None else None


def acting_role() -> str | None:
    """The signed-in person's role in the provider area: an owner's needs no query."""
    if current_user.is_authenticated and current_user.is_provider:
        return OWNER
    access = current_access()
    return access.role if access is not None else None


def may_open(endpoint: str) -> bool:
    """Whether the signed-in person's role may open this provider route (navigation links)."""
    role = acting_role()
    view = current_app.view_functions.get(endpoint)
    if role is None or view is None:
        return False
    return role in getattr(view, "venue_roles", OWNER_AND_MANAGER)


def _sign_out_former_staff() -> Any:
    """A staff login whose membership was removed. Removing ends their sessions at once, but a
    worker may trust a session it read within the last CACHE_VERSION_TTL; such a request is
    signed out here and sent to sign in, rather than meeting a bare 403."""
    session.clear()
    logout_user()
    flash(_("You are no longer on this venue's team, so you were signed out."), "info")
    return redirect(url_for("accounts.sign_in"))


def venue_required(
    view: Callable | None = None, *, roles: frozenset[str] | set[str] = OWNER_AND_MANAGER, allow_no_venue: bool = False
) -> Callable:
    """A page of the provider area: passes ``venue`` (the signed-in person's own, never one from
    the URL) to the view, if their role there is in ``roles`` (the owner always is); 403 if not.

    ``@venue_required`` alone allows the owner and managers. An owner without a venue yet is sent
    to the first wizard step, unless ``allow_no_venue`` (then ``venue`` is None). The roles are
    kept on the view as ``venue_roles`` for the navigation and the route-walking test.
    """
    allowed = frozenset(roles) | OWNER_ONLY
    unknown = allowed - set(ROLES_IN_THE_AREA)
    if unknown:
        raise ValueError(f"unknown provider roles: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        @role_required(Role.PROVIDER, Role.STAFF)
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            access = current_access()
            if access is None and current_user.is_staff and staff.find_membership(current_user.id) is None:
                return _sign_out_former_staff()
            if access is None or access.role not in allowed:
                abort(403)
            venue = g.venue_resolved[0]
            if venue is None and not allow_no_venue:
                return redirect(url_for("venues_dashboard.basics"))
            with audit.acting_as(access.role):
                return view(*args, venue=venue, **kwargs)

        wrapped.venue_roles = allowed
        return wrapped

    return decorate(view) if view is not None else decorate


def check_form(form) -> None:
    """A form that doesn't validate: a bad or missing CSRF token is a 400; otherwise its first
    field's first message is the refusal (``ValidationFailed`` naming the field, a 422)."""
    if form.validate():
        return
    if form.csrf_token.errors:
        abort(400)
    field, messages = next(iter(form.errors.items()))
    raise ValidationFailed(messages[0], field=field)


def check_confirm_form() -> None:
    """A button that changes state posts only the CSRF token (``ConfirmForm``): a bad or missing one is a 400."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
