"""A moved booking: its reminders are planned again for the new time, the customer gets the new
time and the updated calendar entry, and the venue's people (``venue_recipients``) hear of a
customer's move, by email if they chose it for their venue's activity. Everyone told gets a
notice in their notification centre, once per move (its key: the booking, the old and new time)."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import booking_moved
from app.booking.models import Booking
from app.notifications import catalogue
from app.notifications.activity import venue_recipients
from app.notifications.reminders import plan_reminders


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
    move = catalogue.move_account(
        booking, from_starts_at, moved_by=moved_by, refunded_minor=refunded_minor, paid_minor=paid_minor
    )
    key = f"moved:{booking.id}:{from_starts_at.isoformat()}:{booking.starts_at.isoformat()}"
    catalogue.moved.send(booking.customer, booking=booking, move=move, key=key, by=moved_by)
    if moved_by != "customer":
        return
    for person in venue_recipients(booking.venue, members=[booking.team_member_id]):
        catalogue.moved_by_customer.send(person, booking=booking, move=move, key=key)
