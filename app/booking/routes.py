"""Customer-facing booking pages: the booking flow on a venue page (the month calendar, a
day's free times and the chosen time's form), and what every booking page shares.

The cart, checkout and orders, and "My bookings" live beside this module
(``cart_views``, ``order_views``, ``my_bookings``) and register on the same blueprint.

Each route loads (404), checks who may act (403), validates, calls a service in
``app.booking`` and commits once. Templates get decided, plain values built here.
Anonymous visitors may fill a cart (a random token in the session); venue and admin
accounts can look but not book.
"""

from __future__ import annotations

import calendar as month_grid
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app import cache_versions, page_cache, timefmt
from app.accounts.models import Role
from app.booking import cart as carts
from app.booking import lifecycle
from app.booking.availability import Busyness, busy_window, get_bookable_days, get_busy, get_slots, service_spec
from app.booking.deposits import booking_paid_label, service_pay_label
from app.booking.forms import MAX_QUANTITY, BadInput, format_instant, parse_day, parse_instant, parse_month
from app.booking.models import Booking, CartItem
from app.booking.policy import describe_fees
from app.extensions import db
from app.money import format_money
from app.payouts.accounts import takes_paid_bookings
from app.rendering import is_htmx, render_page
from app.scheduling import Slot
from app.venues.models import Service, TeamMember, Venue, VenueStatus
from app.venues.slugs import find_venue_by_any_slug
from app.web.blueprints import booking as bp

CART_TOKEN = "cart_token"  # noqa: S105 - the session key of the anonymous cart, not a secret
NOT_FOR_BOOKING = _l("Venue and admin accounts can't book. Sign in with a customer account to book.")
# HTMX asks for one part of the booking page by the id of the element it swaps.
BOOK_FRAGMENTS = {"booking-picker": "picker", "booking-slots": "slots", "slot-details": "details"}


# -- who is booking ----------------------------------------------------------------------------


def may_book() -> bool:
    """Customers and anonymous visitors book; venue and admin accounts don't."""
    return not current_user.is_authenticated or current_user.has_role(Role.CUSTOMER)


def require_booker() -> None:
    if not may_book():
        abort(403, NOT_FOR_BOOKING)


def get_cart_owner(*, create: bool = False) -> carts.CartOwner | None:
    """The signed-in customer's cart, or the session's anonymous one (made on first add)."""
    if current_user.is_authenticated:
        return carts.CartOwner(user_id=current_user.id)
    token = session.get(CART_TOKEN)
    if not isinstance(token, str) or not token:
        if not create:
            return None
        token = secrets.token_urlsafe(24)
        session[CART_TOKEN] = token
    return carts.CartOwner(token=token)


def count_cart_items() -> int:
    if not may_book():
        return 0
    owner = get_cart_owner()
    if owner is None:
        return 0
    query = select(func.count()).select_from(CartItem).where(owner.where(), CartItem.expires_at > datetime.now(UTC))
    try:
        return db.session.scalar(query) or 0
    except SQLAlchemyError:  # an error page after a database failure still renders its navbar
        return 0


# -- display helpers ---------------------------------------------------------------------------


def zone_of(venue: Venue) -> ZoneInfo:
    return timefmt.venue_zone(venue.timezone)


def when_label(moment: datetime, zone: ZoneInfo) -> str:
    """ "Sun 25 Oct 2026, 14:30", with the zone's abbreviation on a day the clocks change."""
    return timefmt.moment_label(moment, zone)


@bp.app_template_filter("booking_time")
def booking_time(booking: Booking, pattern: str = timefmt.LONG_DAY) -> str:
    """A booking's start and end in its venue's zone, for emails: "Sunday 25 October 2026,
    01:30 BST–01:30 GMT (Europe/London)"."""
    return timefmt.venue_span_label(booking.starts_at, booking.ends_at, booking.venue.timezone, pattern=pattern)


def day_label(day: date) -> str:
    return timefmt.day_words(day, timefmt.LONG_DAY)  # cached: a month grid asks for every day


def duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return " ".join(([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else []))


def with_vary(response: Response, *headers: str) -> Response:
    for header in headers:
        response.vary.add(header)
    return response


def booking_row(booking: Booking) -> dict[str, Any]:
    zone = zone_of(booking.venue)
    when, ends = timefmt.start_and_end(booking.starts_at, booking.ends_at, zone)
    return {
        "reference": booking.reference,
        "url": url_for(".booking_detail", reference=booking.reference),
        "service": booking.service.name,
        "venue": booking.venue.name,
        "venue_url": url_for("venues_public.venue_page", slug=booking.venue.slug),
        "when": when,
        "ends": ends,
        "timezone": zone.key,
        "member": booking.team_member.name if booking.team_member else None,
        "quantity": booking.quantity,
        "unit_price": format_money(booking.unit_price_minor, booking.currency),
        "total": format_money(booking.total_minor, booking.currency),
        "status": booking.status,
        "status_label": lifecycle.STATUS_LABELS.get(booking.status, booking.status),
        "policy": describe_fees(
            booking.cancel_free_hours, booking.cancel_late_fee_percent, booking.no_show_fee_percent
        ),
        "payment": booking_paid_label(booking),
        "order_url": url_for(".order", order_id=booking.order_id),
    }


# -- the booking flow --------------------------------------------------------------------------


# What the slot engine reads of a venue (hours, closures, who performs which service), loaded
# with it: the same few queries however many team members and services there are.
SLOT_ENGINE_LOADS = (
    selectinload(Venue.opening_hours),
    selectinload(Venue.closures),
    selectinload(Venue.team).selectinload(TeamMember.services),
)


def get_bookable_service(slug: str, service_id: int) -> tuple[Venue, Service]:
    """The venue's active service, only while the venue is approved; everything else is 404."""
    venue = find_venue_by_any_slug(slug, options=SLOT_ENGINE_LOADS)
    service = db.session.get(Service, service_id)
    if venue is None or service is None or service.venue_id != venue.id:
        abort(404)
    if not service.is_active or venue.status != VenueStatus.APPROVED:
        abort(404)
    return venue, service


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
        kept = {key: request.args[key] for key in ("month", "day", "start") if key in request.args}
        return redirect(url_for(".book", slug=venue.slug, service_id=service.id, **kept), 301)
    try:
        month = parse_month(request.args["month"]) if "month" in request.args else None
        day = parse_day(request.args["day"]) if "day" in request.args else None
        start = parse_instant(request.args["start"]) if "start" in request.args else None
    except BadInput as exc:
        abort(400, str(exc))
    fragment = book_fragment()
    # A day's times ("slots") or a time's form ("details") shows no month: compute one day only.
    whole_month = not is_htmx() or bool(request.headers.get("HX-Boosted")) or fragment not in ("slots", "details")
    if not takes_paid_bookings(venue.id):
        # Its payouts aren't set up: the page says so and offers no day or time.
        page = build_booking_page(
            venue, service, month=None, day=None, start=None, now=datetime.now(UTC), with_calendar=False
        )
        page["not_bookable"] = True
        return with_vary(render_page("booking/book.html", fragment, **page), "HX-Target")
    page = build_booking_page(
        venue, service, month=month, day=day, start=start, now=datetime.now(UTC), with_calendar=whole_month
    )
    return with_vary(render_page("booking/book.html", fragment, **page), "HX-Target")


def build_booking_page(
    venue: Venue,
    service: Service,
    *,
    month: date | None,
    day: date | None,
    start: datetime | None,
    now: datetime,
    error: str | None = None,
    chosen: dict[str, Any] | None = None,
    with_calendar: bool = True,
) -> dict[str, Any]:
    """Calendar, the chosen day's times and the chosen time's form, as plain values.

    Without ``with_calendar`` the month grid (a slot count for every day) is left out."""
    zone = zone_of(venue)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(days=current_app.config["BOOKING_MAX_ADVANCE_DAYS"])).astimezone(zone).date()
    if start is not None:
        day = start.astimezone(zone).date()
    month = month or (day or today).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    # One read of bookings and blocks serves the month's grid and the chosen day's times.
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    shown = [*([max(month, today), month_end] if with_calendar else []), *([day] if day else [])]
    window = busy_window(min(shown), (max(shown) - min(shown)).days + 1) if shown else None
    busy = get_busy(venue.id, service_spec(service), *window) if window else None
    slots, day_message = day_slots(service, day, today=today, last_day=last_day, now=now, busy=busy)
    slot = next((s for s in slots if s.start == start), None) if start else None

    def link(**args: Any) -> str:
        return url_for(".book", slug=venue.slug, service_id=service.id, **args)

    return {
        "venue": {"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        "service": {
            "id": service.id,
            "name": service.name,
            "description": service.description,
            "price": format_money(service.price_minor, service.currency),
            "duration": duration_label(service.duration_minutes),
            "policy": describe_fees(
                service.cancel_free_hours, service.cancel_late_fee_percent, service.no_show_fee_percent
            ),
            "payment": service_pay_label(service),
        },
        "timezone": zone.key,
        "calendar": month_calendar(
            service, month, today=today, last_day=last_day, selected=day, now=now, link=link, busy=busy
        )
        if with_calendar
        else None,
        "day": day.isoformat() if day else None,
        "day_label": day_label(day) if day else None,
        "day_message": day_message,
        "clock_change": timefmt.clock_change_note(day, zone) if day and slots else None,
        "slots": [
            {
                "time": timefmt.clock_label(s.start, zone),
                "remaining": s.remaining,
                "url": link(month=month.strftime("%Y-%m"), day=day.isoformat(), start=format_instant(s.start)),
                "selected": s.start == start,
            }
            for s in slots
        ],
        "choice": slot_choice(venue, service, slot, zone, chosen) if slot else None,
        "start_missing": start is not None and slot is None,
        "may_book": may_book(),
        "error": error,
        "added": None,
        "retry_url": link(month=month.strftime("%Y-%m"), day=day.isoformat()) if day else link(),
        # The waitlist for this day (a full day, or none of its times suits), or for any day.
        "waitlist_url": url_for(
            "waitlist.join_form", service_id=service.id, **({"day": day.isoformat()} if day else {})
        ),
        "can_wait": bool(day) and today <= day <= last_day and may_book(),
    }


def day_slots(
    service: Service, day: date | None, *, today: date, last_day: date, now: datetime, busy: Busyness | None = None
) -> tuple[list[Slot], str | None]:
    if day is None:
        return [], None
    if day < today:
        return [], "That day has passed. Choose today or a later day."
    if day > last_day:
        days = current_app.config["BOOKING_MAX_ADVANCE_DAYS"]
        return [], f"Bookings open up to {days} days ahead. Choose an earlier day."
    slots = get_slots(service, day, now=now, busy=busy)
    if not slots:
        return [], f"No times left on {day_label(day)}: it's fully booked or closed. Try another day."
    return slots, None


def month_calendar(
    service: Service,
    month: date,
    *,
    today: date,
    last_day: date,
    selected: date | None,
    now: datetime,
    link: Any,
    busy: Busyness | None = None,
) -> dict[str, Any]:
    """A month grid (Monday first) with each bookable day's number of free times."""
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    first, last = max(month, today), min(month_end, last_day)
    counts = get_bookable_days(service, first, (last - first).days + 1, now=now, busy=busy) if first <= last else {}
    key = month.strftime("%Y-%m")
    weeks = []
    for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        cells = []
        for d in week:
            if d.month != month.month:
                cells.append(None)
                continue
            free = counts.get(d, 0)
            state = "past" if d < today else ("open" if free else "full")
            status = {"past": "past", "open": f"{free} time{'s' if free != 1 else ''} free", "full": ""}[state]
            cells.append(
                {
                    "number": d.day,
                    "iso": d.isoformat(),
                    "state": state,
                    "label": f"{day_label(d)}, {status}" if status else day_label(d),
                    "url": link(month=key, day=d.isoformat()) if state == "open" else None,
                    "selected": d == selected,
                    "today": d == today,
                }
            )
        weeks.append(cells)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month_end + timedelta(days=1)
    return {
        "label": timefmt.day_words(month, "MMMM yyyy"),
        "weekdays": [timefmt.day_words(date(2024, 1, 1 + i), "EEE") for i in range(7)],  # Monday first
        "weeks": weeks,
        "previous_url": link(month=previous.strftime("%Y-%m")) if month > today.replace(day=1) else None,
        "next_url": link(month=following.strftime("%Y-%m")) if following <= last_day else None,
        "has_free_days": any(counts.values()),
    }


def slot_choice(
    venue: Venue, service: Service, slot: Slot, zone: ZoneInfo, chosen: dict[str, Any] | None
) -> dict[str, Any]:
    """The form for one free time: who (any, or a free team member) and how many."""
    free = set(slot.team_member_ids)
    chosen = chosen or {}
    return {
        "label": timefmt.span_label(slot.start, slot.end, zone),
        "starts_at": format_instant(slot.start),
        "members": [{"id": m.id, "name": m.name} for m in venue.team if m.id in free],
        "max_quantity": min(slot.remaining, MAX_QUANTITY),
        "remaining": slot.remaining,
        "quantity": chosen.get("quantity") or 1,
        "member_id": chosen.get("member_id"),
    }
