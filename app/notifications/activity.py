"""What happens at a venue, told to the people who run it: a notice in their notification
centre always, an email and a text message on the channels they chose for "Your venue's
bookings and activity" (``venue_activity``, declared in catalogue.py). And the admins' notice
of a listing submitted.

Every receiver runs in the transaction of the change it tells of: the notice is a row, the
email and the text are jobs, all committed with it or not at all. Each notice has a key (the
order and venue, the review, the payout): a signal that comes again for the same event (a
replayed webhook, a payout's "paid" seen twice) finds the key taken, and nothing is told twice.
Cancellations and moves are told by their own modules (cancellations.py, moves.py), which use
``venue_recipients`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.service import active_admins
from app.booking import requests
from app.booking.events import order_paid
from app.booking.lifecycle import booking_time_short
from app.booking.models import Booking, Order
from app.notifications import catalogue
from app.notifications.telling import NoticeKind, site_path
from app.payouts.events import payout_paid
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import moment_label, venue_zone
from app.reviews.events import review_posted
from app.venues import staff
from app.venues.events import listing_submitted
from app.venues.models import StaffRole, Venue
from app.waitlist.models import WaitlistOffer


def venue_recipients(venue: Venue, *, members: Iterable[int | None] = (), owner_only: bool = False) -> list[User]:
    """Who is told what happens at ``venue``: its owner, its managers (staff logins that have
    accepted), and the practitioners whose team member is among ``members`` (the ones booked).
    Receptionists see the day on the calendar rather than in their inbox. ``owner_only`` for
    money (payouts), which only the owner may open (docs/staff-roles.md)."""
    people = [venue.owner]
    if owner_only:
        return people
    booked = {member for member in members if member is not None}
    for row in staff.list_staff(venue):
        if row.user is None or row.accepted_at is None:
            continue
        if row.role == StaffRole.MANAGER or (row.role == StaffRole.PRACTITIONER and row.team_member_id in booked):
            people.append(row.user)
    return people


def tell_venue(
    venue: Venue, *, members: Iterable[int | None] = (), owner_only: bool = False, **about: Any
) -> list[User]:
    """Venue activity (catalogue.venue_activity, whose keywords ``about`` holds: title, link,
    key, body, lines, sms) for each of ``venue_recipients(venue)``: a notice once per ``key``,
    and the email (the notice's title, its ``lines`` and a link to it) and the text ``sms`` on
    the channels each chose. Returns the people told this time (none when the key was told
    before)."""
    return [
        person
        for person in venue_recipients(venue, members=members, owner_only=owner_only)
        if catalogue.venue_activity.send(person, **about) is not None
    ]


def tell_admins(kind: NoticeKind, **about: Any) -> None:
    """A notice of marketplace work to do (``kind``, with its keywords ``about``) for each active admin."""
    for admin in active_admins():
        kind.send(admin, **about)


# -- a new booking ------------------------------------------------------------------------------


def _booking_line(booking: Booking) -> str:
    return str(
        _l(
            "%(service)s, %(when)s (ref %(reference)s)",
            service=booking.service.name,
            when=booking_time_short(booking),
            reference=booking.reference,
        )
    )


def _from_waitlist(order: Order) -> bool:
    return db.session.scalar(select(WaitlistOffer.id).where(WaitlistOffer.order_id == order.id).limit(1)) is not None


@order_paid.connect
def tell_venues_of_order(how: str, *, order: Order, now: datetime, payment: object | None = None) -> None:
    """One notice per venue in the order, listing its bookings there."""
    by_venue: dict[int, list[Booking]] = {}
    for booking in order.bookings:
        by_venue.setdefault(booking.venue_id, []).append(booking)
    if not by_venue:
        return
    from_waitlist = _from_waitlist(order)
    for bookings in by_venue.values():
        venue = bookings[0].venue
        count = len(bookings)
        if from_waitlist:
            title = _l("Waitlist filled at %(venue)s: %(service)s", venue=venue.name, service=bookings[0].service.name)
        elif count == 1:
            title = _l("New booking at %(venue)s: %(service)s", venue=venue.name, service=bookings[0].service.name)
        else:
            title = _l("%(count)s new bookings at %(venue)s", count=count, venue=venue.name)
        first = bookings[0]
        link = site_path("venues_dashboard.booking_details", booking_id=first.id)
        pending = [b for b in bookings if b.request_state == requests.PENDING and b.request_expires_at is not None]
        sms_word = "waitlist filled" if from_waitlist else "new booking"
        if pending:  # a request-to-book: the venue must answer in time, on the Requests page
            due = moment_label(min(b.request_expires_at for b in pending), venue_zone(venue))
            title = _l("New booking request at %(venue)s: accept by %(due)s", venue=venue.name, due=due)
            link = site_path("venues_dashboard.booking_requests")
            sms_word = f"new booking request (accept by {due})"
        tell_venue(
            venue,
            members={b.team_member_id for b in bookings},
            title=title,
            link=link,
            key=f"order-paid:{order.id}:{venue.id}",
            lines=lambda bookings=bookings: [_booking_line(b) for b in bookings],
            sms=(
                f"{sms_word} at {venue.name}: "
                + "; ".join(f"{b.service.name}, {booking_time_short(b)} (ref {b.reference})" for b in bookings)
            ),
        )


# -- a review -----------------------------------------------------------------------------------


@review_posted.connect
def tell_venue_of_review(sender: str, *, review: object, venue_id: int) -> None:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        return
    rating = review.rating  # type: ignore[attr-defined]
    tell_venue(
        venue,
        title=_l("New %(rating)s-star review of %(venue)s", rating=rating, venue=venue.name),
        body=(review.body or "")[:300],  # type: ignore[attr-defined]
        link=site_path("venues_public.venue_page", slug=venue.slug) + "#reviews",
        key=f"review:{review.id}",  # type: ignore[attr-defined]
        sms=f"a new {rating}-star review of {venue.name}.",
    )


# -- a payout -----------------------------------------------------------------------------------


@payout_paid.connect
def tell_venue_of_payout(
    gateway: str, *, venue_id: int, payout_id: str, amount_minor: int, currency: str, arrival_at: datetime | None
) -> None:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        return
    tell_venue(
        venue,
        owner_only=True,  # payouts are the owner's alone
        title=_l("Payout of %(amount)s paid to your bank", amount=format_money(amount_minor, currency)),
        body=_l("Payout %(payout)s for %(venue)s.", payout=payout_id, venue=venue.name),
        link=site_path("venues_dashboard.payouts"),
        key=f"payout-paid:{payout_id}",
        sms=f"payout of {format_money(amount_minor, currency)} paid to your bank.",
    )


# -- a listing submitted: the admins ------------------------------------------------------------


@listing_submitted.connect
def tell_admins_of_listing(sender: str, *, venue: Venue) -> None:
    tell_admins(catalogue.listing_submitted, venue=venue)
