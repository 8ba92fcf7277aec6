"""Payment pages (blueprint ``payments`` at /payments); the Stripe webhook is webhooks.py's, a
desk booking's payment link desk_link.py's, the Demo gateway's checkout app/demo/views.py's.

- The return page, which never trusts the redirect: it polls (HTMX) until settling, done by a
  job from the stored event, has confirmed the order or released it.
- The receipt, for the customer or an admin, as a page and as a PDF (app/payments/receipt_pdf.py)
  issued once and served as stored, and the refund notes that correct it (app/invoicing/receipts.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.booking.amounts import amount_due
from app.booking.models import Order, OrderStatus
from app.booking.order_lifecycle import PAID_STATES
from app.booking.policy import describe_policy
from app.booking.presenting import ORDER_BOOKINGS, booking_time
from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.receipts import get_refund_notes, issue_receipt
from app.payments.models import Payment
from app.payments.presenting import order_lines
from app.payments.receipts import build_receipt
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.urls import absolute_url
from app.web.blueprints import payments as bp
from app.web.loaders import own_row
from app.web.rendering import is_htmx, render_page

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


@bp.app_template_filter("receipt_pdf_url")
def receipt_pdf_url(order: Order) -> str:
    return absolute_url("payments.receipt_pdf", order_id=order.id)


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
@own_row(Order, options=(ORDER_BOOKINGS,))  # someone else's order is indistinguishable from a missing one
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


def get_receipt_order(order_id: int) -> Order:
    """The paid order whose receipt this is: the customer's own or, for an admin, any (404, 409)."""
    order = db.session.get(Order, order_id)
    if order is None or (order.customer_id != current_user.id and not current_user.has_role(Role.ADMIN)):
        abort(404)
    if order.receipt_number is None:
        abort(409, _("This order isn't paid, so there's no receipt for it yet."))
    return order


@bp.get("/receipts/<int:order_id>")
@login_required
def receipt(order_id: int) -> Response:
    order = get_receipt_order(order_id)
    notes = get_refund_notes(order.id)  # each refund's note, a PDF of its own
    return no_store(render_page("payments/receipt.html", **build_receipt(order), refund_notes=notes))


def pdf_download(document: InvoiceDocument, filename: str) -> Response:
    response = Response(document.pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return no_store(response)


@bp.get("/receipts/<int:order_id>.pdf")
@login_required
def receipt_pdf(order_id: int) -> Response:
    order = get_receipt_order(order_id)
    # As issued when the order was paid; an order paid before receipts were stored (or whose
    # issuing job hasn't run yet) gets its receipt issued now, and kept.
    document = issue_receipt(order, now=datetime.now(UTC))
    return pdf_download(document, f"cozywish-receipt-{order.receipt_number}.pdf")


@bp.get("/receipts/<int:order_id>/refund-notes/<int:document_id>.pdf")
@login_required
def refund_note_pdf(order_id: int, document_id: int) -> Response:
    order = get_receipt_order(order_id)
    document = db.session.get(InvoiceDocument, document_id)
    if document is None or document.order_id != order.id or document.kind != DocumentKind.REFUND_NOTE:
        abort(404)
    return pdf_download(document, f"cozywish-{document.number}.pdf")
