"""Deposits and pay at the venue, and the fees a saved card pays later: pure rules, no session.

A service is paid one of four ways (``PaymentMode``): in full online, a deposit online (a
percent of the price, rounded down, or a fixed amount under it) with the rest at the venue,
or everything at the venue. A booking keeps the part paid online as it was when booked
(``Booking.online_minor``); app/booking/amounts.py sums an order from it.

Fees (docs/deposits.md): a late cancellation (``Booking.cancel_late_fee_percent``) or a
no-show (``Booking.no_show_fee_percent``) costs a percent of what the booking costs (its price
less its share of a promo code), rounded down. It is taken from what was paid online first
(kept, not refunded); only the rest is charged to the card the checkout saved.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.platform.money import format_money


class PaymentMode(enum.StrEnum):
    FULL = "full"
    DEPOSIT_PERCENT = "deposit_percent"
    DEPOSIT_FIXED = "deposit_fixed"
    AT_VENUE = "at_venue"


MODE_LABELS = {
    PaymentMode.FULL: "Pay in full online",
    PaymentMode.DEPOSIT_PERCENT: "Deposit online (a percentage), the rest at the venue",
    PaymentMode.DEPOSIT_FIXED: "Deposit online (a fixed amount), the rest at the venue",
    PaymentMode.AT_VENUE: "Pay at the venue",
}
DEPOSIT_MODES = (PaymentMode.DEPOSIT_PERCENT, PaymentMode.DEPOSIT_FIXED)


def online_part(
    price_minor: int, mode: str, *, deposit_percent: int | None = None, deposit_fixed_minor: int | None = None
) -> int:
    """What of ``price_minor`` (a whole booking's price) is paid online when booking.

    A percent deposit rounds down (in the customer's favour); a fixed deposit is per booking
    and never more than the price."""
    if price_minor < 0:
        raise ValueError("A price is not negative.")
    if mode == PaymentMode.FULL:
        return price_minor
    if mode == PaymentMode.AT_VENUE:
        return 0
    if mode == PaymentMode.DEPOSIT_PERCENT:
        if deposit_percent is None or not 1 <= deposit_percent <= 99:
            raise ValueError("A deposit is 1-99% of the price.")
        return price_minor * deposit_percent // 100
    if mode == PaymentMode.DEPOSIT_FIXED:
        if deposit_fixed_minor is None or deposit_fixed_minor <= 0:
            raise ValueError("A fixed deposit is more than zero.")
        return min(deposit_fixed_minor, price_minor)
    raise ValueError(f"Unknown payment mode {mode!r}.")


def check_payment_terms(
    mode: str,
    *,
    price_minor: int,
    deposit_percent: int | None,
    deposit_fixed_minor: int | None,
    no_show_fee_percent: int | None,
) -> None:
    """Raise ValidationFailed (a sentence for the provider) unless the terms make sense."""
    if mode not in set(PaymentMode):
        raise ValidationFailed(
            _("Choose how customers pay: in full, a deposit, or at the venue."), field="payment_mode"
        )
    if mode == PaymentMode.DEPOSIT_PERCENT and (deposit_percent is None or not 1 <= deposit_percent <= 99):
        raise ValidationFailed(
            _("A deposit is between %(low)d%% and %(high)d%% of the price.", low=1, high=99), field="deposit_percent"
        )
    if mode == PaymentMode.DEPOSIT_FIXED:
        if deposit_fixed_minor is None or deposit_fixed_minor <= 0:
            raise ValidationFailed(_("Enter the deposit, like 10.00."), field="deposit_fixed_minor")
        if deposit_fixed_minor >= price_minor:
            raise ValidationFailed(
                _("A fixed deposit must be less than the price (or choose “Pay in full online”)."),
                field="deposit_fixed_minor",
            )
    if no_show_fee_percent is not None and not 0 <= no_show_fee_percent <= 100:
        raise ValidationFailed(
            _("A no-show fee is between %(low)d%% and %(high)d%% of the price.", low=0, high=100),
            field="no_show_fee_percent",
        )


def describe_payment(mode: str, *, deposit_percent: int | None, deposit_fixed_minor: int | None, currency: str) -> str:
    """How a service is paid, in a few words, for the venue page and the dashboard."""
    if mode == PaymentMode.DEPOSIT_PERCENT:
        return f"{deposit_percent}% deposit online, the rest at the venue"
    if mode == PaymentMode.DEPOSIT_FIXED:
        return f"{format_money(deposit_fixed_minor or 0, currency)} deposit online, the rest at the venue"
    if mode == PaymentMode.AT_VENUE:
        return "Pay at the venue"
    return "Pay in full online"


def pay_now_label(now_minor: int, at_venue_minor: int, currency: str) -> str:
    """ "Pay now £12.00, £48.00 at the venue" (just "Pay now £60.00" with nothing at the venue)."""
    if not at_venue_minor:
        return f"Pay now {format_money(now_minor, currency)}"
    if not now_minor:
        return f"Nothing to pay now, {format_money(at_venue_minor, currency)} at the venue"
    return f"Pay now {format_money(now_minor, currency)}, {format_money(at_venue_minor, currency)} at the venue"


def describe_no_show(no_show_fee_percent: int | None) -> str:
    if not no_show_fee_percent:
        return ""
    return f"A missed appointment costs {no_show_fee_percent}% of the price."


def service_online_minor(service: Any, quantity: int = 1, *, price_minor: int | None = None) -> int:
    """What of ``quantity`` of ``service`` is paid online (a fixed deposit is per person), at
    ``price_minor`` each (an option's and add-ons' price; None: the service's)."""
    return (
        online_part(
            service.price_minor if price_minor is None else price_minor,
            service.payment_mode,
            deposit_percent=service.deposit_percent,
            deposit_fixed_minor=service.deposit_fixed_minor,
        )
        * quantity
    )


def payment_terms(service: Any, quantity: int, *, price_minor: int | None = None) -> dict[str, Any]:
    """A new booking's payment columns, from its service as it is now (kept as booked), at
    ``price_minor`` each (None: the service's price)."""
    return {
        "payment_mode": service.payment_mode,
        "online_minor": service_online_minor(service, quantity, price_minor=price_minor),
        "no_show_fee_percent": service.no_show_fee_percent,
    }


# -- fees ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeeSplit:
    fee_minor: int  # the whole fee
    from_paid_minor: int  # kept from what was paid online (not refunded)
    charge_minor: int  # charged to the saved card

    def __post_init__(self) -> None:
        if min(self.fee_minor, self.from_paid_minor, self.charge_minor) < 0:
            raise ValueError("Fee parts are not negative.")
        if self.from_paid_minor + self.charge_minor != self.fee_minor:
            raise ValueError("A fee's parts add up to it.")


def split_fee(*, price_minor: int, promo_minor: int, paid_online_minor: int, percent: int | None) -> FeeSplit:
    """A fee of ``percent`` of what the booking costs (price less its promo share), taken from
    what was paid online first, the rest to charge."""
    if not percent:
        return FeeSplit(0, 0, 0)
    fee = (price_minor - promo_minor) * percent // 100
    from_paid = min(fee, paid_online_minor)
    return FeeSplit(fee, from_paid, fee - from_paid)


def needs_saved_card(
    *, online_minor: int, price_minor: int, late_fee_percent: int | None, no_show_percent: int | None
) -> bool:
    """A booking with something left to pay at the venue and a fee in its policy keeps a card."""
    return online_minor < price_minor and bool(late_fee_percent or no_show_percent)


def keeps_card(bookings: Iterable[Any]) -> bool:
    """Whether an order's checkout saves the card for later fees: some booking in it leaves
    money to pay at the venue and its policy has a late-cancellation or no-show fee."""
    return any(
        needs_saved_card(
            online_minor=b.online_minor,
            price_minor=b.total_minor,
            late_fee_percent=b.cancel_late_fee_percent,
            no_show_percent=b.no_show_fee_percent,
        )
        for b in bookings
    )


def service_pay_label(service: Any, quantity: int = 1, *, price_minor: int | None = None) -> str:
    """ "Pay now £12.00, £48.00 at the venue" for booking ``service`` (empty when paid in full),
    at ``price_minor`` each (an option's and add-ons' price; None: the service's)."""
    if service.payment_mode == PaymentMode.FULL:
        return ""
    price_minor = service.price_minor if price_minor is None else price_minor
    online = service_online_minor(service, quantity, price_minor=price_minor)
    return pay_now_label(online, price_minor * quantity - online, service.currency)


def booking_paid_label(booking: Any) -> str | None:
    """ "Paid online £12.00, £48.00 at the venue" for a booking with a part due at the venue."""
    if not booking.at_venue_minor:
        return None
    paid = format_money(booking.paid_minor, booking.currency)
    return f"Paid online {paid}, {format_money(booking.at_venue_minor, booking.currency)} at the venue"
