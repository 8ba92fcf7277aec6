"""Payment links for desk bookings (issue 31 item 3, docs/front-desk.md).

A booking made at the front desk is confirmed at once with its price due at the venue. When
the desk chooses "send a payment link", the client gets a signed, expiring link (itsdangerous,
``SECRET_KEY`` with its own salt, ``DESK_PAYMENT_LINK_HOURS``) naming exactly that order and
booking. The link's page starts a hosted checkout through the payment gateway port for what is
still due at the venue, recorded as a ``desk_link`` payment of the order; settling its "paid"
(app/payments/settlement.py) marks the booking paid online, and the venue's transfer follows the
``charge_taken`` signal (app/payments/events.py).

Paying twice can't charge twice: an open checkout is reused, a second one is refused while
the booking has nothing left to pay, and money that still arrives for a booking already paid
or cancelled (an old checkout completed late) is refunded in full through the gateway.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.audit import service as audit
from app.booking.models import Booking, BookingStatus
from app.booking.order_lifecycle import lock_order
from app.payments import events
from app.payments.gateway import get_gateway
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.payments.ports import CheckoutCharge, LineItem, PaymentGateway
from app.payments.refunds import refund_in_full
from app.payments.service import OPEN_STATUSES, find_payment, line_item_name, open_checkout
from app.platform.errors import Conflict, NotFound
from app.platform.extensions import db
from app.platform.urls import absolute_url

TOKEN_SALT = "cozywish.desk-payment-link"  # noqa: S105 (a signing salt, not a password)
CHECKOUT_MINUTES = 60  # one hosted checkout's life; the link itself lasts DESK_PAYMENT_LINK_HOURS
PAYABLE = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)

# What the link's page says of a booking: open (pay now), paid, cancelled, nothing due.
OPEN, PAID, CANCELLED, NOTHING_DUE = "open", "paid", "cancelled", "nothing_due"


class LinkNotValid(NotFound):
    """A link we didn't sign, tampered with, or naming another order: 404, revealing nothing."""


class LinkExpired(Conflict):
    """A genuine link past its life: the page says to ask the venue for a new one."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def link_hours() -> int:
    return int(current_app.config["DESK_PAYMENT_LINK_HOURS"])


def make_token(booking: Booking) -> str:
    return _serializer().dumps({"order": booking.order_id, "booking": booking.id})


def link_url(booking: Booking) -> str:
    """The link the client is sent: the pay page for exactly this order and booking."""
    return absolute_url("payments.desk_link", order_id=booking.order_id, token=make_token(booking))


def read_link(order_id: int, token: str) -> Booking:
    """The desk booking a link names; LinkNotValid (tampered, unsigned, another order's id in
    the address, not a desk booking) or LinkExpired."""
    try:
        data = _serializer().loads(token, max_age=link_hours() * 3600)
    except SignatureExpired:
        raise LinkExpired(
            _("This payment link has expired. Ask the venue to send a new one, or pay at the venue.")
        ) from None
    except BadSignature:
        raise LinkNotValid(_("This payment link is not valid.")) from None
    if (
        not isinstance(data, dict)
        or data.get("order") != order_id
        or not isinstance(data.get("booking"), int)
        or isinstance(data.get("booking"), bool)
    ):
        raise LinkNotValid(_("This payment link is not valid."))
    booking = db.session.get(Booking, data["booking"])
    if booking is None or booking.order_id != order_id or booking.channel != "desk":
        raise LinkNotValid(_("This payment link is not valid."))
    return booking


def state_of(booking: Booking) -> str:
    """Where the booking stands for its link: cancelled, paid (by this link or at the venue
    meanwhile), nothing due, or open."""
    if booking.status not in PAYABLE:
        return CANCELLED
    if paid_by_link(booking) is not None:
        return PAID
    if booking.at_venue_minor <= 0:
        return NOTHING_DUE
    return OPEN


def paid_by_link(booking: Booking) -> Payment | None:
    return find_payment(booking.order_id, PaymentKind.DESK_LINK, (PaymentStatus.SUCCEEDED,), oldest=True)


def describe(booking: Booking) -> dict[str, Any] | None:
    """What the desk's booking page says of the link: None when none was sent."""
    rows = list(
        db.session.scalars(
            select(Payment).where(Payment.order_id == booking.order_id, Payment.kind == PaymentKind.DESK_LINK)
        )
    )
    sent = audit.find_entries(subject_type="booking", subject_id=booking.id, action="booking.payment_link_sent")
    if not rows and not sent:
        return None
    paid = next((p for p in rows if p.status == PaymentStatus.SUCCEEDED), None)
    return {"paid": paid is not None, "amount_minor": paid.amount_minor if paid else booking.at_venue_minor}


def nothing_to_pay(state: str) -> str:
    """Why a link's "Pay" starts no checkout (``start_link_payment`` gave None)."""
    if state == CANCELLED:
        return _("This booking was cancelled, so there is nothing to pay.")
    return _("This booking is already paid. Thank you!")


def start_link_payment(
    booking: Booking, *, now: datetime | None = None, gateway: PaymentGateway | None = None
) -> Payment | None:
    """A hosted checkout for what the desk booking still owes, under the order's row lock; the
    open one again if there is one (a double click, a second tab). None when there is nothing
    to pay (paid, cancelled: ``state_of`` says which, ``nothing_to_pay`` why)."""
    now = now or datetime.now(UTC)
    lock_order(booking.order_id)
    db.session.refresh(booking)
    if state_of(booking) != OPEN:
        return None
    existing = find_payment(booking.order_id, PaymentKind.DESK_LINK, OPEN_STATUSES, expires_after=now)
    if existing is not None:
        return existing
    gateway = gateway or get_gateway()
    attempt = db.session.scalar(select(func.count()).select_from(Payment).where(Payment.order_id == booking.order_id))
    client = booking.client
    amount = booking.at_venue_minor
    charge = CheckoutCharge(
        order_id=booking.order_id,
        currency=booking.currency,
        lines=(LineItem(line_item_name(booking), amount),),
        due_now_minor=amount,
        customer_user_id=booking.customer_id or 0,  # a walk-in has no account
        customer_email=(client.email if client else "") or (booking.customer.email if booking.customer else ""),
        customer_name=client.name if client else None,
        save_card=False,
        expires_at=now + timedelta(minutes=CHECKOUT_MINUTES),
    )
    page = link_url(booking)
    return open_checkout(
        gateway,
        charge,
        PaymentKind.DESK_LINK,
        success_url=page + "?paid=1",  # only says "confirming…": settling alone marks it paid
        cancel_url=page,
        idempotency_key=f"desk-link-{booking.id}-{attempt}",
    )


def booking_of(payment: Payment) -> Booking | None:
    """The desk booking a link payment pays (a desk order holds one booking)."""
    return db.session.scalar(select(Booking).where(Booking.order_id == payment.order_id).order_by(Booking.id).limit(1))


def settle_paid(payment: Payment, data: dict, *, now: datetime) -> str:
    """The gateway took a link payment (settlement.mark_paid): the booking is paid online and
    the venue's transfer scheduled; money for a booking already paid, cancelled or changed in
    price meanwhile goes back in full. Runs under the order's row lock; idempotent."""
    lock_order(payment.order_id)
    if payment.status == PaymentStatus.SUCCEEDED:
        return "already paid"
    if data.get("payment_intent_id"):
        payment.payment_intent_id = data["payment_intent_id"]
    payment.status = PaymentStatus.SUCCEEDED
    booking = booking_of(payment)
    if booking is not None:
        db.session.refresh(booking)
    if booking is None or booking.status not in PAYABLE or booking.at_venue_minor != payment.amount_minor:
        refund_in_full(payment, reason="Payment link paid for a booking already paid or cancelled")
        return "desk link paid for nothing due: refunded in full"
    booking.online_minor = booking.total_minor  # nothing left to pay at the venue
    audit.record(
        "booking.paid_by_link",
        actor_id=None,
        about=("booking", booking.id),
        amount_minor=payment.amount_minor,
        reference=booking.reference,
    )
    events.charge_taken.send(PaymentKind.DESK_LINK, payment=payment)  # the venue's transfer (payouts)
    return "desk link paid: booking paid online"


def settle_unpaid(payment: Payment, status: str) -> str:
    """A link's checkout failed or expired: nothing changes; the link still works."""
    if payment.status in (PaymentStatus.OPEN, PaymentStatus.PROCESSING):
        payment.status = status
    return "desk link not paid: the booking stays due at the venue"
