"""iCalendar (RFC 5545) text for one booking or a provider's feed: no library needed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from app.booking.models import Booking

CANCELLED = {"cancelled_by_customer", "cancelled_by_venue", "expired"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, chunk = [], b""
    for char in line:
        encoded = char.encode()
        if len(chunk) + len(encoded) > (75 if not parts else 74):
            parts.append(chunk.decode())
            chunk = b""
        chunk += encoded
    parts.append(chunk.decode())
    return "\r\n ".join(parts)


def booking_event(booking: Booking, *, for_provider: bool = False) -> list[str]:
    venue = booking.venue
    who = f" — {booking.customer.name}" if for_provider else ""
    member = f" with {booking.team_member.name}" if booking.team_member else ""
    lines = [
        "BEGIN:VEVENT",
        f"UID:{booking.reference}@cozywish",
        f"DTSTAMP:{_stamp(datetime.now(UTC))}",
        f"DTSTART:{_stamp(booking.starts_at)}",
        f"DTEND:{_stamp(booking.ends_at)}",
        f"SUMMARY:{_escape(booking.service.name + member + who)}",
        f"LOCATION:{_escape(', '.join(p for p in (venue.name, venue.address_line, venue.city, venue.postcode) if p))}",
        f"DESCRIPTION:{_escape(f'Booking {booking.reference}. Quantity {booking.quantity}.')}",
        f"STATUS:{'CANCELLED' if booking.status in CANCELLED else 'CONFIRMED'}",
        "END:VEVENT",
    ]
    return lines


def calendar(bookings: Iterable[Booking], *, name: str, for_provider: bool = False) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//CozyWish//Bookings//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for booking in bookings:
        lines += booking_event(booking, for_provider=for_provider)
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
