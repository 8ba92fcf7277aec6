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
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.booking.availability import Busyness, booking_rules, busy_window, find_slot, get_busy_for_venues
from app.booking.errors import CartItemInvalid
from app.booking.events import cart_refusal
from app.booking.intake import clean_answers
from app.booking.models import CartItem
from app.booking.patch_test_rule import check_patch_test
from app.booking.policy import describe_service_rules
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues import menus
from app.venues.addons import Choice, chosen_addons
from app.venues.closing import pause_refusal
from app.venues.deposits import service_pay_label
from app.venues.models import Service, ServiceAddon, ServiceOption, Venue, VenueStatus
from app.venues.options import chosen_option

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
    duration_minutes: int = 0  # the length booked: the option's (else the service's) and the add-ons'
    addons: tuple[ServiceAddon, ...] = ()  # the add-ons chosen ("Hot stones"), those still the service's


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


def get_items(owner: CartOwner, *, now: datetime | None = None, options: tuple = ()) -> list[CartItem]:
    now = now or now_utc()
    query = select(CartItem).where(owner.where(), CartItem.expires_at > now).order_by(CartItem.created_at)
    return list(db.session.scalars(query.options(*options)))


def load_addons(items: list[CartItem]) -> None:
    """The add-ons of the services whose items chose some, in one statement (none when no item
    did: a cart without add-ons reads no more than before)."""
    services = {i.service.id: i.service for i in items if i.addon_ids and "addons" in inspect(i.service).unloaded}
    if not services:
        return
    found: dict[int, list[ServiceAddon]] = {service_id: [] for service_id in services}
    query = select(ServiceAddon).where(ServiceAddon.service_id.in_(services))
    for addon in db.session.scalars(query.order_by(ServiceAddon.position, ServiceAddon.id)):
        found[addon.service_id].append(addon)
    for service_id, service in services.items():
        set_committed_value(service, "addons", found[service_id])


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
    service = db.session.get(Service, service_id, options=[joinedload(Service.venue)])  # its venue with it
    if service is None or not service.is_active or service.venue.status != VenueStatus.APPROVED:
        raise CartItemInvalid(_("That service can't be booked."), field="service_id")
    if paused := pause_refusal(service.venue):  # paused by its owner (app/venues/closing.py)
        raise CartItemInvalid(paused, field="service_id")
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
    addon_ids: list[int] | tuple[int, ...] = (),
    visit_key: str | None = None,
    guests: list[int] | tuple[int, ...] = (),
    guest_names: list[str] | tuple[str, ...] = (),
) -> CartItem:
    """Add a service at a time to the cart; ``answers`` are the booking form's intake fields
    (app/booking/intake.py). ``option_id``: the service's option chosen (required when it has
    options, refused when it has none or it is another service's: app/venues/options.py).
    ``addon_ids``: the service's add-ons chosen (each once; another service's is refused:
    app/venues/addons.py); the time must fit the option's length and theirs.
    ``via_site_venue_id``: chosen through that venue's booking button on its own website (only
    the button's route passes it; it must be the service's venue). ``visit_key``: one treatment
    of a visit (app/booking/visits.py adds them), whose time need not be on the booking page's step;
    ``guests`` and ``guest_names``: the visit's guests its places are for, one each, in order.
    Refused with CartItemInvalid, nothing added."""
    now = now or now_utc()
    if starts_at.tzinfo is None:
        raise CartItemInvalid(_("That time is not valid."), field="starts_at")
    service = bookable_service(service_id)
    option = item_option(service, option_id)
    choice = Choice(option=option, addons=item_addons(service, addon_ids))
    if not 1 <= quantity <= 20:
        raise CartItemInvalid(_("Choose between 1 and 20 places."), field="quantity")
    current = get_items(owner, now=now)
    if len(current) >= MAX_ITEMS:
        raise CartItemInvalid(
            _("A cart holds at most %(max_items)s items. Check out or remove one first.", max_items=MAX_ITEMS)
        )
    if any(item.service.currency != service.currency for item in current):
        raise CartItemInvalid(_("A cart is paid in one currency. Check out what's in it first, then book this."))
    check_bookable(service, starts_at, quantity, team_member_id, now=now, choice=choice, on_step=visit_key is None)
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
        service=service,  # the loaded row, so that reading ``item.service`` sends nothing
        option=option,
        addon_ids=[addon.id for addon in choice.addons],
        team_member_id=team_member_id,
        starts_at=starts_at,
        quantity=quantity,
        expires_at=now + timedelta(hours=current_app.config["CART_ITEM_HOURS"]),
        intake_answers=intake_answers or None,
        via_site_venue_id=via_site_venue_id,
        visit_key=visit_key,
        guests=list(guests),
        guest_names=list(guest_names),
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


def item_addons(service: Service, addon_ids: Any) -> tuple[ServiceAddon, ...]:
    """The service's add-ons ``addon_ids`` names (app/venues/addons.chosen_addons), refusals as
    CartItemInvalid (field ``addons``): another service's, one removed since, or one named twice."""
    if not addon_ids:
        return ()  # the service's add-ons aren't read for an item without any
    try:
        return chosen_addons(service, addon_ids)
    except ValidationFailed as exc:
        raise CartItemInvalid(exc.message, field="addons") from None


def item_choice(item: CartItem) -> Choice:
    """What ``item`` is of its service: its option and add-ons; CartItemInvalid (field ``option``
    or ``addons``) when one of them is no longer the service's (changed since it was added)."""
    service = item.service
    return Choice(option=item_option(service, item.option_id), addons=item_addons(service, item.addon_ids))


def check_bookable(
    service: Service,
    starts_at: datetime,
    quantity: int,
    team_member_id: int | None,
    *,
    now: datetime,
    busy: Busyness | None = None,
    choice: Choice | None = None,
    on_step: bool = True,
) -> int:
    """Raise CartItemInvalid with a reason unless this can be booked now (as long as ``choice``
    when given: its option's length and its add-ons' minutes); returns places left.

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
    slot = find_slot(service, starts_at, now=now, busy=busy, choice=choice, on_step=on_step)
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
    check_bookable(item.service, item.starts_at, quantity, item.team_member_id, now=now, choice=item_choice(item))
    item.quantity = quantity
    return item


def remove_item(owner: CartOwner, item_id: int) -> None:
    item = get_item(owner, item_id)
    if item is not None:
        db.session.delete(item)


def clear(owner: CartOwner) -> None:
    db.session.execute(delete(CartItem).where(owner.where()))


def view_cart(owner: CartOwner, *, now: datetime | None = None, remembered: bool = False) -> CartView:
    """Every item priced from the server, grouped by venue, with a reason if it can't be booked.
    ``remembered``: the services' menus as this worker remembers them (a GET's page only)."""
    now = now or now_utc()
    groups: dict[int, VenueGroup] = {}
    currency = None
    items = get_items(owner, now=now)
    # Each item's service, option, venue and team member, with what the slot engine reads of the
    # venue, from app/venues/menus.py (loaded for all at once; held while the items are read).
    held = menus.load_menus({item.service_id for item in items}, remembered=remembered)  # noqa: F841
    load_addons(items)
    busy = cart_busyness(items)
    for item in items:
        service = item.service
        venue = service.venue
        problem = None
        remaining = 0
        # The add-ons still the service's (one removed since is a problem below, not a price).
        kept = tuple(a for a in service.addons if a.id in item.addon_ids) if item.addon_ids else ()
        choice = Choice(option=item.option, addons=kept)
        if not service.is_active or venue.status != VenueStatus.APPROVED:
            problem = "This service is no longer offered."
        elif paused := pause_refusal(venue):  # paused by its owner (app/venues/closing.py)
            problem = paused
        else:
            try:
                item_choice(item)  # options added or add-ons removed since: choose again
                remaining = check_bookable(
                    service,
                    item.starts_at,
                    item.quantity,
                    item.team_member_id,
                    now=now,
                    busy=busy[venue.id],
                    choice=choice,
                )
            except CartItemInvalid as exc:
                problem = exc.message
        currency = currency or service.currency
        minutes, price_minor = choice.minutes(service), choice.price_minor(service)
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
                payment=service_pay_label(service, item.quantity, price_minor=price_minor),
                option=item.option,
                duration_minutes=minutes,
                addons=choice.addons,
            )
        )
    return CartView(groups=list(groups.values()), currency=currency)


def merge_into_user(token: str | None, user_id: int) -> int:
    """After sign-in: the anonymous cart's items join the customer's cart. Returns how many."""
    if not token:
        return 0
    items = list(db.session.scalars(select(CartItem).where(CartItem.cart_token == token, CartItem.user_id.is_(None))))
    existing = {
        (i.service_id, i.option_id, tuple(i.addon_ids or ()), i.starts_at, i.team_member_id)
        for i in get_items(CartOwner(user_id=user_id))
    }
    moved = 0
    for item in items:
        key = (item.service_id, item.option_id, tuple(item.addon_ids or ()), item.starts_at, item.team_member_id)
        if key in existing:
            db.session.delete(item)
            continue
        item.user_id = user_id
        item.cart_token = None
        moved += 1
    return moved


def purge_expired(*, now: datetime | None = None) -> int:
    result = db.session.execute(delete(CartItem).where(CartItem.expires_at <= (now or now_utc())))
    return result.rowcount or 0
