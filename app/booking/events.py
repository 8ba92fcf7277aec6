"""In-process events of the booking room (blinker signals, as Flask's own).

Each signal's ``doc`` says when it fires, its sender and what its receivers get; the table in
docs/architecture.md lists them with their receivers (``flask docs signals``). Receivers run
inside the sender's transaction: a receiver with a side effect (an email, a waitlist offer)
enqueues a job, which runs only if that transaction commits. A receiver can listen to one
sender only (one reason, say) with ``times_reopened.connect_via(ReleaseReason.EXPIRED)``.

Their sibling for new hours, ``times_opened``, lives in app/venues/events.py: hours,
schedules and time blocks fire it, and the venues sit below booking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

from app.booking.models import Booking

signals = Namespace()
times_reopened = signals.signal(
    "times-reopened",
    doc="Fires once for every release of held or booked times (a held order let go, a booking cancelled or moved, "
    "a top-up's hold let go), inside the transaction that released them. The sender is the reason (a "
    "``ReleaseReason``, a cancelled booking's status or a move's reason); receivers get ``times`` (a tuple of "
    "``ReopenedTime``) and ``order_id``.",
)
order_paid = signals.signal(
    "order-paid",
    doc="Fires once when an order is paid and its bookings confirmed (``order_lifecycle.confirm_paid``), inside that "
    "transaction. The sender says how it was paid (one of ``PAID_BY``); receivers get ``order``, ``now`` and "
    "``payment`` (the gateway's payment row, or None when nothing was charged).",
)
order_released = signals.signal(
    "order-released",
    doc="Fires when a held order lets its times go unpaid (``order_lifecycle.release_order``), before "
    "``times_reopened`` fires for its bookings. The sender is the ``ReleaseReason``; receivers get ``order`` and "
    "``now`` and give back the money parts it held (a gift voucher's part, a promo code's use).",
)
order_retaken = signals.signal(
    "order-retaken",
    doc="Fires when a released order is paid late and its times are still free (``order_lifecycle.confirm_paid``), "
    "so each money part it gave back takes itself again. The sender is ``late_payment``; receivers get ``order`` "
    "and return False when they can't (the voucher no longer holds that much), and the order is then refused and "
    "the payment refunded in full.",
)
holds_expiring = signals.signal(
    "holds-expiring",
    doc="Fires while holds that ran out are released (``order_lifecycle.expire_holds``), so a receiver that holds "
    "times of its own (a move waiting for its top-up) releases those that ran out. The sender is "
    "``expire_holds``; receivers get its filters ``now``, ``service_ids``, ``member_ids`` and ``between`` and "
    "return how many holds they released.",
)
booking_moved = signals.signal(
    "booking-moved",
    doc="Fires when a booking is moved to another time (``reschedule.apply_move``), after ``times_reopened`` for its "
    "old time. The sender is who moved it (``customer`` or ``venue``); receivers get ``booking``, "
    "``from_starts_at``, ``refunded_minor`` (a cheaper time's difference given back), ``paid_minor`` (a dearer "
    "time's top-up, 0 for a move made without one) and ``now``.",
)
booking_cancelled = signals.signal(
    "booking-cancelled",
    doc="Fires when a confirmed booking is cancelled (``lifecycle.cancel_by_customer`` or ``cancel_by_venue``), "
    "after ``times_reopened`` for its time. The sender is the new status (``cancelled_by_customer`` or "
    "``cancelled_by_venue``); receivers get ``booking`` and ``fee_due`` (True when the policy's late fee applies).",
)
booking_marked = signals.signal(
    "booking-marked",
    doc="Fires when a booking's appointment is marked once it has started (``lifecycle.mark``). The sender is "
    "``complete`` or ``no_show``; receivers get ``booking``.",
)
booking_checked_in = signals.signal(
    "booking-checked-in",
    doc="Fires the first time a booking is checked in at the front desk (``check_ins.check_in``). The sender is "
    "``desk``; receivers get ``booking`` and ``now``.",
)
cart_adding = signals.signal(
    "cart-adding",
    doc="Fires when a service of these venues is going into a cart (``cart.add_item``), so the cart imports no "
    "money domain. The sender is ``cart``; receivers get ``venue_ids`` and ``user_id`` (None for a signed-out "
    "cart) and answer why the venues can't take it now (a message naming them) or None.",
)
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

    @classmethod
    def of(cls, booking: Booking) -> ReopenedTime:
        """The time ``booking`` keeps now."""
        return cls(
            venue_id=booking.venue_id,
            service_id=booking.service_id,
            team_member_id=booking.team_member_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            blocks_until=booking.blocks_until,
            quantity=booking.quantity,
        )


def reopened(bookings: Iterable[Booking]) -> tuple[ReopenedTime, ...]:
    """Each booking's time, as it kept it."""
    return tuple(ReopenedTime.of(b) for b in bookings)


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


request_answered = signals.signal(
    "request-answered",
    doc="Fires when a request-to-book is answered (``requests.accept``, ``decline`` or ``lapse_due``); a declined "
    "or lapsed request is also a venue cancellation and fires ``booking_cancelled``, whose refund "
    "app/checkout/requests.py pays. The sender is the new ``Booking.request_state`` (``accepted``, ``declined`` or "
    "``lapsed``); receivers get ``booking`` and ``refund_minor`` (what the customer gets back, 0 when accepted).",
)
