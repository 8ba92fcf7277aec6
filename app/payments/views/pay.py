"""Payment pages (blueprint ``payments`` at /payments); the Stripe webhook is webhooks.py's, a
desk booking's payment link desk_link.py's, the Demo gateway's checkout app/demo/views.py's.

- The return page, which never trusts the redirect: it polls (HTMX) until settling, done by a
  job from the stored event, has confirmed the order or released it.
- The receipt, for the customer or an admin.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.booking.amounts import amount_due
from app.booking.models import Order, OrderStatus
from app.booking.order_lifecycle import PAID_STATES
from app.booking.order_lifecycle import STATUS_LABELS as ORDER_LABELS
from app.booking.policy import describe_policy
from app.booking.presenting import booking_time
from app.payments.fees import describe_fee, get_order_fees
from app.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.payments.presenting import order_lines
from app.payments.saved_cards import card_label, get_saved_card
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.promos.lines import promo_lines
from app.web.blueprints import payments as bp
from app.web.loaders import own_row
from app.web.rendering import is_htmx, render_page

REFUND_LABELS = {
    RefundStatus.PENDING: _l("On its way"),
    RefundStatus.SUCCEEDED: _l("Refunded"),
    RefundStatus.FAILED: _l("Failed"),
}
GATEWAY_LABELS = {"demo": _l("Demo card payment"), "stripe": _l("Card payment (Stripe)")}


# -- shared helpers ----------------------------------------------------------------------------


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# Filters for the receipt email, whose context is the models themselves (user, order, receipt_url).


bp.add_app_template_filter(format_money, "money_minor")  # {{ minor|money_minor(currency) }} in emails


@bp.app_template_filter("order_amounts")
def order_amounts(order: Order) -> Any:
    """The order's amounts (app/booking/amounts.py), for the receipt email's totals."""
    return amount_due(order)


@bp.app_template_filter("booking_when")
def booking_when(booking: Any) -> str:
    return booking_time(booking, timefmt.SHORT_DAY)


@bp.app_template_filter("booking_policy")
def booking_policy(booking: Any) -> str:
    return describe_policy(booking.cancel_free_hours, booking.cancel_late_fee_percent)


@bp.app_template_filter("order_paid_at")
def order_paid_at(order: Order) -> str:
    if order.paid_at is None:
        return ""
    zone = timefmt.venue_zone(order.bookings[0].venue if order.bookings else None)
    return f"{timefmt.moment_label(order.paid_at, zone)} ({zone.key})"


# -- the return page ---------------------------------------------------------------------------------


def build_return_page(order: Order) -> dict[str, Any]:
    if order.status in PAID_STATES:
        state = "paid"
    elif order.status in (OrderStatus.FAILED, OrderStatus.EXPIRED, OrderStatus.RELEASED):
        state = order.status
    else:
        state = "waiting"
    started = db.session.scalar(select(Payment.id).where(Payment.order_id == order.id).limit(1)) is not None
    return {
        "state": state,
        "order": {
            "id": order.id,
            "url": url_for("booking.order", order_id=order.id),
            "total": format_money(order.total_minor, order.currency),
            "receipt_number": order.receipt_number,
        },
        "payment_started": started,
        "lines": order_lines(order),
        "status_url": url_for(".returned", order_id=order.id),
        "receipt_url": url_for(".receipt", order_id=order.id) if order.receipt_number else None,
    }


@bp.get("/return/<int:order_id>")
@login_required
@own_row(Order)  # someone else's order is indistinguishable from a missing one
def returned(order: Order) -> Response:
    # ?session_id= is ignored on purpose: only a settled gateway event confirms an order.
    if not order.bookings and order.voucher_purchase is not None:  # a gift voucher: its own page
        return redirect(url_for("vouchers.purchase", purchase_id=order.voucher_purchase.id), 303)
    if not order.bookings and order.tip is not None:  # a tip (app/tips): the booking it thanks for
        return redirect(url_for("booking.booking_detail", reference=order.tip.booking.reference), 303)
    # A membership's month (app/memberships): My memberships, before packages (its sessions are a
    # holding too); a package (app/packages): My packages. Once paid: until then, the waiting page
    # below, whose status block asks this route again (HTMX), and is sent on with HX-Redirect.
    if not order.bookings and order.status in PAID_STATES:
        if order.membership_period is not None:
            return _on_to(url_for("booking.my_memberships"))
        if order.package_holding is not None:
            return _on_to(url_for("booking.my_packages"))
    return no_store(render_page("payments/returned.html", "payment_status", **build_return_page(order)))


def _on_to(url: str) -> Response:
    if is_htmx():  # the waiting page's status block: the whole page moves on
        response = Response(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


# -- receipts ------------------------------------------------------------------------------------------


def build_receipt(order: Order) -> dict[str, Any]:
    zone = timefmt.venue_zone(order.bookings[0].venue) if order.bookings else None
    due = amount_due(order)
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.order_id == order.id,
                Payment.status == PaymentStatus.SUCCEEDED,
                Payment.kind != PaymentKind.FEE,  # fees are separate money, listed on their own
            )
            .order_by(Payment.id)
        )
    )
    refunds = list(
        db.session.scalars(
            select(Refund).where(Refund.payment_id.in_([p.id for p in payments] or [-1])).order_by(Refund.id)
        )
    )
    references = {b.id: b.reference for b in order.bookings}
    pending = sum(r.amount_minor for r in refunds if r.status == RefundStatus.PENDING)
    refunded = sum(r.amount_minor for r in refunds if r.status == RefundStatus.SUCCEEDED)
    venues: dict[int, dict[str, str]] = {}
    for b in order.bookings:
        venues.setdefault(
            b.venue_id,
            {
                "name": b.venue.name,
                "address": ", ".join(p for p in (b.venue.address_line, b.venue.city, b.venue.postcode) if p),
            },
        )
    return {
        "receipt": {
            "number": order.receipt_number,
            "order_id": order.id,
            "paid_at": timefmt.moment_label(order.paid_at, zone) if order.paid_at and zone else None,
            "paid_iso": order.paid_at.astimezone(UTC).isoformat(timespec="seconds") if order.paid_at else None,
            "timezone": zone.key if zone else "UTC",
            "customer": order.customer.name,
            "email": order.customer.email,
            "status": ORDER_LABELS.get(order.status, order.status),
            "currency": order.currency,
            # What was paid (card and voucher); what is due at the venue is on its own line.
            "total": format_money(due.due_now_minor + due.voucher_applied_minor, order.currency),
            "subtotal_all": format_money(due.items_subtotal_minor, order.currency),
            "at_venue": format_money(due.due_at_venue_minor, order.currency) if due.due_at_venue_minor else None,
            "pay_label": due.pay_label,
            "saved_card": card_label(get_saved_card(order)),
            "fees": [describe_fee(fee) for fee in get_order_fees(order)],
            "voucher_applied": format_money(order.voucher_applied_minor, order.currency)
            if order.voucher_applied_minor
            else None,
            "gift_voucher": order.voucher_purchase.recipient_name
            if not order.bookings and order.voucher_purchase
            else None,
            **promo_lines(order),
            "refunded": format_money(refunded, order.currency),
            "has_refunds": bool(refunds),
            "pending": format_money(pending, order.currency) if pending else None,
            "net": format_money(due.due_now_minor + due.voucher_applied_minor - refunded, order.currency),
            "method": ", ".join(
                sorted(
                    {str(GATEWAY_LABELS.get(p.gateway, p.gateway)) for p in payments}
                    | ({_("Gift voucher")} if order.voucher_applied_minor else set())
                )
            )
            or None,
            "payment_refs": [p.payment_intent_id or p.session_id for p in payments],
        },
        "venues": list(venues.values()),
        "lines": order_lines(order),
        "refunds": [
            {
                "when": timefmt.moment_label(r.settled_at or r.created_at, zone) if zone else "",
                "amount": format_money(r.amount_minor, r.currency),
                "status": r.status,
                "status_label": REFUND_LABELS.get(r.status, r.status),
                "reason": r.reason,
                "booking": references.get(r.booking_id),
            }
            for r in refunds
        ],
        "locale": format_locale(),
    }


@bp.get("/receipts/<int:order_id>")
@login_required
def receipt(order_id: int) -> Response:
    order = db.session.get(Order, order_id)
    if order is None or (order.customer_id != current_user.id and not current_user.has_role(Role.ADMIN)):
        abort(404)
    if order.receipt_number is None:
        abort(409, _("This order isn't paid, so there's no receipt for it yet."))
    return no_store(render_page("payments/receipt.html", **build_receipt(order)))
