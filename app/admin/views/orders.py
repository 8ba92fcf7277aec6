"""Admin: one order with its payments, the gateway events that touched it, and its refunds;
and a refund issued from that page (routes on the admin blueprint).

The refund goes through ``app.payments.refunds.request_refund`` like every other refund:
a Refund row now, the gateway call in a job after commit, settled by the gateway's answer.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.audit import service as audit
from app.booking.lifecycle import STATUS_LABELS
from app.booking.models import Order
from app.booking.order_lifecycle import STATUS_LABELS as ORDER_STATUS_LABELS
from app.booking.order_lifecycle import get_history
from app.clients.models import VenueClient
from app.payments.forms import RefundForm
from app.payments.models import Payment, PaymentEvent, Refund
from app.payments.refunds import get_card_payments, refund_cards, refundable
from app.platform import timefmt
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.privacy.service import record_personal_data_view
from app.web.blueprints import admin as bp
from app.web.loaders import admin_row
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

RECENT_ORDERS = 10
ORDER_BADGES = {
    "pending_payment": "warning",
    "paid": "success",
    "failed": "danger",
    "expired": "secondary",
    "partially_refunded": "info",
    "refunded": "info",
}


def stamp(moment: Any) -> str:
    return timefmt.date_words(moment, "dd MMM yyyy HH:mm 'UTC'") if moment else "—"


def ordered_by(order: Order) -> tuple[str, str]:
    """Who an order is for, and their email: the customer's account, or for a front-desk order
    made for a walk-in without one, the venue's client (``Order.customer_id`` is None)."""
    if order.customer is not None:
        return order.customer.name, order.customer.email
    client_id = next((b.client_id for b in order.bookings if b.client_id is not None), None)
    client = db.session.get(VenueClient, client_id) if client_id is not None else None
    if client is None:
        return _("A walk-in at the front desk"), "—"
    return _("%(name)s (walk-in at the front desk)", name=client.name), client.email or "—"


@bp.context_processor
def recent_orders_list() -> dict[str, Any]:
    # A function, so only the dashboard (which shows the list) runs the query.
    def recent_orders() -> list[dict[str, Any]]:
        orders = db.session.scalars(select(Order).order_by(Order.id.desc()).limit(RECENT_ORDERS))
        return [
            {
                "id": o.id,
                "url": url_for("admin.order_detail", order_id=o.id),
                "customer": ordered_by(o)[0],
                "total": format_money(o.total_minor, o.currency),
                "status": o.status,
                "badge": ORDER_BADGES.get(o.status, "secondary"),
                "created": stamp(o.created_at),
            }
            for o in orders
        ]

    return {"recent_orders": recent_orders}


def build_order_page(order: Order, form: RefundForm, *, error: str | None = None) -> dict[str, Any]:
    payments = list(db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)))
    session_ids = [p.session_id for p in payments]
    intents = [p.payment_intent_id for p in payments if p.payment_intent_id]
    refunds = list(
        db.session.scalars(
            select(Refund).where(Refund.payment_id.in_([p.id for p in payments] or [-1])).order_by(Refund.id)
        )
    )
    refund_ids = [r.gateway_refund_id for r in refunds if r.gateway_refund_id]
    parsed = PaymentEvent.payload["parsed"]
    matches = [parsed["order_id"].astext == str(order.id)]
    if session_ids:
        matches.append(parsed["session_id"].astext.in_(session_ids))
    if intents:
        matches.append(parsed["payment_intent_id"].astext.in_(intents))
    if refund_ids:
        matches.append(parsed["refund_id"].astext.in_(refund_ids))
    events = list(db.session.scalars(select(PaymentEvent).where(or_(*matches)).order_by(PaymentEvent.id).limit(200)))
    history = get_history(order)
    remaining = sum(refundable(p) for p in get_card_payments(order))  # the checkout and any top-ups
    references = {b.id: b.reference for b in order.bookings}
    customer, email = ordered_by(order)
    return {
        "order": {
            "id": order.id,
            "status": order.status,
            "badge": ORDER_BADGES.get(order.status, "secondary"),
            "customer": customer,
            "email": email,
            "total": format_money(order.total_minor, order.currency),
            "currency": order.currency,
            "refunded": format_money(order.refunded_minor or 0, order.currency),
            "created": stamp(order.created_at),
            "paid_at": stamp(order.paid_at),
            "hold_expires": stamp(order.hold_expires_at),
            "receipt_number": order.receipt_number,
            "receipt_url": url_for("payments.receipt", order_id=order.id) if order.receipt_number else None,
        },
        "bookings": [
            {
                "reference": b.reference,
                "service": b.service.name,
                "venue": b.venue.name,
                "starts": timefmt.venue_span_label(b.starts_at, b.ends_at, b.venue.timezone),
                "quantity": b.quantity,
                "total": format_money(b.total_minor, b.currency),
                "status": STATUS_LABELS.get(b.status, b.status),
            }
            for b in order.bookings
        ],
        "history": [
            {
                "event": t.event.replace("_", " "),
                "from": ORDER_STATUS_LABELS.get(t.from_state, t.from_state) if t.from_state else "—",
                "to": ORDER_STATUS_LABELS.get(t.to_state, t.to_state),
                "reason": t.reason,
                "amount": format_money(t.amount_minor, order.currency) if t.amount_minor is not None else None,
                "actor": actor or "System",
                "when": stamp(t.created_at),
            }
            for t, actor in history
        ],
        "payments": [
            {
                "gateway": p.gateway,
                "session_id": p.session_id,
                "payment_intent_id": p.payment_intent_id,
                "amount": format_money(p.amount_minor, p.currency),
                "status": p.status,
                "created": stamp(p.created_at),
                "expires": stamp(p.expires_at),
            }
            for p in payments
        ],
        "events": [
            {
                "event_id": e.event_id,
                "type": e.type,
                "gateway": e.gateway,
                "received": stamp(e.received_at),
                "processed": stamp(e.processed_at) if e.processed_at else None,
                "outcome": e.outcome or "waiting to be settled",
            }
            for e in events
        ],
        "refunds": [
            {
                "amount": format_money(r.amount_minor, r.currency),
                "status": r.status,
                "reason": r.reason,
                "booking": references.get(r.booking_id),
                "gateway_refund_id": r.gateway_refund_id,
                "created": stamp(r.created_at),
                "settled": stamp(r.settled_at) if r.settled_at else None,
            }
            for r in refunds
        ],
        "can_refund": remaining > 0,
        "refundable": format_money(remaining, order.currency),
        "form": form,
        "error": error,
    }


@bp.get("/orders/<int:order_id>")
@role_required("admin")
@admin_row(Order)
def order_detail(order: Order) -> Response:
    page = build_order_page(order, RefundForm(formdata=None))
    record_personal_data_view(viewer_id=current_user.id, user_id=order.customer_id, page="admin.order_detail")
    return render_page("admin/order.html", **page)


@bp.post("/orders/<int:order_id>/refund")
@role_required("admin")
@admin_row(Order, for_update=True)  # two admins can't refund the same money twice
def refund_order(order: Order) -> Response:
    form = RefundForm()
    # The order page again, the refusal above the form, with the refusal's status.
    on_refusal(lambda refusal: render_page("admin/order.html", **build_order_page(order, form, error=refusal.message)))
    if not form.validate():
        raise ValidationFailed(
            _(
                "Check the refund: %(errors)s",
                errors=" ".join(str(e) for errors in form.errors.values() for e in errors),
            )
        )
    payments = get_card_payments(order)  # the checkout and any top-ups, newest first
    if not payments:
        raise InvalidTransition(_("This order has no completed payment, so there is nothing to refund."))
    remaining = sum(refundable(p) for p in payments)
    if form.amount_minor > remaining:
        paid = sum(p.amount_minor for p in payments)
        raise ValidationFailed(
            _(
                "You can refund at most %(amount)s on this order (paid %(paid)s, less refunds already made "
                "or on their way).",
                amount=format_money(remaining, order.currency),
                paid=format_money(paid, order.currency),
            )
        )
    reason = form.reason.data.strip()
    refunds = refund_cards(order, form.amount_minor, reason=f"Admin: {reason}")
    audit.record(
        "order.refund",
        actor_id=current_user.id,
        about=("order", order.id),
        reason=reason,
        amount_minor=form.amount_minor,
        refund_id=refunds[0].id,
        refund_ids=[r.id for r in refunds],
    )
    flash(
        _(
            "Refund of %(amount)s requested. It settles in a moment.",
            amount=format_money(form.amount_minor, order.currency),
        ),
        "success",
    )
    return redirect(url_for("admin.order_detail", order_id=order.id), 303)
