"""``/api/v1/venue``: the signed-in person's own venue, as their staff role allows (the same
``venue_required`` guard and role table as the provider pages, docs/staff-roles.md)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import schemas
from app.api.auth import require
from app.api.present import booking_row, hours_row, service_row, venue_row
from app.booking.check_ins import check_in
from app.booking.models import Booking, BookingStatus
from app.errors import DomainError
from app.extensions import db
from app.timefmt import venue_zone
from app.venues.models import Venue
from app.web.blueprints import api_venue as bp
from app.web.guards import EVERYONE, FRONT_DESK, OWNER_AND_MANAGER, acting_member_scope, acting_role, venue_required

MAX_RANGE_DAYS = 62
SHOWN = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


def loaded(venue: Venue) -> Venue:
    return db.session.scalars(
        select(Venue)
        .where(Venue.id == venue.id)
        .options(
            selectinload(Venue.services),
            selectinload(Venue.team),
            selectinload(Venue.opening_hours),
            selectinload(Venue.closures),
            selectinload(Venue.category),
        )
    ).one()


@bp.get("")
@bp.response(200, schemas.StaffVenue)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def own_venue(venue: Venue):
    """Your venue, whatever its listing status, and your role there."""
    return {**venue_row(loaded(venue)), "status": venue.status, "role": acting_role()}


@bp.get("/services")
@bp.response(200, schemas.Service(many=True))
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def own_services(venue: Venue):
    return [service_row(s) for s in loaded(venue).services]


@bp.get("/team")
@bp.response(200, schemas.TeamMember(many=True))
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def own_team(venue: Venue):
    return [{"id": m.id, "name": m.name, "title": m.title} for m in loaded(venue).team]


@bp.get("/hours")
@bp.response(200, schemas.Hours)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def own_hours(venue: Venue):
    """Weekly hours and closures."""
    return hours_row(loaded(venue))


@bp.get("/bookings")
@bp.arguments(schemas.RangeArgs, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.Calendar)
@require("venue")
@venue_required(roles=EVERYONE)
def calendar(venue: Venue, start, end):
    """The calendar's bookings from ``start`` to ``end`` (local days, both included); a
    practitioner sees only their own, as on the calendar page."""
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        abort(
            422,
            message=_("Ask for at most %(days)s days, ending on or after the start.", days=MAX_RANGE_DAYS),
            errors={"query": {"end": [_("Out of range.")]}},
        )
    zone = venue_zone(venue.timezone)
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    query = (
        select(Booking)
        .where(Booking.venue_id == venue.id, Booking.starts_at >= since, Booking.starts_at < until)
        .where(Booking.status.in_(SHOWN), Booking.moves_booking_id.is_(None))
        .options(selectinload(Booking.venue), selectinload(Booking.service), selectinload(Booking.customer))
        .order_by(Booking.starts_at, Booking.id)
    )
    member = acting_member_scope()
    if member is not None:
        query = query.where(Booking.team_member_id == member)
    rows = db.session.scalars(query).all()
    return {"timezone": venue.timezone, "bookings": [venue_booking_row(b) for b in rows]}


def venue_booking_row(booking: Booking) -> dict:
    return {
        **booking_row(booking),
        "customer": booking.customer.name if booking.customer else None,
        "team_member_id": booking.team_member_id,
        "channel": booking.channel,
        "checked_in_at": booking.checked_in_at,
    }


@bp.post("/check-ins")
@bp.response(200, schemas.CheckIn)
@require("venue")
@venue_required(roles=FRONT_DESK)
@bp.arguments(schemas.CheckInIn)
def check_in_booking(data, venue: Venue):
    """Check in today's booking with this code (the QR code's or the typed reference), as the
    check-in page does; checking in twice is not an error (``just_now`` is false)."""
    try:
        booking, just_now = check_in(venue, data["code"], actor_id=current_user.id)
    except DomainError:
        db.session.rollback()
        raise
    return {"booking": venue_booking_row(booking), "just_now": just_now}
