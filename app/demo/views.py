"""The Demo gateway's hosted checkout (blueprint ``demo`` at /payments/demo), played in-app in
place of Stripe's page. Demo-only: ``register_blueprints`` registers it outside production, and in
production only for the synthetic probe (PROBE_VENUE_SLUG and PROBE_EMAIL set): Stripe takes
every other payment there, so these pages then serve the probe's own orders and nothing else
(docs/synthetic-probe.md).

- ``/payments/demo/<session_id>``: the order's customer pays with a test card, or sees a
  decline, or walks away ("Cancel and return" releases the order and takes them back to their
  cart, every item in it). A top-up (a move to a dearer time) has the same page with its one
  line; walking away from it keeps the booking's time. A desk booking's payment link opens
  the same page for whoever holds the link.
- Paying builds signed events the way a gateway would and feeds them through ``parse_event``
  and ``record_event``, the same path a webhook delivery takes; ``POST /payments/demo/webhook``
  takes them from outside (tests, scripts).

The gateway adapter itself (app/payments/demo_gateway.py) stays beside Stripe's and names
these pages by their endpoint (``demo.checkout``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.booking.amounts import amount_due
from app.booking.models import Booking, OrderStatus, TopUp
from app.booking.policy import describe_booking_rules
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
from app.payments.forms import DemoCardForm
from app.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus
from app.payments.ports import InvalidEvent
from app.payments.presenting import order_lines
from app.payments.service import is_probe_order, release_for_change
from app.payments.settlement import record_event
from app.platform import timefmt
from app.platform.errors import DomainError, InvalidTransition
from app.platform.extensions import csrf, db
from app.platform.money import format_money
from app.promos.lines import promo_lines
from app.venues.deposits import keeps_card
from app.web.blueprints import demo as bp
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


def demo_enabled() -> bool:
    """The demo pages serve everyone only while the Demo gateway is the one in use."""
    return not current_app.config.get("STRIPE_SECRET_KEY")


def serves(payment: Payment) -> bool:
    """Whether this page may show ``payment``: any demo session while the Demo gateway is the
    one in use; with Stripe configured, only the synthetic probe's own order (is_probe_order)."""
    return demo_enabled() or (payment.kind == PaymentKind.CHECKOUT and is_probe_order(payment.order))


def get_demo_payment(session_id: str, *, for_update: bool = False) -> Payment:
    """The demo checkout session, for the order's own customer only (signed in); anything else
    is 404. A desk booking's payment link (desk_links.py) is the exception: its client may have
    no account, so its session opens for whoever holds its unguessable address, as a gateway's
    hosted checkout page does."""
    if not SESSION_ID_RE.fullmatch(session_id):
        abort(404)
    query = select(Payment).where(Payment.session_id == session_id, Payment.gateway == DemoGateway.name)
    payment = db.session.scalar(query.with_for_update() if for_update else query)
    if (payment is None and not demo_enabled()) or (payment is not None and not serves(payment)):
        abort(404)
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
    ends_at = top_up.to_starts_at + (booking.ends_at - booking.starts_at)
    label = f"Move of {booking.reference}: {booking.service.name} (price difference)"
    return _one_line(payment, booking, label, top_up.to_starts_at, ends_at, quantity=1)


def _one_line(
    payment: Payment, booking: Booking, label: str, starts_at: datetime, ends_at: datetime, *, quantity: int
) -> list[dict[str, Any]]:
    """A payment for one booking (a top-up, a payment link): one line of the whole amount, its
    times in the booking venue's zone."""
    zone = timefmt.venue_zone(booking.venue)
    when, ends = timefmt.start_and_end(starts_at, ends_at, zone)
    amount = format_money(payment.amount_minor, payment.currency)
    return [
        {
            "service": label,
            "venue": booking.venue.name,
            "when": when,
            "ends": ends,
            "timezone": zone.key,
            "quantity": quantity,
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
        return url_for("payments.desk_link", order_id=payment.order_id, token=desk_links.make_token(booking), **args)
    if payment.kind == PaymentKind.TOP_UP:
        top_up = get_top_up(payment)
        args = {"paid": 1} if paid else {}
        return url_for("booking.top_up_status", reference=top_up.booking.reference, top_up_id=top_up.id, **args)
    return url_for("payments.returned", order_id=payment.order_id)


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
    label = f"{booking.service.name} ({booking.reference})"
    return _one_line(payment, booking, label, booking.starts_at, booking.ends_at, quantity=booking.quantity)


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
            "demo/checkout.html",
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
        return _closed(
            messages[state], state, after_payment_url(payment), desk_link_lines(payment), top_up=True, desk_link=True
        )
    if payment.kind == PaymentKind.TOP_UP:
        top_up = get_top_up(payment)
        message = (top_up.outcome if top_up and top_up.outcome else None) or (
            "This checkout is closed: nothing was charged and your booking keeps its time."
        )
        return _closed(message, state, after_payment_url(payment), top_up_lines(payment), top_up=True)
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
    return _closed(messages[state], state, url_for("payments.returned", order_id=order.id), order_lines(order))


def _closed(message: str, state: str, return_url: str, lines: list[dict[str, Any]], **kind: bool) -> Response:
    """The closed page (409, never stored): why, the way back, and what the checkout was for."""
    return no_store(
        render_page(
            "demo/closed.html", status=409, message=message, state=state, return_url=return_url, lines=lines, **kind
        )
    )


@bp.get("/<session_id>")
def checkout(session_id: str) -> Response:
    payment = get_demo_payment(session_id)
    state = checkout_state(payment, datetime.now(UTC))
    if state == "paid":
        if payment.kind == PaymentKind.DESK_LINK:
            return redirect(after_payment_url(payment), 303)
        return redirect(url_for("payments.returned", order_id=payment.order_id), 303)
    if state != "open":
        return closed_page(payment, state)
    return demo_page(payment, DemoCardForm(formdata=None))


@bp.post("/<session_id>/pay")
def pay(session_id: str) -> Response:
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
    if form.outcome == "declined":
        flash(_("Your card was declined, so nothing was charged."), "danger")
    return redirect(after_payment_url(payment, paid=form.outcome != "declined"), 303)


def flashed_back(error: DomainError, target: str) -> Response:
    flash(error.message, "danger")
    return redirect(target, 303)


@bp.post("/<session_id>/cancel")
def cancel(session_id: str) -> Response:
    """ "Cancel and return": the order is released (times free at once) and its items go back
    to the cart, where the customer lands. Stripe's own cancel link leads to the order page,
    which offers "Change my order" for the same."""
    payment = get_demo_payment(session_id)
    if checkout_state(payment, datetime.now(UTC)) == "paid":
        return redirect(after_payment_url(payment), 303)
    if payment.kind == PaymentKind.DESK_LINK:  # walking away from a link: it still works, nothing charged
        return redirect(after_payment_url(payment), 303)
    if payment.kind == PaymentKind.TOP_UP:  # walking away from a move: the booking keeps its time
        on_refusal(lambda error: flashed_back(error, after_payment_url(payment)), kinds=InvalidTransition)
        give_up(get_top_up(payment), customer=current_user)
        flash(_("You kept your time: nothing was charged."), "success")
        return redirect(after_payment_url(payment), 303)
    on_refusal(
        lambda error: flashed_back(error, url_for("booking.order", order_id=payment.order_id)), kinds=InvalidTransition
    )
    restored = release_for_change(payment.order, customer=current_user)
    flash(restored.message(), "warning" if restored.unavailable else "success")
    return redirect(url_for("booking.cart"), 303)


@bp.post("/webhook")
@csrf.exempt
def webhook() -> Response:
    """Signed Demo events from outside (tests, scripts), checked as strictly as Stripe's."""
    if not demo_enabled():
        abort(404)
    payload = request.get_data(cache=False)
    on_refusal(lambda error: (jsonify(error="invalid event", message=error.message), 400), kinds=InvalidEvent)
    event = DemoGateway().parse_event(payload, request.headers)
    stored = record_event(DemoGateway.name, event)
    return jsonify(received=True, duplicate=stored is None)
