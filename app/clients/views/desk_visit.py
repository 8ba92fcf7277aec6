"""The front desk's "New visit" (routes on the provider dashboard's blueprint): several
treatments back to back, or guests side by side, booked for a client of the venue's book and
confirmed at once (app/clients/desk_visits.py). Its sibling page module app/clients/views/clients.py has
the client book and the desk's single booking.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.booking.visit_forms import parse_guest_count, parse_guest_names, parse_posted_treatment
from app.booking.visits import MAX_GUESTS, MAX_TREATMENTS, Treatment, group_times
from app.clients import service as clients
from app.clients.desk import desk_services, venue_today
from app.clients.desk_visits import book_visit_at_desk
from app.clients.forms import (
    DeskVisitForm,
    is_client_id,
    parse_day,
)
from app.clients.models import VenueClient
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import clock_label, moment_label, venue_zone
from app.venues.models import Service, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import FRONT_DESK, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal
from app.web.visit_page import treatment_choices, treatment_name

# What the desk's "New booking" link may preselect (the calendar's empty slots link to it); the
# add-ons (``addons``, repeated) are read beside them.


def _now() -> datetime:
    return datetime.now(UTC)


# -- the front desk: a new visit (several treatments, or guests side by side) ------------------------


def _chosen_client(venue: Venue, raw: Any) -> VenueClient | None:
    """The client the link or the form names, when they are in the venue's client book."""
    if not is_client_id(raw):
        return None
    return db.session.scalar(select(VenueClient).where(VenueClient.id == int(raw), VenueClient.venue_id == venue.id))


@dataclass
class _Picked:
    """What the desk's visit picker says: how many guests, the treatments read (each guest's in
    order), the names, the day, and the first problem found reading them (a 400)."""

    guests: int = 1
    treatments: list[Treatment] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    day: date | None = None
    problem: str | None = None


def _read_visit(venue: Venue, values: Mapping[str, Any], services: Mapping[int, Service]) -> _Picked:
    """The picker's ``guests``, ``treatments`` (blank rows left out; a guest past ``guests``
    dropped), ``guest_names`` and ``date``, read in that order; a problem stops the reading."""
    picked = _Picked()
    try:
        treatments = [parse_posted_treatment(v) for v in values.get("treatments", []) if v.strip()]
        most = max((t.guest for t in treatments), default=1)
        picked.guests = parse_guest_count(values.get("guests") or str(min(most, MAX_GUESTS + 1)))
        picked.treatments = [t for t in treatments if 1 <= t.guest <= picked.guests]
        if any(t.service_id not in services for t in picked.treatments):
            raise ValueError(_("Pick one of your venue's services."))
        picked.names = parse_guest_names(list(values.get("guest_names", []))[: picked.guests])
        picked.day = parse_day(values.get("date"), venue_today(venue))
    except ValueError as exc:
        picked.problem = str(exc)
    return picked


def _guest_rows(venue: Venue, picked: _Picked) -> list[dict[str, Any]]:
    """Each guest's part of the picker: their name and treatment rows (those picked, then one more
    while there is room; guest 1 alone at least 2 rows), each row the venue's treatments."""
    choices = treatment_choices(venue)
    least = 2 if picked.guests == 1 else 1
    guests = []
    for g in range(1, picked.guests + 1):
        mine = [t for t in picked.treatments if t.guest == g]
        values = [f"{g}/{t.service_id}" + (f":{t.option_id}" if t.option_id else "") for t in mine]
        values += [""] * max(least - len(values), 1 if len(values) < MAX_TREATMENTS else 0)
        rows = [
            {
                "id": f"visit-guest-{g}-treatment-{n}",
                "choices": [
                    {"value": f"{g}/{c['value']}", "label": c["label"], "selected": f"{g}/{c['value']}" == value}
                    for c in choices
                ],
            }
            for n, value in enumerate(values[:MAX_TREATMENTS], start=1)
        ]
        name = picked.names[g - 1] if g <= len(picked.names) else ""
        guests.append({"number": g, "name": name, "rows": rows})
    return guests


def _visit_ready(picked: _Picked) -> str | None:
    """Why the picked treatments don't make a visit yet (None: they do, ask for its times)."""
    mine = [[t for t in picked.treatments if t.guest == g] for g in range(1, picked.guests + 1)]
    if picked.guests == 1 and len(mine[0]) < 2:
        return _("Choose at least two treatments, one after another (for one treatment use “New booking”).")
    if any(not treatments for treatments in mine):
        return _("Choose a treatment for every guest.")
    return None


def _visit_plans(venue: Venue, picked: _Picked, now: datetime) -> list[dict[str, Any]]:
    """The starts on the picked day at which the whole visit fits, each with a line a guest:
    "Guest 1 (Ana): 10:00 Facial (Cat) → 10:45 Massage · 90 min (Amy) → ends 12:15"."""
    zone = venue_zone(venue)
    by_id = {s.id: s for s in venue.services}
    members = {m.id: m.name for m in venue.team}
    times = []
    for found in group_times(venue, picked.treatments, picked.day, now=now):
        lines = []
        for g in range(1, picked.guests + 1):
            placed = [p for p in found if p.guest == g - 1]
            mine = [t for t in picked.treatments if t.guest == g]
            steps = []
            for treatment, where in zip(mine, placed, strict=True):
                step = f"{clock_label(where.slot.start, zone)} {treatment_name(by_id[treatment.service_id], treatment)}"
                if where.team_member_id in members:
                    step += f" ({members[where.team_member_id]})"
                steps.append(step)
            steps.append(_("ends %(time)s", time=clock_label(placed[-1].slot.end, zone)))
            name = picked.names[g - 1] if g <= len(picked.names) else ""
            label = _("Guest %(num)d (%(name)s)", num=g, name=name) if name else _("Guest %(num)d", num=g)
            lines.append(_("%(guest)s: %(plan)s", guest=label, plan=" → ".join(steps)))
        start = found[0].slot.start
        times.append({"value": start.isoformat(), "label": clock_label(start, zone), "lines": lines})
    return times


def _visit_form(
    venue: Venue, values: Mapping[str, Any], *, status: int = 200, error: str | None = None, times: bool = True
):
    """The desk's "New visit" page with ``values`` (what the link preselects, or what was typed):
    the guests and their treatment rows, and once they make a visit, the starts the slot engine
    offers on the picked day with each one's plan, and the form that books one. ``times`` False:
    the page shows ``error`` without asking the engine again (a refusal of the visit itself)."""
    services = desk_services(venue)
    picked = _read_visit(venue, values, services)
    if picked.problem and not error:
        error, status = picked.problem, 400 if status == 200 else status
    hint = None if picked.problem else _visit_ready(picked)
    offered: list[dict[str, Any]] | None = None
    if times and not error and hint is None and picked.day is not None:
        on_refusal(lambda refusal: _visit_form(venue, values, error=refusal.message, times=False))
        offered = _visit_plans(venue, picked, _now())
    return render_page(
        "clients/desk_visit.html",
        None,
        status=status,
        venue=venue,
        guest_count=picked.guests,
        guest_choices=range(1, MAX_GUESTS + 1),
        guests=_guest_rows(venue, picked),
        day=picked.day or venue_today(venue),
        hint=hint,
        times=offered,
        posted=[v for v in values.get("treatments", []) if v.strip()] if offered is not None else [],
        names=picked.names,
        values=values,
        chosen_client=_chosen_client(venue, values.get("client_id")),
        error=error,
    )


VISIT_ARGS = ("guests", "date", "client_id", "starts_at")


@bp.get("/desk/visit")
@venue_required(roles=FRONT_DESK)
def desk_visit_new(venue: Venue):
    values: dict[str, Any] = {key: request.args.get(key, "") for key in VISIT_ARGS}
    values["treatments"] = request.args.getlist("treatments")
    values["guest_names"] = request.args.getlist("guest_names")
    return _visit_form(venue, values)


@bp.post("/desk/visit")
@venue_required(roles=FRONT_DESK)
def desk_visit_create(venue: Venue):
    form = DeskVisitForm(services=desk_services(venue))
    if not form.validate():
        return _visit_form(venue, form.values(), status=422, error=form.first_error(), times=False)
    on_refusal(lambda refusal: _visit_form(venue, form.values(), error=refusal.message, times=False))
    client = clients.desk_client(venue.id, **form.client_fields())
    bookings = book_visit_at_desk(
        venue,
        client,
        form.chosen,
        form.start,
        staff=current_user._get_current_object(),
        now=_now(),
        guest_names=form.names,
        pay_by_link=form.pay_by_link,
    )
    due = format_money(sum(b.at_venue_minor for b in bookings), bookings[0].currency)
    when = moment_label(bookings[0].starts_at, venue_zone(venue))
    if form.pay_by_link:
        message = _(
            "Booked a visit for %(name)s, %(when)s: %(count)d treatments. We've sent them a payment link for each; "
            "until they pay, %(amount)s is due at the venue.",
            name=client.name,
            when=when,
            count=len(bookings),
            amount=due,
        )
    else:
        message = _(
            "Booked a visit for %(name)s, %(when)s: %(count)d treatments. %(amount)s to pay at the venue.",
            name=client.name,
            when=when,
            count=len(bookings),
            amount=due,
        )
    flash(message, "success")
    return redirect(url_for("venues_dashboard.booking_details", booking_id=bookings[0].id))
