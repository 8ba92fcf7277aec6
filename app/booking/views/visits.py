"""The "Book a visit" page: several treatments back to back in one go, for one guest or a group
side by side (issue 44, items 5 and 6).

The customer chooses how many guests (``guests=1`` to 6, 1 when absent), then each guest's
treatments in order, then a day the whole visit fits (a month calendar), then a start; each
start shows the plan ("10:00 Facial (Ines) → 11:00 Massage → ends 12:00"; for a group a line a
guest, "Ana: 10:00 Couples massage (Amy) → 11:45 Facial (Cat) → ends 12:30") and adds the visit
to the cart in one form. Every step is a plain link or form; HTMX swaps the calendar and times
when it is there.

The query string and what the page shows are built in app/web/visit_page.py. The rules are
the visit's (app/booking/visits.py); the request commits once (app/web/unit_of_work.py). Venue
and admin accounts can look but not book.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.booking.errors import CartItemInvalid
from app.booking.forms import BadInput, parse_day, parse_month
from app.booking.presenting import with_vary
from app.booking.visit_forms import (
    VisitForm,
)
from app.booking.visits import (
    add_visit,
)
from app.ops.errors import render_error
from app.platform import timefmt
from app.platform.errors import ValidationFailed
from app.venues.listed import listed_venue
from app.venues.models import Venue
from app.web.blueprints import booking as bp
from app.web.guards import get_cart_owner, require_booker
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal
from app.web.visit_page import (
    KEPT_ARG,
    VISIT_LOADS,
    build_visit_page,
    picked_from_request,
    picked_from_treatments,
    picked_treatments,
)


@bp.get("/venues/<slug>/visit")
def visit(slug: str) -> Response:
    venue = listed_venue(slug, options=VISIT_LOADS)
    if slug != venue.slug:
        kept = {key: request.args.getlist(key) for key in request.args if KEPT_ARG.fullmatch(key)}
        return redirect(url_for(".visit", slug=venue.slug, **kept), 301)
    try:
        picked = picked_from_request()
        month = parse_month(request.args["month"]) if request.args.get("month") else None
        day = parse_day(request.args["day"]) if request.args.get("day") else None
        treatments = picked_treatments(venue, picked)
    except BadInput as exc:
        abort(400, str(exc))
    page = build_visit_page(venue, picked, treatments, month=month, day=day, now=datetime.now(UTC))
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
    items = add_visit(get_cart_owner(create=True), venue, form.chosen, form.start, guest_names=form.names)
    guests = form.guest_count()
    if guests > 1:
        message = ngettext(
            "Added your visit for %(num)d guest to your cart.",
            "Added your visit for %(num)d guests to your cart.",
            guests,
        )
    else:
        message = ngettext(
            "Added your visit (%(num)d treatment) to your cart.",
            "Added your visit (%(num)d treatments) to your cart.",
            len(items),
        )
    flash(message, "success")
    return redirect(url_for(".cart"), 303)


def refused_visit(venue: Venue, form: VisitForm, error: ValidationFailed) -> ResponseReturnValue:
    """A visit the cart refused: its own page again with the message and the day's other times
    when only the time was wrong (taken meanwhile), else the error page saying why."""
    if error.field != "starts_at":
        return render_error(422, error.message)
    picked = picked_from_treatments(form.chosen, form.names)
    day = form.start.astimezone(timefmt.venue_zone(venue)).date()
    page = build_visit_page(venue, picked, form.chosen, month=None, day=day, now=datetime.now(UTC))
    page["error"] = error.message
    return render_page("booking/visit.html", status=422, **page)


# -- what the page was asked for -----------------------------------------------------------------
