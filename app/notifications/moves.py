"""A moved booking: its reminders are planned again for the new time, the customer gets the new
time and the updated calendar entry, and the venue hears of a customer's move."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app import timefmt
from app.booking.events import booking_moved
from app.booking.ics import calendar
from app.booking.models import Booking
from app.email import send_email
from app.money import format_money
from app.notifications.reminders import plan_reminders
from app.urls import absolute_url


@booking_moved.connect
def on_moved(
    moved_by: str, *, booking: Booking, from_starts_at: datetime, refunded_minor: int, paid_minor: int, now: datetime
) -> None:
    plan_reminders(booking, now=now)  # the old time's reminders dropped, the new time's planned
    tell_about_move(booking, from_starts_at, moved_by=moved_by, refunded_minor=refunded_minor, paid_minor=paid_minor)


def tell_about_move(
    booking: Booking, from_starts_at: datetime, *, moved_by: str, refunded_minor: int, paid_minor: int = 0
) -> None:
    """The customer always gets the new time and the updated calendar entry; the venue hears of
    a customer's move. Emails are jobs: sent once, after commit."""
    zone = timefmt.venue_zone(booking.venue.timezone)
    context = {
        "booking": booking,
        "moved_by": moved_by,
        "old_when": timefmt.venue_span_label(
            from_starts_at, from_starts_at + (booking.ends_at - booking.starts_at), zone.key
        ),
        "refund": format_money(refunded_minor, booking.currency) if refunded_minor else None,
        "top_up": format_money(paid_minor, booking.currency) if paid_minor else None,
        "booking_url": absolute_url("booking.booking_detail", reference=booking.reference),
        "attachment": ("cozywish-booking.ics", calendar([booking], name="CozyWish bookings"), "text/calendar"),
    }
    send_email(
        booking.customer.email,
        _l("Moved by the venue: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name)
        if moved_by == "venue"
        else _l("Moved: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        "booking_rescheduled",
        user=booking.customer,
        for_venue=False,
        **context,
    )
    if moved_by == "customer":
        send_email(
            booking.venue.owner.email,
            _l("Moved by the customer: %(reference)s", reference=booking.reference),
            "booking_rescheduled",
            user=booking.venue.owner,
            for_venue=True,
            **context,
        )
