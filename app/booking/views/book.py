"""Customer-facing booking pages: the booking flow on a venue page (the month calendar, a
day's free times and the chosen time's form). The page itself is built in
``app.web.booking_page``; what every booking page shares is in ``app.booking.presenting``
and ``app.web.guards``.

The cart, checkout and orders, and "My bookings" live beside this module
(``cart``, ``orders``, ``my_bookings``) and add their routes to the same blueprint.

Each route loads (404), checks who may act (403), validates and calls a service in
``app.booking``; the request commits once (app/web/unit_of_work.py). Templates get decided,
plain values built here.
Anonymous visitors may fill a cart (a random token in the session); venue and admin
accounts can look but not book.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.booking.presenting import MEMBER_ARG, booked_service, booking_time, with_vary
from app.payouts.accounts import takes_paid_bookings
from app.platform import cache_versions
from app.platform.extensions import db
from app.venues import menus
from app.venues.closing import pause_notice
from app.venues.models import Service, Venue
from app.web import page_cache
from app.web.blueprints import booking as bp
from app.web.booking_member import picked_member
from app.web.booking_page import (
    BOOK_FRAGMENTS,
    build_booking_page,
    picked_choice,
    picked_in_url,
)
from app.web.rendering import is_htmx, render_page

bp.add_app_template_filter(booking_time, "booking_time")  # emails print a booking's times with it
bp.add_app_template_filter(booked_service, "booked_service")  # "Massage (90 min)": the option booked

# -- the booking flow --------------------------------------------------------------------------


def get_bookable_service(slug: str, service_id: int) -> tuple[Venue, Service]:
    """The listed venue and its active service (app/venues/listed.py); anything else is a 404.
    On GET, as a warm worker remembers them with their menus (app/venues/menus.py)."""
    return menus.listed_menu(slug, service_id, remembered=request.method in ("GET", "HEAD"))


def book_fragment() -> str | None:
    if request.headers.get("HX-History-Restore-Request"):
        return None  # htmx rebuilding a page from history wants the whole page
    return BOOK_FRAGMENTS.get(request.headers.get("HX-Target", ""), "picker")


def get_venue_id_of_service(service_id: int) -> int | None:
    """The venue a service belongs to (a service never moves), remembered per process."""
    known: dict[int, int] = current_app.extensions.setdefault("booking_service_venues", {})
    if service_id not in known:
        venue_id = db.session.scalar(select(Service.venue_id).where(Service.id == service_id))
        if venue_id is None:
            return None
        known[service_id] = venue_id
    return known[service_id]


def book_page_namespaces(view_args: dict[str, Any]) -> list[str] | None:
    """What an anonymous visitor's booking page follows besides public data: the venue's
    bookings and time blocks. A chosen time's form holds a CSRF token, so it is never shared."""
    if "start" in request.args:
        return None
    venue_id = get_venue_id_of_service(view_args["service_id"])
    return [cache_versions.venue_times(venue_id)] if venue_id is not None else None


page_cache.share("booking.book", book_page_namespaces)


@bp.get("/venues/<slug>/book/<int:service_id>")
def book(slug: str, service_id: int) -> Response:
    venue, service = get_bookable_service(slug, service_id)
    if slug != venue.slug:
        names = ("month", "day", "start", "option", MEMBER_ARG)
        kept: dict[str, Any] = {key: request.args[key] for key in names if key in request.args}
        if "addons" in request.args:
            kept["addons"] = request.args.getlist("addons")
        return redirect(url_for(".book", slug=venue.slug, service_id=service.id, **kept), 301)
    month, day, start = picked_in_url()
    choice = picked_choice(service)  # the cheapest option when the URL names none; a foreign one (or add-on) is a 404
    member, member_gone = picked_member(venue, service)  # ?with=: another venue's, or not doing it, is a 404
    fragment = book_fragment()
    # A day's times ("slots") or a time's form ("details") shows no month: compute one day only.
    whole_month = not is_htmx() or bool(request.headers.get("HX-Boosted")) or fragment not in ("slots", "details")
    paused = pause_notice(venue)  # paused by its owner (app/venues/closing.py)
    bookable = takes_paid_bookings(venue.id) and paused is None
    if not bookable:  # its payouts aren't set up, or it is paused: the page says so and offers no day or time
        month, day, start, whole_month = None, None, None, False
    page = build_booking_page(
        venue,
        service,
        month=month,
        day=day,
        start=start,
        now=datetime.now(UTC),
        with_calendar=whole_month,
        choice=choice,
        member=member,
        member_gone=member_gone,
        # The person's next free times head the whole page; a fragment leaves them where they are.
        with_next_free=bookable and (fragment is None or not is_htmx() or bool(request.headers.get("HX-Boosted"))),
    )
    return with_vary(
        render_page("booking/book.html", fragment, **page, not_bookable=not bookable, paused_notice=paused), "HX-Target"
    )
