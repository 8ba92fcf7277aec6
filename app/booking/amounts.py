"""What an order costs and how it is paid, in integer minor units with the currency beside them.

``amount_due(order)`` is the one place that sums an order: checkout stores its total, the
payment charges its ``due_now_minor``, gateways show it. The promo discount is decided at
checkout by app/promos/ and kept on the order (``Order.promo_discount_minor``), the gift
voucher's part by app/vouchers/, and each booking's online part (the whole price, a deposit,
or nothing: app/venues/deposits.py) on the booking, so they are read from there.

    items subtotal - promo discount = total
    total = voucher applied + due now + due at the venue
    due at the venue = the items' price - their online parts   (never discounted)
    promo discount + voucher applied <= the online parts        (they only reduce what is paid online)
    deposit due now <= due now   (the part of due now that is a deposit)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from app.booking.models import Order
from app.venues.deposits import DEPOSIT_MODES, pay_now_label


@dataclass(frozen=True)
class AmountLine:
    label: str
    minor: int  # signed: a discount or an amount paid elsewhere is negative


@dataclass(frozen=True)
class AmountDue:
    currency: str
    items_subtotal_minor: int
    promo_discount_minor: int = 0
    voucher_applied_minor: int = 0
    deposit_due_now_minor: int = 0
    due_at_venue_minor: int = 0

    def __post_init__(self) -> None:
        parts = (
            self.items_subtotal_minor,
            self.promo_discount_minor,
            self.voucher_applied_minor,
            self.deposit_due_now_minor,
            self.due_at_venue_minor,
        )
        if any(not isinstance(p, int) or p < 0 for p in parts):
            raise ValueError("Amounts are whole, non-negative minor units.")
        if self.promo_discount_minor > self.items_subtotal_minor:
            raise ValueError("A discount can't exceed the items it discounts.")
        if self.voucher_applied_minor + self.due_at_venue_minor > self.total_minor:
            raise ValueError("A voucher and the amount due at the venue can't exceed the total.")
        if self.deposit_due_now_minor > self.due_now_minor:
            raise ValueError("A deposit is part of what is due now.")
        if self.promo_discount_minor + self.voucher_applied_minor > self.online_minor:
            raise ValueError("A promo code and a gift voucher only reduce what is paid online.")

    @property
    def online_minor(self) -> int:
        """The items' online parts, before any promo or voucher."""
        return self.items_subtotal_minor - self.due_at_venue_minor

    @property
    def pay_label(self) -> str:
        """ "Pay now £12.00, £48.00 at the venue"."""
        return pay_now_label(self.due_now_minor, self.due_at_venue_minor, self.currency)

    @property
    def total_minor(self) -> int:
        """What the order costs."""
        return self.items_subtotal_minor - self.promo_discount_minor

    @property
    def due_now_minor(self) -> int:
        """What the gateway charges now."""
        return self.total_minor - self.voucher_applied_minor - self.due_at_venue_minor

    def lines(self) -> list[AmountLine]:
        """The receipt's lines; they add up to ``due_now_minor``. Zero lines are left out."""
        lines = [AmountLine("Items", self.items_subtotal_minor)]
        for label, minor in (
            ("Promo code", self.promo_discount_minor),
            ("Gift voucher", self.voucher_applied_minor),
            ("Due at the venue", self.due_at_venue_minor),
        ):
            if minor:
                lines.append(AmountLine(label, -minor))
        return lines


def amount_due_for(items: Iterable[tuple[int, int]], currency: str, *, promo_discount_minor: int = 0) -> AmountDue:
    """The amount due for ``(unit price, quantity)`` items, less a promo discount."""
    return AmountDue(
        currency=currency,
        items_subtotal_minor=sum(price * quantity for price, quantity in items),
        promo_discount_minor=promo_discount_minor,
    )


@dataclass(frozen=True)
class PricedBooking:
    """A booking's money as checkout fixed it: its price, the part paid online, whether that
    part is a deposit, and its share of the promo discount."""

    price_minor: int
    online_minor: int
    deposit: bool = False
    promo_minor: int = 0


def amount_due_for_bookings(
    bookings: Iterable[PricedBooking],
    currency: str,
    *,
    promo_discount_minor: int = 0,
    voucher_applied_minor: int = 0,
) -> AmountDue:
    """The amount due for priced bookings (pure: ``amount_due`` feeds it an order's)."""
    bookings = list(bookings)
    if any(not 0 <= b.online_minor <= b.price_minor or b.promo_minor > b.online_minor for b in bookings):
        raise ValueError("A booking's online part is within its price and covers its promo share.")
    due = AmountDue(
        currency=currency,
        items_subtotal_minor=sum(b.price_minor for b in bookings),
        promo_discount_minor=promo_discount_minor,
        voucher_applied_minor=voucher_applied_minor,
        due_at_venue_minor=sum(b.price_minor - b.online_minor for b in bookings),
    )
    deposits = sum(b.online_minor - b.promo_minor for b in bookings if b.deposit)
    return replace(due, deposit_due_now_minor=min(deposits, due.due_now_minor)) if deposits else due


def amount_due(order: Order) -> AmountDue:
    """What ``order`` costs and what is due now, from its bookings as they were held.

    The promo discount is the one checkout stored on the order (app/promos/redemption.py), the
    voucher part the one it took from the voucher's ledger (app/vouchers/)."""
    if not order.bookings:  # a gift voucher purchase: its total is the voucher's value (app/vouchers/purchase.py)
        return AmountDue(currency=order.currency, items_subtotal_minor=order.total_minor or 0)
    return amount_due_for_bookings(
        (
            PricedBooking(b.total_minor, b.online_minor, b.payment_mode in DEPOSIT_MODES, b.promo_discount_minor or 0)
            for b in order.bookings
        ),
        order.currency,
        promo_discount_minor=order.promo_discount_minor or 0,
        voucher_applied_minor=order.voucher_applied_minor or 0,
    )
