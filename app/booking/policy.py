"""Cancellation policy: free until N hours before the start; later a fee, or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from app.booking.models import Booking
from app.venues.deposits import split_fee
from app.venues.models import Service


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


def describe_fees(
    free_hours: int,
    late_fee_percent: int | None,
    no_show_fee_percent: int | None,
    request_window_hours: int | None = None,
) -> str:
    """The cancellation policy and the no-show fee, in a sentence or two; for a request-to-book
    (``request_window_hours``) also how long the venue has to confirm it."""
    text = describe_policy(free_hours, late_fee_percent)
    if no_show_fee_percent:
        text += " " + _("A missed appointment costs %(percent)d%% of the price.", percent=no_show_fee_percent)
    if request_window_hours is not None:
        text += " " + describe_request(request_window_hours)
    return text


def describe_request(window_hours: int) -> str:
    """A request-to-book's promise, in one sentence."""
    return ngettext(
        "Request to book: the venue confirms within %(num)d hour, or you get a full refund.",
        "Request to book: the venue confirms within %(num)d hours, or you get a full refund.",
        window_hours,
    )


def describe_notice(min_notice_minutes: int, max_advance_days: int) -> str:
    """How soon and how far ahead a service can be booked, in one sentence."""
    if min_notice_minutes % 60 == 0 and min_notice_minutes >= 60:
        notice = ngettext("%(num)d hour", "%(num)d hours", min_notice_minutes // 60)
    else:
        notice = ngettext("%(num)d minute", "%(num)d minutes", min_notice_minutes)
    return ngettext(
        "Book at least %(notice)s ahead, up to %(num)d day ahead.",
        "Book at least %(notice)s ahead, up to %(num)d days ahead.",
        max_advance_days,
        notice=notice,
    )


def describe_service_rules(service: Service) -> str:
    """A service's rules as a customer reads them before paying (venue page, booking page, cart)."""
    return describe_fees(
        service.cancel_free_hours,
        service.cancel_late_fee_percent,
        service.no_show_fee_percent,
        service.request_window_hours if service.request_to_book else None,
    )


def describe_booking_rules(booking: Booking) -> str:
    """The rules a booking was made under (kept as booked)."""
    return describe_fees(
        booking.cancel_free_hours,
        booking.cancel_late_fee_percent,
        booking.no_show_fee_percent,
        booking.request_window_hours,
    )
