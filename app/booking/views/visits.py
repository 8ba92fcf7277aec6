"""The "Book a visit" page: several treatments back to back in one go (issue 44, item 5).

The customer picks 2 to 4 treatments in order (``?t=12&t=15:3``: a service, or a service and its
option), then a day the whole visit fits (a month calendar), then a start; each start shows the
plan ("10:00 Facial (Ines) → 11:00 Massage → ends 12:00") and adds the visit to the cart in one
form. Every step is a plain link or form; HTMX swaps the calendar and times when it is there.

The rules are the visit's (app/booking/visits.py); the request commits once
(app/web/unit_of_work.py). Venue and admin accounts can look but not book.
"""

from __future__ import annotations

import calendar as month_grid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.lists import format_list
from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.booking.availability import get_visit_days, max_advance_days
from app.booking.errors import CartItemInvalid
from app.booking.forms import BadInput, format_instant, parse_day, parse_month
from app.booking.presenting import day_label, duration_label, with_vary
from app.booking.visit_forms import VisitForm, parse_treatment
from app.booking.visits import MAX_TREATMENTS, Treatment, add_visit, parts_of, visit_times
from app.ops.errors import render_error
from app.payouts.accounts import takes_paid_bookings
from app.platform import timefmt
from app.platform.errors import ValidationFailed
from app.platform.money import format_money
from app.slot_engine import Slot
from app.venues.listed import listed_venue
from app.venues.models import Service, Venue
from app.web.blueprints import booking as bp
from app.web.booking_page import SLOT_ENGINE_LOADS
from app.web.guards import get_cart_owner, may_book, require_booker
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

MIN_TREATMENTS = 2
CALENDAR_DAYS = 31  # a month's worth from the month shown
# The venue as this page reads it: what the slot engine needs, and the services with their options.
VISIT_LOADS = (*SLOT_ENGINE_LOADS, selectinload(Venue.services).selectinload(Service.options))


@bp.get("/venues/<slug>/visit")
def visit(slug: str) -> Response:
    venue = listed_venue(slug, options=VISIT_LOADS)
    if slug != venue.slug:
        kept = {key: request.args[key] for key in ("month", "day") if key in request.args}
        return redirect(url_for(".visit", slug=venue.slug, t=request.args.getlist("t"), **kept), 301)
    rows = picked_rows()
    try:
        month = parse_month(request.args["month"]) if request.args.get("month") else None
        day = parse_day(request.args["day"]) if request.args.get("day") else None
        treatments = [parse_treatment(row) for row in rows if row]
    except BadInput as exc:
        abort(400, str(exc))
    page = build_visit_page(venue, rows, treatments, month=month, day=day, now=datetime.now(UTC))
    fragment = "picker" if request.headers.get("HX-Target") == "visit-picker" else None
    if request.headers.get("HX-History-Restore-Request"):
        fragment = None  # htmx rebuilding a page from history wants the whole page
    return with_vary(render_page("booking/visit.html", fragment, **page), "HX-Target")


@bp.post("/venues/<slug>/visit")
def add_visit_to_cart(slug: str) -> ResponseReturnValue:
    venue = listed_venue(slug, options=VISIT_LOADS)
    require_booker()
    form = VisitForm()
    if not form.validate():
        return render_error(400, form.first_error())
    on_refusal(lambda error: refused_visit(venue, form, error), kinds=CartItemInvalid)
    items = add_visit(get_cart_owner(create=True), venue, form.chosen, form.start)
    flash(
        ngettext(
            "Added your visit (%(num)d treatment) to your cart.",
            "Added your visit (%(num)d treatments) to your cart.",
            len(items),
        ),
        "success",
    )
    return redirect(url_for(".cart"), 303)


def refused_visit(venue: Venue, form: VisitForm, error: ValidationFailed) -> ResponseReturnValue:
    """A visit the cart refused: its own page again with the message and the day's other times
    when only the time was wrong (taken meanwhile), else the error page saying why."""
    if error.field != "starts_at":
        return render_error(422, error.message)
    rows = [str(value).strip() for value in form.treatments.data]
    day = form.start.astimezone(timefmt.venue_zone(venue)).date()
    page = build_visit_page(venue, rows, form.chosen, month=None, day=day, now=datetime.now(UTC))
    page["error"] = error.message
    return render_page("booking/visit.html", status=422, **page)


def picked_rows() -> list[str]:
    """The treatment rows the URL names (``t``, in order; "" for a row not chosen yet), at least
    two, with one added (``add``) or taken away (``remove=<row number>``) when asked."""
    rows = [value.strip()[:40] for value in request.args.getlist("t")][: MAX_TREATMENTS + 1]
    rows += [""] * (MIN_TREATMENTS - len(rows))
    if "add" in request.args and len(rows) < MAX_TREATMENTS:
        rows.append("")
    removed = request.args.get("remove", "")
    if removed.isascii() and removed.isdigit() and len(rows) > MIN_TREATMENTS and 1 <= int(removed) <= len(rows):
        del rows[int(removed) - 1]
    return rows


# -- the page, as plain values -----------------------------------------------------------------


def build_visit_page(
    venue: Venue,
    rows: list[str],
    treatments: list[Treatment],
    *,
    month: date | None,
    day: date | None,
    now: datetime,
) -> dict[str, Any]:
    """The treatment rows, and once every row is chosen the month of days the visit fits and the
    chosen day's starts, each with its plan."""
    zone = timefmt.venue_zone(venue)
    today = now.astimezone(zone).date()
    choices = treatment_choices(venue)
    ready = len(treatments) == len(rows) and bool(treatments)
    bookable = takes_paid_bookings(venue.id)
    page: dict[str, Any] = {
        "venue": {"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        "action": url_for(".visit", slug=venue.slug),
        "post_url": url_for(".add_visit_to_cart", slug=venue.slug),
        "rows": [
            {"number": n, "value": value, "choices": [{**c, "selected": c["value"] == value} for c in choices]}
            for n, value in enumerate(rows, start=1)
        ],
        "can_add": len(rows) < MAX_TREATMENTS,
        "can_remove": len(rows) > MIN_TREATMENTS,
        "max_treatments": MAX_TREATMENTS,
        "values": rows,
        "ready": ready and bookable,
        "not_bookable": not bookable,
        "timezone": zone.key,
        "calendar": None,
        "day": day.isoformat() if day else None,
        "day_label": day_label(day) if day else None,
        "day_message": None,
        "clock_change": None,
        "times": [],
        "total": None,
        "may_book": may_book(),
        "error": None,
    }
    if not (ready and bookable):
        return page
    parts = parts_of(venue, treatments)  # refuses a visit that makes no sense (a 422 saying why)
    by_id = {s.id: s for s in venue.services}
    services = [by_id[t.service_id] for t in treatments]  # each the venue's, parts_of has checked
    last_day = (now + timedelta(days=min(max_advance_days(s) for s in services))).astimezone(zone).date()
    month = month or (day or today).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    first = max(month, today)
    fits = get_visit_days(venue, parts, first, CALENDAR_DAYS, now=now) if first <= last_day else {}

    def link(**args: Any) -> str:
        return url_for(".visit", slug=venue.slug, t=rows, **args)

    page["calendar"] = visit_calendar(month, today=today, last_day=last_day, selected=day, fits=fits, link=link)
    page["total"] = format_money(
        sum(treatment_price(s, t) for s, t in zip(services, treatments, strict=True)), services[0].currency
    )
    if day is None:
        return page
    if day < today:
        page["day_message"] = _("That day has passed. Choose today or a later day.")
        return page
    starts = visit_times(venue, treatments, day, now=now)
    if not starts:
        page["day_message"] = _("The visit doesn't fit on %(day)s. Try another day.", day=day_label(day))
    page["clock_change"] = timefmt.clock_change_note(day, zone) if starts else None
    page["times"] = [
        {
            "time": timefmt.clock_label(slots[0].start, zone),
            "starts_at": format_instant(slots[0].start),
            "plan": visit_plan(venue, services, treatments, slots),
        }
        for slots in starts
    ]
    return page


def treatment_price(service: Service, treatment: Treatment) -> int:
    option = next((o for o in service.options if o.id == treatment.option_id), None)
    return option.price_minor if option is not None else service.price_minor


def treatment_name(service: Service, treatment: Treatment) -> str:
    option = next((o for o in service.options if o.id == treatment.option_id), None)
    return _("%(service)s · %(option)s", service=service.name, option=option.name) if option else service.name


def treatment_choices(venue: Venue) -> list[dict[str, str]]:
    """Each bookable service of the venue, each option its own choice: "Massage · 90 min — £75.00"."""
    choices = []
    for service in venue.services:
        if not service.is_active:
            continue
        if not service.options:
            length = duration_label(service.duration_minutes)
            price = format_money(service.price_minor, service.currency)
            label = _("%(name)s · %(length)s — %(price)s", name=service.name, length=length, price=price)
            choices.append({"value": str(service.id), "label": label})
        for option in service.options:
            length = duration_label(option.duration_minutes)
            # "90 min" says its length; "Long hair" gets it: "Long hair, 2 h".
            name = (
                option.name
                if any(ch.isdigit() for ch in option.name)
                else _("%(option)s, %(length)s", option=option.name, length=length)
            )
            price = format_money(option.price_minor, service.currency)
            label = _("%(name)s · %(length)s — %(price)s", name=service.name, length=name, price=price)
            choices.append({"value": f"{service.id}:{option.id}", "label": label})
    return choices


def visit_plan(venue: Venue, services: list[Service], treatments: list[Treatment], slots: tuple[Slot, ...]) -> str:
    """ "10:00 Facial (Ines) → 11:00 Massage (Tom or Ana) → ends 12:00": who is free for each."""
    zone = timefmt.venue_zone(venue)
    steps = []
    for service, treatment, slot in zip(services, treatments, slots, strict=True):
        step = f"{timefmt.clock_label(slot.start, zone)} {treatment_name(service, treatment)}"
        names = [m.name for m in venue.team if m.id in slot.team_member_ids]
        if names:
            step += f" ({format_list(names, style='or', locale=get_locale() or 'en')})"
        steps.append(step)
    steps.append(_("ends %(time)s", time=timefmt.clock_label(slots[-1].end, zone)))
    return " → ".join(steps)


def visit_calendar(
    month: date, *, today: date, last_day: date, selected: date | None, fits: dict[date, bool], link: Any
) -> dict[str, Any]:
    """The month grid of booking/_month_grid.html (Monday first): a day the visit fits is a link."""
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    key = month.strftime("%Y-%m")
    weeks = []
    for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        cells: list[dict[str, Any] | None] = []
        for d in week:
            if d.month != month.month:
                cells.append(None)
                continue
            state = "past" if d < today else ("open" if fits.get(d) and d <= last_day else "full")
            label = _("%(day)s, the visit fits", day=day_label(d)) if state == "open" else day_label(d)
            cells.append(
                {
                    "number": d.day,
                    "iso": d.isoformat(),
                    "state": state,
                    "label": label,
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
        "has_free_days": any(fits.get(d) for d in fits if month <= d <= month_end),
    }
