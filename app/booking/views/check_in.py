"""Check-in at the front desk: the provider scans the QR code on the customer's booking (the
device camera, on the check-in page only) or types its short reference.

A code checks in one of this venue's confirmed bookings for today (the venue's own day). Any
other code is refused with the reason in words: not a booking reference at all, no such
booking, a booking at another venue, another day, cancelled. Checking in twice is not an
error: the desk is told when it happened. Each check-in is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.booking.check_ins import CANCELLED, MAX_CODE_LENGTH, CheckInRefused, check_in, normalise_code  # noqa: F401
from app.booking.models import Booking, BookingStatus
from app.platform import timefmt
from app.platform.errors import DomainError
from app.platform.extensions import db
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import FRONT_DESK, venue_required
from app.web.rendering import render_page, toast_if_htmx
from app.web.unit_of_work import on_refusal

B = BookingStatus
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

    def refused(error: DomainError) -> Response:
        response = _page(venue, error=error.message, code=raw[:MAX_CODE_LENGTH])
        return toast_if_htmx(response, error.message, "danger")

    on_refusal(refused, kinds=CheckInRefused)
    booking, fresh = check_in(venue, raw, actor_id=current_user.id)
    shown = describe(booking, timefmt.venue_zone(venue.timezone))
    message = (
        f"Checked in {shown['customer']}: {shown['service']}, {shown['time']}."
        if fresh
        else f"{booking.reference} was already checked in at {shown['checked_in']}."
    )
    response = _page(venue, result={**shown, "fresh": fresh, "message": message})
    return toast_if_htmx(response, message, "success" if fresh else "info")
