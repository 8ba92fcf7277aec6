"""Packages: what a venue offers, buying one, the sessions it covers at checkout, and giving
sessions back (docs/packages.md).

- **Buying** is an order without bookings held like a checkout's, with a ``PackageHolding``
  beside it; the caller starts its payment. ``order_paid`` sets ``paid_at`` and ``expires_at``
  once, under the order's move to paid, so a replayed event never does it twice.
- **Using**: checkout calls ``cover`` on the order it just held. Each booking of a service the
  customer holds a package for (the same option, if the package names one), starting before
  the package ends, with as many sessions left as the booking has places, is covered: its
  treatment costs £0 (its add-ons are still charged) and a ``PackageSession`` records it, under
  the holding's row lock, so two checkouts sharing the last session can't both take it.
- **Giving back**: a cancellation by the venue, or by the customer before the policy's free
  cancellation ends, returns the booking's sessions; a late one doesn't. An order released
  unpaid (its hold ran out) returns them too, and one paid late takes them again if they are
  still there.
- **Money**: the venue is paid when the package is sold (less its commission), as Fresha and
  Phorest count a course's sale; a covered booking is worth £0 to the venue. A refund of the
  sessions left is the price times left/sessions, rounded down, and ends the package.

One module on purpose: a package's whole life (offered, bought, used, given back, refunded) turns
on the same few rules (``used_of``, ``left_of``, ``fits``) and reads best in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.booking import events, order_lifecycle
from app.booking.models import Booking, BookingStatus, Order
from app.booking.order_lifecycle import PAID_STATES
from app.packages.models import SESSIONS_RANGE, VALID_DAYS_RANGE, Package, PackageHolding, PackageSession
from app.platform.errors import InvalidTransition, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.deposits import PaymentMode
from app.venues.models import Service, ServiceOption, Venue, VenueStatus

MAX_OFFERS = 20  # packages one venue may have switched on at once


# -- what a venue offers ----------------------------------------------------------------------------


def offers_of(venue_id: int, *, active_only: bool = True) -> list[Package]:
    query = select(Package).where(Package.venue_id == venue_id)
    if active_only:
        query = query.join(Service, Service.id == Package.service_id).where(Package.is_active, Service.is_active)
    return list(db.session.scalars(query.order_by(Package.is_active.desc(), Package.price_minor, Package.id)))


def get_offer(venue_id: int, package_id: int) -> Package:
    package = db.session.get(Package, package_id)
    if package is None or package.venue_id != venue_id:
        raise NotFound(_("We couldn't find that package."))
    return package


def treatment_label(service_name: str, option_name: str | None) -> str:
    return f"{service_name} ({option_name})" if option_name else service_name


def offer_summary(package: Package) -> str:
    """ "5 sessions of Hot stone massage (90 min), for 180 days" """
    option = package.option.name if package.option is not None else None
    return _(
        "%(count)s sessions of %(treatment)s, to use within %(days)s days",
        count=package.sessions,
        treatment=treatment_label(package.service.name, option),
        days=package.valid_days,
    )


def usual_price_minor(package: Package) -> int:
    """What the sessions cost one by one today: the option's price (or the service's, for any
    option: its lowest), times the sessions."""
    if package.option is not None:
        each = package.option.price_minor
    else:
        prices = [o.price_minor for o in package.service.options] or [package.service.price_minor]
        each = min(prices)
    return each * package.sessions


@dataclass(frozen=True)
class OfferInput:
    service_id: int
    option_id: int | None
    name: str
    sessions: int
    valid_days: int
    price_minor: int


def check_offer(venue: Venue, data: OfferInput) -> tuple[Service, ServiceOption | None]:
    """The service and option ``data`` names, each the venue's and switched on; every number in
    range. A refusal names the field."""
    service = db.session.get(Service, data.service_id)
    if service is None or service.venue_id != venue.id or not service.is_active:
        raise ValidationFailed(_("Choose one of your services."), field="service_id")
    option = None
    if data.option_id is not None:
        option = db.session.get(ServiceOption, data.option_id)
        if option is None or option.service_id != service.id:
            raise ValidationFailed(_("Choose an option of that service, or any option."), field="option_id")
    name = data.name.strip()
    if not 1 <= len(name) <= 120:
        raise ValidationFailed(_("Give the package a name of up to 120 characters."), field="name")
    low, high = SESSIONS_RANGE
    if not low <= data.sessions <= high:
        raise ValidationFailed(_("A package has %(low)s to %(high)s sessions.", low=low, high=high), field="sessions")
    low, high = VALID_DAYS_RANGE
    if not low <= data.valid_days <= high:
        raise ValidationFailed(_("A package lasts %(low)s to %(high)s days.", low=low, high=high), field="valid_days")
    if not 0 < data.price_minor <= current_app.config["VOUCHER_MAX_MINOR"] * 10:
        raise ValidationFailed(_("Enter a price for the whole package."), field="price")
    return service, option


def save_offer(venue: Venue, data: OfferInput, *, package: Package | None = None) -> Package:
    """A new package for ``venue``, or ``package`` changed (what was sold before keeps its own copy)."""
    check_offer(venue, data)
    if package is None:
        live = db.session.scalar(
            select(func.count()).select_from(Package).where(Package.venue_id == venue.id, Package.is_active)
        )
        if live >= MAX_OFFERS:
            raise ValidationFailed(_("A venue can offer up to %(count)s packages at once.", count=MAX_OFFERS))
        package = Package(venue_id=venue.id, currency=venue.currency)
        db.session.add(package)
    package.service_id = data.service_id
    package.option_id = data.option_id
    package.name = data.name.strip()
    package.sessions = data.sessions
    package.valid_days = data.valid_days
    package.price_minor = data.price_minor
    db.session.flush()
    return package


# -- buying ---------------------------------------------------------------------------------------


def check_on_sale(package: Package) -> None:
    if not package.is_active or not package.service.is_active or package.venue.status != VenueStatus.APPROVED:
        raise InvalidTransition(_("This package isn't on sale any more."))


def start_purchase(customer: User, package: Package, *, now: datetime | None = None) -> PackageHolding:
    """A package waiting for payment: its order held like a checkout's (HOLD_MINUTES)."""
    now = now or datetime.now(UTC)
    check_on_sale(package)
    hold_until = now + timedelta(minutes=current_app.config["HOLD_MINUTES"])
    order = order_lifecycle.hold(customer, currency=package.currency, hold_until=hold_until)
    return _holding_for(package, order, customer.id)


def sell_at_desk(package: Package, *, customer_id: int, staff: User, now: datetime) -> PackageHolding:
    """The front desk sells ``package`` to a client with an account, paid at the venue: the order
    is confirmed at once like a desk booking's (no gateway, no ``order_paid``, so no transfer)
    and the package starts now."""
    check_on_sale(package)
    order = order_lifecycle.hold_at_desk(customer_id, currency=package.currency, hold_until=now, actor=staff)
    holding = _holding_for(package, order, customer_id)
    holding.sold_by_id = staff.id
    order_lifecycle.confirm_at_desk(order, now=now, actor=staff)
    record_paid(order, now=now)
    return holding


def _holding_for(package: Package, order: Order, customer_id: int) -> PackageHolding:
    order.total_minor = package.price_minor
    db.session.flush()
    holding = PackageHolding(
        package_id=package.id,
        order_id=order.id,
        customer_id=customer_id,
        venue_id=package.venue_id,
        service_id=package.service_id,
        option_id=package.option_id,
        name=package.name,
        service_name=package.service.name,
        option_name=package.option.name if package.option is not None else None,
        venue_name=package.venue.name,
        sessions=package.sessions,
        valid_days=package.valid_days,
        price_minor=package.price_minor,
        currency=package.currency,
    )
    db.session.add(holding)
    db.session.flush()
    return holding


def get_holding_of_order(order: Order) -> PackageHolding | None:
    """The package an order buys, or None (an order with bookings never buys one)."""
    if order.bookings:
        return None
    return db.session.scalar(select(PackageHolding).where(PackageHolding.order_id == order.id))


@events.order_paid.connect
def record_when_paid(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    record_paid(order, now=now)


def record_paid(order: Order, *, now: datetime) -> PackageHolding | None:
    """``order`` is paid: its package starts now and lasts ``valid_days``; set once."""
    holding = get_holding_of_order(order)
    if holding is None or holding.paid_at is not None:
        return holding
    holding.paid_at = now
    holding.expires_at = now + timedelta(days=holding.valid_days)
    return holding


# -- what a customer holds --------------------------------------------------------------------------


def used_of(holding_ids: list[int]) -> dict[int, int]:
    """Sessions in use (covering a booking, not given back) per holding, in one statement."""
    if not holding_ids:
        return {}
    rows = db.session.execute(
        select(PackageSession.holding_id, func.sum(PackageSession.places))
        .where(PackageSession.holding_id.in_(holding_ids), PackageSession.returned_at.is_(None))
        .group_by(PackageSession.holding_id)
    )
    return {holding_id: int(total) for holding_id, total in rows}


def left_of(holding: PackageHolding, used: int) -> int:
    if holding.paid_at is None or holding.refunded_at is not None:
        return 0
    return max(holding.sessions - used, 0)


@dataclass(frozen=True)
class Held:
    holding: PackageHolding
    used: int
    left: int
    expired: bool

    @property
    def state(self) -> str:
        if self.holding.refunded_at is not None:
            return "refunded"
        if self.expired:
            return "expired"
        if self.left == 0:
            return "used"
        return "active"


def held_by(customer_id: int, *, now: datetime, venue_id: int | None = None) -> list[Held]:
    """The customer's paid packages, newest first, each with its sessions used and left."""
    query = select(PackageHolding).where(PackageHolding.customer_id == customer_id, PackageHolding.paid_at.is_not(None))
    if venue_id is not None:
        query = query.where(PackageHolding.venue_id == venue_id)
    holdings = list(db.session.scalars(query.order_by(PackageHolding.paid_at.desc(), PackageHolding.id.desc())))
    used = used_of([h.id for h in holdings])
    return [
        Held(h, used.get(h.id, 0), left_of(h, used.get(h.id, 0)), h.expires_at is not None and h.expires_at <= now)
        for h in holdings
    ]


def fits(holding: PackageHolding, service_id: int, option_id: int | None) -> bool:
    """Whether a booking of ``service_id`` (``option_id``) is the package's treatment. A package of
    one option whose option was removed since (``option_id`` nulled, its name kept) fits none."""
    if holding.service_id != service_id:
        return False
    if holding.option_name is None:  # any option of the service
        return True
    return holding.option_id is not None and holding.option_id == option_id


# -- using one at checkout --------------------------------------------------------------------------


def _coverable(booking: Booking) -> bool:
    return booking.moves_booking_id is None and booking.customer_id is not None


def cover(order: Order, *, now: datetime) -> list[PackageSession]:
    """Cover each booking of ``order`` a package of its customer pays for (see the module's
    docstring). Holdings are locked in id order. Returns the sessions taken."""
    bookings = [b for b in sorted(order.bookings, key=lambda b: b.id) if _coverable(b)]
    if not bookings:
        return []
    service_ids = {b.service_id for b in bookings}
    holdings = list(
        db.session.scalars(
            select(PackageHolding)
            .where(
                PackageHolding.customer_id == order.customer_id,
                PackageHolding.service_id.in_(service_ids),
                PackageHolding.paid_at.is_not(None),
                PackageHolding.refunded_at.is_(None),
                PackageHolding.expires_at > now,
            )
            .order_by(PackageHolding.id)
            .with_for_update()
        )
    )
    if not holdings:
        return []
    used = used_of([h.id for h in holdings])
    # The one ending soonest first, so sessions that would lapse are used before others.
    holdings.sort(key=lambda h: (h.expires_at, h.id))
    taken = []
    for booking in bookings:
        holding = next(
            (
                h
                for h in holdings
                if fits(h, booking.service_id, booking.option_id)
                and booking.starts_at < h.expires_at
                and left_of(h, used.get(h.id, 0)) >= booking.quantity
                and h.currency == order.currency
            ),
            None,
        )
        if holding is None:
            continue
        used[holding.id] = used.get(holding.id, 0) + booking.quantity
        addons = sum(a.price_minor for a in booking.addons)
        if booking.payment_mode == PaymentMode.AT_VENUE:  # a desk booking: its add-ons are paid there
            booking.unit_price_minor = addons
        else:  # online: the treatment is the package's, its add-ons are paid now
            booking.payment_mode = PaymentMode.FULL
            booking.unit_price_minor = addons
            booking.online_minor = addons * booking.quantity
        session = PackageSession(
            holding_id=holding.id, booking_id=booking.id, order_id=order.id, places=booking.quantity
        )
        db.session.add(session)
        taken.append(session)
    db.session.flush()
    return taken


def session_of_booking(booking_id: int) -> PackageSession | None:
    return db.session.scalar(
        select(PackageSession).where(PackageSession.booking_id == booking_id, PackageSession.returned_at.is_(None))
    )


def sessions_of(booking_ids: list[int]) -> dict[int, PackageSession]:
    """The package session covering each of ``booking_ids`` (not given back), with its holding."""
    if not booking_ids:
        return {}
    rows = db.session.scalars(
        select(PackageSession)
        .options(joinedload(PackageSession.holding))
        .where(PackageSession.booking_id.in_(booking_ids), PackageSession.returned_at.is_(None))
    )
    return {s.booking_id: s for s in rows}


def covered_policy(free_hours: int) -> str:
    """A covered booking's cancellation rule, in the package's terms (a late one uses the session)."""
    if free_hours == 0:
        return _("Cancel before it starts and the session goes back to your package.")
    return ngettext(
        "Cancel up to %(num)d hour before and the session goes back to your package; after that, it is used.",
        "Cancel up to %(num)d hours before and the session goes back to your package; after that, it is used.",
        free_hours,
    )


@dataclass(frozen=True)
class CartNote:
    """What the cart says of an item a package of the customer's matches."""

    covered: bool
    text: str


def cart_notes(customer_id: int | None, items: list, *, now: datetime, zone_of) -> dict[int, CartNote]:
    """Per cart item id, what a package will do for it at checkout: "Covered by your package (3 of
    5 left after this)", or why not ("Your package … ended on …"). ``items`` are cart items (their
    ``service_id``, ``option_id``, ``starts_at``, ``quantity``); ``zone_of(item)`` the venue's zone."""
    if customer_id is None or not items:
        return {}
    service_ids = {item.service_id for item in items}
    holdings = list(
        db.session.scalars(
            select(PackageHolding)
            .where(
                PackageHolding.customer_id == customer_id,
                PackageHolding.service_id.in_(service_ids),
                PackageHolding.paid_at.is_not(None),
                PackageHolding.refunded_at.is_(None),
            )
            .order_by(PackageHolding.expires_at, PackageHolding.id)
        )
    )
    if not holdings:
        return {}
    used = used_of([h.id for h in holdings])
    notes = {}
    for item in sorted(items, key=lambda i: i.starts_at):
        matching = [h for h in holdings if fits(h, item.service_id, item.option_id)]
        if not matching:
            continue
        usable = next(
            (
                h
                for h in matching
                if h.expires_at > now
                and item.starts_at < h.expires_at
                and left_of(h, used.get(h.id, 0)) >= item.quantity
            ),
            None,
        )
        if usable is not None:
            used[usable.id] = used.get(usable.id, 0) + item.quantity
            left = left_of(usable, used[usable.id])
            notes[item.id] = CartNote(
                True,
                _(
                    "Covered by your package “%(name)s”: %(left)s of %(count)s left after this.",
                    name=usable.name,
                    left=left,
                    count=usable.sessions,
                ),
            )
            continue
        latest = max(matching, key=lambda h: h.expires_at)
        ends = latest.expires_at.astimezone(zone_of(item)).strftime("%d %b %Y")
        if latest.expires_at <= now:
            text = _(
                "Your package “%(name)s” ended on %(date)s, so it can't pay for this; the usual price applies.",
                name=latest.name,
                date=ends,
            )
        elif item.starts_at >= latest.expires_at:
            text = _(
                "Your package “%(name)s” covers visits before %(date)s; this one is later, so the usual price applies.",
                name=latest.name,
                date=ends,
            )
        else:
            text = _(
                "Your package “%(name)s” has no sessions left for this; the usual price applies.", name=latest.name
            )
        notes[item.id] = CartNote(False, text)
    return notes


# -- giving back ------------------------------------------------------------------------------------


def give_back(booking: Booking, *, now: datetime) -> PackageSession | None:
    session = session_of_booking(booking.id)
    if session is not None:
        session.returned_at = now
    return session


def within_free_cancellation(booking: Booking, at: datetime) -> bool:
    return at < booking.starts_at - timedelta(hours=booking.cancel_free_hours)


@events.booking_cancelled.connect
def return_on_cancel(status: str, *, booking: Booking, fee_due: bool) -> None:
    """A venue's cancellation always gives the sessions back; a customer's only within the free
    cancellation window of the booking's policy (a late one keeps them used, like a late fee)."""
    at = booking.cancelled_at or datetime.now(UTC)
    if status == BookingStatus.CANCELLED_BY_VENUE or within_free_cancellation(booking, at):
        give_back(booking, now=at)


@events.order_released.connect
def return_on_release(reason: str, *, order: Order, now: datetime) -> None:
    """An order released unpaid gives back every session its bookings took."""
    for session in db.session.scalars(
        select(PackageSession).where(PackageSession.order_id == order.id, PackageSession.returned_at.is_(None))
    ):
        session.returned_at = now


@events.order_retaken.connect
def take_again(sender: str, *, order: Order) -> bool:
    """A released order paid late takes its sessions again if its packages still have them;
    False (the order is refused) otherwise."""
    sessions = list(
        db.session.scalars(
            select(PackageSession).where(PackageSession.order_id == order.id, PackageSession.returned_at.is_not(None))
        )
    )
    if not sessions:
        return True
    holdings = {
        h.id: h
        for h in db.session.scalars(
            select(PackageHolding)
            .where(PackageHolding.id.in_({s.holding_id for s in sessions}))
            .order_by(PackageHolding.id)
            .with_for_update()
        )
    }
    used = used_of(list(holdings))
    need: dict[int, int] = {}
    for session in sessions:
        need[session.holding_id] = need.get(session.holding_id, 0) + session.places
    if any(left_of(holdings[hid], used.get(hid, 0)) < places for hid, places in need.items()):
        return False
    for session in sessions:
        session.returned_at = None
    return True


# -- refunds by the venue ---------------------------------------------------------------------------


def unused_refund_minor(holding: PackageHolding, used: int) -> int:
    """The sessions left's part of the price, rounded down (the customer paid for the rest)."""
    left = left_of(holding, used)
    return holding.price_minor * left // holding.sessions


def check_refundable(holding: PackageHolding, *, now: datetime) -> int:
    """What refunding ``holding``'s unused sessions gives back (under its row lock); refused
    with a message if nothing can be."""
    locked = db.session.scalar(select(PackageHolding).where(PackageHolding.id == holding.id).with_for_update())
    if locked is None or locked.paid_at is None or locked.order.status not in PAID_STATES:
        raise InvalidTransition(_("This package isn't paid, so there is nothing to refund."))
    if locked.refunded_at is not None:
        raise InvalidTransition(_("This package was refunded already."))
    if locked.order.membership_period is not None:  # a membership's month of sessions (app/memberships)
        raise InvalidTransition(_("These are a membership's sessions: refund the membership's month instead."))
    amount = unused_refund_minor(locked, used_of([locked.id]).get(locked.id, 0))
    if amount <= 0:
        raise InvalidTransition(_("Every session of this package is used, so there is nothing to refund."))
    return amount


def mark_refunded(holding: PackageHolding, amount_minor: int, *, now: datetime) -> None:
    holding.refunded_at = now
    holding.refunded_minor = amount_minor


def refund_label(holding: PackageHolding, amount_minor: int) -> str:
    return format_money(amount_minor, holding.currency)
