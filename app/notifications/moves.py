"""A moved booking: its reminders are planned again for the new time, the customer gets the new
time and the updated calendar entry, and the venue's people (``venue_recipients``) hear of a
customer's move, by email if they chose it for their venue's activity. Everyone told gets a
notice in their notification centre, once per move (its key: the booking, the old and new time).

A visit (app/checkout/visit_moves.py) moves all its treatments together: each has its reminders
planned again, but the people are told once, with the visit's first treatment, in one email
that lists every treatment at its new time and carries all of them in its calendar file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from app.booking.events import booking_moved
from app.booking.ics import calendar
from app.booking.lifecycle import whole_visit
from app.booking.models import Booking
from app.notifications import catalogue
from app.notifications.activity import venue_recipients
from app.notifications.reminders import plan_reminders, visit_lines


@booking_moved.connect
def on_moved(
    moved_by: str, *, booking: Booking, from_starts_at: datetime, refunded_minor: int, paid_minor: int, now: datetime
) -> None:
    plan_reminders(booking, now=now)  # the old time's reminders dropped, the new time's planned
    visit = whole_visit(booking)
    if visit[0] is not booking:
        return  # a visit's move is told once, with its first treatment (written by then)
    tell_about_move(
        booking, from_starts_at, moved_by=moved_by, refunded_minor=refunded_minor, paid_minor=paid_minor, visit=visit
    )


def tell_about_move(
    booking: Booking,
    from_starts_at: datetime,
    *,
    moved_by: str,
    refunded_minor: int,
    paid_minor: int = 0,
    visit: Sequence[Booking] = (),
) -> None:
    """The customer always gets the new time and the updated calendar entry; the venue hears of
    a customer's move. Emails are jobs: sent once, after commit. ``visit``: every treatment of
    ``booking``'s visit (listed, and all in the calendar file)."""
    move = catalogue.move_account(
        booking, from_starts_at, moved_by=moved_by, refunded_minor=refunded_minor, paid_minor=paid_minor
    )
    if len(visit) > 1:
        move["visit"] = visit_lines(visit)
        move["attachment"] = ("cozywish-booking.ics", calendar(list(visit), name="CozyWish bookings"), "text/calendar")
    key = f"moved:{booking.id}:{from_starts_at.isoformat()}:{booking.starts_at.isoformat()}"
    catalogue.moved.send(booking.customer, booking=booking, move=move, key=key, by=moved_by)
    if moved_by != "customer":
        return
    for person in venue_recipients(booking.venue, members=[booking.team_member_id]):
        catalogue.moved_by_customer.send(person, booking=booking, move=move, key=key)
