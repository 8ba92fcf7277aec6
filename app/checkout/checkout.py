"""Checkout: the cart becomes an order whose bookings are held, all or nothing.

Double bookings are impossible because every check happens again inside this transaction
after taking a row lock on each service involved (in id order, so two checkouts never
deadlock), and the team-member exclusion constraint backs it up. Whoever commits first
wins; the others get SlotUnavailable naming the item.

What runs under the locks is kept short, because checkouts of one service wait for each
other there: every item is first checked without any lock, and a cart with an item that
is already gone is refused at once (after a popular slot is taken, that is how nearly every
other customer leaves: reads only, no lock, nothing written). Only then are the service rows
locked, the items re-checked and the holds written; the caller commits straight after.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.booking import order_lifecycle
from app.booking.amounts import amount_due
from app.booking.availability import FirstLook, booking_rules, find_slot, first_look_at_cart
from app.booking.cart import CartOwner, get_items, item_choice, notice_refusal
from app.booking.cart_returns import snapshot_items
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.holds import hold_booking
from app.booking.intake import copy_answers
from app.booking.models import Booking, CartItem, Order, OrderChannel, OrderStatus
from app.booking.order_lifecycle import expire_holds
from app.booking.patch_test_rule import check_patch_test
from app.booking.presenting import service_label
from app.booking.reserving import Refusal, lock_resources, reserve, write_or_refuse
from app.clients.service import blocked_message
from app.memberships import service as memberships
from app.packages import service as packages
from app.payouts.accounts import unpayable_message
from app.platform import metrics
from app.platform.errors import DomainError, NotAllowed, ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import moment_label, venue_zone
from app.promos import redemption as promos
from app.slot_engine import Slot
from app.venues.closing import pause_refusal
from app.venues.deposits import keeps_card
from app.venues.models import Service, TeamMember, Venue, VenueStatus
from app.vouchers.redemption import redeem_at_checkout

NOTHING_DUE_REASON = "Nothing to pay now: paid at the venue"
PACKAGE_REASON = "Paid in full with a package"
ITEM_LOADS = (joinedload(CartItem.service).options(joinedload(Service.venue)), joinedload(CartItem.option))
# What holding an item reads of its service, loaded again with the service's locked fresh copy
# (a fresh copy's relations start unloaded): its venue in the same statement, its options and
# add-ons in one statement each for the whole cart.
LOCKED_LOADS = (joinedload(Service.venue), selectinload(Service.options), selectinload(Service.addons))


def _describe(service_name: str, venue_name: str, timezone: str, starts_at: datetime) -> str:
    return _(
        "%(service)s at %(venue)s, %(when)s",
        service=service_name,
        venue=venue_name,
        when=moment_label(starts_at, venue_zone(timezone)),
    )


def _label(item: CartItem) -> str:
    service = item.service
    addons = [a.name for a in service.addons if a.id in item.addon_ids]  # those still the service's
    name = service_label(service.name, item.option.name if item.option is not None else None, addons)
    return _describe(name, service.venue.name, service.venue.timezone, item.starts_at)


def checkout(customer: User, *, now: datetime | None = None, voucher_code: str | None = None) -> Order:
    """Turn the customer's cart into an order with held bookings, or raise naming what failed.
    Each ending is counted for /metrics: won (an order), lost (a time was taken: most often a
    race with another customer) or declined (any other refusal)."""
    try:
        order = _checkout(customer, now=now, voucher_code=voucher_code)
    except SlotUnavailable:
        metrics.checkout_outcome("lost")
        raise
    except DomainError:
        metrics.checkout_outcome("declined")
        raise
    metrics.checkout_outcome("won")
    return order


def _checkout(customer: User, *, now: datetime | None, voucher_code: str | None) -> Order:
    """Checkout's body (``checkout``).

    With ``voucher_code`` a gift voucher pays what it can (app/vouchers/redemption.py); an
    order it pays in full is confirmed at once, with no gateway charge. So is an order paid
    entirely at the venue whose policy needs no saved card (``confirm_secured``); one that
    needs a card goes to a checkout that saves it (app/payments/saved_cards.py)."""
    now = now or datetime.now(UTC)
    if not customer.is_verified:
        raise ValidationFailed(_("Confirm your email address before booking; we sent you a link."))
    # Without locks, one statement for the whole cart: each item with its service and venue and
    # what live bookings say of its time. A cart whose item is already gone is refused here:
    # the many who lose a race for one place leave after this one query (and their session's).
    looks = first_look_at_cart(customer.id, now)
    if not looks:
        raise ValidationFailed(_("Your cart is empty."))
    currencies = {look.currency for look in looks}
    if len(currencies) > 1:
        raise ValidationFailed(_("A cart can only be paid in one currency. Check out each currency separately."))
    unavailable = [problem for look in looks if (problem := _first_look(look))]
    if unavailable:
        raise SlotUnavailable(_sorry(unavailable))
    items = get_items(CartOwner(user_id=customer.id), now=now, options=ITEM_LOADS)
    if not items:  # emptied since the first look (another tab checked it out)
        raise ValidationFailed(_("Your cart is empty."))

    # After the first look, so the many who lose a popular time leave without this query.
    if problem := unpayable_message({item.service.venue_id for item in items}):
        raise ValidationFailed(problem)
    if problem := blocked_message(customer.id, {item.service.venue_id for item in items}):
        raise NotAllowed(problem)  # the venue blocked this client (app/clients); nothing held
    _check_patch_tests(customer, items)
    currency = currencies.pop()
    promo_code_id = promos.first_look(customer.id, items, currency=currency, now=now)  # refuses a plainly bad code

    # Under locks: only the service rows, which serialise the capacity check; fresh copies.
    service_ids = sorted({item.service_id for item in items})
    services = _locked_services(service_ids)
    lock_resources(service_ids)  # then their rooms and equipment, all at once, in id order
    member_ids = _team_of({s.venue_id for s in services.values()})
    earliest = min(item.starts_at for item in items)
    latest = max(
        item.starts_at + timedelta(minutes=_minutes(item, s) + s.buffer_minutes)
        for item in items
        for s in [services[item.service_id]]
    )
    # Holds past their expiry stop counting now, not only when the periodic job runs.
    expire_holds(now, service_ids=service_ids, member_ids=member_ids, between=(earliest, latest))

    # A savepoint: a refusal leaves no order and no hold behind, whatever the caller does with
    # the transaction afterwards, and keeps the transaction usable after the exclusion
    # constraint fires (each item's own savepoint names the item it refused; this one the cart).
    with write_or_refuse(lambda _why: _sorry([f"{_label(item)} (just taken)" for item in items]), now=now):
        order = _hold_items(customer, items, services, currency, now)
        covered = packages.cover(order, now=now)  # before the promo code: it discounts what is left
        memberships.apply_member_prices(order, now=now)  # a member's price, before the promo code too
        # The cart's promo code, under its row lock taken after the services' (never the
        # other way round); a refusal undoes the order and its holds with this savepoint.
        promos.redeem(order, promo_code_id, now=now)
    order.channel = order_channel(items)
    order.total_minor = amount_due(order).total_minor
    order.cart_snapshot = snapshot_items(items)  # so a release can give these exact items back
    for item in items:
        db.session.delete(item)
    if voucher_code:
        redeem_at_checkout(order, voucher_code, now=now)
    if covered and order.status == OrderStatus.PENDING_PAYMENT and amount_due(order).total_minor == 0:
        # Packages pay for every treatment and nothing else is charged: paid, as a gift voucher's.
        order_lifecycle.confirm_paid(order, now=now, reason=PACKAGE_REASON, how="covered")
    if (
        order.status == OrderStatus.PENDING_PAYMENT
        and amount_due(order).due_now_minor == 0
        and not keeps_card(order.bookings)
    ):
        # Everything is paid at the venue and no fee needs a card: nothing to take online.
        order_lifecycle.confirm_secured(order, now=now, reason=NOTHING_DUE_REASON, how="nothing_due")
    return order


def _locked_services(service_ids: list[int]) -> dict[int, Service]:
    """The services, locked in id order (which serialises their capacity checks), fresh copies
    with what holding their items reads (LOCKED_LOADS; their venues are not locked)."""
    return {
        s.id: s
        for s in db.session.scalars(
            select(Service)
            .where(Service.id.in_(service_ids))
            .order_by(Service.id)
            .options(*LOCKED_LOADS)
            .with_for_update(of=Service)
            .execution_options(populate_existing=True)
        )
    }


def _team_of(venue_ids: set[int]) -> list[int]:
    return sorted(db.session.scalars(select(TeamMember.id).where(TeamMember.venue_id.in_(venue_ids))))


def warm_up(now: datetime | None = None) -> int:
    """Run checkout's statements once where they find nothing, so a fresh process has compiled
    them (and loaded what formats its messages) before its first customer: the cart's first
    look and its items for no customer, the service lock and the team for no service, the
    holds that ran out for no service, then the free slot of one offered service and the
    wording a loser is sent back with. Reads only and locks no row (every filter names id
    -1 or 0); the caller rolls back. Returns the service whose slot was looked at (0: none).
    Used by app/ops/warm_up.py before a web worker takes traffic."""
    now = now or datetime.now(UTC)
    first_look_at_cart(0, now)
    get_items(CartOwner(user_id=0), now=now, options=ITEM_LOADS)
    _team_of({s.venue_id for s in _locked_services([-1]).values()} or {-1})
    expire_holds(now, service_ids=[-1], member_ids=[-1], between=(now, now))
    service = db.session.scalar(
        select(Service)
        .join(Service.venue)
        .where(Service.is_active, Venue.status == VenueStatus.APPROVED)
        .order_by(Service.id)
        .limit(1)
    )
    if service is None:
        return 0
    rules = booking_rules(service)
    find_slot(service, now + rules.min_notice + timedelta(days=1), now=now)
    _sorry([_describe(service.name, service.venue.name, service.venue.timezone, now) + " (just taken)"])
    return service.id


def order_channel(items: list[CartItem]) -> OrderChannel:
    """'venue_site' when every item was chosen through one venue's booking button, on that venue's
    services (the button's own route marks them); 'marketplace' otherwise. Nothing a customer
    sends at checkout decides it."""
    venues = {item.service.venue_id for item in items}
    if len(venues) == 1 and all(item.via_site_venue_id == item.service.venue_id for item in items):
        return OrderChannel.VENUE_SITE
    return OrderChannel.MARKETPLACE


def _check_patch_tests(customer: User, items: list[CartItem]) -> None:
    """Each treatment that needs a patch test still has one early enough: booked and paid, or
    in this cart (app/booking/patch_test_rule.py). Refused with the treatment's message."""
    for item in items:
        others = [other for other in items if other is not item]
        check_patch_test(item.service, item.starts_at, customer_id=customer.id, cart=others)


def _sorry(unavailable: list[str]) -> str:
    return _("Sorry, these are no longer available: %(items)s.", items="; ".join(unavailable))


def _minutes(item: CartItem, service: Service) -> int:
    """How long ``item`` is: its option's (or the service's) length and its add-ons' minutes."""
    option = item.option or service
    return option.duration_minutes + sum(a.extra_minutes for a in service.addons if a.id in item.addon_ids)


def _first_look(look: FirstLook) -> str | None:
    """Why a cart item is plainly gone (naming it), from checkout's first look."""
    label = _describe(look.service_name, look.venue_name, look.timezone, look.starts_at)
    if not look.offered:
        return _("%(item)s (no longer offered)", item=label)
    if look.taken == "full":
        return _("%(item)s (just taken)", item=label)
    if look.taken == "member":
        return _("%(item)s (that team member was just booked)", item=label)
    return None


def _not_bookable(item: CartItem, service: Service, now: datetime) -> str | None:
    """Why ``item`` can't be booked now whatever is free, naming it (or None)."""
    if not service.is_active or service.venue.status != VenueStatus.APPROVED:
        return _("%(item)s (no longer offered)", item=_label(item))
    if paused := pause_refusal(service.venue, now):  # paused by its owner (app/venues/closing.py)
        return _("%(item)s (%(problem)s)", item=_label(item), problem=paused)
    try:  # the service's options or add-ons changed since it was added (a removed option takes its items along)
        item_choice(item)
    except CartItemInvalid as exc:
        return _("%(item)s (%(problem)s)", item=_label(item), problem=exc.message)
    rules = booking_rules(service)  # the service's own notice and advance (docs/booking-rules.md)
    if item.starts_at < now + rules.min_notice:
        problem = notice_refusal(int(rules.min_notice.total_seconds() // 60))
        return _("%(item)s (%(problem)s)", item=_label(item), problem=problem)
    if item.starts_at > now + rules.max_advance:
        return _("%(item)s (too far ahead for this service)", item=_label(item))
    return None


def _hold_items(
    customer: User, items: list[CartItem], services: dict[int, Service], currency: str, now: datetime
) -> Order:
    """The order and its held bookings; raises SlotUnavailable naming every item that failed."""
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = order_lifecycle.hold(customer, currency=currency, hold_until=hold_until)
    unavailable: list[str] = []
    held: list[Booking] = []
    for item in items:
        service = services[item.service_id]
        problem = _not_bookable(item, service, now)
        if problem is None:
            try:
                held += _hold_item(order, customer, item, service, hold_until=hold_until, now=now)
            except SlotUnavailable as refused:
                problem = refused.message
        if problem:
            unavailable.append(problem)
    if unavailable:
        raise SlotUnavailable(_sorry(unavailable))
    # The new order's bookings are the ones just held: what follows reads them without a statement.
    set_committed_value(order, "bookings", sorted(held, key=lambda booking: booking.starts_at))
    return order


def _hold_item(
    order: Order, customer: User, item: CartItem, service: Service, *, hold_until: datetime, now: datetime
) -> list[Booking]:
    """Reserve ``item``'s time for ``order`` (app/booking/reserving.py): one held booking per
    team member, or one for the group when the service has no team. In a savepoint of its own:
    if a team member was just booked through another service (which these locks don't cover),
    the exclusion constraint refuses this item alone, and the message can name it. Later items
    of this cart see these holds. Returns them; raises SlotUnavailable naming the item."""
    choice = item_choice(item)  # checked by _not_bookable: its option and add-ons are the service's

    def write(slot: Slot, people: list[int | None]) -> list[Booking]:
        per_booking = 1 if people != [None] else item.quantity
        bookings = [
            hold_booking(
                service,
                order_id=order.id,
                customer_id=customer.id,
                team_member_id=member_id,
                starts_at=slot.start,  # born held (the column's default), like its order
                ends_at=slot.end,
                hold_until=hold_until,
                quantity=per_booking,
                choice=choice,
                visit_key=item.visit_key,
            )
            for member_id in people
        ]
        if people != [None]:  # a booking a place: each a guest of the visit's, when it names them
            for booking, guest, name in zip(bookings, item.guests, item.guest_names, strict=False):
                booking.guest, booking.guest_name = guest, name or None
        db.session.add_all(bookings)
        db.session.flush()
        copy_answers(bookings, item.intake_answers)  # as asked when added to the cart
        return bookings

    return reserve(
        service,
        item.starts_at,
        write,
        now=now,
        refusal=lambda why: _refusal(item, why),
        quantity=item.quantity,
        team_member_id=item.team_member_id,
        choice=choice,
        on_step=item.visit_key is None,  # a visit's treatments start when the one before ends
    )


def _refusal(item: CartItem, why: Refusal) -> str:
    """Why ``item``'s time can't be held (app/booking/reserving.py), naming it."""
    if why == "member_busy":
        return _("%(item)s (that team member was just booked)", item=_label(item))
    if why == "just_taken":
        return f"{_label(item)} (just taken)"  # as it always read (not translated yet)
    return _("%(item)s (just taken)", item=_label(item))
