"""``/api/v1/venue``: editing the venue, as the dashboard's pages do (app/venues/views/catalog.py,
dashboard.py) and for the same roles (the owner and managers): the profile (basics and location),
services (add, edit, hide, remove; their category, payment terms and booking rules), team members
(at most five), FAQs (at most five), the weekly opening hours and closures. Each route calls the
venue's own services (app/venues/service.py), so the rules are the pages' rules."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields, replace
from typing import Any

from flask_smorest import abort

from app.api import schemas
from app.api.lookups import loaded, own_row
from app.api.presenting import faq_row, hours_row, resource_row, service_row, staff_venue_row
from app.api.routes import venue_route
from app.platform.records import attributes
from app.platform.urls import absolute_url
from app.venues.addons import AddonInput, set_addons
from app.venues.booking_rules import BookingRules
from app.venues.deposits import PaymentMode
from app.venues.hours import Range, parse_minute
from app.venues.lists import add_faq, add_team_member, remove_faq, remove_team_member, update_faq, update_team_member
from app.venues.models import Service, Venue
from app.venues.options import OptionInput, cheapest, keep_options, set_options
from app.venues.processing import Processing
from app.venues.resources import add_resource, remove_resource, set_needs, update_resource, venue_resources
from app.venues.service import (
    add_closure,
    remove_closure,
    remove_service,
    save_service,
    set_day_hours,
    update_basics,
    update_location,
)
from app.web.guards import acting_role


def member_row(member) -> dict:
    return {
        **attributes(member, "id", "name", "title", "bio"),
        "service_ids": [s.id for s in member.services],
    }


# -- the profile ----------------------------------------------------------------------------------------

# The basics page's fields (update_basics) and the location page's (update_location).
BASICS = ("name", "description", "category_id", "tags", "phone", "email", "website")
LOCATION = ("address_line", "city", "postcode", "country", "latitude", "longitude", "timezone")


def _save_profile(venue: Venue, data: dict[str, Any]) -> None:
    """Each page's service with what was sent over the venue's present values, so a field left
    out stays as it is; a page none of whose fields were sent isn't saved at all."""
    if any(key in data for key in BASICS):
        update_basics(venue, **{**attributes(venue, *BASICS), "tags": list(venue.tags or []), **_sent(data, BASICS)})
    if any(key in data for key in LOCATION):
        update_location(venue, **{**attributes(venue, *LOCATION), **_sent(data, LOCATION)})


def _sent(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: data[key] for key in keys if key in data}


@venue_route("patch", "", 200, schemas.StaffVenue, body=schemas.VenueProfileIn)
def edit_venue_profile(data, venue: Venue):
    """Change the profile, as the basics and location pages do: only the fields sent change. A
    bad value is a 422 naming the field, and nothing changes (not even the other fields sent)."""
    _save_profile(venue, data)
    return staff_venue_row(loaded(venue), acting_role())


# -- services -----------------------------------------------------------------------------------------

PLAIN = ("name", "description", "duration_minutes", "price_minor", "capacity", "buffer_minutes", "is_active")
PAYMENT = ("payment_mode", "deposit_percent", "deposit_fixed_minor", "no_show_fee_percent")
RULES = tuple(rule.name for rule in fields(BookingRules))
NEW_SERVICE_PAYMENT = {
    "payment_mode": PaymentMode.FULL.value,
    "deposit_percent": None,
    "deposit_fixed_minor": None,
    "no_show_fee_percent": None,
}


def _service_fields(data: dict[str, Any], service: Service | None) -> dict[str, Any]:
    """save_service's arguments: what was sent; for an optional part left out, the service's own
    (a PUT) or the service form's default (a POST). Payment terms and booking rules are checked
    whole, so a part sent is completed from the rest before the check."""
    chosen = {**_sent(data, PLAIN), "category_id": data.get("category_id", service.category_id if service else None)}
    if any(key in data for key in PAYMENT):
        present = attributes(service, *PAYMENT) if service else NEW_SERVICE_PAYMENT
        chosen.update({**present, **_sent(data, PAYMENT)})
    if any(key in data for key in RULES):
        present_rules = BookingRules(**attributes(service, *RULES)) if service else BookingRules()
        chosen["rules"] = replace(present_rules, **_sent(data, RULES))
    if "processing" in data:
        sent = data["processing"]
        chosen["processing"] = Processing(sent["after_minutes"], sent["minutes"]) if sent else None
    if _options(data):  # the service's own length and price are its cheapest option's
        first = cheapest(_options(data))
        chosen["duration_minutes"], chosen["price_minor"] = first.duration_minutes, first.price_minor
    return chosen


def _options(data: dict[str, Any]) -> list[OptionInput]:
    return [
        OptionInput(o["name"], o["duration_minutes"], o["price_minor"], id=o.get("id"))
        for o in data.get("options") or []
    ]


def _save_options(service: Service, data: dict[str, Any]) -> Service:
    """The options, add-ons and needs sent become the service's (a refusal is a 422 naming
    ``options``, ``addons`` or ``needs``); left out, the ones it has stay, its own length and price
    following the cheapest option again."""
    if "options" in data:
        set_options(service, _options(data))
    else:
        keep_options(service)
    if "addons" in data:
        set_addons(
            service,
            [AddonInput(a["name"], a["price_minor"], a["extra_minutes"], id=a.get("id")) for a in data["addons"]],
        )
    if "needs" in data:
        set_needs(
            service.venue,
            service,
            [(n["resource_id"], n["units"]) for n in data["needs"]],
            shared=[n["resource_id"] for n in data["needs"] if n["shared"]],
        )
    return service


@venue_route("post", "/services", 201, schemas.Service, body=schemas.ServiceIn, idempotent=True)
def add_service(data, venue: Venue):
    """Add a service. Left out: no category, paid in full online, the default booking rules (as
    the dashboard's form starts), no options, no add-ons, no needs. An unknown ``category_id``, terms that
    don't fit, options that don't make sense (one, more than ten, two of one name), add-ons that
    don't (more than ten, two of one name) or needs of
    another venue's resource or of more units than it has are a 422."""
    service = _save_options(save_service(venue, None, **_service_fields(data, None)), data)
    return service_row(service), 201, {"Location": absolute_url("api_venue.own_services")}


@venue_route("put", "/services/<int:service_id>", 200, schemas.Service, body=schemas.ServiceIn)
def edit_service(data, venue: Venue, service_id: int):
    """Change a service's name, description, length, price, capacity, buffer and whether it can be
    booked (``is_active`` false hides it, as "Customers can book it" does), and, when sent, its
    category, payment terms, booking rules, options, add-ons and needs (left out, they stay as
    they are; ``addons: []`` removes them all). An option's or add-on's ``id`` keeps it (carts and
    bookings naming it still do); another service's is a 422."""
    service = own_row("service", venue.services, service_id)
    return service_row(_save_options(save_service(venue, service, **_service_fields(data, service)), data))


@venue_route("delete", "/services/<int:service_id>", 204)
def delete_service(venue: Venue, service_id: int):
    """Remove a service. One with bookings can't be removed (409): hide it instead with
    ``PUT`` and ``is_active`` false."""
    remove_service(venue, own_row("service", venue.services, service_id).id)


# -- team -----------------------------------------------------------------------------------------------


@venue_route("post", "/team", 201, schemas.StaffTeamMember, body=schemas.TeamMemberIn, idempotent=True)
def add_member(data, venue: Venue):
    """Add a team member (at most five: a sixth is a 409) and the services they perform."""
    member = add_team_member(venue, **data)
    return member_row(member), 201, {"Location": absolute_url("api_venue.own_team")}


@venue_route("put", "/team/<int:member_id>", 200, schemas.StaffTeamMember, body=schemas.TeamMemberIn)
def edit_member(data, venue: Venue, member_id: int):
    """Change a team member's name, title, bio and the services they perform."""
    return member_row(update_team_member(venue, member_id, **data))


@venue_route("delete", "/team/<int:member_id>", 204)
def delete_member(venue: Venue, member_id: int):
    """Remove a team member (their bookings stay, with no one named)."""
    remove_team_member(venue, member_id)


# -- FAQs -----------------------------------------------------------------------------------------------


@venue_route("get", "/faqs", 200, schemas.Faq(many=True))
def own_faqs(venue: Venue):
    """The questions and answers on your venue's page, in their order."""
    return [faq_row(f) for f in venue.faqs]


@venue_route("post", "/faqs", 201, schemas.Faq, body=schemas.FaqIn, idempotent=True)
def add_venue_faq(data, venue: Venue):
    """Add a question and its answer (at most five: a sixth is a 409, as on the FAQs page)."""
    faq = add_faq(venue, question=data["question"], answer=data["answer"])
    return faq_row(faq), 201, {"Location": absolute_url("api_venue.own_faqs")}


@venue_route("put", "/faqs/<int:faq_id>", 200, schemas.Faq, body=schemas.FaqIn)
def edit_venue_faq(data, venue: Venue, faq_id: int):
    """Change a question and its answer."""
    return faq_row(update_faq(venue, faq_id, question=data["question"], answer=data["answer"]))


@venue_route("delete", "/faqs/<int:faq_id>", 204)
def delete_venue_faq(venue: Venue, faq_id: int):
    """Remove a question and its answer from your venue's page."""
    remove_faq(venue, faq_id)


# -- rooms and equipment ------------------------------------------------------------------------------------


@venue_route("get", "/resources", 200, schemas.Resource(many=True))
def own_resources(venue: Venue):
    """Your rooms and equipment and how many of each, as the "Rooms and equipment" page lists them."""
    return [resource_row(r) for r in venue_resources(venue.id)]


@venue_route("post", "/resources", 201, schemas.Resource, body=schemas.ResourceIn, idempotent=True)
def add_venue_resource(data, venue: Venue):
    """Add a room or piece of equipment (at most 20: one more is a 409; a name you already use is a 422)."""
    resource = add_resource(venue, name=data["name"], quantity=data["quantity"])
    return resource_row(resource), 201, {"Location": absolute_url("api_venue.own_resources")}


@venue_route("put", "/resources/<int:resource_id>", 200, schemas.Resource, body=schemas.ResourceIn)
def edit_venue_resource(data, venue: Venue, resource_id: int):
    """Rename it or change how many there are. Fewer than a booking still to come holds, or than a
    service needs for one booking, is a 422 naming ``quantity``."""
    return resource_row(update_resource(venue, resource_id, name=data["name"], quantity=data["quantity"]))


@venue_route("delete", "/resources/<int:resource_id>", 204)
def delete_venue_resource(venue: Venue, resource_id: int):
    """Remove it (services stop needing it); a 409 while a booking still to come holds it."""
    remove_resource(venue, resource_id)


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


@venue_route("put", "/hours", 200, schemas.Hours, body=schemas.WeeklyHoursIn)
def set_hours(data, venue: Venue):
    """Replace the weekly opening hours: every day at once, a day with no range closed (as the
    hours page saves its grid). Overlapping or backwards ranges are a 422 and nothing changes."""
    week = _week(data)

    def save() -> None:
        for weekday in range(7):
            set_day_hours(venue, weekday, sorted(week.get(weekday, []), key=lambda r: r.opens))

    save()
    return hours_row(loaded(venue))


@venue_route("post", "/closures", 201, schemas.Hours, body=schemas.ClosureIn, idempotent=True)
def add_venue_closure(data, venue: Venue):
    """Close the venue on some days (a holiday, works): from ``starts_on`` to ``ends_on``, both
    included, at most a year. Answers the hours with the new closure among them."""
    add_closure(venue, starts_on=data["starts_on"], ends_on=data["ends_on"], reason=data["reason"])
    return hours_row(loaded(venue)), 201, {"Location": absolute_url("api_venue.own_hours")}


@venue_route("delete", "/closures/<int:closure_id>", 204)
def delete_venue_closure(venue: Venue, closure_id: int):
    """Open again on a closure's days (the waitlist hears of the new times)."""
    remove_closure(venue, closure_id)
