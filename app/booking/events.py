"""In-process events of the booking room (blinker signals, as Flask's own).

``times_reopened`` fires once for every release of booked or held times: a held order let go
(declined, abandoned, expired, cancelled by the customer) and a booking cancelled by the
customer or the venue. Receivers run inside the transaction that released the times: a
receiver with a side effect (an email, a waitlist offer) enqueues a job, which runs only if
that transaction commits.

    from app.booking.events import times_reopened

    @times_reopened.connect
    def offer_to_waitlist(reason: str, *, times: tuple[ReopenedTime, ...], order_id: int) -> None: ...

The sender is the reason (a ``ReleaseReason`` or a cancelled booking status), so a receiver
can listen to one reason with ``times_reopened.connect_via(ReleaseReason.EXPIRED)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from app.booking.models import Booking

signals = Namespace()
times_reopened = signals.signal("times-reopened", doc="Held or booked times became free again.")
# Its sibling for new hours, ``times_opened``, lives in app/venues/events.py: hours, schedules
# and time blocks fire it, and the venues' layer sits below booking.
# An order became paid (its bookings confirmed): fired once by ``order_lifecycle.confirm_paid``,
# inside the transaction that confirmed it. The sender says how it was paid (``PAID_BY``);
# receivers get ``order``, ``now`` and ``payment`` (the gateway's payment row, or None when
# nothing was charged). The confirmation and receipt, reminders, a gift voucher's issue and
# the venues' transfers listen to it (app/notifications, app/vouchers, app/payouts).
order_paid = signals.signal("order-paid", doc="An order was paid and its bookings confirmed.")
# A held order let its times go unpaid (sender: the ``ReleaseReason``); receivers get ``order``
# and ``now``. What money parts it held give themselves back: a gift voucher's part, a promo
# code's use (app/vouchers, app/promos). ``times_reopened`` fires for its bookings too.
order_released = signals.signal("order-released", doc="A held order was released unpaid.")
# A released order is being paid late and its times are still free: each money part it gave
# back takes itself again. A receiver returns False when it can't (the voucher no longer holds
# that much): the order is then refused and the payment refunded in full.
order_retaken = signals.signal("order-retaken", doc="A released order is being paid late.")
# Holds are being let go because they ran out (``order_lifecycle.expire_holds``, with its
# filters ``now``, ``service_ids``, ``member_ids``, ``between``): a receiver that holds times of
# its own (a move waiting for its top-up) releases those that ran out and returns how many.
holds_expiring = signals.signal("holds-expiring", doc="Holds that ran out are being released.")
# A booking was moved to another time (sender: who moved it, ``customer`` or ``venue``);
# receivers get ``booking``, ``from_starts_at``, ``refunded_minor`` (a cheaper time's difference
# given back), ``paid_minor`` (a dearer time's top-up; 0 for a move made without one) and ``now``.
booking_moved = signals.signal("booking-moved", doc="A booking was moved to another time.")
# A confirmed booking was cancelled (sender: the new status, ``cancelled_by_customer`` or
# ``cancelled_by_venue``); receivers get ``booking`` and ``fee_due`` (the policy's late fee
# applies). Who is told, and the fee, listen to it. ``times_reopened`` fires for it too.
booking_cancelled = signals.signal("booking-cancelled", doc="A confirmed booking was cancelled.")
# A booking's appointment was marked (sender: ``complete`` or ``no_show``); receivers get
# ``booking``. A no-show's fee listens to it.
booking_marked = signals.signal("booking-marked", doc="A booking was marked completed or no-show.")
# A booking was checked in at the front desk, the first time (sender: ``desk``); receivers get
# ``booking`` and ``now``. The venue's webhooks listen (app/webhooks/receivers.py).
booking_checked_in = signals.signal("booking-checked-in", doc="A booking was checked in at the front desk.")
# A service of these venues is going into a cart: receivers get ``venue_ids`` and ``user_id``
# (None for a signed-out cart) and answer why they can't take online bookings now (a message
# naming them) or None. Payouts answers (no enabled payout account yet, app/payouts/receivers.py),
# so the cart imports no money domain; the client book answers for a blocked client (app/clients).
cart_adding = signals.signal("cart-adding", doc="A service is being added to a cart: may its venues take it?")
# How an order was paid: by a card charge, by a card saved for later fees with nothing due now,
# by a gift voucher that covered everything due now, or with everything due at the venue.
PAID_BY = ("charged", "secured", "covered", "nothing_due")


@dataclass(frozen=True)
class ReopenedTime:
    venue_id: int
    service_id: int
    team_member_id: int | None
    starts_at: datetime
    ends_at: datetime
    blocks_until: datetime  # ends_at + the service's buffer: the time the booking kept
    quantity: int


def reopened(bookings: Iterable[Booking]) -> tuple[ReopenedTime, ...]:
    return tuple(
        ReopenedTime(
            venue_id=b.venue_id,
            service_id=b.service_id,
            team_member_id=b.team_member_id,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            blocks_until=b.blocks_until,
            quantity=b.quantity,
        )
        for b in bookings
    )


def announce_reopened(reason: str, bookings: list[Booking], *, order_id: int) -> None:
    """Fire ``times_reopened`` once for one release of these bookings."""
    times_reopened.send(str(reason), times=reopened(bookings), order_id=order_id)


def retake_refused(order: object) -> bool:
    """Ask ``order_retaken``'s receivers to take their parts of ``order`` again: True if one refused."""
    return any(answer is False for _receiver, answer in order_retaken.send("late_payment", order=order))


def announce_paid(how: str, order: object, *, now: datetime, payment: object | None = None) -> None:
    """Fire ``order_paid`` once for an order that was just confirmed."""
    if how not in PAID_BY:
        raise ValueError(f"unknown way of paying: {how}")
    order_paid.send(how, order=order, now=now, payment=payment)


def cart_refusal(venue_ids: set[int], *, user_id: int | None = None) -> str | None:
    """Why ``cart_adding``'s receivers refuse a cart item at these venues (the first answer), or None."""
    for _receiver, answer in cart_adding.send("cart", venue_ids=set(venue_ids), user_id=user_id):
        if answer:
            return answer
    return None


# A request-to-book was answered (sender: ``accepted``, ``declined`` or ``lapsed``, the new
# ``Booking.request_state``); receivers get ``booking`` and ``refund_minor`` (what the customer
# gets back: 0 when accepted). The customer's email on acceptance listens to it
# (app/notifications/requests.py); a declined or lapsed request is also a venue cancellation
# (``booking_cancelled``), whose email says why, and its refund is paid by app/checkout/requests.py.
request_answered = signals.signal("request-answered", doc="A request-to-book was accepted, declined or lapsed.")
