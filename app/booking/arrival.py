"""Where a confirmed booking is on its day (issue 45, item 2): booked, then arrived (the client is
at the front desk: ``checked_in_at``, the same mark the desk's check-in page sets,
app/booking/check_ins.py), then started (the treatment began: ``started_at``). Completed and
no-show stay the lifecycle's (app/booking/lifecycle.py); a stage is not a status.

The desk sets the stage from the calendar's card or the booking's page; going back to "booked"
clears both marks (a mistaken tap is undone). Only a confirmed booking has a stage, and not a
request to book the venue hasn't accepted yet. Each change is audited; arriving for the first
time tells the venue's webhooks as a check-in does (``booking_checked_in``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.audit import service as audit
from app.booking.events import booking_checked_in
from app.booking.models import Booking, BookingStatus
from app.booking.requests import PENDING
from app.platform.errors import InvalidTransition, ValidationFailed

BOOKED, ARRIVED, STARTED = "booked", "arrived", "started"
STAGES = (BOOKED, ARRIVED, STARTED)
STAGE_LABELS = {BOOKED: _l("Booked"), ARRIVED: _l("Arrived"), STARTED: _l("Started")}
# The audit action of each change, named in the booking's history (app/web/calendar_page.py).
ACTIONS = {BOOKED: "booking.stage_booked", ARRIVED: "booking.stage_arrived", STARTED: "booking.stage_started"}


def stage_of(booking: Booking) -> str:
    """ "started", "arrived" or "booked", from the booking's marks (whatever its status)."""
    if booking.started_at is not None:
        return STARTED
    if booking.checked_in_at is not None:
        return ARRIVED
    return BOOKED


def has_stage(booking: Booking) -> bool:
    """Can the desk set this booking's stage: confirmed, and not a request still waiting for an answer."""
    return booking.status == BookingStatus.CONFIRMED and booking.request_state != PENDING


def set_stage(booking: Booking, stage: str, *, actor_id: int | None, now: datetime | None = None) -> bool:
    """Put a confirmed booking at ``stage``; returns whether anything changed (setting the stage it
    is at changes nothing and writes nothing). Refuses an unknown stage (ValidationFailed) and a
    booking that has no stage (InvalidTransition), changing nothing. The caller holds the row lock."""
    if stage not in STAGES:
        raise ValidationFailed(_("Choose Booked, Arrived or Started."), field="stage")
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidTransition(_("Only a confirmed booking can be marked arrived or started."))
    if booking.request_state == PENDING:
        raise InvalidTransition(_("Accept the request first: it can then be marked arrived or started."))
    before = stage_of(booking)
    if before == stage:
        return False
    now = now or datetime.now(UTC)
    first_arrival = booking.checked_in_at is None and stage != BOOKED
    if stage == BOOKED:
        booking.checked_in_at = booking.started_at = None
    else:
        booking.checked_in_at = booking.checked_in_at or now
        booking.started_at = (booking.started_at or now) if stage == STARTED else None
    audit.record(
        ACTIONS[stage],
        actor_id=actor_id,
        about=("booking", booking.id),
        from_state=before,
        to_state=stage,
        reference=booking.reference,
    )
    if first_arrival:
        booking_checked_in.send("desk", booking=booking, now=now)  # as the check-in page does
    return True
