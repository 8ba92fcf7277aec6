"""``/api/v1``: what anyone may read, no token needed: categories, venue search (the search
page's parameters, parser and backend), a venue, its services, hours, reviews and free times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from flask_smorest import abort
from marshmallow import RAISE
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.api import schemas
from app.api.conventions import cursor_position, next_cursor
from app.api.presenting import hit_row, hours_row, money, review_row, service_rows, venue_row
from app.booking.availability import get_bookable_days, get_slots
from app.booking.visits import Treatment, group_times
from app.discovery.params import parse_search
from app.memberships import plans as membership_plans
from app.packages import service as packages
from app.platform.timefmt import venue_zone
from app.reviews.service import venue_reviews
from app.venues import listed as venues_listed
from app.venues.addons import Choice
from app.venues.models import Venue
from app.venues.service import get_categories
from app.web.blueprints import api_public as bp
from search.backend import search
from search.types import InvalidQuery, SearchResult

VENUE_LOADS = (
    selectinload(Venue.services),
    selectinload(Venue.team),
    selectinload(Venue.opening_hours),
    selectinload(Venue.closures),
    selectinload(Venue.category),
)


def listed_venue(slug: str) -> Venue:
    """An approved venue by its slug (a former slug too), its lists loaded; anything else is a 404."""
    return venues_listed.listed_venue(slug, options=VENUE_LOADS)


@bp.get("/categories")
@bp.response(200, schemas.Category(many=True))
def categories():
    """Every category, in the site's order (a venue's or service's ``category_id`` is its ``id``)."""
    return [{"id": c.id, "slug": c.slug, "name": c.name} for c in get_categories()]


# Made once: a schema class given to @arguments is instantiated on every request (about 1 ms
# of marshmallow's field setup for these 19 fields; bench/api, docs/benchmarks.md "API search").
SEARCH_ARGS = schemas.SearchArgs()


@bp.get("/venues")
@bp.arguments(SEARCH_ARGS, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.SearchResult)
def search_venues(**_args):
    """Search listed venues: the search page's parameters, parser and backend.

    Every filter, facet and sort of ``/search`` (``q``, ``category``, ``tag``, ``price``,
    ``price_min``/``price_max``, ``rating``, ``near``/``place``/``lat``/``lng``/``radius``,
    ``open_now``, ``free_date``/``free_from``/``free_to``, ``sort``, ``per_page``). Pages
    follow the ``Link: rel="next"`` header (an opaque ``cursor``).
    """
    page = cursor_position(request.args.get("cursor"), "page")
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "cursor"])
    if page is not None:
        args["page"] = str(page)
    try:
        found = parse_search(args)
    except InvalidQuery as exc:
        abort(422, message=str(exc), errors={"query": {exc.field or "_schema": [str(exc)]}})
    result = search(found.query)
    query = found.query
    more = query.page * query.per_page < result.total and len(result.hits) == query.per_page
    cursor = next_cursor("page", query.page + 1 if more else None)
    # Already in the shape of schemas.SearchResult (its dump returns it unchanged: tested), so it
    # is encoded as it is: the dump cost 2-3 ms of marshmallow a page of 20 venues and facets.
    return jsonify(search_answer(result, cursor))


def search_answer(result: SearchResult, cursor: str | None) -> dict[str, Any]:
    """A search's answer as ``schemas.SearchResult`` describes it."""
    return {
        "total": result.total,
        "total_capped": result.total_capped,
        "relaxed": list(result.relaxed),
        "venues": [hit_row(hit) for hit in result.hits],
        "facets": {
            name: [{"value": v.value, "label": v.label, "count": v.count} for v in facet.values]
            for name, facet in result.facets.items()
        },
        "next_cursor": cursor,
    }


@bp.get("/venues/<slug>")
@bp.response(200, schemas.VenueDetail)
def venue(slug: str):
    """A listed venue: its details, active services and team."""
    return venue_row(listed_venue(slug))


@bp.get("/venues/<slug>/services")
@bp.response(200, schemas.Service(many=True))
def services(slug: str):
    """A listed venue's active services, with their prices and terms."""
    return service_rows([s for s in listed_venue(slug).services if s.is_active])


@bp.get("/venues/<slug>/packages")
@bp.response(200, schemas.PackageOffer(many=True))
def venue_packages(slug: str):
    """A listed venue's packages on sale: N sessions of a service at one price (docs/packages.md)."""
    return [
        {
            "id": p.id,
            "name": p.name,
            "service": {"id": p.service_id, "name": p.service.name},
            "option": {"id": p.option_id, "name": p.option.name} if p.option is not None else None,
            "sessions": p.sessions,
            "valid_days": p.valid_days,
            "price": money(p.price_minor, p.currency),
            "usual_price": money(packages.usual_price_minor(p), p.currency),
        }
        for p in packages.offers_of(listed_venue(slug).id)
    ]


@bp.get("/venues/<slug>/memberships")
@bp.response(200, schemas.MembershipPlan(many=True))
def venue_memberships(slug: str):
    """A listed venue's memberships on offer (docs/memberships.md)."""
    return [
        {
            "id": p.id,
            "name": p.name,
            "price": money(p.price_minor, p.currency),
            "included_sessions": p.included_sessions,
            "included_service": {"id": p.included_service_id, "name": p.included_service.name}
            if p.included_service is not None
            else None,
            "discount_percent": p.discount_percent,
        }
        for p in membership_plans.plans_of(listed_venue(slug).id)
    ]


@bp.get("/venues/<slug>/hours")
@bp.response(200, schemas.Hours)
def hours(slug: str):
    """Weekly opening hours (local wall-clock times in ``timezone``) and closures."""
    return hours_row(listed_venue(slug))


@bp.get("/venues/<slug>/reviews")
@bp.arguments(schemas.CursorArgs, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.ReviewPage)
def reviews(slug: str, limit: int, cursor: str | None = None):
    """Published reviews, newest first."""
    venue = listed_venue(slug)
    offset = cursor_position(cursor, "offset") or 0
    rows = venue_reviews(venue.id, limit=limit + 1, offset=offset)  # one more: does a page follow?
    following = next_cursor("offset", offset + limit if len(rows) > limit else None)
    return {"reviews": [review_row(r) for r in rows[:limit]], "next_cursor": following}


def parse_treatments(text: str) -> list[Treatment]:
    """ "1:12:3+7,1:15": guest 1 has service 12 as option 3 with add-on 7, then service 15. A
    treatment that can't be read is a 422 naming ``treatments``."""
    found = []
    for piece in text.split(","):
        head, *addons = piece.strip().split("+")
        numbers = head.split(":")
        if not 2 <= len(numbers) <= 3 or not all(
            n.isascii() and n.isdigit() and len(n) < 10 for n in [*numbers, *addons]
        ):
            abort(
                422,
                message=_("Give each treatment as guest:service_id[:option_id][+addon_id...]."),
                errors={"query": {"treatments": [piece.strip()[:40]]}},
            )
        guest, service_id, *option = (int(n) for n in numbers)
        found.append(Treatment(service_id, option[0] if option else None, tuple(int(a) for a in addons), guest=guest))
    return found


@bp.get("/venues/<slug>/visit-times")
@bp.arguments(schemas.VisitTimesArgs, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.VisitTimes)
def visit_times(slug: str, treatments: str, date):
    """Start times on a local ``date`` at which a visit fits: one guest's treatments back to back,
    or a group's side by side (docs/visits.md), each with every treatment placed."""
    venue = listed_venue(slug)
    zone = venue_zone(venue.timezone)
    found = group_times(venue, parse_treatments(treatments), date)
    return {
        "timezone": venue.timezone,
        "times": [
            {
                "start": placed[0].slot.start.astimezone(zone),
                "treatments": [
                    {
                        "guest": p.guest + 1,
                        "service_id": p.part.service.id,
                        "start": p.slot.start.astimezone(zone),
                        "end": p.slot.end.astimezone(zone),
                        "team_member_id": p.team_member_id,
                    }
                    for p in placed
                ],
            }
            for placed in found
        ],
    }


@bp.get("/venues/<slug>/availability")
@bp.arguments(schemas.AvailabilityArgs, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.Availability)
def availability(slug: str, service_id: int, days: int, date=None, start=None, option_id=None, addon_ids=()):
    """Free times of one service (for one of its options' length: ``option_id``, else its
    standard one, plus the minutes of the add-ons ``addon_ids`` names): with ``date``, that local
    day's start times (in the venue's time zone, with offsets); without, how many start times each
    day from ``start`` has."""
    venue = listed_venue(slug)
    service = venues_listed.bookable_service(venue, service_id)
    option = venues_listed.bookable_option(service, option_id)
    choice = Choice(option=option, addons=venues_listed.bookable_addons(service, addon_ids))  # another's: a 404
    zone = venue_zone(venue.timezone)
    now = datetime.now(UTC)
    body = {
        "service_id": service.id,
        "option_id": option.id if option else None,
        "addon_ids": [addon.id for addon in choice.addons],
        "timezone": venue.timezone,
    }
    if date is not None:
        body["slots"] = [
            {
                "start": slot.start.astimezone(zone),
                "end": slot.end.astimezone(zone),
                "remaining": slot.remaining,
                "team_member_ids": list(slot.team_member_ids),
            }
            for slot in get_slots(service, date, now=now, choice=choice)
        ]
        return body
    first = start or now.astimezone(zone).date()
    if first < now.astimezone(zone).date() - timedelta(days=1):
        abort(422, message=_("Ask for days from today on."), errors={"query": {"start": [_("In the past.")]}})
    counts = get_bookable_days(service, first, days, now=now, choice=choice)
    body["days"] = [{"date": day, "free_starts": count} for day, count in sorted(counts.items())]
    return body
