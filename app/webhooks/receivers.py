"""The signals a venue's webhooks listen to, each turned into one event (service.emit), inside
the transaction of the change: booking.created (an order paid, a desk booking),
booking.cancelled, booking.rescheduled, booking.checked_in, review.created, payout.paid,
package.sold (a package order paid), membership.paid (each month of a membership paid)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.booking.events import booking_cancelled, booking_checked_in, booking_moved, order_paid
from app.booking.models import Booking, Order
from app.clients.events import desk_booked
from app.memberships import service as memberships
from app.memberships.models import MembershipPeriod
from app.packages import service as packages
from app.packages.models import PackageHolding
from app.payouts.events import payout_paid
from app.reviews.events import review_posted
from app.webhooks.service import emit, iso, money


def booking_data(booking: Booking, **extra: Any) -> dict[str, Any]:
    return {
        "id": booking.id,
        "reference": booking.reference,
        "venue_id": booking.venue_id,
        "service": {"id": booking.service_id, "name": booking.service.name},
        "team_member_id": booking.team_member_id,
        "status": booking.status,
        "starts_at": iso(booking.starts_at),
        "ends_at": iso(booking.ends_at),
        "quantity": booking.quantity,
        "price": money(booking.unit_price_minor * booking.quantity, booking.currency),
        "paid_online": money(booking.online_minor, booking.currency),
        "made_at": booking.channel,  # 'online' or 'desk'
        "order_channel": booking.order.channel,  # 'marketplace' or 'venue_site' (the booking button)
        # What a spa sells (issue 44): the option and add-ons booked, a processing gap, and a
        # visit's key and guest (the bookings of one visit share the key).
        "option": {"id": booking.option_id, "name": booking.option_name} if booking.option_name else None,
        "addons": [
            {"name": a.name, "price": money(a.price_minor, booking.currency), "extra_minutes": a.extra_minutes}
            for a in booking.addons
        ],
        "processing": {"starts_at": iso(booking.gap_starts_at), "ends_at": iso(booking.gap_ends_at)}
        if booking.gap_starts_at and booking.gap_ends_at
        else None,
        "visit_key": booking.visit_key,
        "guest": booking.guest,
        "guest_name": booking.guest_name,
        # The package that paid for the treatment (app/packages), or None.
        "package": _package_of(booking),
        **extra,
    }


def _package_of(booking: Booking) -> dict[str, Any] | None:
    session = packages.session_of_booking(booking.id)
    if session is None:
        return None
    return {"id": session.holding_id, "name": session.holding.name, "sessions_used": session.places}


def membership_data(period: MembershipPeriod) -> dict[str, Any]:
    membership = period.membership
    return {
        "id": membership.id,
        "venue_id": membership.venue_id,
        "name": membership.name,
        "customer_id": membership.customer_id,
        "month": period.number,
        "amount": money(period.amount_minor, period.currency),
        "starts_at": iso(period.starts_at),
        "ends_at": iso(period.ends_at),
    }


def package_data(holding: PackageHolding) -> dict[str, Any]:
    return {
        "id": holding.id,
        "venue_id": holding.venue_id,
        "name": holding.name,
        "service": {"id": holding.service_id, "name": holding.service_name},
        "option": {"id": holding.option_id, "name": holding.option_name} if holding.option_name else None,
        "sessions": holding.sessions,
        "price": money(holding.price_minor, holding.currency),
        "customer_id": holding.customer_id,
        "paid_at": iso(holding.paid_at),
        "expires_at": iso(holding.expires_at),
    }


@order_paid.connect
def on_order_paid(_how: str, *, order: Order, now: datetime, **_: object) -> None:
    if not order.bookings:
        period = memberships.period_of_order(order)
        if period is not None:  # a membership's month (its sessions are a holding too: not a package sold)
            emit(period.membership.venue_id, "membership.paid", membership_data(period), now=now)
            return
        holding = packages.get_holding_of_order(order)
        if holding is not None:
            packages.record_paid(order, now=now)  # its dates, whichever receiver runs first
            emit(holding.venue_id, "package.sold", package_data(holding), now=now)
        return
    for booking in sorted(order.bookings, key=lambda b: b.id):
        if booking.moves_booking_id is None:
            emit(booking.venue_id, "booking.created", booking_data(booking), now=now)


@desk_booked.connect
def on_desk_booked(_channel: str, *, booking: Booking, **_: object) -> None:
    emit(booking.venue_id, "booking.created", booking_data(booking))


@booking_cancelled.connect
def on_cancelled(status: str, *, booking: Booking, **_: object) -> None:
    cancelled_by = "venue" if str(status).endswith("venue") else "customer"
    emit(booking.venue_id, "booking.cancelled", booking_data(booking, cancelled_by=cancelled_by))


@booking_moved.connect
def on_moved(moved_by: str, *, booking: Booking, from_starts_at: datetime, now: datetime, **_: object) -> None:
    data = booking_data(booking, previous_starts_at=iso(from_starts_at), moved_by=moved_by)
    emit(booking.venue_id, "booking.rescheduled", data, now=now)


@booking_checked_in.connect
def on_checked_in(_sender: str, *, booking: Booking, now: datetime, **_: object) -> None:
    emit(booking.venue_id, "booking.checked_in", booking_data(booking, checked_in_at=iso(now)), now=now)


@review_posted.connect
def on_review(_sender: str, *, review: Any, venue_id: int, **_: object) -> None:
    data = {
        "id": review.id,
        "venue_id": venue_id,
        "booking_id": review.booking_id,
        "rating": review.rating,
        "body": review.body,
        "created_at": iso(review.created_at),
    }
    emit(venue_id, "review.created", data)


@payout_paid.connect
def on_payout(
    _gateway: object, *, venue_id: int, payout_id: Any, amount_minor: int, currency: str, arrival_at: Any, **_: object
) -> None:
    data = {
        "id": payout_id,
        "venue_id": venue_id,
        "amount": money(amount_minor, currency),
        "arrival_at": iso(arrival_at) if isinstance(arrival_at, datetime) else arrival_at,
    }
    emit(venue_id, "payout.paid", data)
