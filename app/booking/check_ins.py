"""Checking a booking in at the front desk by its code (the QR code's or the typed reference):
the rule the check-in page (app/booking/views/check_in.py) and the API
(app/api/views/venue.py) both call.

A code checks in one of this venue's confirmed bookings for today (the venue's own day). Any
other code is refused with the reason in words: not a booking reference at all, no such
booking, a booking at another venue, another day, cancelled. Checking in twice is not an
error: the caller is told it had happened already. Each check-in is audited.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.audit import service as audit
from app.booking.events import booking_checked_in
from app.booking.lifecycle import STATUS_LABELS
from app.booking.models import Booking, BookingStatus
from app.booking.references import ALPHABET
from app.platform import timefmt
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.models import Venue

B = BookingStatus

# What a typed or scanned code may look like: the reference with or without its dashes and
# "CW" prefix, in any case, with spaces. Anything else is not one of our codes.
CODE_RE = re.compile(rf"(?:CW)?([{ALPHABET}]{{4}})([{ALPHABET}]{{4}})")
MAX_CODE_LENGTH = 40
CANCELLED = (B.CANCELLED_BY_CUSTOMER, B.CANCELLED_BY_VENUE)


class CheckInRefused(ValidationFailed):
    pass


def normalise_code(raw: str) -> str:
    """``cw-7k4p q2mx`` -> ``CW-7K4P-Q2MX``; refuses what can't be a reference."""
    squeezed = re.sub(r"[\s-]+", "", (raw or "")[:MAX_CODE_LENGTH]).upper()
    match = CODE_RE.fullmatch(squeezed)
    if match is None:
        raise CheckInRefused(_("That isn't a CozyWish booking code. Codes look like CW-7K4P-Q2MX."), field="code")
    return f"CW-{match.group(1)}-{match.group(2)}"


def check_in(venue: Venue, raw_code: str, *, actor_id: int, now: datetime | None = None) -> tuple[Booking, bool]:
    """Check in the booking with this code; returns it and whether it was checked in just now."""
    now = now or datetime.now(UTC)
    reference = normalise_code(raw_code)
    booking = db.session.scalar(
        select(Booking)
        .where(Booking.reference == reference)
        .options(joinedload(Booking.service))
        .with_for_update(of=Booking)
    )
    if booking is None:
        raise CheckInRefused(
            _("No booking has the code %(reference)s. Check it with the customer.", reference=reference), field="code"
        )
    if booking.venue_id != venue.id:
        raise CheckInRefused(
            _(
                "%(reference)s is a booking at another venue, not at %(venue_name)s.",
                reference=reference,
                venue_name=venue.name,
            ),
            field="code",
        )
    zone = timefmt.venue_zone(venue.timezone)
    today: date = now.astimezone(zone).date()
    day = booking.starts_at.astimezone(zone).date()
    if booking.status in CANCELLED:
        raise CheckInRefused(
            _("%(reference)s was cancelled, so there is nothing to check in.", reference=reference), field="code"
        )
    if day != today:
        raise CheckInRefused(
            _("%(reference)s was for %(day)s, not today.", reference=reference, day=timefmt.day_words(day))
            if day < today
            else _("%(reference)s is for %(day)s, not today.", reference=reference, day=timefmt.day_words(day)),
            field="code",
        )
    if booking.status not in (B.CONFIRMED, B.COMPLETED):
        raise CheckInRefused(
            _(
                "%(reference)s isn't confirmed (it is %(status)s).",
                reference=reference,
                status=str(STATUS_LABELS.get(booking.status, booking.status)).lower(),
            ),
            field="code",
        )
    if booking.checked_in_at is not None:
        return booking, False
    booking.checked_in_at = now
    booking_checked_in.send("desk", booking=booking, now=now)
    audit.record("booking.check_in", actor_id=actor_id, about=("booking", booking.id), reference=reference)
    db.session.commit()
    return booking, True
