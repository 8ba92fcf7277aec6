"""Checkout: the cart becomes an order whose bookings are held, all or nothing.

Double bookings are impossible because every check happens again inside this transaction
after taking a row lock on each service involved (in id order, so two checkouts never
deadlock), and the team-member exclusion constraint backs it up. Whoever commits first
wins; the others get SlotUnavailable naming the item.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.booking.availability import find_slot
from app.booking.cart import CartOwner, get_items, snapshot_items
from app.booking.errors import SlotUnavailable
from app.booking.models import Booking, BookingStatus, CartItem, Order, OrderStatus
from app.booking.references import new_reference
from app.errors import ValidationFailed
from app.extensions import db
from app.venues.models import Service, VenueStatus


def _label(item: CartItem) -> str:
    local = item.starts_at.astimezone(ZoneInfo(item.service.venue.timezone))
    return f"{item.service.name} at {item.service.venue.name}, {local:%a %d %b %H:%M}"


def expire_stale_holds(service_ids: list[int], member_ids: list[int], now: datetime) -> None:
    """Holds past their expiry stop counting now, not only when the cleanup job runs."""
    if not service_ids and not member_ids:
        return
    db.session.execute(
        update(Booking)
        .where(
            Booking.status == BookingStatus.HELD,
            Booking.hold_expires_at <= now,
            (Booking.service_id.in_(service_ids or [-1])) | (Booking.team_member_id.in_(member_ids or [-1])),
        )
        .values(status=BookingStatus.EXPIRED)
    )


def checkout(customer: User, *, now: datetime | None = None) -> Order:
    """Turn the customer's cart into an order with held bookings, or raise naming what failed."""
    now = now or datetime.now(UTC)
    if not customer.is_verified:
        raise ValidationFailed("Confirm your email address before booking; we sent you a link.")
    items = get_items(CartOwner(user_id=customer.id), now=now)
    if not items:
        raise ValidationFailed("Your cart is empty.")
    currencies = {item.service.currency for item in items}
    if len(currencies) > 1:
        raise ValidationFailed("A cart can only be paid in one currency. Check out each currency separately.")

    service_ids = sorted({item.service_id for item in items})
    services = {
        s.id: s
        for s in db.session.scalars(
            select(Service).where(Service.id.in_(service_ids)).order_by(Service.id).with_for_update()
        )
    }
    member_ids = sorted({m.id for s in services.values() for m in s.venue.team})
    expire_stale_holds(service_ids, member_ids, now)
    db.session.flush()
    db.session.expire_all()

    try:
        # A savepoint: a refusal leaves no order and no hold behind, whatever the caller does
        # with the transaction afterwards, and keeps the transaction usable after the
        # exclusion constraint fires.
        with db.session.begin_nested():
            order = _hold_items(customer, items, services, currencies.pop(), now)
    except IntegrityError as exc:  # the exclusion constraint caught a race the locks did not cover
        if "ex_bookings_team_member_overlap" in str(exc.orig):
            raise SlotUnavailable("Sorry, that time was just taken. Pick another time.") from None
        raise
    db.session.refresh(order)
    order.total_minor = sum(b.total_minor for b in order.bookings)
    order.cart_snapshot = snapshot_items(items)  # so a release can give these exact items back
    for item in items:
        db.session.delete(item)
    return order


def _hold_items(
    customer: User, items: list[CartItem], services: dict[int, Service], currency: str, now: datetime
) -> Order:
    """The order and its held bookings; raises SlotUnavailable naming every item that failed.
    (A team member booked through another service, which these locks don't cover, surfaces
    as the exclusion constraint's IntegrityError.)"""
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = Order(
        customer_id=customer.id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=currency,
        total_minor=0,
        hold_expires_at=hold_until,
    )
    db.session.add(order)
    db.session.flush()
    unavailable: list[str] = []
    for item in items:
        service = services[item.service_id]
        if not service.is_active or service.venue.status != VenueStatus.APPROVED:
            unavailable.append(f"{_label(item)} (no longer offered)")
            continue
        slot = find_slot(service, item.starts_at, now=now)
        if slot is None or slot.remaining < item.quantity:
            unavailable.append(f"{_label(item)} (just taken)")
            continue
        if item.team_member_id is not None:
            if item.team_member_id not in slot.team_member_ids:
                unavailable.append(f"{_label(item)} (that team member was just booked)")
                continue
            people = [item.team_member_id]
        elif slot.team_member_ids:
            if len(slot.team_member_ids) < item.quantity:
                unavailable.append(f"{_label(item)} (just taken)")
                continue
            people = list(slot.team_member_ids[: item.quantity])
        else:
            people = [None]
        # One booking per person when team members are involved; one for the group otherwise.
        per_booking = 1 if people != [None] else item.quantity
        for member_id in people:
            db.session.add(
                Booking(
                    reference=new_reference(),
                    order_id=order.id,
                    customer_id=customer.id,
                    venue_id=service.venue_id,
                    service_id=service.id,
                    team_member_id=member_id,
                    status=BookingStatus.HELD,
                    starts_at=slot.start,
                    ends_at=slot.end,
                    blocks_until=slot.end + timedelta(minutes=service.buffer_minutes),
                    hold_expires_at=hold_until,
                    quantity=per_booking,
                    unit_price_minor=service.price_minor,
                    currency=service.currency,
                    cancel_free_hours=service.cancel_free_hours,
                    cancel_late_fee_percent=service.cancel_late_fee_percent,
                )
            )
        # Later items in this same cart see these holds.
        db.session.flush()
    if unavailable:
        raise SlotUnavailable("Sorry, these are no longer available: " + "; ".join(unavailable) + ".")
    return order
