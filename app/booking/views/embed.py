"""The booking button's pages (docs/booking-button.md).

The panel (``/embed/<slug>`` and a service's times) is framed by the venue's own website: it
sends CSP ``frame-ancestors`` with exactly the venue's registered origins ('none' when it has
none) and no X-Frame-Options; every other page keeps the app's ``frame-ancestors 'none'`` and
``X-Frame-Options: DENY``. The panel only reads (GET, no cookies needed), so a browser that
blocks third-party cookies shows it the same. Choosing a time opens a first-party tab
(``/embed/<slug>/book/<service>``, framed by nobody), where the customer signs in, checks out and
pays with ordinary cookies; the item it adds is marked as chosen through the venue's button,
which makes the order the venue's own channel (no commission)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.booking import cart as carts
from app.booking.availability import get_bookable_days, get_slots
from app.booking.errors import CartItemInvalid
from app.booking.forms import BadInput, parse_day, parse_instant
from app.platform import timefmt
from app.venues.listed import bookable_service, listed_venue
from app.venues.models import Service, Venue
from app.venues.options import standard_option
from app.web.blueprints import embed as bp
from app.web.guards import get_cart_owner, require_booker
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

DAYS_SHOWN = 14
# The panel's own policy: the app's, with the venue's origins as frame-ancestors (set per request).
PANEL_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors {ancestors}"
)
# Talisman leaves these two headers to this module on the panel's views (see ``framed``).
FRAMED = {"content_security_policy": None, "frame_options": None}


def frame_ancestors(venue: Venue | None) -> str:
    origins = list(venue.site_origins or []) if venue is not None else []
    return " ".join(origins) if origins else "'none'"


@bp.after_request
def panel_headers(response: Response) -> Response:
    """The panel's CSP (Talisman sets none on these views); the booking tab keeps the app's."""
    if (request.endpoint or "").split(".")[-1] in PANEL_VIEWS:
        response.headers["Content-Security-Policy"] = PANEL_POLICY.format(
            ancestors=frame_ancestors(g.get("embed_venue"))
        )
        response.headers.pop("X-Frame-Options", None)
    return response


def _venue(slug: str) -> Venue:
    venue = listed_venue(slug)
    g.embed_venue = venue  # the panel's CSP names the venue's own sites
    return venue


@bp.get("/<slug>")
def panel(slug: str) -> Response:
    venue = _venue(slug)
    services = [service for service in venue.services if service.is_active]
    return render_page("embed/panel.html", venue=venue, services=services)


@bp.get("/<slug>/<int:service_id>")
def panel_times(slug: str, service_id: int) -> Response:
    venue = _venue(slug)
    service = bookable_service(venue, service_id)
    now = datetime.now(UTC)
    zone = timefmt.venue_zone(venue.timezone)
    today = now.astimezone(zone).date()
    try:
        day = parse_day(request.args["day"]) if "day" in request.args else None
    except BadInput as exc:
        abort(400, str(exc))
    open_days = sorted(d for d, free in get_bookable_days(service, today, DAYS_SHOWN, now=now).items() if free)
    if day is None:
        day = open_days[0] if open_days else today
    if not today <= day < today + timedelta(days=DAYS_SHOWN):
        abort(400, _("Choose a day in the next %(num)d days.", num=DAYS_SHOWN))
    slots = get_slots(service, day, now=now)
    return render_page(
        "embed/times.html",
        venue=venue,
        service=service,
        day=day,
        open_days=open_days,
        slots=[(slot, timefmt.clock_label(slot.start, zone)) for slot in slots],
        day_label=timefmt.day_words,
    )


PANEL_VIEWS = {"panel", "panel_times"}
panel.talisman_view_options = dict(FRAMED)
panel_times.talisman_view_options = dict(FRAMED)


# -- the first-party tab: sign in, cart, checkout and payment with ordinary cookies ----------------


def _start(venue: Venue, service: Service) -> datetime:
    try:
        return parse_instant(request.values.get("start", ""))
    except BadInput as exc:
        abort(400, str(exc))


@bp.get("/<slug>/book/<int:service_id>")
def book_tab(slug: str, service_id: int) -> Response:
    venue = _venue(slug)
    service = bookable_service(venue, service_id)
    start = _start(venue, service)
    return _tab(venue, service, start)


def _tab(venue: Venue, service: Service, start: datetime, *, status: int = 200, error: str = "") -> Response:
    zone = timefmt.venue_zone(venue.timezone)
    when = timefmt.moment_label(start, zone)
    return render_page(
        "embed/book.html", status=status, venue=venue, service=service, start=start, when=when, error=error
    )


@bp.post("/<slug>/book/<int:service_id>")
def book_from_site(slug: str, service_id: int) -> Response:
    """Add the chosen time to the cart as chosen through the venue's own button, then the cart."""
    require_booker()
    venue = _venue(slug)
    service = bookable_service(venue, service_id)
    start = _start(venue, service)
    owner = get_cart_owner(create=True)
    on_refusal(lambda error: _tab(venue, service, start, error=error.message), kinds=CartItemInvalid)
    carts.add_item(
        owner,
        service_id=service.id,
        starts_at=start,
        quantity=1,
        team_member_id=None,
        option_id=getattr(standard_option(service), "id", None),  # the panel sells the standard length
        via_site_venue_id=venue.id,
    )
    return redirect(url_for("booking.cart"), 303)
