"""Treatment gift cards: a gift voucher for one named treatment at one venue (a service, one
of its options, any of its add-ons), bought at that day's price and redeemed for exactly that.

- Buying (``choose_treatment``): the venue's active service, its option (the standard one when
  none is named) and add-ons, each checked to be that service's; the price is their sum today.
  The purchase keeps the ids and a snapshot of the names (``treatment_label`` reads those).
- Spending (``apply_treatment``): at checkout the gift pays one booking of the order whose
  venue, service, option and add-ons are exactly the gift's (quantity 1), whole. The booking is
  sold at the price the buyer paid: the customer pays nothing for it, the venue is paid what the
  buyer paid (more if the price has since gone up, and no change is given if it went down). The
  gift is then used up: one ``redeem`` entry for its whole value, tied to the order and booking.
- Giving back (``refund_gift_of_booking``): a cancellation of that booking puts the refund back
  on the gift before any card (the gift paid for that booking, not for the order's others); a
  full refund makes it whole, and usable, again. A release of an unpaid order gives it back
  through the amount vouchers' ``release_for_order``.

docs/vouchers.md, "Treatment gift cards", says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.booking.amounts import amount_due
from app.booking.models import Booking, Order
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.addons import Choice, chosen_addons
from app.venues.deposits import PaymentMode
from app.venues.models import Service, ServiceAddon, ServiceOption, Venue, VenueStatus
from app.venues.options import chosen_option, length_and_price, standard_option
from app.vouchers.ledger import Applied, VoucherRefused, add_entry, balance, lock_voucher, spent_on
from app.vouchers.models import EntryKind, Voucher, VoucherEntry, VoucherPurchase


@dataclass(frozen=True)
class TreatmentWish:
    """What the buyer picked, as ids: ``option_id`` None means the service's standard option."""

    service_id: int
    option_id: int | None = None
    addon_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Treatment:
    """A treatment as it is sold today: what a gift for it stores, and its price."""

    venue: Venue
    service: Service
    option: ServiceOption | None
    addons: tuple[ServiceAddon, ...]
    price_minor: int
    minutes: int


def get_giftable_services(venue: Venue) -> list[Service]:
    """The venue's services a treatment gift can name: the active ones, in the menu's order."""
    return list(
        db.session.scalars(
            select(Service)
            .where(Service.venue_id == venue.id, Service.is_active)
            .order_by(Service.position, Service.id)
        )
    )


def choose_treatment(venue_id: int, wish: TreatmentWish) -> Treatment:
    """The treatment ``wish`` names at the venue, priced today; ValidationFailed (a sentence for
    the buyer) for another venue's service, an option or add-on that isn't the service's."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        raise ValidationFailed(_("That venue doesn't take gift vouchers; choose another."), field="venue_id")
    service = db.session.get(Service, wish.service_id)
    if service is None or service.venue_id != venue.id or not service.is_active:
        raise ValidationFailed(
            _("That treatment isn't on %(venue)s's menu; choose one of theirs.", venue=venue.name), field="service_id"
        )
    option = standard_option(service) if wish.option_id is None else chosen_option(service, wish.option_id)
    addons = chosen_addons(service, wish.addon_ids)
    price = Choice(option=option, addons=addons).price_minor(service)
    high = current_app.config["VOUCHER_MAX_MINOR"]
    if service.currency != "GBP":
        raise ValidationFailed(_("Gift vouchers are sold in pounds; this treatment isn't priced in pounds."))
    if price <= 0:
        raise ValidationFailed(_("This treatment is free, so there is nothing to give."), field="service_id")
    if price > high:
        raise ValidationFailed(
            _(
                "A treatment gift can be worth up to £%(value)s; choose a shorter option or fewer add-ons.",
                value=high // 100,
            )
        )
    return Treatment(venue, service, option, addons, price, length_and_price(service, option)[0])


def find_treatment(venue_id: int, wish: TreatmentWish | None) -> Treatment | None:
    """The treatment ``wish`` names, or None if it names none of the venue's (to show a form again)."""
    if wish is None:
        return None
    try:
        return choose_treatment(venue_id, wish)
    except ValidationFailed:
        return None


def describe_treatment(
    *, minutes: int, service_name: str, option_name: str | None, addon_names: list[str], venue_name: str
) -> str:
    """ "A 90-minute Deep tissue massage + Hot stones at Calm Rooms": an option whose name only
    restates the length ("90 min") is left out; any other ("Long hair") is named."""
    name = service_name
    if option_name and str(minutes) not in option_name:
        name = f"{name} ({option_name})"
    name = " + ".join([name, *addon_names])
    return _("A %(minutes)s-minute %(treatment)s at %(venue)s", minutes=minutes, treatment=name, venue=venue_name)


def treatment_label(purchase: VoucherPurchase) -> str:
    """What a treatment gift is for, as it was named when bought."""
    return describe_treatment(
        minutes=purchase.minutes or 0,
        service_name=purchase.service_name or "",
        option_name=purchase.option_name,
        addon_names=list(purchase.addon_names or []),
        venue_name=purchase.venue_name or "",
    )


# -- spending --------------------------------------------------------------------------------


def matches(booking: Booking, purchase: VoucherPurchase) -> bool:
    """Whether ``booking`` is exactly the gift's treatment: venue, service, option, add-ons, one place."""
    return (
        purchase.service_id is not None
        and booking.quantity == 1
        and booking.venue_id == purchase.venue_id
        and booking.service_id == purchase.service_id
        and booking.option_id == purchase.option_id
        and sorted(a.addon_id for a in booking.addons if a.addon_id is not None) == sorted(purchase.addon_ids or [])
        and len(booking.addons) == len(purchase.addon_ids or [])
    )


def is_unused(voucher: Voucher) -> bool:
    """A treatment gift can pay only while whole: never spent, or given back in full."""
    return balance(voucher) == voucher.value_minor


def apply_treatment(order: Order, voucher: Voucher) -> Applied:
    """Pay the order's booking that is exactly the gift's treatment, whole, and use the gift up.

    The caller checked the code is usable (known, not expired, in the order's currency). Under
    the gift's row lock, so two checkouts with one gift queue and the second finds it used."""
    voucher = lock_voucher(voucher.id)
    purchase = voucher.purchase
    if not is_unused(voucher):
        raise VoucherRefused(
            _("This treatment gift has already been used (%(treatment)s).", treatment=treatment_label(purchase)),
            field="voucher_code",
        )
    booking = next((b for b in order.bookings if matches(b, purchase)), None)
    if booking is None:
        raise VoucherRefused(
            _(
                "This gift is for %(treatment)s. Add exactly that to your cart (one place, the same length and"
                " add-ons) to use it.",
                treatment=treatment_label(purchase),
            ),
            field="voucher_code",
        )
    if booking.promo_discount_minor:
        raise VoucherRefused(
            _("A promo code can't also discount the treatment a gift pays for. Remove the promo code to use the gift."),
            field="voucher_code",
        )
    price = voucher.value_minor
    # Sold at the price the buyer paid, all online: the venue is paid that, nothing is due there.
    booking.unit_price_minor = price
    booking.online_minor = price
    booking.payment_mode = PaymentMode.FULL
    order.total_minor = amount_due(order).total_minor
    add_entry(voucher, EntryKind.REDEEM, -price, order_id=order.id, booking_id=booking.id, note=f"Order {order.id}")
    order.voucher_applied_minor = price
    return Applied(voucher, price, 0)


# -- giving back -----------------------------------------------------------------------------


def gift_of_booking(order: Order, booking_id: int) -> int | None:
    """The treatment gift that paid for ``booking_id`` (its redeem entry names the booking)."""
    return db.session.scalar(
        select(VoucherEntry.voucher_id)
        .join(Voucher, Voucher.id == VoucherEntry.voucher_id)
        .join(VoucherPurchase, VoucherPurchase.id == Voucher.purchase_id)
        .where(
            VoucherEntry.order_id == order.id,
            VoucherEntry.booking_id == booking_id,
            VoucherEntry.kind == EntryKind.REDEEM,
            VoucherPurchase.kind == "treatment",
        )
        .limit(1)
    )


def refund_gift_of_booking(order: Order, booking_id: int | None, amount_minor: int, *, reason: str) -> int:
    """A cancellation refunds ``amount_minor`` of ``booking_id``: if a treatment gift paid for
    that booking, the refund goes back on the gift first (at most what the order still holds of
    it). Returns what went back (0: no gift paid for it)."""
    if booking_id is None or amount_minor <= 0:
        return 0
    voucher_id = gift_of_booking(order, booking_id)
    if voucher_id is None:
        return 0
    held = dict(spent_on(order.id)).get(voucher_id, 0)
    part = min(amount_minor, held)
    if part <= 0:
        return 0
    voucher = lock_voucher(voucher_id)
    add_entry(voucher, EntryKind.REFUND, part, order_id=order.id, booking_id=booking_id, note=reason)
    return part
