"""``/api/v1/me``: the signed-in customer's own cart, orders, payments and bookings.

Each route calls the services the pages call (app/booking/cart.py, app/checkout/checkout.py,
app/payments/service.py, app/booking/lifecycle.py): the API adds no rule of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select

from app.api import schemas
from app.api.auth import scopes
from app.api.conventions import cursor_position, keyset, next_cursor
from app.api.lookups import BOOKING_LOADS, ORDER_LOADS, own_order
from app.api.presenting import booking_row, cart_item_row, local, money, order_row, review_row
from app.api.routes import customer_route
from app.booking import cart as carts
from app.booking import lifecycle
from app.booking.models import Booking, Order, TopUp
from app.booking.order_lifecycle import lock_order
from app.booking.presenting import find_own_booking
from app.booking.visits import Treatment, add_visit
from app.checkout import checkout as checkouts
from app.checkout import reschedule as moves
from app.checkout import top_ups
from app.memberships import cancelling
from app.memberships import service as memberships
from app.memberships.models import Membership, MembershipPlan
from app.notifications import centre
from app.ops.problems import problem_response
from app.packages import service as packages
from app.packages.models import Package
from app.payments import service as payments
from app.platform.extensions import db
from app.platform.i18n import current_language
from app.platform.money import format_money
from app.platform.urls import absolute_url, on_base_url
from app.reviews.service import create_review
from app.saved.service import account_saved_ids, set_saved_for_account
from app.venues.listed import listed_venue
from app.web.guards import require_booker
from app.web.unit_of_work import on_refusal


def owner() -> carts.CartOwner:
    return carts.CartOwner(user_id=current_user.id)


def own_booking(reference: str) -> Booking:
    booking = find_own_booking(reference[:16], current_user.id)
    if booking is None:
        abort(404, message=_("You have no booking with that reference."))
    return booking


def newest_first(query, key, name: str, row: Callable[[Any], dict], *, limit: int, cursor: str | None) -> dict:
    """A page of the caller's own rows, newest first: ``{name: [rows], "next_cursor": ...}``."""
    rows, following = keyset(query, key, limit=limit, cursor=cursor, descending=True)
    return {name: [row(r) for r in rows], "next_cursor": following}


@customer_route("get", "", 200, schemas.Me)
def me():
    """Who the token (or session) acts for, and its scopes."""
    return {
        "id": current_user.id,
        "name": current_user.name,
        "email": current_user.email,
        "role": current_user.role,
        "scopes": sorted(scopes()),
        "language": current_language(),
    }


# -- the cart ----------------------------------------------------------------------------------------


@customer_route("get", "/cart", 200, schemas.Cart)
def cart():
    """Your cart: what you have chosen and not yet checked out (it holds no time yet)."""
    require_booker()
    return {"items": [cart_item_row(item) for item in carts.get_items(owner())]}


@customer_route("post", "/cart/items", 201, schemas.CartItem, body=schemas.CartItemIn, idempotent=True)
def add_to_cart(data):
    """Put a service at a start time from the availability into the cart (it holds nothing yet)."""
    require_booker()
    item = carts.add_item(
        owner(),
        service_id=data["service_id"],
        starts_at=data["starts_at"],
        quantity=data["quantity"],
        team_member_id=data["team_member_id"],
        option_id=data["option_id"],
        addon_ids=data["addon_ids"],
    )
    return cart_item_row(item), 201, {"Location": absolute_url("api_customer.cart")}


@customer_route(
    "post",
    "/cart/visits",
    201,
    schemas.Cart,
    body=schemas.VisitIn,
    alt=(404, "No such listed venue"),
    idempotent=True,
)
def add_visit_to_cart(data):
    """Put a visit in the cart: one guest's treatments back to back, or a group's side by side, at
    a start from ``visit-times`` (docs/visits.md). Its items share a ``visit_key``; nothing is held yet."""
    require_booker()
    venue = listed_venue(data["venue_slug"])
    treatments = [
        Treatment(t["service_id"], t["option_id"], tuple(t["addon_ids"]), t["team_member_id"], guest=t["guest"])
        for t in data["treatments"]
    ]
    items = add_visit(owner(), venue, treatments, data["starts_at"], guest_names=data["guest_names"])
    return {"items": [cart_item_row(item) for item in items]}, 201, {"Location": absolute_url("api_customer.cart")}


@customer_route("delete", "/cart/items/<int:item_id>", 204)
def remove_from_cart(item_id: int):
    """Take an item out of your cart."""
    require_booker()
    if carts.get_item(owner(), item_id) is None:
        abort(404, message=_("Your cart has no such item."))
    carts.remove_item(owner(), item_id)


# -- checkout, orders, paying ------------------------------------------------------------------------


@customer_route("post", "/orders", 201, schemas.Order, body=schemas.CheckoutIn, idempotent=True)
def checkout(data):
    """Check out: the whole cart becomes an order whose bookings are held (about 30 minutes)."""
    require_booker()
    voucher_code = (data.get("voucher_code") or "").strip() or None
    order = checkouts.checkout(current_user, voucher_code=voucher_code)
    order = own_order(order.id)
    return order_row(order), 201, {"Location": absolute_url("api_customer.order", order_id=order.id)}


@customer_route("get", "/orders", 200, schemas.OrderPage, query=schemas.CursorArgs)
def orders(limit: int, cursor: str | None = None):
    """Your orders, newest first."""
    query = select(Order).where(Order.customer_id == current_user.id).options(*ORDER_LOADS)
    return newest_first(query, Order.id, "orders", order_row, limit=limit, cursor=cursor)


@customer_route("get", "/orders/<int:order_id>", 200, schemas.Order)
def order(order_id: int):
    """One of your orders, with its bookings."""
    return order_row(own_order(order_id))


@customer_route("post", "/orders/<int:order_id>/payments", 201, schemas.PaymentStart, idempotent=True)
def pay(order_id: int):
    """Start (or resume) the hosted checkout for the order: send the customer to ``checkout_url``.
    The amount is the server's, never the caller's."""
    own_order(order_id)
    locked = lock_order(order_id)
    payment = payments.start_payment(locked)  # refused once the hold has run out
    return {
        "order_id": locked.id,
        "gateway": payment.gateway,
        "checkout_url": on_base_url(payment.checkout_url),
        "amount": money(payment.amount_minor, payment.currency),
    }, 201


# -- bookings ----------------------------------------------------------------------------------------


@customer_route("get", "/bookings", 200, schemas.BookingPage, query=schemas.CursorArgs)
def bookings(limit: int, cursor: str | None = None):
    """Your bookings, newest first (a reschedule's temporary hold is left out)."""
    query = (
        select(Booking)
        .where(Booking.customer_id == current_user.id, Booking.moves_booking_id.is_(None))
        .options(*BOOKING_LOADS)
    )
    return newest_first(query, Booking.id, "bookings", booking_row, limit=limit, cursor=cursor)


@customer_route("get", "/bookings/<reference>", 200, schemas.Booking)
def booking(reference: str):
    """One of your bookings, by its reference."""
    return booking_row(own_booking(reference))


@customer_route("post", "/bookings/<reference>/cancel", 200, schemas.Cancellation, idempotent=True)
def cancel(reference: str):
    """Cancel under the booking's policy; the refund goes back through the gateway."""
    booking = own_booking(reference)

    def cancel_and_refund() -> int:
        refund = lifecycle.cancel_by_customer(booking, customer=current_user)
        payments.refund_booking(booking, refund, reason=f"Cancelled by the customer ({booking.reference})")
        return refund

    refund = cancel_and_refund()
    booking = own_booking(reference)
    return {"booking": booking_row(booking), "refund": money(refund, booking.currency)}


@customer_route("post", "/bookings/<reference>/review", 201, schemas.Review, body=schemas.ReviewIn, idempotent=True)
def review(data, reference: str):
    """Review a booking after the appointment (the review page's rules)."""
    booking = own_booking(reference)
    written = create_review(booking, customer=current_user, rating=data["rating"], body=data["body"])
    return review_row(written), 201


@customer_route(
    "post",
    "/bookings/<reference>/reschedule",
    200,
    schemas.Move,
    body=schemas.RescheduleIn,
    alt=(202, "A dearer time: held while the top-up is paid", schemas.TopUpStart),
    idempotent=True,
)
def reschedule(data, reference: str):
    """Move a booking to another free time of its service, under the venue's rescheduling policy.

    A time that costs more now needs the difference paid first, as on the booking's page: without
    ``top_up_minor`` it is a 409 naming the difference; with it (the difference you confirm), the
    new time is held, a top-up payment is started and the answer is a 202 with its
    ``checkout_url``. The booking keeps its time until the payment arrives; then it moves
    (``GET /me/bookings/{reference}/top-ups/{id}`` says where it stands)."""
    booking = own_booking(reference)
    actor = current_user._get_current_object()
    if data["top_up_minor"] is not None:
        top_up, payment = top_ups.start_top_up(
            booking, data["starts_at"], data["team_member_id"], by=actor, expected_minor=data["top_up_minor"]
        )
        body = top_up_start_row(own_booking(reference), top_up, payment)
        location = absolute_url("api_customer.top_up", reference=booking.reference, top_up_id=top_up.id)
        return jsonify(schemas.TopUpStart().dump(body)), 202, {"Location": location}
    on_refusal(top_up_needed, kinds=moves.TopUpNeeded)
    result = moves.move_booking(booking, data["starts_at"], data["team_member_id"], by=actor)
    moved = own_booking(reference)
    return {"booking": booking_row(moved), "refund": money(result.refunded_minor, moved.currency)}


def top_up_needed(exc: moves.TopUpNeeded):
    """A move to a time that costs more: 409, naming the difference to confirm in ``top_up_minor``."""
    message = _(
        "This time costs %(amount)s more than you paid: send it again with top_up_minor %(minor)s to pay "
        "the difference.",
        amount=format_money(exc.amount_minor, exc.currency),
        minor=exc.amount_minor,
    )
    return problem_response(409, message, errors={"json": {"top_up_minor": [message]}})


def top_up_row(top_up: TopUp, zone: str) -> dict:
    return {
        "id": top_up.id,
        "status": top_up.status,
        "amount": money(top_up.amount_minor, top_up.currency),
        "from_starts_at": local(top_up.from_starts_at, zone),
        "to_starts_at": local(top_up.to_starts_at, zone),
        "outcome": top_ups.describe_outcome(top_up),
        "created_at": top_up.created_at,
        "settled_at": top_up.settled_at,
    }


def top_up_start_row(booking: Booking, top_up: TopUp, payment) -> dict:
    return {
        "state": "pending_payment",
        "top_up": top_up_row(top_up, booking.venue.timezone),
        "gateway": payment.gateway,
        "checkout_url": on_base_url(payment.checkout_url),
        "pay_by": payment.expires_at,
        "booking": booking_row(booking),
    }


@customer_route("get", "/bookings/<reference>/top-ups/<int:top_up_id>", 200, schemas.TopUp)
def top_up(reference: str, top_up_id: int):
    """A dearer move's top-up: ``pending`` while the payment is awaited, then ``moved`` (the
    booking has its new time), ``released`` (nothing charged, the booking kept its time) or
    ``refunded`` (paid, but the move couldn't be made), with what happened in words."""
    booking = own_booking(reference)
    found = db.session.get(TopUp, top_up_id)
    if found is None or found.booking_id != booking.id:
        abort(404, message=_("This booking has no such top-up."))
    return top_up_row(found, booking.venue.timezone)


# -- saved venues and notifications -------------------------------------------------------------------


@customer_route("get", "/saved", 200, schemas.Saved)
def saved():
    """The venues you saved, newest first."""
    return {"venue_ids": account_saved_ids(current_user.id)}


@customer_route("put", "/saved/<int:venue_id>", 200, schemas.Saved, body=schemas.SavedIn)
def save(data, venue_id: int):
    """Save (``{"saved": true}``) or unsave a listed venue; doing it twice changes nothing."""
    set_saved_for_account(current_user.id, venue_id, data["saved"])
    return {"venue_ids": account_saved_ids(current_user.id)}


@customer_route("get", "/notifications", 200, schemas.NoticePage, query=schemas.CursorArgs)
def notifications(limit: int, cursor: str | None = None):
    """Your notification centre, newest first."""
    page = centre.list_notices(current_user.id, before=cursor_position(cursor, "before"), size=limit)
    following = next_cursor("before", page.next_before)
    return {
        "notices": [
            {
                "id": n.id,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                "link": on_base_url(n.link),
                "created_at": n.created_at,
                "read_at": n.read_at,
            }
            for n in page.notices
        ],
        "unread": centre.unread_count(current_user.id),
        "next_cursor": following,
    }


@customer_route("post", "/notifications/<int:notice_id>/read", 204)
def mark_notice_read(notice_id: int):
    """Mark one of your notifications read (marking it twice is not an error)."""
    centre.mark_read(notice_id, current_user.id)


# -- packages -----------------------------------------------------------------------------------------


@customer_route("get", "/packages", 200, schemas.HeldPackage(many=True))
def held_packages():
    """Your paid packages, newest first, each with its sessions used and left (docs/packages.md)."""
    return [
        {
            "id": h.holding.id,
            "name": h.holding.name,
            "venue": {"id": h.holding.venue_id, "name": h.holding.venue_name},
            "service": {"id": h.holding.service_id, "name": h.holding.service_name},
            "option": {"id": h.holding.option_id, "name": h.holding.option_name} if h.holding.option_name else None,
            "sessions": h.holding.sessions,
            "used": h.used,
            "left": h.left,
            "state": h.state,
            "price": money(h.holding.price_minor, h.holding.currency),
            "paid_at": h.holding.paid_at,
            "expires_at": h.holding.expires_at,
        }
        for h in packages.held_by(current_user.id, now=datetime.now(UTC))
    ]


@customer_route("post", "/packages/<int:package_id>/orders", 201, schemas.Order, idempotent=True)
def buy_package(package_id: int):
    """Buy a package: an order without bookings, held like a checkout's; pay it with
    ``POST /orders/{id}/payments``. Its sessions start when it is paid."""
    require_booker()
    offer = db.session.get(Package, package_id)
    if offer is None:
        abort(404, message=_("We couldn't find that package."))
    holding = packages.start_purchase(current_user, offer)
    order = own_order(holding.order_id)
    return order_row(order), 201, {"Location": absolute_url("api_customer.order", order_id=order.id)}


@customer_route("get", "/memberships", 200, schemas.HeldMembership(many=True))
def held_memberships():
    """Your memberships, newest first: their state and the end of the month paid (docs/memberships.md)."""
    return [membership_row(m) for m in memberships.held_by(current_user.id)]


@customer_route(
    "post",
    "/memberships",
    201,
    schemas.Order,
    body=schemas.JoinIn,
    idempotent=True,
    alt=(404, "No such membership on offer"),
)
def join_membership(data):
    """Join a venue's membership: its first month is an order without bookings, held like a
    checkout's; pay it with ``POST /orders/{id}/payments`` (with Stripe, a monthly subscription).
    Each later month is charged until you cancel."""
    require_booker()
    plan = db.session.get(MembershipPlan, data["plan_id"])
    if plan is None:
        abort(404, message=_("We couldn't find that membership."))
    membership = memberships.start_membership(current_user, plan)
    order = own_order(memberships.last_period(membership).order_id)
    return order_row(order), 201, {"Location": absolute_url("api_customer.order", order_id=order.id)}


@customer_route("post", "/memberships/<int:membership_id>/cancel", 200, schemas.HeldMembership, idempotent=True)
def cancel_membership(membership_id: int):
    """Cancel: the benefits last until the end of the month paid, then it ends (a pending or
    paused membership ends now). Another customer's is a 404."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.customer_id != current_user.id:
        abort(404, message=_("We couldn't find that membership."))
    cancelling.cancel_at_end(membership, current_user, now=datetime.now(UTC))
    return membership_row(membership)


def membership_row(m: Membership) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "venue": {"id": m.venue_id, "name": m.venue_name},
        "price": money(m.price_minor, m.currency),
        "status": m.status,
        "paid_until": m.current_period_end,
        "cancel_at_period_end": m.cancel_at_period_end,
        "grace_until": m.grace_until,
        "included_sessions": m.included_sessions,
        "discount_percent": m.discount_percent,
    }
