"""Checkout, the order page and paying for an order (routes on the ``booking`` blueprint of
app/booking/views/book.py).

Checkout turns the signed-in customer's cart into an order whose bookings are held; the
order page shows the hold and starts (or resumes) the hosted payment, or lets the order go
("Change my order"): the times free at once and the items return to the cart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.booking.amounts import amount_due
from app.booking.errors import SlotUnavailable
from app.booking.models import Order, OrderStatus
from app.booking.order_lifecycle import lock_order
from app.booking.presenting import ORDER_BOOKINGS, booking_row
from app.checkout import checkout as checkouts
from app.packages import service as packages
from app.payments import service as payments
from app.payments.ports import GatewayError
from app.payments.saved_cards import card_label, get_saved_card
from app.platform import cache_versions, timefmt
from app.platform.cache_versions import user_namespace, valid_until
from app.platform.errors import DomainError, InvalidTransition, ValidationFailed
from app.platform.money import format_money
from app.promos.lines import promo_lines
from app.web.blueprints import booking as bp
from app.web.guards import require_booker, sign_in_first
from app.web.loaders import own_row
from app.web.private_cache import private_page
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

# -- checkout and orders -----------------------------------------------------------------------


def back_to_cart(error: DomainError) -> Response:
    flash(error.message, "danger")
    return redirect(url_for(".cart"), 303)


@bp.post("/checkout")
def checkout() -> Response:
    if not current_user.is_authenticated:
        return sign_in_first(
            _("Sign in or create an account to check out. Your cart comes with you."), url_for(".cart")
        )
    require_booker()
    code = request.form.get("voucher_code", "")[:40].strip()
    on_refusal(back_to_cart, kinds=(SlotUnavailable, ValidationFailed))
    order = checkouts.checkout(current_user, voucher_code=code or None)
    if order.voucher_applied_minor:
        paid = format_money(order.voucher_applied_minor, order.currency)
        left = amount_due(order).due_now_minor
        if left:
            message = _(
                "Your gift voucher paid %(paid)s. Pay the remaining %(left)s by card.",
                paid=paid,
                left=format_money(left, order.currency),
            )
        elif order.status == OrderStatus.PAID:
            message = _("Your gift voucher paid %(paid)s. Your booking is confirmed.", paid=paid)
        else:
            message = _(
                "Your gift voucher paid %(paid)s. Save a card for the booking's policy to confirm it.", paid=paid
            )
        flash(message, "success")
    return redirect(url_for(".order", order_id=order.id), 303)


# The customer's own order the URL names, with its bookings' rows; someone else's is
# indistinguishable from a missing one.
own_order = own_row(Order, options=(ORDER_BOOKINGS,))
# The same check for a step that changes the order: it locks the order and reads it again
# (``lock_order``), so its rows are read once, after the lock, rather than before it too.
own_order_to_change = own_row(Order)


@bp.get("/orders/<int:order_id>")
@login_required
@private_page(lambda order_id: [user_namespace(current_user.id), cache_versions.PUBLIC])
@own_order
def order(order: Order) -> Response:
    now = datetime.now(UTC)
    if not order.bookings and order.voucher_purchase is not None:  # a gift voucher purchase
        return redirect(url_for("vouchers.purchase", purchase_id=order.voucher_purchase.id), 303)
    if not order.bookings and order.tip is not None:  # a tip (app/tips): the booking it thanks for
        return redirect(url_for("booking.booking_detail", reference=order.tip.booking.reference), 303)
    if order.status == OrderStatus.PENDING_PAYMENT:
        valid_until(order.hold_expires_at)  # then the hold has ended: no more "Pay"
    return render_page("booking/order.html", **build_order_page(order, now=now))


def order_page_again(order: Order, now: datetime) -> Callable[[DomainError], Response]:
    """The order page with why the last step was refused (nothing it did is kept)."""
    return lambda error: render_page("booking/order.html", **build_order_page(order, now=now, error=error.message))


@bp.post("/orders/<int:order_id>/pay")
@login_required
@own_order_to_change  # 404 before taking a lock on someone else's order
def pay_order(order: Order) -> Response:
    """Start (or resume) the hosted checkout for the order's held bookings, then go there.

    The amount is the server's sum of the held bookings; nothing in the form is read.
    """
    now = datetime.now(UTC)
    on_refusal(order_page_again(order, now), kinds=(InvalidTransition, GatewayError))
    # Two clicks start one checkout; the lines it sends name each booking's service and venue.
    payment = payments.start_payment(lock_order(order.id, ORDER_BOOKINGS), now=now)
    return redirect(payment.checkout_url, 303)


@bp.post("/orders/<int:order_id>/change")
@login_required
@own_order_to_change  # someone else's order: 404, before any lock
def change_order(order: Order) -> Response:
    """ "Change my order": release the held times now and go back to the cart with every item."""
    on_refusal(order_page_again(order, datetime.now(UTC)), kinds=InvalidTransition)
    restored = payments.release_for_change(order, customer=current_user)
    flash(restored.message(), "warning" if restored.unavailable else "success")
    return redirect(url_for(".cart"), 303)


def _rows(bookings: list) -> list[dict[str, Any]]:
    """The bookings' rows; one a package paid for says so, with the package's cancellation rule."""
    covered = packages.sessions_of([b.id for b in bookings])
    rows = []
    for booking in bookings:
        row = booking_row(booking)
        session = covered.get(booking.id)
        if session is not None:
            row["payment"] = _("Paid with your package “%(name)s”", name=session.holding.name)
            row["policy"] = packages.covered_policy(booking.cancel_free_hours)
        rows.append(row)
    return rows


def build_order_page(order: Order, *, now: datetime, error: str | None = None) -> dict[str, Any]:
    bookings = order.bookings
    zone = timefmt.venue_zone(bookings[0].venue if bookings else None)
    pending = order.status == OrderStatus.PENDING_PAYMENT
    open_payment = payments.get_open_payment(order) if pending else None
    due = amount_due(order)
    return {
        "order": {
            "id": order.id,
            "status": order.status,
            "total": format_money(order.total_minor, order.currency),
            "voucher_applied": format_money(order.voucher_applied_minor, order.currency)
            if order.voucher_applied_minor
            else None,
            "due_now": format_money(due.due_now_minor, order.currency),
            "at_venue": format_money(due.due_at_venue_minor, order.currency) if due.due_at_venue_minor else None,
            "pay_label": due.pay_label,
            "saves_card_only": due.due_now_minor == 0,
            "saved_card": card_label(get_saved_card(order)) if order.status != OrderStatus.PENDING_PAYMENT else None,
            **promo_lines(order),
            "hold_expires_iso": order.hold_expires_at.astimezone(UTC).isoformat(timespec="seconds"),
            "hold_expires_label": timefmt.moment_label(order.hold_expires_at, zone),
            "timezone": zone.key,
        },
        "bookings": _rows(bookings),
        "can_pay": pending and order.hold_expires_at > now,
        # A bank debit under way decides the order itself; until then it can't be changed.
        "can_change": pending and (open_payment is None or open_payment.status != "processing"),
        "payment_started": open_payment is not None,
        "hold_expired": order.status == OrderStatus.EXPIRED or (pending and order.hold_expires_at <= now),
        "payment_failed": order.status == OrderStatus.FAILED,
        "released": order.status == OrderStatus.RELEASED,
        "items_in_cart": order.cart_restored_at is not None,
        "paid": order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED),
        "receipt_url": url_for("payments.receipt", order_id=order.id) if order.receipt_number else None,
        "error": error,
    }
