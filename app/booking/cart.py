"""The cart: anonymous (a token in the session) or the signed-in customer's; one cart across
venues. Items hold nothing; prices and availability are always recomputed on the server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from app.booking.availability import Busyness, booking_rules, busy_window, find_slot, get_busy_for_venues
from app.booking.errors import CartItemInvalid
from app.booking.events import cart_refusal
from app.booking.holds import as_booked
from app.booking.intake import clean_answers
from app.booking.models import CartItem, Order
from app.booking.patch_test_rule import check_patch_test
from app.booking.policy import describe_service_rules
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
from app.venues.deposits import service_pay_label
from app.venues.models import Service, ServiceOption, TeamMember, Venue, VenueStatus
from app.venues.options import chosen_option, length_and_price

MAX_ITEMS = 20


@dataclass(frozen=True)
class CartOwner:
    user_id: int | None = None
    token: str | None = None

    def where(self):
        if self.user_id is not None:
            return CartItem.user_id == self.user_id
        return (CartItem.cart_token == self.token) & CartItem.user_id.is_(None)


@dataclass
class CartLine:
    item: CartItem
    service: Service
    venue: Venue
    unit_price_minor: int
    total_minor: int
    problem: str | None  # why it can't be booked now, in words; None if it can
    remaining: int
    policy: str
    payment: str = ""  # "Pay now £12.00, £48.00 at the venue" (a deposit or pay at the venue)
    option: ServiceOption | None = None  # the service's option chosen ("90 min")
    duration_minutes: int = 0  # the length booked: the option's, else the service's


@dataclass
class VenueGroup:
    venue: Venue
    lines: list[CartLine] = field(default_factory=list)

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines if line.problem is None)


@dataclass
class CartView:
    groups: list[VenueGroup]
    currency: str | None

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total_minor(self) -> int:
        return sum(group.total_minor for group in self.groups)

    @property
    def bookable(self) -> bool:
        return bool(self.lines) and all(line.problem is None for line in self.lines)


def now_utc() -> datetime:
    return datetime.now(UTC)


# What pricing and checking a cart reads: each item's service, venue, team member, and what
# the slot engine needs of the venue, loaded for all items at once.
CART_VIEW_LOADS = (
    selectinload(CartItem.team_member),
    selectinload(CartItem.option),
    selectinload(CartItem.service).options(
        selectinload(Service.options),
        selectinload(Service.venue).options(
            selectinload(Venue.opening_hours),
            selectinload(Venue.closures),
            selectinload(Venue.team).selectinload(TeamMember.services),
        ),
    ),
)


def get_items(owner: CartOwner, *, now: datetime | None = None, options: tuple = ()) -> list[CartItem]:
    now = now or now_utc()
    query = select(CartItem).where(owner.where(), CartItem.expires_at > now).order_by(CartItem.created_at)
    return list(db.session.scalars(query.options(*options)))


def cart_busyness(items: list[CartItem]) -> dict[int, Busyness]:
    """Bookings and blocks around every item's time, for all the cart's venues in two queries."""
    venues = list({item.service.venue.id: item.service.venue for item in items}.values())
    if not venues:
        return {}
    days = [item.starts_at.astimezone(UTC).date() for item in items]
    # A day either side: an item's local day may differ from its UTC day.
    first, last = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
    return get_busy_for_venues(venues, *busy_window(first, (last - first).days + 1))


def bookable_service(service_id: int) -> Service:
    service = db.session.get(Service, service_id)
    if service is None or not service.is_active or service.venue.status != VenueStatus.APPROVED:
        raise CartItemInvalid(_("That service can't be booked."), field="service_id")
    return service


def add_item(
    owner: CartOwner,
    *,
    service_id: int,
    starts_at: datetime,
    quantity: int,
    team_member_id: int | None,
    now: datetime | None = None,
    answers: Mapping[str, str] | None = None,
    via_site_venue_id: int | None = None,
    option_id: int | None = None,
) -> CartItem:
    """Add a service at a time to the cart; ``answers`` are the booking form's intake fields
    (app/booking/intake.py). ``option_id``: the service's option chosen (required when it has
    options, refused when it has none or it is another service's: app/venues/options.py).
    ``via_site_venue_id``: chosen through that venue's booking button on its own website (only
    the button's route passes it; it must be the service's venue).
    Refused with CartItemInvalid, nothing added."""
    now = now or now_utc()
    if starts_at.tzinfo is None:
        raise CartItemInvalid(_("That time is not valid."), field="starts_at")
    service = bookable_service(service_id)
    option = item_option(service, option_id)
    if not 1 <= quantity <= 20:
        raise CartItemInvalid(_("Choose between 1 and 20 places."), field="quantity")
    current = get_items(owner, now=now)
    if len(current) >= MAX_ITEMS:
        raise CartItemInvalid(
            _("A cart holds at most %(max_items)s items. Check out or remove one first.", max_items=MAX_ITEMS)
        )
    if any(item.service.currency != service.currency for item in current):
        raise CartItemInvalid(_("A cart is paid in one currency. Check out what's in it first, then book this."))
    check_bookable(service, starts_at, quantity, team_member_id, now=now, option=option)
    # Payouts answers (no payout account yet); the client book too (a blocked client).
    if problem := cart_refusal({service.venue_id}, user_id=owner.user_id):
        raise CartItemInvalid(problem)
    if via_site_venue_id is not None and via_site_venue_id != service.venue_id:
        raise CartItemInvalid(_("That service isn't offered by this venue."), field="service_id")
    intake_answers = clean_answers(service, answers)
    check_patch_test(service, starts_at, customer_id=owner.user_id, cart=current)
    item = CartItem(
        user_id=owner.user_id,
        cart_token=None if owner.user_id else owner.token,
        service_id=service.id,
        option_id=option.id if option is not None else None,
        team_member_id=team_member_id,
        starts_at=starts_at,
        quantity=quantity,
        expires_at=now + timedelta(hours=current_app.config["CART_ITEM_HOURS"]),
        intake_answers=intake_answers or None,
        via_site_venue_id=via_site_venue_id,
    )
    db.session.add(item)
    db.session.flush()
    return item


def item_option(service: Service, option_id: int | None) -> ServiceOption | None:
    """The service's option ``option_id`` names (app/venues.options.chosen_option), refusals as
    CartItemInvalid (field ``option``)."""
    try:
        return chosen_option(service, option_id)
    except ValidationFailed as exc:
        raise CartItemInvalid(exc.message, field="option") from None


def check_bookable(
    service: Service,
    starts_at: datetime,
    quantity: int,
    team_member_id: int | None,
    *,
    now: datetime,
    busy: Busyness | None = None,
    option: ServiceOption | None = None,
) -> int:
    """Raise CartItemInvalid with a reason unless this can be booked now (for ``option``'s length
    when given); returns places left.

    ``busy`` is the venue's bookings and blocks around ``starts_at`` when already read."""
    if starts_at <= now:
        raise CartItemInvalid(_("That time has passed."), field="starts_at")
    rules = booking_rules(service)  # the service's own notice and advance (docs/booking-rules.md)
    if starts_at < now + rules.min_notice:
        raise CartItemInvalid(notice_refusal(int(rules.min_notice.total_seconds() // 60)), field="starts_at")
    if starts_at > now + rules.max_advance:
        days = rules.max_advance.days
        raise CartItemInvalid(
            ngettext(
                "This service can be booked at most %(num)d day ahead.",
                "This service can be booked at most %(num)d days ahead.",
                days,
            ),
            field="starts_at",
        )
    slot = find_slot(service, starts_at, now=now, busy=busy, option=option)
    if slot is None:
        raise CartItemInvalid(_("That time is no longer available."), field="starts_at")
    if team_member_id is not None:
        if team_member_id not in {m.id for m in service.venue.team if service in m.services}:
            raise CartItemInvalid(_("That team member doesn't perform this service."), field="team_member_id")
        if team_member_id not in slot.team_member_ids:
            raise CartItemInvalid(_("That team member is no longer free then."), field="team_member_id")
        if quantity > 1:
            raise CartItemInvalid(_("One person per booking with a chosen team member."), field="quantity")
    if quantity > slot.remaining:
        raise CartItemInvalid(
            ngettext(
                "Only %(num)d place is left at that time.", "Only %(num)d places are left at that time.", slot.remaining
            ),
            field="quantity",
        )
    return slot.remaining


def notice_refusal(min_notice_minutes: int) -> str:
    if min_notice_minutes % 60 == 0 and min_notice_minutes >= 60:
        return ngettext(
            "This service needs at least %(num)d hour's notice: choose a later time.",
            "This service needs at least %(num)d hours' notice: choose a later time.",
            min_notice_minutes // 60,
        )
    return ngettext(
        "This service needs at least %(num)d minute's notice: choose a later time.",
        "This service needs at least %(num)d minutes' notice: choose a later time.",
        min_notice_minutes,
    )


def get_item(owner: CartOwner, item_id: int) -> CartItem | None:
    return db.session.scalar(select(CartItem).where(owner.where(), CartItem.id == item_id))


def update_quantity(owner: CartOwner, item_id: int, quantity: int, *, now: datetime | None = None) -> CartItem:
    now = now or now_utc()
    item = get_item(owner, item_id)
    if item is None:
        from werkzeug.exceptions import NotFound

        raise NotFound(_("That item is not in your cart."))
    if not 1 <= quantity <= 20:
        raise CartItemInvalid(_("Choose between 1 and 20 places."), field="quantity")
    check_bookable(item.service, item.starts_at, quantity, item.team_member_id, now=now, option=item.option)
    item.quantity = quantity
    return item


def remove_item(owner: CartOwner, item_id: int) -> None:
    item = get_item(owner, item_id)
    if item is not None:
        db.session.delete(item)


def clear(owner: CartOwner) -> None:
    db.session.execute(delete(CartItem).where(owner.where()))


def view_cart(owner: CartOwner, *, now: datetime | None = None) -> CartView:
    """Every item priced from the server, grouped by venue, with a reason if it can't be booked."""
    now = now or now_utc()
    groups: dict[int, VenueGroup] = {}
    currency = None
    items = get_items(owner, now=now, options=CART_VIEW_LOADS)
    busy = cart_busyness(items)
    for item in items:
        service = item.service
        venue = service.venue
        problem = None
        remaining = 0
        if not service.is_active or venue.status != VenueStatus.APPROVED:
            problem = "This service is no longer offered."
        else:
            try:
                item_option(service, item.option_id)  # options added since: choose one again
                remaining = check_bookable(
                    service,
                    item.starts_at,
                    item.quantity,
                    item.team_member_id,
                    now=now,
                    busy=busy[venue.id],
                    option=item.option,
                )
            except CartItemInvalid as exc:
                problem = exc.message
        currency = currency or service.currency
        minutes, price_minor = length_and_price(service, item.option)
        group = groups.setdefault(venue.id, VenueGroup(venue=venue))
        group.lines.append(
            CartLine(
                item=item,
                service=service,
                venue=venue,
                unit_price_minor=price_minor,
                total_minor=price_minor * item.quantity,
                problem=problem,
                remaining=remaining,
                policy=describe_service_rules(service),
                payment=service_pay_label(as_booked(service, item.option), item.quantity),
                option=item.option,
                duration_minutes=minutes,
            )
        )
    return CartView(groups=list(groups.values()), currency=currency)


def merge_into_user(token: str | None, user_id: int) -> int:
    """After sign-in: the anonymous cart's items join the customer's cart. Returns how many."""
    if not token:
        return 0
    items = list(db.session.scalars(select(CartItem).where(CartItem.cart_token == token, CartItem.user_id.is_(None))))
    existing = {
        (i.service_id, i.option_id, i.starts_at, i.team_member_id) for i in get_items(CartOwner(user_id=user_id))
    }
    moved = 0
    for item in items:
        if (item.service_id, item.option_id, item.starts_at, item.team_member_id) in existing:
            db.session.delete(item)
            continue
        item.user_id = user_id
        item.cart_token = None
        moved += 1
    return moved


def purge_expired(*, now: datetime | None = None) -> int:
    result = db.session.execute(delete(CartItem).where(CartItem.expires_at <= (now or now_utc())))
    return result.rowcount or 0


# -- giving the cart back after a payment didn't happen -----------------------------------------


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
            "starts_at": item.starts_at.astimezone(UTC).isoformat(),
            "team_member_id": item.team_member_id,
            "quantity": item.quantity,
            **({"intake_answers": item.intake_answers} if item.intake_answers else {}),
        }
        for item in items
    ]


def _wishes(order: Order) -> list[tuple[int, datetime, int | None, int, int | None]]:
    """(service, start, team member choice, quantity, option) of each item the order was made from.

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
        wishes.append((service_id, starts_at, member, quantity, bookings[0].option_id))
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
    for service_id, starts_at, member_id, quantity, option_id in _wishes(order):
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
                check_bookable(service, starts_at, quantity, member_id, now=now, option=option)
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
