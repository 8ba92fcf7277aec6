"""``/api/v1/venue``: editing the venue, as the dashboard's pages do (app/venues/views/catalog.py,
dashboard.py) and for the same roles (the owner and managers): services (add, edit, hide,
remove), team members (at most five), the weekly opening hours and closures. Each route calls
the venue's own services (app/venues/service.py), so the rules are the pages' rules."""

from __future__ import annotations

from collections import defaultdict

from flask import url_for
from flask_smorest import abort

from app.api import schemas
from app.api.auth import require
from app.api.conventions import idempotent, run
from app.api.lookups import checked_id, found_first, loaded, own_row
from app.api.present import hours_row, service_row
from app.venues.hours import Range, parse_minute
from app.venues.models import Venue
from app.venues.service import (
    add_closure,
    add_team_member,
    remove_closure,
    remove_service,
    remove_team_member,
    save_service,
    set_day_hours,
    update_team_member,
)
from app.web.blueprints import api_venue as bp
from app.web.guards import OWNER_AND_MANAGER, venue_required


def member_row(member) -> dict:
    return {
        "id": member.id,
        "name": member.name,
        "title": member.title,
        "bio": member.bio,
        "service_ids": [s.id for s in member.services],
    }


# -- services -----------------------------------------------------------------------------------------


def _service_fields(data: dict) -> dict:
    return {
        "name": data["name"],
        "description": data["description"],
        "duration_minutes": data["duration_minutes"],
        "price_minor": data["price_minor"],
        "capacity": data["capacity"],
        "buffer_minutes": data["buffer_minutes"],
        "is_active": data["is_active"],
    }


@bp.post("/services")
@bp.response(201, schemas.Service)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@bp.arguments(schemas.ServiceIn)
@idempotent
def add_service(data, venue: Venue):
    """Add a service (paid in full online, the default booking rules; the dashboard sets the rest)."""
    service = run(lambda: save_service(venue, None, category_id=None, **_service_fields(data)))
    return service_row(service), 201, {"Location": url_for("api_venue.own_services")}


@bp.put("/services/<int:service_id>")
@bp.response(200, schemas.Service)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@found_first
@bp.arguments(schemas.ServiceIn)
def edit_service(data, venue: Venue, service_id: int):
    """Change a service's name, description, length, price, capacity, buffer and whether it can be
    booked (``is_active`` false hides it, as "Customers can book it" does); its category, payment
    terms and booking rules stay as they are."""
    service = own_row("service", venue.services, service_id)
    fields = {"category_id": service.category_id, **_service_fields(data)}
    return service_row(run(lambda: save_service(venue, service, **fields)))


@bp.delete("/services/<int:service_id>")
@bp.response(204)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def delete_service(venue: Venue, service_id: int):
    """Remove a service. One with bookings can't be removed (409): hide it instead with
    ``PUT`` and ``is_active`` false."""
    run(lambda: remove_service(venue, own_row("service", venue.services, service_id).id))


# -- team -----------------------------------------------------------------------------------------------


@bp.post("/team")
@bp.response(201, schemas.StaffTeamMember)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@bp.arguments(schemas.TeamMemberIn)
@idempotent
def add_member(data, venue: Venue):
    """Add a team member (at most five: a sixth is a 409) and the services they perform."""
    member = run(lambda: add_team_member(venue, **data))
    return member_row(member), 201, {"Location": url_for("api_venue.own_team")}


@bp.put("/team/<int:member_id>")
@bp.response(200, schemas.StaffTeamMember)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@found_first
@bp.arguments(schemas.TeamMemberIn)
def edit_member(data, venue: Venue, member_id: int):
    return member_row(run(lambda: update_team_member(venue, member_id, **data)))


@bp.delete("/team/<int:member_id>")
@bp.response(204)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def delete_member(venue: Venue, member_id: int):
    """Remove a team member (their bookings stay, with no one named)."""
    run(lambda: remove_team_member(venue, checked_id("member", member_id)))


# -- opening hours and closures ----------------------------------------------------------------------------


def _week(data: dict) -> dict[int, list[Range]]:
    """The ranges by weekday; a time that isn't one is a 422 naming the range."""
    week: dict[int, list[Range]] = defaultdict(list)
    for index, row in enumerate(data["weekly"]):
        try:
            opens = parse_minute(row["opens"])
            closes = parse_minute(row["closes"], allow_midnight_end=True)
        except ValueError as exc:
            abort(422, message=str(exc), errors={"json": {"weekly": {str(index): [str(exc)]}}})
        week[row["weekday"]].append(Range(opens, closes))
    return week


@bp.put("/hours")
@bp.response(200, schemas.Hours)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@bp.arguments(schemas.WeeklyHoursIn)
def set_hours(data, venue: Venue):
    """Replace the weekly opening hours: every day at once, a day with no range closed (as the
    hours page saves its grid). Overlapping or backwards ranges are a 422 and nothing changes."""
    week = _week(data)

    def save() -> None:
        for weekday in range(7):
            set_day_hours(venue, weekday, sorted(week.get(weekday, []), key=lambda r: r.opens))

    run(save)
    return hours_row(loaded(venue))


@bp.post("/closures")
@bp.response(201, schemas.Hours)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
@bp.arguments(schemas.ClosureIn)
@idempotent
def add_venue_closure(data, venue: Venue):
    """Close the venue on some days (a holiday, works): from ``starts_on`` to ``ends_on``, both
    included, at most a year. Answers the hours with the new closure among them."""
    run(lambda: add_closure(venue, starts_on=data["starts_on"], ends_on=data["ends_on"], reason=data["reason"]))
    return hours_row(loaded(venue)), 201, {"Location": url_for("api_venue.own_hours")}


@bp.delete("/closures/<int:closure_id>")
@bp.response(204)
@require("venue")
@venue_required(roles=OWNER_AND_MANAGER)
def delete_venue_closure(venue: Venue, closure_id: int):
    """Open again on a closure's days (the waitlist hears of the new times)."""
    run(lambda: remove_closure(venue, checked_id("closure", closure_id)))
