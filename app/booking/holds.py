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

from app.booking.models import Booking, BookingAddon
from app.booking.references import new_reference
from app.venues.addons import Choice
from app.venues.deposits import payment_terms
from app.venues.models import Service
from app.venues.processing import booking_gap


def blocks_until(ends_at: datetime, service: Any) -> datetime:
    """The end of the time a booking keeps: its end plus the service's buffer."""
    return ends_at + timedelta(minutes=service.buffer_minutes)


def booked_choice(booking: Booking) -> Choice:
    """What ``booking`` is of its service, as booked: its option (its length and price now, as a
    move has always read them) and its add-ons as booked (``booking_addons``: their minutes and
    prices then, whatever the venue changed since). A move keeps it: the same length, the same extras."""
    return Choice(option=booking.option, addons=tuple(booking.addons))


def _addon_rows(choice: Choice) -> list[BookingAddon]:
    """The add-ons of ``choice`` as a new booking keeps them (a service's add-on, or one as booked)."""
    return [
        BookingAddon(
            addon_id=addon.addon_id,
            name=addon.name,
            price_minor=addon.price_minor,
            extra_minutes=addon.extra_minutes,
        )
        for addon in choice.addons
    ]


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
    choice: Choice | None = None,
    visit_key: str | None = None,
) -> Booking:
    """A new held booking of ``service`` from ``starts_at`` to ``ends_at``, held until
    ``hold_until``, priced at the service's price now, as ``choice`` (None: the service as it
    is): its option's price (the booking names the option and keeps its name) plus its add-ons'
    (the booking keeps each as booked, a ``booking_addons`` row).

    A new booking (``moves`` None) belongs to ``order_id`` and ``customer_id`` and takes the
    service's currency, cancellation and payment terms as they are now (kept as booked). A
    move's hold (``moves`` the booking being moved, a top-up) keeps that booking's order,
    customer, venue, quantity, currency and cancellation terms, and names it in
    ``moves_booking_id``; its payment columns keep their defaults."""
    choice = choice or Choice()
    option = choice.option
    price_minor = choice.price_minor(service)
    gap_starts_at, gap_ends_at = booking_gap(service, starts_at, ends_at)
    common: dict[str, Any] = {
        "reference": new_reference(),
        "service_id": service.id,
        "team_member_id": team_member_id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "blocks_until": blocks_until(ends_at, service),
        "gap_starts_at": gap_starts_at,
        "gap_ends_at": gap_ends_at,
        "hold_expires_at": hold_until,
        "unit_price_minor": price_minor,
        "option_id": option.id if option is not None else None,
        "option_name": option.name if option is not None else None,
        "addons": _addon_rows(choice),
    }
    if moves is not None:
        return Booking(
            **common,
            order_id=moves.order_id,
            customer_id=moves.customer_id,
            venue_id=moves.venue_id,
            quantity=moves.quantity,
            currency=moves.currency,
            cancel_free_hours=moves.cancel_free_hours,
            cancel_late_fee_percent=moves.cancel_late_fee_percent,
            moves_booking_id=moves.id,
        )
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
        visit_key=visit_key,
        **payment_terms(service, quantity, price_minor=price_minor),
    )
