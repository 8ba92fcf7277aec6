"""A cancelled booking: the customer and the people who run the venue are told. The customer
on the channels they chose for changes, the venue's people (``venue_recipients``) on those
they chose for their venue's activity; everyone gets a notice in their notification centre.
The email carries the calendar file that removes the entry; a text message goes too where
chosen. Each person is told once per booking: the notice's key is the booking's cancellation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.booking.events import booking_cancelled
from app.booking.ics import calendar
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking, BookingStatus
from app.notifications.activity import ACTIVITY, site_path, venue_recipients
from app.notifications.centre import notify
from app.notifications.preferences import EMAIL, SMS, channels_for, get_sms_number
from app.notifications.sms import send_sms_later
from app.platform.email import send_email, speaking_to
from app.platform.timefmt import local_start

BY = {BookingStatus.CANCELLED_BY_CUSTOMER: "customer", BookingStatus.CANCELLED_BY_VENUE: "venue"}


@booking_cancelled.connect
def on_cancelled(status: str, *, booking: Booking, fee_due: bool) -> None:
    tell_about_cancellation(booking, by=BY[status])


def tell_about_cancellation(booking: Booking, *, by: str) -> None:
    """Tell the customer and the venue's people, each on the channels they chose."""
    ics = calendar([booking], name="CozyWish bookings")
    context = {
        "booking": booking,
        "by": by,
        "attachment": ("cozywish-cancellation.ics", ics, "text/calendar"),
    }
    what = {"service": booking.service.name, "venue": booking.venue.name, "reference": booking.reference}
    customer_title = _l("Cancelled: %(service)s at %(venue)s", **what)
    venue_title = (
        _l("Cancelled by the customer: %(service)s (ref %(reference)s)", **what)
        if by == "customer"
        else _l("Cancelled by the venue: %(service)s (ref %(reference)s)", **what)
    )
    told = [
        (
            booking.customer,
            "changes",
            customer_title,
            site_path("booking.booking_detail", reference=booking.reference),
        )
    ] + [
        (person, ACTIVITY, venue_title, site_path("venues_dashboard.booking_details", booking_id=booking.id))
        for person in venue_recipients(booking.venue, members=[booking.team_member_id])
        if person.id != booking.customer_id
    ]
    for person, kind, title, link in told:
        if person is None:  # a walk-in booked at the desk without an account: the desk tells them
            continue
        notice = notify(
            person,
            kind,
            title,
            body=lambda: booking_time_short(booking),
            link=link,
            key=f"cancelled:{booking.id}",
        )
        if notice is None:
            continue  # told of this cancellation before
        channels = channels_for(person, kind)
        subject = customer_title if kind == "changes" else _l("Cancelled: %(reference)s", **what)
        if EMAIL in channels:
            with speaking_to(person):  # the date in the recipient's language
                when = local_start(booking)
            send_email(person.email, subject, "booking_cancelled", user=person, when=when, **context)
        if SMS in channels:
            send_sms_later(
                get_sms_number(person.id) or "",
                f"CozyWish: cancelled {booking.service.name} at {booking.venue.name}, "
                f"{booking_time_short(booking)} (ref {booking.reference}).",
                user_id=person.id,
            )
