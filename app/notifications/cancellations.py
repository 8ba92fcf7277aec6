"""A cancelled booking: the customer and the people who run the venue are told. The customer
on the channels they chose for changes, the venue's people (``venue_recipients``) on those
they chose for their venue's activity; everyone gets a notice in their notification centre.
The email carries the calendar file that removes the entry; a text message goes too where
chosen. Each person is told once per booking: the notice's key is the booking's cancellation
(catalogue.cancelled and cancelled_for_venue)."""

from __future__ import annotations

from app.booking.events import booking_cancelled
from app.booking.models import Booking, BookingStatus
from app.notifications import catalogue
from app.notifications.activity import venue_recipients

BY = {BookingStatus.CANCELLED_BY_CUSTOMER: "customer", BookingStatus.CANCELLED_BY_VENUE: "venue"}


@booking_cancelled.connect
def on_cancelled(status: str, *, booking: Booking, fee_due: bool) -> None:
    tell_about_cancellation(booking, by=BY[status])


def tell_about_cancellation(booking: Booking, *, by: str) -> None:
    """Tell the customer and the venue's people, each on the channels they chose."""
    if booking.customer is not None:  # a walk-in booked at the desk without an account: the desk tells them
        catalogue.cancelled.send(booking.customer, booking=booking, by=by)
    for person in venue_recipients(booking.venue, members=[booking.team_member_id]):
        if person.id != booking.customer_id:
            catalogue.cancelled_for_venue.send(person, booking=booking, by=by)
