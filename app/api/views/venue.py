"""``/api/v1/venue``: the signed-in person's own venue, as their staff role allows (the same
``venue_required`` guard and role table as the provider pages, docs/staff-roles.md)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import schemas
from app.api.conventions import cursor_position, next_cursor
from app.api.lookups import loaded
from app.api.presenting import booking_row, hours_row, money, service_rows, staff_venue_row
from app.api.routes import venue_route
from app.booking.check_ins import check_in
from app.booking.models import Booking, BookingStatus
from app.booking.time_blocks import add_time_block, find_time_blocks, mask_weekdays, remove_time_block
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.ops.errors import field_errors, http_status, render_error
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.records import attributes
from app.platform.timefmt import venue_zone
from app.platform.urls import absolute_url
from app.venues.models import Venue
from app.web.guards import EVERYONE, FRONT_DESK, acting_member_scope, acting_role
from app.web.unit_of_work import on_refusal

MAX_RANGE_DAYS = 62
NEW_CLIENT_FIELDS = ("name", "email", "phone")


def new_client_refusal(error: ValidationFailed):
    """A new client's name, email or phone refused: named under ``new_client``, as the body has them."""
    if error.field in NEW_CLIENT_FIELDS:
        error = ValidationFailed(error.message, field=f"new_client.{error.field}")
    return render_error(http_status(error), error.message, errors=field_errors(error))


SHOWN = (BookingStatus.HELD, BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


@venue_route("get", "", 200, schemas.StaffVenue)
def own_venue(venue: Venue):
    """Your venue, whatever its listing status, and your role there."""
    return staff_venue_row(loaded(venue), acting_role())


@venue_route("get", "/services", 200, schemas.Service(many=True))
def own_services(venue: Venue):
    """Your venue's services, the hidden ones too."""
    return service_rows(loaded(venue).services)


@venue_route("get", "/team", 200, schemas.TeamMember(many=True))
def own_team(venue: Venue):
    """Your venue's team members."""
    return [{"id": m.id, "name": m.name, "title": m.title} for m in loaded(venue).team]


@venue_route("get", "/hours", 200, schemas.Hours)
def own_hours(venue: Venue):
    """Weekly hours and closures."""
    return hours_row(loaded(venue))


@venue_route("get", "/bookings", 200, schemas.Calendar, roles=EVERYONE, query=schemas.RangeArgs)
def calendar(venue: Venue, start, end):
    """The calendar's bookings from ``start`` to ``end`` (local days, both included); a
    practitioner sees only their own, as on the calendar page."""
    since, until = _range(venue, start, end)
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


@venue_route("post", "/check-ins", 200, schemas.CheckIn, roles=FRONT_DESK, body=schemas.CheckInIn)
def check_in_booking(data, venue: Venue):
    """Check in today's booking with this code (the QR code's or the typed reference), as the
    check-in page does; checking in twice is not an error (``just_now`` is false)."""
    booking, just_now = check_in(venue, data["code"], actor_id=current_user.id)
    return {"booking": venue_booking_row(booking), "just_now": just_now}


def _range(venue: Venue, start, end) -> tuple[datetime, datetime]:
    """Local days ``start`` to ``end`` (both included) as an instant range; a 422 past the limit."""
    if end < start or (end - start).days > MAX_RANGE_DAYS:
        abort(
            422,
            message=_("Ask for at most %(days)s days, ending on or after the start.", days=MAX_RANGE_DAYS),
            errors={"query": {"end": [_("Out of range.")]}},
        )
    zone = venue_zone(venue.timezone)
    return datetime.combine(start, time(0), zone), datetime.combine(end + timedelta(days=1), time(0), zone)


# -- the front desk: walk-ins and phone bookings --------------------------------------------------------


@venue_route(
    "post",
    "/bookings",
    201,
    schemas.VenueBooking,
    roles=FRONT_DESK,
    alt=(404, "Not your venue's service, team member or client"),
    body=schemas.DeskBookingIn,
    idempotent=True,
)
def desk_booking(data, venue: Venue):
    """Book a walk-in or a phone caller (the desk's "New booking"): a client of your client book
    (``client_id``) or a new one (``new_client``), confirmed at once and paid at the venue, or
    by a payment link sent to them (``payment = link``). A time just taken is a 409."""

    def book() -> Booking:
        new = data["new_client"] or {}
        on_refusal(new_client_refusal, kinds=ValidationFailed)
        client = clients.desk_client(
            venue.id,
            client_id=data["client_id"],
            name=new.get("name", ""),
            email=new.get("email", ""),
            phone=new.get("phone", ""),
        )
        return book_at_desk(
            venue,
            client,
            service_id=data["service_id"],
            starts_at=data["starts_at"].astimezone(UTC),
            team_member_id=data["team_member_id"],
            staff=current_user._get_current_object(),
            now=datetime.now(UTC),
            pay_by_link=data["payment"] == "link",
        )

    return venue_booking_row(book()), 201


# -- time blocks --------------------------------------------------------------------------------------


def block_row(block) -> dict:
    return {
        **attributes(block, "id", "team_member_id", "starts_at", "ends_at", "reason", "repeat_until"),
        "repeat_weekdays": mask_weekdays(block.repeat_weekdays),
    }


@venue_route("get", "/blocks", 200, schemas.TimeBlocks, roles=EVERYONE, query=schemas.RangeArgs)
def time_blocks(venue: Venue, start, end):
    """Time blocks (each occurrence of a weekly series) from ``start`` to ``end``, local days both
    included; a practitioner sees their own and the whole venue's, as on the calendar."""
    since, until = _range(venue, start, end)
    found = find_time_blocks(venue, since, until, member_id=acting_member_scope())
    return {"timezone": venue.timezone, "blocks": [block_row(b) for b in found]}


@venue_route(
    "post",
    "/blocks",
    201,
    schemas.TimeBlock,
    roles=FRONT_DESK,
    alt=(404, "Not your venue's team member"),
    body=schemas.TimeBlockIn,
    idempotent=True,
)
def add_block(data, venue: Venue):
    """Block time so customers can't book it: one team member's (``team_member_id``) or the whole
    venue's, once or weekly (``repeat_weekdays`` with ``repeat_until``). Bookings already in it stand."""
    block = add_time_block(
        venue,
        member_id=data["team_member_id"],
        starts_at=data["starts_at"].astimezone(UTC),
        ends_at=data["ends_at"].astimezone(UTC),
        reason=data["reason"],
        repeat_weekdays=data["repeat_weekdays"],
        repeat_until=data["repeat_until"],
    )
    today = block.starts_at.astimezone(venue_zone(venue.timezone)).date()
    location = absolute_url("api_venue.time_blocks", start=today.isoformat(), end=today.isoformat())
    return block_row(block), 201, {"Location": location}


@venue_route("delete", "/blocks/<int:block_id>", 204, roles=FRONT_DESK)
def delete_block(venue: Venue, block_id: int):
    """Remove a block (a whole series): the time is bookable again."""
    remove_time_block(venue, block_id)


# -- the client book ------------------------------------------------------------------------------------


# A client book row's figures the API shows as they are (spend is money).
CLIENT_FIELDS = (
    "id",
    "name",
    "email",
    "phone",
    "tags",
    "blocked",
    "visits",
    "no_shows",
    "late_cancellations",
    "last_visit",
    "next_visit",
)


def client_row(row) -> dict:
    return {
        **attributes(row, *CLIENT_FIELDS),
        "spend": money(row.spend_minor, row.currency) if row.currency else None,
    }


@venue_route("get", "/clients", 200, schemas.ClientPage, roles=EVERYONE, query=schemas.ClientArgs)
def client_book(venue: Venue, q: str, cursor: str | None = None):
    """Your clients in name order, with their figures, those whose name, email or phone contains
    ``q``; a practitioner's book holds only the clients they have a booking with."""
    after = cursor_position(cursor, "after")  # the last client shown: a keyset on (lower(name), id)
    listing = clients.list_clients(
        venue.id, q=q.strip(), now=datetime.now(UTC), member_id=acting_member_scope(), after_id=after
    )
    following = next_cursor("after", listing.rows[-1].id if listing.more and listing.rows else None)
    return {"clients": [client_row(r) for r in listing.rows], "total": listing.total, "next_cursor": following}


@venue_route("get", "/clients/<int:client_id>", 200, schemas.ClientCard, roles=EVERYONE)
def client_card(venue: Venue, client_id: int):
    """One client's card: contact, notes, tags, figures and their bookings at your venue."""
    return _card_of(venue, client_id, member_id=acting_member_scope())


def _card_of(venue: Venue, client_id: int, *, member_id: int | None = None) -> dict:
    client = clients.get_client(venue.id, client_id, member_id=member_id)
    figures = clients.client_figures(venue.id, client.id, now=datetime.now(UTC))
    return {
        **client_row(figures),
        "notes": client.notes,
        "bookings": [venue_booking_row(b) for b in clients.history(client)],
    }


def _locked_client(venue: Venue, client_id: int):
    return clients.get_client(venue.id, client_id, for_update=True)


@venue_route(
    "put", "/clients/<int:client_id>/notes", 200, schemas.ClientCard, roles=FRONT_DESK, body=schemas.ClientNotesIn
)
def save_client_notes(data, venue: Venue, client_id: int):
    """Replace the card's notes and tags (only your venue sees them), as the card's form does."""
    client = _locked_client(venue, client_id)
    clients.update_notes(client, notes=data["notes"], tags=data["tags"])
    return _card_of(venue, client_id)


@venue_route(
    "put",
    "/clients/<int:client_id>/block",
    200,
    schemas.ClientCard,
    roles=FRONT_DESK,
    body=schemas.ClientBlockIn,
    alt=(409, "The client has no account (a walk-in): they never book online, so there is nothing to block"),
)
def block_client(data, venue: Venue, client_id: int):
    """Block the client from booking your venue online, with a reason only your venue sees."""
    client = _locked_client(venue, client_id)
    clients.block(client, reason=data["reason"], now=datetime.now(UTC))
    return _card_of(venue, client_id)


@venue_route("delete", "/clients/<int:client_id>/block", 200, schemas.ClientCard, roles=FRONT_DESK)
def unblock_client(venue: Venue, client_id: int):
    """Let the client book online again (unblocking twice is not an error)."""
    clients.unblock(_locked_client(venue, client_id))
    return _card_of(venue, client_id)
