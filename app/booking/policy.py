"""Cancellation policy: free until N hours before the start; later a fee, or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from app.venues.deposits import split_fee


@dataclass(frozen=True)
class CancellationQuote:
    allowed: bool
    refund_minor: int
    fee_minor: int  # kept from what was paid online
    free_until: datetime
    reason: str = ""
    charge_minor: int = 0  # the rest of the fee, charged to the saved card


def quote_cancellation(
    *,
    paid_minor: int,
    starts_at: datetime,
    now: datetime,
    free_hours: int,
    late_fee_percent: int | None,
    price_minor: int | None = None,
) -> CancellationQuote:
    """What a customer gets back for cancelling now. Fees round down in the customer's favour.

    ``price_minor``: what the booking costs (its price less its promo share) when more than
    ``paid_minor`` was left to pay at the venue: the fee is a percent of it, taken from what
    was paid first; the rest (``charge_minor``) goes to the saved card (app/payments/fees.py)."""
    free_until = starts_at - timedelta(hours=free_hours)
    if now >= starts_at:
        return CancellationQuote(False, 0, 0, free_until, _("This appointment has already started."))
    if now < free_until:
        return CancellationQuote(True, paid_minor, 0, free_until)
    if late_fee_percent is None:
        return CancellationQuote(
            False,
            0,
            0,
            free_until,
            _("Free cancellation ended %(hours)s hours before the start.", hours=free_hours),
        )

    price = paid_minor if price_minor is None else price_minor
    split = split_fee(price_minor=price, promo_minor=0, paid_online_minor=paid_minor, percent=late_fee_percent)
    return CancellationQuote(
        True, paid_minor - split.from_paid_minor, split.from_paid_minor, free_until, "", split.charge_minor
    )


def describe_policy(free_hours: int, late_fee_percent: int | None) -> str:
    """The policy in one sentence, for the service list, checkout, the booking and emails."""
    if free_hours == 0:
        return _("Free cancellation until the appointment starts.")
    if late_fee_percent is None:
        return ngettext(
            "Free cancellation up to %(num)d hour before; after that it can't be cancelled.",
            "Free cancellation up to %(num)d hours before; after that it can't be cancelled.",
            free_hours,
        )
    if late_fee_percent == 0:
        return ngettext(
            "Free cancellation up to %(num)d hour before; after that, still free.",
            "Free cancellation up to %(num)d hours before; after that, still free.",
            free_hours,
        )
    return ngettext(
        "Free cancellation up to %(num)d hour before; after that, a %(percent)d%% fee.",
        "Free cancellation up to %(num)d hours before; after that, a %(percent)d%% fee.",
        free_hours,
        percent=late_fee_percent,
    )


def describe_fees(free_hours: int, late_fee_percent: int | None, no_show_fee_percent: int | None) -> str:
    """The cancellation policy and the no-show fee, in a sentence or two."""
    text = describe_policy(free_hours, late_fee_percent)
    if no_show_fee_percent:
        text += " " + _("A missed appointment costs %(percent)d%% of the price.", percent=no_show_fee_percent)
    return text
