"""Starting a payment for an order (its checkout, or a top-up for a move to a dearer time),
letting a held order go to change it, and the refunds that cancellations cause.

The gateway is given plain values (app/payments/ports.py): ``checkout_charge`` turns an order
into the lines a hosted checkout shows and the amount due now."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.booking.amounts import amount_due
from app.booking.cart_returns import Restored
from app.booking.models import Booking, Order, OrderStatus, ReleaseReason
from app.booking.order_lifecycle import lock_order, release_order
from app.payments.demo_gateway import DemoGateway
from app.payments.gateway import get_gateway
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.payments.ports import CheckoutCharge, CheckoutStart, LineItem, PaymentGateway, TopUpCharge
from app.payments.refunds import refund_order, refundable
from app.platform.errors import InvalidTransition
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
from app.platform.urls import absolute_url
from app.venues.deposits import keeps_card

OPEN_STATUSES = (PaymentStatus.OPEN, PaymentStatus.PROCESSING)


def find_payment(
    order_id: int, kind: str, statuses: Iterable[str], *, oldest: bool = False, expires_after: datetime | None = None
) -> Payment | None:
    """The order's newest (``oldest``: first) payment of ``kind`` in one of ``statuses``; with
    ``expires_after``, only one whose checkout is still open then."""
    query = select(Payment).where(Payment.order_id == order_id, Payment.kind == kind, Payment.status.in_(statuses))
    if expires_after is not None:
        query = query.where(Payment.expires_at > expires_after)
    return db.session.scalar(query.order_by(Payment.id if oldest else Payment.id.desc()).limit(1))


def get_open_payment(order: Order) -> Payment | None:
    return find_payment(order.id, PaymentKind.CHECKOUT, OPEN_STATUSES)


def line_item_name(booking: Booking) -> str:
    zone = venue_zone(booking.venue.timezone)
    return f"{booking.service.name} at {booking.venue.name} — {moment_label(booking.starts_at, zone)}"


def summary_line_name(order: Order) -> str:
    if not order.bookings and order.tip is not None:  # a tip (app/tips)
        tip = order.tip
        return f"Tip for {tip.team_member_name or tip.booking.venue.name} at {tip.booking.venue.name}"[:250]
    if not order.bookings and order.membership_period is not None:  # a membership's month (app/memberships)
        period = order.membership_period
        membership = period.membership
        return f"Membership: {membership.name} at {membership.venue_name}, month {period.number}"[:250]
    if not order.bookings and order.package_holding is not None:  # a package (app/packages)
        holding = order.package_holding
        return f"Package: {holding.name} at {holding.venue_name} ({holding.sessions} sessions)"[:250]
    if not order.bookings:
        return "CozyWish gift voucher"
    names = ", ".join(line_item_name(booking) for booking in order.bookings)
    if any(b.online_minor < b.total_minor for b in order.bookings):
        return f"{names} (paid now; the rest at the venue)"[:250]
    return f"{names} (after your gift voucher)"[:250]


def _subscription_name(order: Order) -> str | None:
    """A membership's first month: the name a Stripe Billing subscription is sold under (monthly)."""
    if order.bookings or order.membership_period is None:
        return None
    membership = order.membership_period.membership
    return f"{membership.name} at {membership.venue_name}"[:250]


def checkout_charge(order: Order) -> CheckoutCharge:
    """What the gateway charges for ``order``'s checkout: one line per booking at its price, or
    one line for what is due now when a gift voucher, a deposit or a part paid at the venue
    changes the sum (a hosted checkout has no negative lines). The lines add up to
    ``amount_due(order).due_now_minor``."""
    due = amount_due(order)
    if not order.bookings or due.voucher_applied_minor or due.due_at_venue_minor:
        lines = (LineItem(summary_line_name(order), due.due_now_minor),)
    else:
        lines = tuple(
            LineItem(line_item_name(booking), booking.unit_price_minor, booking.quantity)
            if not booking.promo_discount_minor
            # A booking with a share of a promo code is one line at what is paid for it
            # (its share need not divide by the quantity), named with the code.
            else LineItem(
                f"{line_item_name(booking)} × {booking.quantity}, promo code {order.promo_code}", booking.paid_minor
            )
            for booking in order.bookings
        )
    return CheckoutCharge(
        order_id=order.id,
        currency=order.currency,
        lines=lines,
        due_now_minor=due.due_now_minor,
        customer_user_id=order.customer_id,
        customer_email=order.customer.email,
        customer_name=order.customer.name,
        # A membership's first month keeps the card for the Demo gateway's renewals (app/memberships).
        save_card=keeps_card(order.bookings) or (not order.bookings and order.membership_period is not None),
        subscription_name=_subscription_name(order),
        expires_at=order.hold_expires_at,
    )


def probe_mode() -> bool:
    """The synthetic probe may pay on the Demo gateway (docs/synthetic-probe.md): both
    PROBE_VENUE_SLUG and PROBE_EMAIL are set."""
    return bool(current_app.config.get("PROBE_VENUE_SLUG") and current_app.config.get("PROBE_EMAIL"))


def is_probe_order(order: Order) -> bool:
    """The synthetic probe's own order: its customer is PROBE_EMAIL and every booking of it is at
    the PROBE_VENUE_SLUG venue. Only such an order pays on the Demo gateway where Stripe takes
    everyone else's money; an order without bookings (a voucher, a tip) never does."""
    if not probe_mode() or not order.bookings:
        return False
    probe_email = current_app.config["PROBE_EMAIL"].strip().lower()
    slug = current_app.config["PROBE_VENUE_SLUG"]
    return order.customer.email.lower() == probe_email and all(b.venue.slug == slug for b in order.bookings)


def gateway_for(order: Order) -> PaymentGateway:
    """The gateway that takes ``order``'s checkout: the configured one, or the Demo gateway for the
    synthetic probe's own order (its payments move no money)."""
    return DemoGateway() if is_probe_order(order) else get_gateway()


def start_payment(order: Order, *, now: datetime | None = None, gateway: PaymentGateway | None = None) -> Payment:
    """A hosted checkout for the order's held bookings; the same one if it is still open. None
    once the hold has run out (``now``), even before the periodic job releases it: money is never
    taken for times that are not held.

    The amount is ``amount_due(order).due_now_minor``, never a number from a form.
    """
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise InvalidTransition(_("This order is not waiting for payment."))
    if order.hold_expires_at <= (now or datetime.now(UTC)):
        raise InvalidTransition(
            _(
                "The hold on these times has expired, so nothing was charged. "
                "Everything you chose goes back to your cart."
            )
        )
    existing = get_open_payment(order)
    if existing is not None:
        return existing
    return open_checkout(
        gateway or gateway_for(order),
        checkout_charge(order),
        PaymentKind.CHECKOUT,
        success_url=absolute_url("payments.returned", order_id=order.id) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=absolute_url("booking.order", order_id=order.id),
        idempotency_key=f"order-{order.id}-checkout",
    )


def open_checkout(
    gateway: PaymentGateway,
    charge: CheckoutCharge,
    kind: str,
    *,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> Payment:
    """A hosted checkout for ``charge``, recorded as the order's ``kind`` payment of exactly what
    the gateway was asked for (the charge's ``due_now_minor`` in its currency)."""
    start = gateway.start_checkout(
        charge, success_url=success_url, cancel_url=cancel_url, idempotency_key=idempotency_key
    )
    return record_open_payment(
        charge.order_id, gateway, start, amount_minor=charge.due_now_minor, currency=charge.currency, kind=kind
    )


def record_open_payment(
    order_id: int, gateway: PaymentGateway, start: CheckoutStart, *, amount_minor: int, currency: str, kind: str
) -> Payment:
    """The order's row for a hosted checkout the gateway has just opened (any kind)."""
    payment = Payment(
        order_id=order_id,
        gateway=gateway.name,
        kind=kind,
        session_id=start.session_id,
        amount_minor=amount_minor,
        currency=currency,
        status=PaymentStatus.OPEN,
        checkout_url=start.url,
        expires_at=start.expires_at,
    )
    db.session.add(payment)
    db.session.flush()
    return payment


def start_top_up_payment(
    charge: TopUpCharge, *, booking_reference: str, gateway: PaymentGateway | None = None
) -> Payment:
    """A hosted checkout for a top-up (app/checkout/top_ups.py), recorded as a ``top_up``
    payment of the order. The amount is the one the top-up computed, never a form's number."""
    gateway = gateway or get_gateway()
    after = absolute_url("booking.top_up_status", reference=booking_reference, top_up_id=charge.top_up_id)
    start = gateway.start_top_up(
        charge,
        success_url=after + "?paid=1",  # only says "confirming…": settling alone moves the booking
        cancel_url=after,
        idempotency_key=f"top-up-{charge.top_up_id}",
    )
    return record_open_payment(
        charge.order_id,
        gateway,
        start,
        amount_minor=charge.amount_minor,
        currency=charge.currency,
        kind=PaymentKind.TOP_UP,
    )


def release_for_change(order: Order, *, customer: User) -> Restored:
    """ "Change my order" (or "Cancel and return" on the checkout): the held times go at once,
    the items go back to the cart, and the open checkout closes so it can't take money.

    Refused (409) while a payment is processing (a bank debit under way: its outcome will
    release or confirm the order) and for a paid order. A Stripe Checkout page the customer
    still has open may yet take a payment; settling treats it like any late payment (confirmed
    if the times are still free, refunded in full if not)."""
    if order.customer_id != customer.id:
        raise InvalidTransition(_("You can only change your own orders."))
    order = lock_order(order.id)
    attempts = list(db.session.scalars(select(Payment).where(Payment.order_id == order.id).with_for_update()))
    if order.status == OrderStatus.PENDING_PAYMENT and any(p.status == PaymentStatus.PROCESSING for p in attempts):
        raise InvalidTransition(
            _(
                "Your payment is still being processed, so this order can't be changed now. "
                "We'll email you as soon as it is confirmed or released."
            )
        )
    restored = release_order(order, ReleaseReason.CHANGED, actor=customer)
    for payment in attempts:
        if payment.status == PaymentStatus.OPEN:
            payment.status = PaymentStatus.EXPIRED
    return restored


def refund_booking(booking: Booking, amount_minor: int, *, reason: str) -> None:
    """After a cancellation: refund what the policy allows, to the card through the gateway
    (a job) first, then to the gift voucher that paid part of the order."""
    if amount_minor <= 0:
        return
    # Never more than is left (an admin may have refunded part already).
    amount_minor = min(amount_minor, refundable(booking.order))
    if amount_minor > 0:
        refund_order(booking.order, amount_minor, reason=reason, booking_id=booking.id)
