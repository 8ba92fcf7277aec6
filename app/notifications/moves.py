"""A moved booking: its reminders are planned again for the new time, the customer gets the new
time and the updated calendar entry, and the venue's people (``venue_recipients``) hear of a
customer's move, by email if they chose it for their venue's activity. Everyone told gets a
notice in their notification centre, once per move (its key: the booking, the old and new time)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from app.booking.events import booking_moved
from app.booking.ics import calendar
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking
from app.notifications.activity import ACTIVITY, site_path, venue_recipients
from app.notifications.centre import notify
from app.notifications.preferences import EMAIL, channels_for
from app.notifications.reminders import plan_reminders
from app.platform import timefmt
from app.platform.email import send_email
from app.platform.money import format_money
from app.platform.urls import absolute_url


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
    key = f"moved:{booking.id}:{from_starts_at.isoformat()}:{booking.starts_at.isoformat()}"
    what = {"service": booking.service.name, "venue": booking.venue.name, "reference": booking.reference}
    customer_title = (
        _l("Moved by the venue: %(service)s at %(venue)s", **what)
        if moved_by == "venue"
        else _l("Moved: %(service)s at %(venue)s", **what)
    )
    if (
        notify(
            booking.customer,
            "changes",
            customer_title,
            body=lambda: booking_time_short(booking),
            link=site_path("booking.booking_detail", reference=booking.reference),
            key=key,
        )
        is not None
    ):
        send_email(
            booking.customer.email,
            customer_title,
            "booking_rescheduled",
            user=booking.customer,
            for_venue=False,
            **context,
        )
    if moved_by != "customer":
        return
    for person in venue_recipients(booking.venue, members=[booking.team_member_id]):
        told = notify(
            person,
            ACTIVITY,
            _l("Moved by the customer: %(service)s (ref %(reference)s)", **what),
            body=lambda: booking_time_short(booking),
            link=site_path("venues_dashboard.booking_details", booking_id=booking.id),
            key=key,
        )
        if told is not None and EMAIL in channels_for(person, ACTIVITY):
            send_email(
                person.email,
                _l("Moved by the customer: %(reference)s", reference=booking.reference),
                "booking_rescheduled",
                user=person,
                for_venue=True,
                **context,
            )
