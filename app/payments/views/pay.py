"""Payment pages and the webhook endpoint (blueprint ``payments`` at /payments).

- The Demo gateway's hosted checkout (``/payments/demo/<session_id>``): the order's customer
  pays with a test card, or sees a decline, or walks away ("Cancel and return" releases the
  order and takes them back to their cart, every item in it). A top-up (a move to a dearer
  time) has the same page with its one line; walking away from it keeps the booking's time.
  Paying builds signed events the
  way a gateway would and feeds them through ``parse_event`` and ``record_event``, the same
  path a webhook delivery takes; ``POST /payments/demo/webhook`` takes them from outside.
- The return page, which never trusts the redirect: it polls (HTMX) until settling, done by a
  job from the stored event, has confirmed the order or released it.
- The receipt, for the customer or an admin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.models import Role
from app.booking.amounts import amount_due
from app.booking.models import Order, OrderStatus, TopUp
from app.booking.order_lifecycle import PAID_STATES
from app.booking.order_lifecycle import STATUS_LABELS as ORDER_LABELS
from app.booking.policy import describe_booking_rules, describe_policy
from app.booking.presenting import booking_time
from app.booking.requests import status_label as request_status_label
from app.checkout.top_ups import give_up
from app.payments import desk_links
from app.payments.demo_gateway import (
    SESSION_ID_RE,
    SIGNATURE_HEADER,
    DemoGateway,
    build_event,
    completed_fields,
    event_id,
    session_object,
    sign,
)
from app.payments.fees import describe_fee, get_order_fees
from app.payments.forms import DemoCardForm
from app.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.payments.ports import InvalidEvent
from app.payments.saved_cards import card_label, get_saved_card
from app.payments.service import release_for_change
from app.payments.settlement import record_event
from app.platform import timefmt
from app.platform.errors import InvalidTransition
from app.platform.extensions import csrf, db
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.promos.lines import promo_lines
from app.venues.deposits import keeps_card
from app.venues.models import VenueStatus
from app.web.blueprints import payments as bp
from app.web.rendering import render_page

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


def order_lines(order: Order) -> list[dict[str, Any]]:
    """Each booking of an order as plain values, times in its venue's own time zone."""
    lines = []
    for b in order.bookings:
        zone = timefmt.venue_zone(b.venue)
        when, ends = timefmt.start_and_end(b.starts_at, b.ends_at, zone)
        lines.append(
            {
                "reference": b.reference,
                "url": url_for("booking.booking_detail", reference=b.reference),
                "service": b.service.name,
                "venue": b.venue.name,
                "venue_address": ", ".join(p for p in (b.venue.address_line, b.venue.city, b.venue.postcode) if p),
                "when": when,
                "ends": ends,
                "timezone": zone.key,
                "member": b.team_member.name if b.team_member else None,
                "quantity": b.quantity,
                "unit_price": format_money(b.unit_price_minor, b.currency),
                "total": format_money(b.total_minor, b.currency),
                "status": b.status,
                "status_label": request_status_label(b),
                "request_state": b.request_state,
                "policy": describe_booking_rules(b),
                "book_again_url": (
                    url_for("booking.book", slug=b.venue.slug, service_id=b.service_id)
                    if b.service.is_active and b.venue.status == VenueStatus.APPROVED
                    else None
                ),
            }
        )
    return lines


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


def get_customer_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or order.customer_id != current_user.id:
        abort(404)  # someone else's order is indistinguishable from a missing one
    return order


# -- the Demo gateway's hosted checkout ------------------------------------------------------------


def demo_enabled() -> bool:
    """The demo pages exist only while the Demo gateway is the one in use."""
    return not current_app.config.get("STRIPE_SECRET_KEY")


def get_demo_payment(session_id: str, *, for_update: bool = False) -> Payment:
    """The demo checkout session, for the order's own customer only (signed in); anything else
    is 404. A desk booking's payment link (desk_links.py) is the exception: its client may have
    no account, so its session opens for whoever holds its unguessable address, as a gateway's
    hosted checkout page does."""
    if not demo_enabled() or not SESSION_ID_RE.fullmatch(session_id):
        abort(404)
    query = select(Payment).where(Payment.session_id == session_id, Payment.gateway == DemoGateway.name)
    payment = db.session.scalar(query.with_for_update() if for_update else query)
    if payment is not None and payment.kind == PaymentKind.DESK_LINK:
        return payment
    if not current_user.is_authenticated:
        abort(current_app.login_manager.unauthorized())  # to sign in, then back here
    if payment is None or payment.order.customer_id != current_user.id:
        abort(404)
    return payment


def checkout_state(payment: Payment, now: datetime) -> str:
    """Where a demo session stands: open | paid | declined | released | expired."""
    sent = set(
        db.session.scalars(
            select(PaymentEvent.event_id).where(
                PaymentEvent.event_id.in_(
                    [event_id(payment.session_id, "completed"), event_id(payment.session_id, "failed")]
                )
            )
        )
    )
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.PROCESSING) or (
        event_id(payment.session_id, "completed") in sent
    ):
        return "paid"
    if payment.status == PaymentStatus.FAILED or event_id(payment.session_id, "failed") in sent:
        return "declined"
    if payment.kind == PaymentKind.DESK_LINK:
        booking = desk_links.booking_of(payment)
        if booking is None or desk_links.state_of(booking) != desk_links.OPEN:
            return "released"  # paid another way meanwhile, or cancelled: nothing to pay here
        return "expired" if payment.status == PaymentStatus.EXPIRED or payment.expires_at <= now else "open"
    if payment.kind == PaymentKind.TOP_UP:
        top_up = get_top_up(payment)
        if top_up is None or top_up.status != "pending" or payment.status == PaymentStatus.EXPIRED:
            return "released" if top_up is not None and top_up.status == "released" else "expired"
        return "expired" if payment.expires_at <= now else "open"
    order = payment.order
    if order.status == OrderStatus.RELEASED:
        return "released"
    if (
        payment.status == PaymentStatus.EXPIRED
        or payment.expires_at <= now
        or order.status != OrderStatus.PENDING_PAYMENT
    ):
        return "expired"
    return "open"


def get_top_up(payment: Payment):
    return db.session.scalar(select(TopUp).where(TopUp.payment_id == payment.id))


def top_up_lines(payment: Payment) -> list[dict[str, Any]]:
    """A top-up's one line: the move and the difference, times in the venue's zone."""
    top_up = get_top_up(payment)
    booking = top_up.booking
    zone = timefmt.venue_zone(booking.venue)
    ends_at = top_up.to_starts_at + (booking.ends_at - booking.starts_at)
    when, ends = timefmt.start_and_end(top_up.to_starts_at, ends_at, zone)
    amount = format_money(payment.amount_minor, payment.currency)
    return [
        {
            "service": f"Move of {booking.reference}: {booking.service.name} (price difference)",
            "venue": booking.venue.name,
            "when": when,
            "ends": ends,
            "timezone": zone.key,
            "quantity": 1,
            "unit_price": amount,
            "total": amount,
        }
    ]


def after_payment_url(payment: Payment, *, paid: bool = False) -> str:
    """Where the customer lands after the demo checkout: the order's return page, or the move's
    (``paid``: as from Stripe's success URL, the page waits for the settling)."""
    if payment.kind == PaymentKind.DESK_LINK:  # back to the link's own page (a fresh signature)
        booking = desk_links.booking_of(payment)
        args = {"paid": 1} if paid else {}
        return url_for(".desk_link", order_id=payment.order_id, token=desk_links.make_token(booking), **args)
    if payment.kind == PaymentKind.TOP_UP:
        top_up = get_top_up(payment)
        args = {"paid": 1} if paid else {}
        return url_for("booking.top_up_status", reference=top_up.booking.reference, top_up_id=top_up.id, **args)
    return url_for(".returned", order_id=payment.order_id)


def deliver_demo_event(payload: bytes) -> bool:
    """Feed a demo event through the webhook path in-process: verify, store once, enqueue settling.

    Returns False for a duplicate.
    """
    gateway = DemoGateway()
    event = gateway.parse_event(payload, {SIGNATURE_HEADER: sign(payload)})
    return record_event(gateway.name, event) is not None


def demo_session_event(payment: Payment, event_type: str, outcome: str, **fields: Any) -> bytes:
    obj = session_object(
        payment.session_id,
        payment.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        **fields,
    )
    return build_event(event_type, obj, event_id=event_id(payment.session_id, outcome))


def desk_link_lines(payment: Payment) -> list[dict[str, Any]]:
    """A payment link's one line: the desk booking and what was due at the venue."""
    booking = desk_links.booking_of(payment)
    zone = timefmt.venue_zone(booking.venue)
    when, ends = timefmt.start_and_end(booking.starts_at, booking.ends_at, zone)
    amount = format_money(payment.amount_minor, payment.currency)
    return [
        {
            "service": f"{booking.service.name} ({booking.reference})",
            "venue": booking.venue.name,
            "when": when,
            "ends": ends,
            "timezone": zone.key,
            "quantity": booking.quantity,
            "unit_price": amount,
            "total": amount,
        }
    ]


def demo_page(payment: Payment, form: DemoCardForm, *, status: int = 200) -> Response:
    order = payment.order
    zone = timefmt.venue_zone(order.bookings[0].venue) if order.bookings else None
    # A payment link's page is a top-up's in form: one line, nothing back to a cart.
    top_up = payment.kind in (PaymentKind.TOP_UP, PaymentKind.DESK_LINK)
    due = amount_due(order)
    saves_card = keeps_card(order.bookings)
    amount_label = format_money(payment.amount_minor, payment.currency)
    return no_store(
        render_page(
            "payments/demo_checkout.html",
            status=status,
            form=form,
            session_id=payment.session_id,
            order={
                "id": order.id,
                "url": after_payment_url(payment) if top_up else url_for("booking.order", order_id=order.id),
            },
            lines=desk_link_lines(payment)
            if payment.kind == PaymentKind.DESK_LINK
            else top_up_lines(payment)
            if top_up
            else order_lines(order),
            promo=promo_lines(order) if not top_up else {},
            top_up=top_up,
            desk_link=payment.kind == PaymentKind.DESK_LINK,
            amount=amount_label,
            pay_verb=_("Pay %(amount)s", amount=amount_label) if payment.amount_minor else _("Save your card"),
            pay_label=due.pay_label if due.due_at_venue_minor and not top_up else None,
            at_venue=format_money(due.due_at_venue_minor, order.currency)
            if due.due_at_venue_minor and not top_up
            else None,
            saves_card=saves_card and not top_up,
            fee_policy=" ".join(sorted({describe_booking_rules(b) for b in order.bookings})) if saves_card else None,
            expires_label=timefmt.moment_label(payment.expires_at, zone) if zone else None,
            expires_iso=payment.expires_at.astimezone(UTC).isoformat(timespec="seconds"),
            timezone=zone.key if zone else "UTC",
        )
    )


def closed_page(payment: Payment, state: str) -> Response:
    """A demo session that can't take a payment any more (declined, released or expired): say why, 409."""
    order = payment.order
    zone = timefmt.venue_zone(order.bookings[0].venue) if order.bookings else None
    if payment.kind == PaymentKind.DESK_LINK:
        messages = {
            "declined": _("The card was declined, so nothing was charged. You can try again from your link."),
            "released": _("There is nothing to pay here any more: the booking was paid or cancelled meanwhile."),
            "expired": _("This checkout expired, so nothing was charged. Open your payment link again to pay."),
        }
        return no_store(
            render_page(
                "payments/demo_closed.html",
                status=409,
                message=messages[state],
                state=state,
                return_url=after_payment_url(payment),
                lines=desk_link_lines(payment),
                top_up=True,
                desk_link=True,
            )
        )
    if payment.kind == PaymentKind.TOP_UP:
        top_up = get_top_up(payment)
        message = (top_up.outcome if top_up and top_up.outcome else None) or (
            "This checkout is closed: nothing was charged and your booking keeps its time."
        )
        return no_store(
            render_page(
                "payments/demo_closed.html",
                status=409,
                message=message,
                state=state,
                return_url=after_payment_url(payment),
                lines=top_up_lines(payment),
                top_up=True,
            )
        )
    messages = {
        "declined": "This checkout is closed: the card was declined, so nothing was charged and the held times were "
        "released. Everything you chose is back in your cart.",
        "released": "This checkout is closed: you let the held times go to change your order, so nothing was "
        "charged. Everything you chose is in your cart.",
        "expired": (
            f"This checkout expired at {timefmt.moment_label(payment.expires_at, zone) if zone else payment.expires_at}"
            f"{f' ({zone.key})' if zone else ''}. Nothing was charged and the held times were released. "
            "Everything you chose is back in your cart."
        ),
    }
    return no_store(
        render_page(
            "payments/demo_closed.html",
            status=409,
            message=messages[state],
            state=state,
            return_url=url_for(".returned", order_id=order.id),
            lines=order_lines(order),
        )
    )


@bp.get("/demo/<session_id>")
def demo_checkout(session_id: str) -> Response:
    payment = get_demo_payment(session_id)
    state = checkout_state(payment, datetime.now(UTC))
    if state == "paid":
        if payment.kind == PaymentKind.DESK_LINK:
            return redirect(after_payment_url(payment), 303)
        return redirect(url_for(".returned", order_id=payment.order_id), 303)
    if state != "open":
        return closed_page(payment, state)
    return demo_page(payment, DemoCardForm(formdata=None))


@bp.post("/demo/<session_id>/pay")
def demo_pay(session_id: str) -> Response:
    payment = get_demo_payment(session_id, for_update=True)  # a double submit waits, then sees it paid
    state = checkout_state(payment, datetime.now(UTC))
    if state == "paid":  # a double click: the first one paid; show how that is going
        return redirect(after_payment_url(payment), 303)
    if state != "open":
        if state == "expired" and payment.status == PaymentStatus.OPEN:
            # The gateway noticed the session ran out: it says so, and the holds go at once.
            deliver_demo_event(
                demo_session_event(
                    payment, "checkout.session.expired", "expired", status="expired", payment_status="unpaid"
                )
            )
            db.session.commit()
        return closed_page(payment, state)
    form = DemoCardForm()
    if not form.validate():
        return demo_page(payment, form, status=422)
    if form.outcome == "declined":
        payload = demo_session_event(
            payment, "checkout.session.async_payment_failed", "failed", status="complete", payment_status="unpaid"
        )
    else:
        payload = demo_session_event(
            payment,
            "checkout.session.completed",
            "completed",
            status="complete",
            **completed_fields(payment.amount_minor, payment.order.customer_id, form.last4),
        )
    deliver_demo_event(payload)
    db.session.commit()
    if form.outcome == "declined":
        flash(_("Your card was declined, so nothing was charged."), "danger")
    return redirect(after_payment_url(payment, paid=form.outcome != "declined"), 303)


@bp.post("/demo/<session_id>/cancel")
def demo_cancel(session_id: str) -> Response:
    """ "Cancel and return": the order is released (times free at once) and its items go back
    to the cart, where the customer lands. Stripe's own cancel link leads to the order page,
    which offers "Change my order" for the same."""
    payment = get_demo_payment(session_id)
    if checkout_state(payment, datetime.now(UTC)) == "paid":
        return redirect(after_payment_url(payment), 303)
    if payment.kind == PaymentKind.DESK_LINK:  # walking away from a link: it still works, nothing charged
        return redirect(after_payment_url(payment), 303)
    if payment.kind == PaymentKind.TOP_UP:  # walking away from a move: the booking keeps its time
        try:
            give_up(get_top_up(payment), customer=current_user)
        except InvalidTransition as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(after_payment_url(payment), 303)
        db.session.commit()
        flash(_("You kept your time: nothing was charged."), "success")
        return redirect(after_payment_url(payment), 303)
    try:
        restored = release_for_change(payment.order, customer=current_user)
    except InvalidTransition as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("booking.order", order_id=payment.order_id), 303)
    db.session.commit()
    flash(restored.message(), "warning" if restored.unavailable else "success")
    return redirect(url_for("booking.cart"), 303)


@bp.post("/demo/webhook")
@csrf.exempt
def demo_webhook() -> Response:
    """Signed Demo events from outside (tests, scripts), checked as strictly as Stripe's."""
    if not demo_enabled():
        abort(404)
    payload = request.get_data(cache=False)
    try:
        event = DemoGateway().parse_event(payload, request.headers)
    except InvalidEvent as exc:
        return jsonify(error="invalid event", message=exc.message), 400
    stored = record_event(DemoGateway.name, event)
    db.session.commit()
    return jsonify(received=True, duplicate=stored is None)


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
def returned(order_id: int) -> Response:
    # ?session_id= is ignored on purpose: only a settled gateway event confirms an order.
    order = get_customer_order(order_id)
    if not order.bookings and order.voucher_purchase is not None:  # a gift voucher: its own page
        return redirect(url_for("vouchers.purchase", purchase_id=order.voucher_purchase.id), 303)
    return no_store(render_page("payments/returned.html", "payment_status", **build_return_page(order)))


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
