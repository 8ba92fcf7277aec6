"""A service's booking rules as the owner sets them (docs/booking-rules.md): the cancellation
policy, how soon and how far ahead it can be booked, and instant booking or request-to-book.
One check for the form and the use case, so a crafted request can't store what the form refuses."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed

MAX_FREE_HOURS = 720  # 30 days
MAX_NOTICE_MINUTES = 43_200  # 30 days
MAX_ADVANCE_DAYS = 730
MAX_REQUEST_WINDOW_HOURS = 168  # a week


@dataclass(frozen=True)
class BookingRules:
    cancel_free_hours: int = 24
    cancel_late_fee_percent: int | None = 50  # None: no cancellation after the free window
    min_notice_minutes: int | None = None  # None: the platform's BOOKING_MIN_NOTICE_MINUTES
    max_advance_days: int | None = None  # None: the platform's BOOKING_MAX_ADVANCE_DAYS
    request_to_book: bool = False
    request_window_hours: int = 24


def check_booking_rules(rules: BookingRules, *, platform_notice_minutes: int, platform_advance_days: int) -> None:
    """Raise ValidationFailed saying what is wrong, or return. A notice or advance left to the
    platform is compared at the platform's value."""
    if not 0 <= rules.cancel_free_hours <= MAX_FREE_HOURS:
        raise ValidationFailed(
            _("Free cancellation lasts between 0 and 720 hours (30 days) before the start."), field="cancel_free_hours"
        )
    if rules.cancel_late_fee_percent is not None and not 0 <= rules.cancel_late_fee_percent <= 100:
        raise ValidationFailed(
            _("The late cancellation fee is between 0 and 100% of the price."), field="cancel_late_fee_percent"
        )
    if rules.min_notice_minutes is not None and not 0 <= rules.min_notice_minutes <= MAX_NOTICE_MINUTES:
        raise ValidationFailed(_("The minimum notice is between 0 minutes and 30 days."), field="min_notice_minutes")
    if rules.max_advance_days is not None and not 1 <= rules.max_advance_days <= MAX_ADVANCE_DAYS:
        raise ValidationFailed(_("Customers can book between 1 and 730 days ahead."), field="max_advance_days")
    notice = platform_notice_minutes if rules.min_notice_minutes is None else rules.min_notice_minutes
    advance = platform_advance_days if rules.max_advance_days is None else rules.max_advance_days
    if notice >= min(advance, platform_advance_days) * 24 * 60:
        raise ValidationFailed(
            _("The minimum notice must be shorter than how far ahead customers can book, or no time is left."),
            field="min_notice_minutes",
        )
    if not 1 <= rules.request_window_hours <= MAX_REQUEST_WINDOW_HOURS:
        raise ValidationFailed(
            _("The venue has between 1 and 168 hours (a week) to accept a request."), field="request_window_hours"
        )
