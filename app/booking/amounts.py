"""What an order costs and how it is paid, in integer minor units with the currency beside them.

``amount_due(order)`` is the one place that sums an order: checkout stores its total, the
payment charges its ``due_now_minor``, gateways show it. Gift vouchers and deposits
arrive later; their lines are in the type already (zero today), so adding them changes this
module and nothing that reads it. The promo discount is decided at checkout by app/promos/
and kept on the order (``Order.promo_discount_minor``), so it is read from there.

    items subtotal - promo discount = total
    total = voucher applied + due now + due at the venue
    deposit due now <= due now   (the part of due now that is a deposit)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from app.booking.models import Order


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


def amount_due(order: Order) -> AmountDue:
    """What ``order`` costs and what is due now, from its bookings as they were held.

    The promo discount is the one checkout stored on the order (app/promos/redemption.py), the
    voucher part the one it took from the voucher's ledger (app/vouchers/)."""
    if not order.bookings:  # a gift voucher purchase costs the voucher's value (app/vouchers/purchase.py)
        from app.vouchers.purchase import amount_due_for_purchase

        return amount_due_for_purchase(order)
    due = amount_due_for(
        ((b.unit_price_minor, b.quantity) for b in order.bookings),
        order.currency,
        promo_discount_minor=order.promo_discount_minor or 0,
    )
    return replace(due, voucher_applied_minor=order.voucher_applied_minor)
