"""A booking as its pages show it: a venue's zone and times in it, a booking's row, and a
customer's own booking loaded for a page (404 when it is another's)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from app.booking import requests
from app.booking.models import Booking, Order
from app.booking.policy import describe_booking_rules
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.deposits import booking_paid_label
from app.venues.models import VenueStatus, team_member_services

# The booking page's URL argument naming the person to book with (``?with=<team member id>``).
MEMBER_ARG = "with"

# An order's bookings loaded with what each one's line shows (its venue, service and team member,
# joined to it; its add-ons): two statements after the order's own, however many bookings.
ORDER_BOOKINGS = selectinload(Order.bookings).options(
    joinedload(Booking.venue),
    joinedload(Booking.service),
    joinedload(Booking.team_member),
    selectinload(Booking.addons),
)


def booking_time(booking: Booking, pattern: str = timefmt.LONG_DAY) -> str:
    """A booking's start and end in its venue's zone, for emails: "Sunday 25 October 2026,
    01:30 BST–01:30 GMT (Europe/London)"."""
    return timefmt.venue_span_label(booking.starts_at, booking.ends_at, booking.venue.timezone, pattern=pattern)


def day_label(day: date) -> str:
    return timefmt.day_words(day, timefmt.LONG_DAY)  # cached: a month grid asks for every day


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else []))


def service_label(service_name: str, option_name: str | None, addon_names: Iterable[str] = ()) -> str:
    """ "Massage (90 min) + Hot stones": a service with the option and add-ons booked; the
    service's name alone without them."""
    label = service_name if not option_name else _("%(service)s (%(option)s)", service=service_name, option=option_name)
    return " + ".join([label, *addon_names])


def booked_service(booking: Booking) -> str:
    """The service a booking is for, with its option and add-ons as booked: "Massage (90 min) +
    Hot stones" (templates' ``booked_service`` filter)."""
    return service_label(booking.service.name, booking.option_name, [addon.name for addon in booking.addons])


def with_vary(response: Response, *headers: str) -> Response:
    for header in headers:
        response.vary.add(header)
    return response


def booking_summary(booking: Booking) -> dict[str, Any]:
    """A booking as a list of bookings shows it (My bookings): what, where, when, its state and
    total, and where its page and its order's are."""
    zone = timefmt.venue_zone(booking.venue)
    when, ends = timefmt.start_and_end(booking.starts_at, booking.ends_at, zone)
    return {
        "reference": booking.reference,
        "url": url_for(".booking_detail", reference=booking.reference),
        "service": booked_service(booking),
        "venue": booking.venue.name,
        "when": when,
        "ends": ends,
        "timezone": zone.key,
        "total": format_money(booking.total_minor, booking.currency),
        "status": booking.status,
        "status_label": requests.status_label(booking),
        "order_url": url_for(".order", order_id=booking.order_id),
    }


def booking_row(booking: Booking) -> dict[str, Any]:
    """A booking as its own page shows it: the summary, with its venue's page, the person, the
    quantity and price, and the rules and payment it was booked with."""
    return {
        **booking_summary(booking),
        "venue_url": url_for("venues_public.venue_page", slug=booking.venue.slug),
        "member": booking.team_member.name if booking.team_member else None,
        "quantity": booking.quantity,
        "unit_price": format_money(booking.unit_price_minor, booking.currency),
        "request_state": booking.request_state,
        "policy": describe_booking_rules(booking),
        "payment": booking_paid_label(booking),
    }


def book_url(venue_slug: str, service_id: int, member_id: int | None = None) -> str:
    """The booking page of a service, asking for ``member_id``'s times first when given."""
    wanted = {MEMBER_ARG: member_id} if member_id is not None else {}
    return url_for("booking.book", slug=venue_slug, service_id=service_id, **wanted)


def rebook_links(bookings: Iterable[Booking]) -> dict[int, dict[str, Any] | None]:
    """Where "Book again" goes from each booking (by id): its service's booking page, with the
    booking's team member (``member``: their name) when they still do that service; None when
    the service or the venue can't be booked any more. One statement for all the bookings."""
    bookings = list(bookings)
    pairs = {(b.team_member_id, b.service_id) for b in bookings if b.team_member_id is not None}
    still = (
        set(
            db.session.execute(
                select(team_member_services.c.team_member_id, team_member_services.c.service_id).where(
                    team_member_services.c.team_member_id.in_({member for member, _ in pairs}),
                    team_member_services.c.service_id.in_({service for _, service in pairs}),
                )
            ).all()
        )
        if pairs
        else set()
    )
    links: dict[int, dict[str, Any] | None] = {}
    for b in bookings:
        if not (b.service.is_active and b.venue.status == VenueStatus.APPROVED):
            links[b.id] = None
            continue
        member = b.team_member if (b.team_member_id, b.service_id) in still else None
        links[b.id] = {
            "url": book_url(b.venue.slug, b.service_id, member.id if member else None),
            "member": member.name if member else None,
        }
    return links


def find_own_booking(reference: str, customer_id: int) -> Booking | None:
    """The customer's booking with this reference, or None: another customer's booking is not
    there for them, nor is a move's hold (part of that move, not a booking of its own)."""
    booking = None
    if len(reference) <= 16:
        booking = db.session.scalar(select(Booking).where(Booking.reference == reference.upper()))
    if booking is None or booking.customer_id != customer_id or booking.moves_booking_id is not None:
        return None
    return booking
