"""The one builder of held bookings, and the one "end plus buffer" rule.

A held booking keeps a time for a customer until ``hold_expires_at``: checkout's holds (one per
team member, or one for a group), a waitlist offer's hold and a top-up's hold of a move's new
time are all made here, so the columns a hold carries (its reference, the service's price and
terms as they are now, the end of the time it keeps) are set in one place. A hold is born
held (the status column's default), like its order; the caller adds and flushes it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.booking.models import Booking
from app.booking.references import new_reference
from app.venues.deposits import payment_terms
from app.venues.models import Service, ServiceOption
from app.venues.options import length_and_price

# The columns a move's hold keeps of the booking it moves.
KEPT_BY_MOVE = (
    "order_id",
    "customer_id",
    "venue_id",
    "quantity",
    "currency",
    "cancel_free_hours",
    "cancel_late_fee_percent",
)


def blocks_until(ends_at: datetime, service: Any) -> datetime:
    """The end of the time a booking keeps: its end plus the service's buffer."""
    return ends_at + timedelta(minutes=service.buffer_minutes)


class AsBooked:
    """``service`` as booked with one of its options: its price is the option's (what deposits,
    "pay now" labels and a new booking's payment columns read); everything else is the service's."""

    def __init__(self, service: Service, option: ServiceOption | None) -> None:
        self.service = service
        self.option = option
        self.duration_minutes, self.price_minor = length_and_price(service, option)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.service, name)


def as_booked(service: Service, option: ServiceOption | None) -> Any:
    """``service`` itself without an option, else the service priced as ``option`` (AsBooked)."""
    return service if option is None else AsBooked(service, option)


def hold_booking(
    service: Service,
    *,
    starts_at: datetime,
    ends_at: datetime,
    hold_until: datetime,
    team_member_id: int | None,
    order_id: int | None = None,
    customer_id: int | None = None,
    quantity: int = 1,
    moves: Booking | None = None,
    option: ServiceOption | None = None,
) -> Booking:
    """A new held booking of ``service`` from ``starts_at`` to ``ends_at``, held until
    ``hold_until``, priced at the service's price now (``option``'s when one of its options is
    booked: the booking names it and keeps its name).

    A new booking (``moves`` None) belongs to ``order_id`` and ``customer_id`` and takes the
    service's currency, cancellation and payment terms as they are now (kept as booked). A
    move's hold (``moves`` the booking being moved, a top-up) keeps that booking's order,
    customer, venue, quantity, currency and cancellation terms, and names it in
    ``moves_booking_id``; its payment columns keep their defaults."""
    common: dict[str, Any] = {
        "reference": new_reference(),
        "service_id": service.id,
        "team_member_id": team_member_id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "blocks_until": blocks_until(ends_at, service),
        "hold_expires_at": hold_until,
        "unit_price_minor": length_and_price(service, option)[1],
        "option_id": option.id if option is not None else None,
        "option_name": option.name if option is not None else None,
    }
    if moves is not None:
        return Booking(**common, **{name: getattr(moves, name) for name in KEPT_BY_MOVE}, moves_booking_id=moves.id)
    return Booking(
        **common,
        order_id=order_id,
        customer_id=customer_id,
        venue_id=service.venue_id,
        quantity=quantity,
        currency=service.currency,
        cancel_free_hours=service.cancel_free_hours,
        cancel_late_fee_percent=service.cancel_late_fee_percent,
        request_window_hours=service.request_window_hours if service.request_to_book else None,
        **payment_terms(as_booked(service, option), quantity),
    )
