"""iCalendar (RFC 5545) files for one booking, an order, or a provider's feed, built with the
``icalendar`` package.

Times are written in UTC (``DTSTART:20261025T013000Z``): a local time with a TZID cannot
name the second 01:30 of a fall-back night (RFC 5545 reads a repeated local time as its
first occurrence), while UTC is exact and every calendar app shows it in its user's zone.
The venue's own wording of the time ("01:30 GMT") is in the description, as on the page.

A booking keeps one UID for life; SEQUENCE is the booking's ``calendar_sequence`` (raised by
whatever moves it) plus one once it is cancelled, so calendars update the entry in place. A
file about cancelled bookings only (the cancellation email) has METHOD:CANCEL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress

from app.booking.models import Booking
from app.booking.presenting import booked_service
from app.platform import timefmt

CANCELLED = {"cancelled_by_customer", "cancelled_by_venue", "expired"}
PRODUCT_ID = "-//CozyWish//Bookings//EN"


def event_uid(booking: Booking) -> str:
    return f"{booking.reference}@cozywish"


def event_sequence(booking: Booking) -> int:
    """The SEQUENCE of the booking's entry: its revision, one more once cancelled."""
    return (booking.calendar_sequence or 0) + (1 if booking.status in CANCELLED else 0)


def _organizer() -> vCalAddress:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1] or "hello@example.com"
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = current_app.config.get("APP_NAME", "CozyWish")
    return organizer


def booking_event(booking: Booking, *, for_provider: bool = False, stamp: datetime | None = None) -> Event:
    venue = booking.venue
    who = f" — {booking.customer.name}" if for_provider else ""
    member = f" with {booking.team_member.name}" if booking.team_member else ""
    when = timefmt.venue_span_label(booking.starts_at, booking.ends_at, venue.timezone)
    return Event.new(
        uid=event_uid(booking),
        stamp=stamp or datetime.now(UTC),
        sequence=event_sequence(booking),
        start=booking.starts_at.astimezone(UTC),
        end=booking.ends_at.astimezone(UTC),
        summary=booked_service(booking) + member + who,  # "Massage (90 min) + Hot stones"
        location=", ".join(p for p in (venue.name, venue.address_line, venue.city, venue.postcode) if p),
        description=f"{when}. Booking {booking.reference}. Quantity {booking.quantity}.",
        status="CANCELLED" if booking.status in CANCELLED else "CONFIRMED",
        organizer=_organizer(),
    )


def calendar(bookings: Iterable[Booking], *, name: str, for_provider: bool = False, feed: bool = False) -> str:
    """The calendar file as text. A ``feed`` (the provider's subscription) always publishes;
    any other file whose bookings are all cancelled is a cancellation (METHOD:CANCEL)."""
    bookings = list(bookings)
    cancelling = not feed and bool(bookings) and all(b.status in CANCELLED for b in bookings)
    method = "CANCEL" if cancelling else "PUBLISH"
    # The calendar's name is written as it is (icalendar does not escape its line breaks).
    cal = Calendar.new(prodid=PRODUCT_ID, calscale="GREGORIAN", method=method, name=" ".join(name.split()))
    cal.pop("UID", None)  # a calendar-wide UID would be new on every download; events carry theirs
    stamp = datetime.now(UTC)
    for booking in bookings:
        cal.add_component(booking_event(booking, for_provider=for_provider, stamp=stamp))
    return cal.to_ical().decode()
