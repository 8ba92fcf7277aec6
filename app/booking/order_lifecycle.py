"""An order's life, in one table, beside the booking's (app/booking/lifecycle.py).

    (new)            --hold-------------------> pending_payment
    pending_payment  --confirm_paid-----------> paid
    pending_payment  --confirm_secured--------> paid    (nothing to pay now: the card is saved for fees)
    pending_payment  --confirm_at_desk--------> paid    (booked at the front desk, paid at the venue)
    pending_payment  --release_declined-------> failed
    pending_payment  --release_abandoned------> expired
    pending_payment  --release_expired--------> expired
    pending_payment  --release_cancelled------> released
    failed | expired | released --confirm_paid--------> paid    (money came late; every time still free)
    failed | expired | released --confirm_secured-----> paid    (a card saved late; every time still free)
    failed | expired | released --refuse_late_payment-> failed  (money came late; a time was taken: refunded)
    paid | partially_refunded   --refund_part---------> partially_refunded
    paid | partially_refunded   --refund_rest---------> refunded
    failed                      --refund_part | refund_rest--> failed  (a late payment's refund)
    paid | partially_refunded   --record_top_up-------> (same)  (a move to a dearer time was paid)

Only this module writes ``Order.status``: each step is checked against the table (anything
else raises InvalidTransition and changes nothing), and writes an ``OrderTransition`` row and
an audit row. Payment code translates gateway events into ``confirm_paid``, ``release_order``,
``record_top_up`` (through app/checkout/top_ups.py) and ``record_refund``; it never sets a
status itself.

Every release fires ``times_reopened`` once (app/booking/events.py) and gives the customer
their cart back, with its promo code, whose use no longer counts (app/promos/redemption.py).
``expire_holds`` is the one way a hold runs out: the periodic job, a checkout that meets a
stale hold, and the cart page all call it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.base import ExecutableOption

from app.accounts.models import User
from app.audit.transitions import record_transition
from app.booking import lifecycle, requests
from app.booking.availability import find_slot
from app.booking.cart_returns import Restored, restore_from_order, take_back_restored
from app.booking.events import announce_paid, announce_reopened, holds_expiring, order_released, retake_refused
from app.booking.models import Booking, BookingStatus, Order, OrderStatus, OrderTransition, ReleaseReason
from app.platform import held_locks
from app.platform.errors import InvalidTransition
from app.platform.extensions import db
from app.platform.jobs import job

OS = OrderStatus
NEW = None  # an order that is being made has no status yet

TRANSITIONS: dict[tuple[str | None, str], str] = {
    (NEW, "hold"): OS.PENDING_PAYMENT,
    (OS.PENDING_PAYMENT, "confirm_paid"): OS.PAID,
    (OS.PENDING_PAYMENT, "confirm_secured"): OS.PAID,
    (OS.PENDING_PAYMENT, "confirm_at_desk"): OS.PAID,
    (OS.PENDING_PAYMENT, "release_declined"): OS.FAILED,
    (OS.PENDING_PAYMENT, "release_abandoned"): OS.EXPIRED,
    (OS.PENDING_PAYMENT, "release_expired"): OS.EXPIRED,
    (OS.PENDING_PAYMENT, "release_cancelled"): OS.RELEASED,
    (OS.FAILED, "confirm_paid"): OS.PAID,
    (OS.EXPIRED, "confirm_paid"): OS.PAID,
    (OS.RELEASED, "confirm_paid"): OS.PAID,
    (OS.FAILED, "confirm_secured"): OS.PAID,
    (OS.EXPIRED, "confirm_secured"): OS.PAID,
    (OS.RELEASED, "confirm_secured"): OS.PAID,
    (OS.FAILED, "refuse_late_payment"): OS.FAILED,
    (OS.EXPIRED, "refuse_late_payment"): OS.FAILED,
    (OS.RELEASED, "refuse_late_payment"): OS.FAILED,
    (OS.PAID, "refund_part"): OS.PARTIALLY_REFUNDED,
    (OS.PARTIALLY_REFUNDED, "refund_part"): OS.PARTIALLY_REFUNDED,
    (OS.PAID, "refund_rest"): OS.REFUNDED,
    (OS.PARTIALLY_REFUNDED, "refund_rest"): OS.REFUNDED,
    (OS.FAILED, "refund_part"): OS.FAILED,
    (OS.FAILED, "refund_rest"): OS.FAILED,
    (OS.PAID, "record_top_up"): OS.PAID,
    (OS.PARTIALLY_REFUNDED, "record_top_up"): OS.PARTIALLY_REFUNDED,
}
EVENTS = frozenset(event for _source, event in TRANSITIONS)
PAID_STATES = (OS.PAID, OS.PARTIALLY_REFUNDED, OS.REFUNDED)
STATUS_LABELS = {
    OS.PENDING_PAYMENT: _l("Waiting for payment"),
    OS.PAID: _l("Paid"),
    OS.FAILED: _l("Payment failed"),
    OS.EXPIRED: _l("Expired unpaid"),
    OS.PARTIALLY_REFUNDED: _l("Partly refunded"),
    OS.REFUNDED: _l("Refunded"),
    OS.RELEASED: _l("Released by the customer"),
}
# The four ways a held order lets its times go: (the order's event, the bookings' transition).
# "Cancelled" is the customer's own "Change my order" or "Cancel and return" (stored as
# ``changed_by_customer``).
RELEASES: dict[ReleaseReason, tuple[str, str]] = {
    ReleaseReason.DECLINED: ("release_declined", "release"),
    ReleaseReason.ABANDONED: ("release_abandoned", "expire"),
    ReleaseReason.EXPIRED: ("release_expired", "expire"),
    ReleaseReason.CHANGED: ("release_cancelled", "release"),
}


def move(
    order: Order,
    event: str,
    *,
    actor: User | None = None,
    reason: str | None = None,
    amount_minor: int | None = None,
) -> str:
    """Move ``order`` by ``event`` or raise InvalidTransition (changing nothing); writes the
    transition row and the audit row. Returns the new status."""
    source = order.status
    target = TRANSITIONS.get((source, event))
    if target is None:
        label = STATUS_LABELS.get(source, _("new")) if source else _("new")
        raise InvalidTransition(
            _("An order that is “%(label)s” can't do that (%(replace)s).", label=label, replace=event.replace("_", " "))
        )
    order.status = target
    if order.id is None:
        db.session.flush()  # a new order: its id names the rows below
    db.session.add(
        OrderTransition(
            order_id=order.id,
            event=event,
            from_state=source,
            to_state=target,
            reason=reason[:200] if reason else None,
            amount_minor=amount_minor,
            actor_id=actor.id if actor else None,
        )
    )
    data = {"amount_minor": amount_minor} if amount_minor is not None else {}
    record_transition("order", order, event, actor=actor, source=source, target=target, reason=reason, **data)
    return target


def lock_order(order_id: int, *options: ExecutableOption) -> Order:
    """The order under its row lock, re-read: whoever waited for the lock sees the winner's work.
    ``options``: what to load with it (a selectinload of its bookings, which are not locked).
    Asked again without options in a transaction that already holds the lock (a settlement locks
    the order, then confirming it asks again), the order it holds (app/platform/held_locks.py)."""
    order = held_locks.held("orders").get(order_id)
    if order is not None and not options and order in db.session:
        return order
    query = (
        select(Order)
        .where(Order.id == order_id)
        .options(*options)
        .with_for_update(of=Order)
        .execution_options(populate_existing=True)
    )
    order = db.session.scalars(query).one()
    held_locks.keep("orders", {order_id: order})
    return order


def _locked_bookings(order: Order) -> list[Booking]:
    """The order's bookings under their row locks, re-read; each with its venue, service and team
    member joined (not locked), which what follows a payment or a release reads of every booking.
    They are ``order.bookings`` too (those that are not a move's), so reading it sends nothing."""
    locked = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.order_id == order.id)
            .order_by(Booking.id)
            .options(joinedload(Booking.venue), joinedload(Booking.service), joinedload(Booking.team_member))
            .with_for_update(of=Booking)
            .execution_options(populate_existing=True)
        )
    )
    own = sorted((b for b in locked if b.moves_booking_id is None), key=lambda booking: booking.starts_at)
    set_committed_value(order, "bookings", own)
    return locked


# -- hold ----------------------------------------------------------------------------------------


def hold(customer: User, *, currency: str, hold_until: datetime) -> Order:
    """A new order, waiting for payment; checkout adds its held bookings."""
    order = Order(customer_id=customer.id, currency=currency, total_minor=0, hold_expires_at=hold_until)
    db.session.add(order)
    move(order, "hold", actor=customer)
    return order


def hold_at_desk(customer_id: int | None, *, currency: str, hold_until: datetime, actor: User) -> Order:
    """A new order made at the front desk by ``actor`` (the venue's staff) for a client, who
    may have no account (``customer_id`` None); the desk adds its held booking."""
    order = Order(customer_id=customer_id, currency=currency, total_minor=0, hold_expires_at=hold_until)
    db.session.add(order)
    move(order, "hold", actor=actor, reason="Booked at the front desk")
    return order


def confirm_at_desk(order: Order, *, now: datetime, actor: User) -> None:
    """A desk order whose bookings are all paid at the venue: confirmed at once. Nothing was
    paid online, so ``order_paid`` does not fire (no receipt, no transfer); the desk's own
    signal tells the client (app/clients/events.py)."""
    for booking in _locked_bookings(order):
        lifecycle.apply(booking, "confirm", actor=actor, reason="Booked at the front desk")
    move(order, "confirm_at_desk", actor=actor, reason="Paid at the venue")
    order.paid_at = now


# -- paid ----------------------------------------------------------------------------------------

Confirmation = Literal["confirmed", "already paid", "too late"]


def confirm_secured(
    order: Order,
    *,
    now: datetime | None = None,
    reason: str | None = None,
    how: str = "secured",
    payment: object | None = None,
) -> Confirmation:
    """Nothing was due now (every booking is paid at the venue, or a gift voucher paid the
    deposits) and the checkout saved the card for the policy's fees: the order is confirmed
    like a paid one, by its own transition (``confirm_secured``)."""
    return confirm_paid(order, now=now, reason=reason, event="confirm_secured", how=how, payment=payment)


def confirm_paid(
    order: Order,
    *,
    now: datetime | None = None,
    reason: str | None = None,
    event: str = "confirm_paid",
    how: str = "charged",
    payment: object | None = None,
) -> Confirmation:
    """The gateway took the money: every booking becomes confirmed, or none.

    Money that arrives after the holds were released still confirms the order while every
    one of its times is free (the bookings are taken back, the items it put back in the cart
    leave it again). If a time went meanwhile the order is refused (``too late``): the
    caller refunds the payment in full. Runs under the order's row lock; idempotent.

    A gift voucher's part of a late-paid order is taken again (it went back to the voucher
    on release); if the voucher no longer has it, the order is refused like a taken time.

    A confirmed order fires ``order_paid`` (sender ``how``: app/booking/events.py) with the
    gateway's ``payment`` if there was one: what follows a payment listens to it.
    """
    now = now or datetime.now(UTC)
    order = lock_order(order.id)
    if order.status in PAID_STATES:
        return "already paid"
    bookings = _locked_bookings(order)
    confirmable = all(
        b.status == BookingStatus.HELD
        or (b.status == BookingStatus.EXPIRED and find_slot(b.service, b.starts_at, now=now, on_step=False) is not None)
        for b in bookings
    )
    if confirmable and order.status != OS.PENDING_PAYMENT:
        confirmable = not retake_refused(order)  # a gift voucher's part, taken again (app/vouchers)
    if not confirmable:
        move(order, "refuse_late_payment", reason="Paid after the hold expired; the time was taken")
        return "too late"
    for booking in bookings:
        if booking.status == BookingStatus.EXPIRED:
            lifecycle.apply(booking, "take_back", actor=None, reason="paid late; the time was still free")
        lifecycle.apply(booking, "confirm", actor=None)
        requests.open_request(booking, now=now)  # a request-to-book: the venue's window starts now
    move(order, event, reason=reason)
    order.paid_at = now
    with db.session.no_autoflush:  # the number goes in the same UPDATE of the order as its status
        order.receipt_number = db.session.execute(text("SELECT nextval('receipt_numbers')")).scalar()
    take_back_restored(order)  # the customer has these times now; the cart shouldn't offer them again
    announce_paid(how, order, now=now, payment=payment)
    return "confirmed"


# -- release -------------------------------------------------------------------------------------


def release_order(
    order: Order, reason: ReleaseReason, *, actor: User | None = None, now: datetime | None = None
) -> Restored:
    """Let a held order's times go at once and put its items back in the customer's cart.

    The one way out for an unpaid order: a declined card, an abandoned or expired checkout,
    our own hold running out and the customer's "Change my order" all call this. It runs
    under the order's row lock and is idempotent: a second release (a webhook racing the
    customer's click) finds the order already released, fires nothing and adds nothing to
    the cart. A paid order can't be released (InvalidTransition, 409): its bookings are
    cancelled one by one.
    """
    now = now or datetime.now(UTC)
    order = lock_order(order.id)
    if order.status in PAID_STATES:
        raise InvalidTransition(
            _("This order is paid, so these times are booked for you. To change a booking, cancel it from its page.")
        )
    if order.status != OS.PENDING_PAYMENT:
        return restore_from_order(order, now=now)  # already released; gives back only if it never did
    event, booking_action = RELEASES[reason]
    released = [b for b in _locked_bookings(order) if b.status == BookingStatus.HELD]
    for booking in released:
        lifecycle.apply(booking, booking_action, actor=actor, reason=str(reason))
    move(order, event, actor=actor, reason=str(reason))
    order.release_reason = str(reason)
    order.released_at = now
    # A gift voucher's part goes back to it; a promo code's use is given back and the code
    # returns to the cart (app/vouchers, app/promos).
    order_released.send(str(reason), order=order, now=now)
    db.session.flush()  # the times are free before the cart checks them
    announce_reopened(reason, released, order_id=order.id)
    return restore_from_order(order, now=now)


def expire_holds(
    now: datetime | None = None,
    *,
    customer_id: int | None = None,
    service_ids: list[int] | None = None,
    member_ids: list[int] | None = None,
    between: tuple[datetime, datetime] | None = None,
) -> int:
    """Release every order whose hold ran out (its items go back to the cart); returns how
    many held bookings that freed.

    Run every 5 minutes by a job, by the cart page for its customer's own orders, and by
    checkout for holds that stand in its way (``service_ids``/``member_ids``, and
    ``between``: only holds that meet that time). Orders another transaction is settling or
    releasing right now are skipped, not waited for. The holds of moves waiting for a top-up
    (app/checkout/top_ups.py) run out here too, under the same filters.
    """
    now = now or datetime.now(UTC)
    query = select(Order).where(Order.status == OS.PENDING_PAYMENT, Order.hold_expires_at <= now)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if service_ids is not None or member_ids is not None:
        meeting = select(Booking.order_id).where(
            Booking.status == BookingStatus.HELD,
            Booking.service_id.in_(service_ids or [-1]) | Booking.team_member_id.in_(member_ids or [-1]),
        )
        if between is not None:
            meeting = meeting.where(Booking.starts_at < between[1], Booking.blocks_until > between[0])
        query = query.where(Order.id.in_(meeting))
    due = list(db.session.scalars(query.order_by(Order.id).with_for_update(of=Order, skip_locked=True)))
    freed = 0
    for order in due:
        freed += sum(1 for b in order.bookings if b.status == BookingStatus.HELD)
        release_order(order, ReleaseReason.EXPIRED, now=now)
    if customer_id is None:  # holds of their own that ran out (a move's top-up: app/checkout/top_ups.py)
        answers = holds_expiring.send(
            "expire_holds", now=now, service_ids=service_ids, member_ids=member_ids, between=between
        )
        freed += sum(count for _receiver, count in answers)
    return freed


@job(name="booking.expire_holds")
def expire_holds_job(timestamp: int | None = None) -> None:
    expire_holds()
    db.session.commit()


# -- top-ups ------------------------------------------------------------------------------------


def record_top_up(order: Order, amount_minor: int, *, actor: User | None = None, reason: str | None = None) -> str:
    """A top-up for a move to a dearer time was paid and the move made: the order's total
    grows by it (so refunds and receipts count it). The caller holds the order's row lock."""
    if amount_minor <= 0:
        raise InvalidTransition(_("A top-up is a positive amount."))
    target = move(order, "record_top_up", actor=actor, reason=reason, amount_minor=amount_minor)
    order.total_minor = (order.total_minor or 0) + amount_minor
    return target


# -- refunds -------------------------------------------------------------------------------------


def record_refund(order: Order, amount_minor: int, *, paid_minor: int, actor: User | None = None) -> str:
    """A refund of ``amount_minor`` (of a payment of ``paid_minor``) reached the customer."""
    if amount_minor <= 0:
        raise InvalidTransition(_("A refund is a positive amount."))
    order = lock_order(order.id)
    refunded = (order.refunded_minor or 0) + amount_minor
    if refunded > paid_minor:
        raise InvalidTransition(_("Refunds can't add up to more than was paid."))
    event = "refund_rest" if refunded >= paid_minor else "refund_part"
    target = move(order, event, actor=actor, amount_minor=amount_minor)
    order.refunded_minor = refunded
    return target


def get_history(order: Order) -> list[tuple[OrderTransition, str | None]]:
    """The order's steps, oldest first, each with its actor's name (None: the system)."""
    return [
        (transition, name)
        for transition, name in db.session.execute(
            select(OrderTransition, User.name)
            .outerjoin(User, User.id == OrderTransition.actor_id)
            .where(OrderTransition.order_id == order.id)
            .order_by(OrderTransition.id)
        )
    ]


def get_transitions(order: Order) -> list[OrderTransition]:
    return list(
        db.session.scalars(
            select(OrderTransition).where(OrderTransition.order_id == order.id).order_by(OrderTransition.id)
        )
    )
