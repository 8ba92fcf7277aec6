"""A cancelled booking: the customer and the venue's owner are told, each on the channels they
chose for changes, by email (with the calendar file that removes the entry) and text message."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.booking.events import booking_cancelled
from app.booking.ics import calendar
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking, BookingStatus
from app.email import send_email, speaking_to
from app.notifications.preferences import EMAIL, SMS, channels_for, get_sms_number
from app.notifications.sms import send_sms_later
from app.timefmt import local_start

BY = {BookingStatus.CANCELLED_BY_CUSTOMER: "customer", BookingStatus.CANCELLED_BY_VENUE: "venue"}


@booking_cancelled.connect
def on_cancelled(status: str, *, booking: Booking, fee_due: bool) -> None:
    tell_about_cancellation(booking, by=BY[status])


def tell_about_cancellation(booking: Booking, *, by: str) -> None:
    """Tell the customer and the venue's owner, each on the channels they chose for changes."""
    ics = calendar([booking], name="CozyWish bookings")
    context = {
        "booking": booking,
        "by": by,
        "attachment": ("cozywish-cancellation.ics", ics, "text/calendar"),
    }
    for person, subject in (
        (
            booking.customer,
            _l("Cancelled: %(service)s at %(venue)s", service=booking.service.name, venue=booking.venue.name),
        ),
        (booking.venue.owner, _l("Cancelled: %(reference)s", reference=booking.reference)),
    ):
        if person is None:  # a walk-in booked at the desk without an account: the desk tells them
            continue
        channels = channels_for(person, "changes")
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
