"""The cart: adding a chosen time, the cart page, changing or removing an item, and the
navbar's cart badge (routes on the ``booking`` blueprint of app/booking/views/book.py).

Anonymous visitors may fill a cart (a random token in the session); a customer's cart is
theirs. Venue and admin accounts can look but not book.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, literal_column, select
from werkzeug.wrappers import Response

from app.booking import cart as carts
from app.booking import order_lifecycle
from app.booking.errors import CartItemInvalid
from app.booking.forms import AddToCartForm, QuantityForm
from app.booking.models import CartItem, Order, OrderStatus
from app.memberships import service as memberships
from app.memberships.models import Membership
from app.ops.errors import http_status, render_error
from app.packages.models import PackageHolding
from app.platform import cache_versions
from app.platform.cache_versions import follows, recording, user_namespace, valid_until
from app.platform.extensions import db
from app.venues.addons import Choice
from app.venues.models import Service, VenueStatus
from app.venues.options import cheapest
from app.web.blueprints import booking as bp
from app.web.booking_page import build_booking_page
from app.web.cart_page import build_cart_page, nav_cart_oob
from app.web.guards import cart_items_counted, count_cart_items, get_cart_owner, require_booker
from app.web.private_cache import private_page
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.unit_of_work import on_refusal

# -- the navbar's cart badge -------------------------------------------------------------------


@bp.app_context_processor
def cart_badge() -> dict[str, Any]:
    # A function, so only templates that show the badge (the navbar) run the query.
    return {"cart_count": count_cart_items}


# -- the cart ----------------------------------------------------------------------------------


@bp.post("/cart/items")
def add_to_cart() -> Response:
    require_booker()
    form = AddToCartForm()
    if not form.validate():
        return refuse_item(form, form.first_error(), 400)
    owner = get_cart_owner(create=True)
    on_refusal(lambda error: refuse_item(form, error.message, http_status(error)), kinds=CartItemInvalid)
    item = carts.add_item(
        owner,
        service_id=form.service_id.data,
        starts_at=form.start,
        quantity=form.quantity.data,
        team_member_id=form.member_id,
        answers={key: value for key, value in request.form.items() if key.startswith("intake_")},
        option_id=form.option_id.data,
        addon_ids=form.addons,
    )
    service = item.service
    message = _("Added %(service)s to your cart.", service=service.name)
    if not is_htmx():
        flash(message, "success")
        return redirect(url_for(".cart"), 303)
    page = build_booking_page(
        service.venue,
        service,
        month=None,
        day=None,
        start=item.starts_at,
        now=datetime.now(UTC),
        choice=carts.item_choice(item),
    )
    page["added"] = {"message": message, "cart_url": url_for(".cart")}
    response = render_page("booking/book.html", "details", **page)
    response.set_data(response.get_data(as_text=True) + nav_cart_oob())
    return add_toast(response, message)


def refuse_item(form: AddToCartForm, message: str, status: int) -> ResponseReturnValue:
    """Show why an item can't go in the cart, on the booking page it came from (the error page
    when there is no such page to show)."""
    service = db.session.get(Service, form.service_id.data) if form.service_id.data else None
    if service is None or not service.is_active or service.venue.status != VenueStatus.APPROVED:
        return render_error(status, message)
    start = getattr(form, "start", None)
    chosen = {
        "quantity": form.quantity.data,
        "member_id": getattr(form, "member_id", None),
        "answers": {key: value[:500] for key, value in request.form.items() if key.startswith("intake_")},
    }
    option = next((o for o in service.options if o.id == form.option_id.data), None)
    # The add-ons asked for that are the service's (the message says what was wrong with the rest).
    wanted = set(getattr(form, "addons", None) or ())
    addons = tuple(a for a in service.addons if a.id in wanted)
    page = build_booking_page(
        service.venue,
        service,
        month=None,
        day=None,
        start=start,
        now=datetime.now(UTC),
        error=message,
        chosen=chosen,
        choice=Choice(option=option or (cheapest(service.options) if service.options else None), addons=addons),
    )
    return render_page("booking/book.html", "details", status=status, **page)


def cart_page_namespaces() -> list[str]:
    return [user_namespace(current_user.id), cache_versions.PUBLIC]


@bp.get("/cart", endpoint="cart")
@private_page(cart_page_namespaces)  # a signed-in customer's cart; an anonymous cart is rendered each time
def show_cart() -> Response:
    require_booker()
    now = datetime.now(UTC)
    if current_user.is_authenticated:
        # A hold that ran out since the periodic job last looked: its items belong in this cart now.
        order_lifecycle.expire_holds(now, customer_id=current_user.id)
    owner = get_cart_owner()
    if recording():
        follow_cart(current_user.id, now)
    page = build_cart_page(owner, now=now)
    cart_items_counted(page["count"])  # the navbar's count: the items just read
    return render_page("booking/cart.html", "cart", **page)


def follow_cart(user_id: int, now: datetime) -> None:
    """What a cached copy of this cart follows besides the customer's own rows: the free times
    of its venues (another customer's booking can take an item's time), read before the cart;
    and when it changes by itself: an item expires or comes within the booking notice, or a
    held order's time runs out (its items come back)."""
    # When an item comes within its service's own minimum notice (docs/booking-rules.md).
    platform = current_app.config["BOOKING_MIN_NOTICE_MINUTES"]
    notice = func.coalesce(Service.min_notice_minutes, platform)
    notice_from = CartItem.starts_at - notice * literal_column("interval '1 minute'")
    rows = db.session.execute(
        select(Service.venue_id, func.min(CartItem.expires_at), func.min(notice_from))
        .join(Service, Service.id == CartItem.service_id)
        .where(CartItem.user_id == user_id, CartItem.expires_at > now)
        .group_by(Service.venue_id)
    ).all()
    follows(*(cache_versions.venue_times(venue_id) for venue_id, _item, _expires in rows))
    for _item, expires_at, within_notice in rows:
        valid_until(expires_at)
        valid_until(within_notice)
    valid_until(
        db.session.scalar(
            select(func.min(Order.hold_expires_at)).where(
                Order.customer_id == user_id, Order.status == OrderStatus.PENDING_PAYMENT
            )
        )
    )
    # A package that ends, a membership's month or grace that ends: the notes and member prices change.
    package_ends = (
        select(func.min(PackageHolding.expires_at))
        .where(PackageHolding.customer_id == user_id, PackageHolding.expires_at > now)
        .scalar_subquery()
    )
    membership_ends = (
        select(func.min(func.least(Membership.current_period_end, Membership.grace_until)))
        .where(Membership.customer_id == user_id, Membership.status.in_(memberships.BENEFITS))
        .scalar_subquery()
    )
    valid_until(db.session.scalar(select(func.least(package_ends, membership_ends))))


def cart_changed(message: str | None, *, error: tuple[int, str] | None = None, status: int = 200) -> Response:
    """After a cart change: the fresh cart block for HTMX (with a toast), else a redirect."""
    if not is_htmx() and error is None:
        flash(message, "success")
        return redirect(url_for(".cart"), 303)
    errors = dict([error]) if error else None
    page = build_cart_page(get_cart_owner(), now=datetime.now(UTC), errors=errors)
    response = render_page("booking/cart.html", "cart", status=status, **page)
    if is_htmx():
        response.set_data(response.get_data(as_text=True) + nav_cart_oob())
        if message:
            add_toast(response, message)
    return response


def get_own_cart_item(item_id: int) -> tuple[carts.CartOwner, CartItem]:
    require_booker()
    owner = get_cart_owner()
    item = carts.get_item(owner, item_id) if owner else None
    if owner is None or item is None:
        abort(404, _("That item is not in your cart."))
    return owner, item


@bp.post("/cart/items/<int:item_id>")
def update_item(item_id: int) -> Response:
    owner, item = get_own_cart_item(item_id)
    form = QuantityForm()
    if not form.validate():
        message = next(iter(form.quantity.errors or ["Check the number of people."]))
        return cart_changed(None, error=(item_id, message), status=400)
    on_refusal(lambda error: cart_changed(None, error=(item_id, error.message)), kinds=CartItemInvalid)
    carts.update_quantity(owner, item_id, form.quantity.data)
    people = form.quantity.data
    return cart_changed(
        ngettext(
            "Updated %(service)s to %(num)d person.",
            "Updated %(service)s to %(num)d people.",
            people,
            service=item.service.name,
        )
    )


@bp.post("/cart/items/<int:item_id>/delete")
def remove_item(item_id: int) -> Response:
    owner, item = get_own_cart_item(item_id)
    name = item.service.name
    carts.remove_item(owner, item_id)
    return cart_changed(_("Removed %(name)s from your cart.", name=name))
