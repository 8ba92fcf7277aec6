"""Giving the cart back after a payment didn't happen: the items an order was made from are kept
on it (``snapshot_items``), and a released order puts them back in its customer's cart, exactly
once (``restore_from_order``); a payment that confirms it after all takes them out again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete

from app.booking.cart import CartOwner, check_bookable, get_items, item_addons, now_utc
from app.booking.errors import CartItemInvalid
from app.booking.models import CartItem, Order
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
from app.venues.addons import Choice
from app.venues.models import Service, ServiceOption, TeamMember, VenueStatus


@dataclass(frozen=True)
class Restored:
    """What a released order put back in its customer's cart."""

    added: int = 0
    unavailable: tuple[str, ...] = ()  # "Deep tissue massage at Calm Rooms, Tue 24 Nov 10:00: why"

    def message(self) -> str:
        """One sentence for the customer, naming any item whose time went meanwhile."""
        if not self.added:
            return _("Your held times are released.")
        items = "item is" if self.added == 1 else "items are"
        text = f"Your held times are released and your {self.added} {items} back in your cart."
        if self.unavailable:
            text += " No longer available, choose another time: " + "; ".join(self.unavailable) + "."
        return text


def snapshot_items(items: list[CartItem]) -> list[dict[str, Any]]:
    """The cart items an order is made from, as they were chosen (kept on the order)."""
    return [
        {
            "service_id": item.service_id,
            **({"option_id": item.option_id} if item.option_id is not None else {}),
            **({"addon_ids": list(item.addon_ids)} if item.addon_ids else {}),
            "starts_at": item.starts_at.astimezone(UTC).isoformat(),
            "team_member_id": item.team_member_id,
            "quantity": item.quantity,
            **({"intake_answers": item.intake_answers} if item.intake_answers else {}),
        }
        for item in items
    ]


def _wishes(order: Order) -> list[tuple[int, datetime, int | None, int, int | None, list[int]]]:
    """(service, start, team member choice, quantity, option, add-ons) of each item the order was made from.

    Orders made before the snapshot was kept are read back from their bookings: one booking
    with a team member was a chosen one; several were "any available" for a group."""
    if order.cart_snapshot is not None:
        return [
            (
                w["service_id"],
                datetime.fromisoformat(w["starts_at"]),
                w.get("team_member_id"),
                w["quantity"],
                w.get("option_id"),
                list(w.get("addon_ids") or []),
            )
            for w in order.cart_snapshot
        ]
    groups: dict[tuple[int, datetime], list] = {}
    for booking in order.bookings:
        groups.setdefault((booking.service_id, booking.starts_at), []).append(booking)
    wishes = []
    for (service_id, starts_at), bookings in groups.items():
        member = bookings[0].team_member_id if len(bookings) == 1 else None
        quantity = min(20, sum(b.quantity for b in bookings))
        addon_ids = [a.addon_id for a in bookings[0].addons if a.addon_id is not None]
        wishes.append((service_id, starts_at, member, quantity, bookings[0].option_id, addon_ids))
    return wishes


def _label(service: Service, starts_at: datetime) -> str:
    return f"{service.name} at {service.venue.name}, {moment_label(starts_at, venue_zone(service.venue.timezone))}"


def restore_from_order(order: Order, *, now: datetime | None = None) -> Restored:
    """Put the order's items back in its customer's cart, exactly once.

    The caller holds the order's row lock and has already released its holds, so the
    availability checked here sees those times free. An item whose time went meanwhile is
    still put back (the cart flags it) and named in the result. An item already in the cart
    (same service, start and team member) is not added twice.
    """
    now = now or now_utc()
    if order.cart_restored_at is not None:
        return Restored()
    order.cart_restored_at = now
    owner = CartOwner(user_id=order.customer_id)
    present = {(i.service_id, i.starts_at, i.team_member_id) for i in get_items(owner, now=now)}
    added, unavailable = 0, []
    answers = {(w["service_id"], w["starts_at"]): w.get("intake_answers") for w in order.cart_snapshot or []}
    for service_id, starts_at, member_id, quantity, option_id, addon_ids in _wishes(order):
        service = db.session.get(Service, service_id)
        if service is None:
            continue
        option = db.session.get(ServiceOption, option_id) if option_id is not None else None
        if option_id is not None and (option is None or option.service_id != service_id):
            continue  # the option was removed since (its cart items went with it)
        if member_id is not None and db.session.get(TeamMember, member_id) is None:
            member_id = None  # the team member left the venue; "any available" is what remains
        if (service_id, starts_at, member_id) in present:
            continue
        present.add((service_id, starts_at, member_id))
        db.session.add(
            CartItem(
                user_id=order.customer_id,
                service_id=service_id,
                option_id=option_id,
                addon_ids=addon_ids,  # one removed since: the cart says so
                team_member_id=member_id,
                starts_at=starts_at,
                quantity=quantity,
                expires_at=now + timedelta(hours=current_app.config["CART_ITEM_HOURS"]),
                restored_from_order_id=order.id,
                intake_answers=answers.get((service_id, starts_at.astimezone(UTC).isoformat())),
            )
        )
        added += 1
        problem = None
        if not service.is_active or service.venue.status != VenueStatus.APPROVED:
            problem = "This service is no longer offered."
        else:
            try:
                choice = Choice(option=option, addons=item_addons(service, addon_ids))
                check_bookable(service, starts_at, quantity, member_id, now=now, choice=choice)
            except CartItemInvalid as exc:
                problem = exc.message
        if problem:
            unavailable.append(f"{_label(service, starts_at)}: {problem}")
    db.session.flush()
    return Restored(added=added, unavailable=tuple(unavailable))


def take_back_restored(order: Order) -> int:
    """A payment confirmed the order after all: the items it put back in the cart go again."""
    result = db.session.execute(delete(CartItem).where(CartItem.restored_from_order_id == order.id))
    return result.rowcount or 0
