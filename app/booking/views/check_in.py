"""Check-in at the front desk: the provider scans the QR code on the customer's booking (the
device camera, on the check-in page only) or types its short reference.

A code checks in one of this venue's confirmed bookings for today (the venue's own day). Any
other code is refused with the reason in words: not a booking reference at all, no such
booking, a booking at another venue, another day, cancelled. Checking in twice is not an
error: the desk is told when it happened. Each check-in is audited.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import timefmt
from app.admin import audit
from app.booking.events import booking_checked_in
from app.booking.lifecycle import STATUS_LABELS
from app.booking.models import Booking, BookingStatus
from app.booking.references import ALPHABET
from app.errors import ValidationFailed
from app.extensions import db
from app.ops.errors import http_status
from app.rendering import add_toast, is_htmx, render_page
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import FRONT_DESK, venue_required

B = BookingStatus
# What a typed or scanned code may look like: the reference with or without its dashes and
# "CW" prefix, in any case, with spaces. Anything else is not one of our codes.
CODE_RE = re.compile(rf"(?:CW)?([{ALPHABET}]{{4}})([{ALPHABET}]{{4}})")
MAX_CODE_LENGTH = 40
CANCELLED = (B.CANCELLED_BY_CUSTOMER, B.CANCELLED_BY_VENUE)
# The camera works on this page only, and its scanner decodes in a worker made from a blob:
# URL: the page's own policies (read by Talisman from the view), the app's otherwise.
PAGE_SECURITY = {
    "permissions_policy": {"geolocation": "()", "camera": "(self)", "microphone": "()"},
    "content_security_policy": {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": "'self'",
        "connect-src": "'self'",
        "worker-src": ["'self'", "blob:"],
        "media-src": ["'self'", "blob:"],
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'self'",
        "object-src": "'none'",
    },
}


class CheckInRefused(ValidationFailed):
    pass


def normalise_code(raw: str) -> str:
    """``cw-7k4p q2mx`` -> ``CW-7K4P-Q2MX``; refuses what can't be a reference."""
    squeezed = re.sub(r"[\s-]+", "", (raw or "")[:MAX_CODE_LENGTH]).upper()
    match = CODE_RE.fullmatch(squeezed)
    if match is None:
        raise CheckInRefused(_("That isn't a CozyWish booking code. Codes look like CW-7K4P-Q2MX."))
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
            _("No booking has the code %(reference)s. Check it with the customer.", reference=reference)
        )
    if booking.venue_id != venue.id:
        raise CheckInRefused(
            _(
                "%(reference)s is a booking at another venue, not at %(venue_name)s.",
                reference=reference,
                venue_name=venue.name,
            )
        )
    zone = timefmt.venue_zone(venue.timezone)
    today: date = now.astimezone(zone).date()
    day = booking.starts_at.astimezone(zone).date()
    if booking.status in CANCELLED:
        raise CheckInRefused(_("%(reference)s was cancelled, so there is nothing to check in.", reference=reference))
    if day != today:
        raise CheckInRefused(
            _("%(reference)s was for %(day)s, not today.", reference=reference, day=timefmt.day_words(day))
            if day < today
            else _("%(reference)s is for %(day)s, not today.", reference=reference, day=timefmt.day_words(day))
        )
    if booking.status not in (B.CONFIRMED, B.COMPLETED):
        raise CheckInRefused(
            _(
                "%(reference)s isn't confirmed (it is %(status)s).",
                reference=reference,
                status=str(STATUS_LABELS.get(booking.status, booking.status)).lower(),
            )
        )
    if booking.checked_in_at is not None:
        return booking, False
    booking.checked_in_at = now
    booking_checked_in.send("desk", booking=booking, now=now)
    audit.record(
        "booking.check_in",
        actor_id=actor_id,
        subject_type="booking",
        subject_id=booking.id,
        reference=reference,
    )
    db.session.commit()
    return booking, True


def todays_check_ins(venue: Venue, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Today's checked-in bookings at the venue, the latest first."""
    now = now or datetime.now(UTC)
    zone = timefmt.venue_zone(venue.timezone)
    local = now.astimezone(zone)
    start = datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(UTC)
    rows = db.session.scalars(
        select(Booking)
        .where(Booking.venue_id == venue.id, Booking.checked_in_at >= start, Booking.checked_in_at.is_not(None))
        .options(joinedload(Booking.service), joinedload(Booking.customer))
        .order_by(Booking.checked_in_at.desc())
    )
    return [describe(b, zone) for b in rows]


def describe(booking: Booking, zone) -> dict[str, Any]:
    return {
        "id": booking.id,
        "reference": booking.reference,
        "customer": booking.customer.name if booking.customer else "",
        "service": booking.service.name,
        "quantity": booking.quantity,
        "time": timefmt.time_span_label(booking.starts_at, booking.ends_at, zone),
        "checked_in": timefmt.clock_label(booking.checked_in_at, zone) if booking.checked_in_at else "",
    }


# -- the page ------------------------------------------------------------------------------------


def _page(venue: Venue, *, status: int = 200, result: dict | None = None, error: str = "", code: str = ""):
    context = {
        "venue": venue,
        "check_ins": todays_check_ins(venue),
        "result": result,
        "error": error,
        "code": code,
    }
    return render_page("booking/check_in.html", "check_in_panel", status=status, **context)


@bp.get("/check-in")
@venue_required(roles=FRONT_DESK)
def check_in_page(venue: Venue):
    return _page(venue)


check_in_page.talisman_view_options = dict(PAGE_SECURITY)


@bp.post("/check-in")
@venue_required(roles=FRONT_DESK)
def check_in_submit(venue: Venue):
    raw = request.form.get("code", "")
    try:
        booking, fresh = check_in(venue, raw, actor_id=current_user.id)
    except CheckInRefused as refused:
        db.session.rollback()
        response = _page(venue, status=http_status(refused), error=refused.message, code=raw[:MAX_CODE_LENGTH])
        return add_toast(response, refused.message, "danger") if is_htmx() else response
    shown = describe(booking, timefmt.venue_zone(venue.timezone))
    message = (
        f"Checked in {shown['customer']}: {shown['service']}, {shown['time']}."
        if fresh
        else f"{booking.reference} was already checked in at {shown['checked_in']}."
    )
    response = _page(venue, result={**shown, "fresh": fresh, "message": message})
    return add_toast(response, message, "success" if fresh else "info") if is_htmx() else response
