"""A service's menu as a warm worker remembers it (app/platform/remembered.py): the service with
its options, add-ons and questions, and its venue with what the slot engine reads of it (opening
hours, closures, the team and who does what). The booking pages and the cart page show them on
nearly every request; a warm worker shows them without the statements that load them.

Every row here is one whose change bumps "public" (create_app's watched models), so a change
made anywhere shows within CACHE_VERSION_TTL, and at once in the worker that made it. Only a
request that changes nothing asks for remembered rows (the callers pass ``remembered`` on GET
and HEAD): one that changes something decides on rows read fresh in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.platform import cache_versions
from app.platform.extensions import db
from app.platform.remembered import Memory
from app.venues.listed import bookable_service, listed_venue
from app.venues.models import Service, TeamMember, Venue

# What the slot engine reads of a venue, loaded with it: the same few queries however many team
# members and services there are.
VENUE_LOADS = (
    selectinload(Venue.opening_hours),
    selectinload(Venue.closures),
    selectinload(Venue.team).selectinload(TeamMember.services),
)
SERVICE_LOADS = (selectinload(Service.options), selectinload(Service.venue).options(*VENUE_LOADS))

MENUS = Memory(
    "menus",
    size=2048,
    seconds=300.0,
    relations={"venue": ("opening_hours", "closures", "team.services"), "service": ("options", "addons", "questions")},
)


def listed_menu(slug: str, service_id: int, *, remembered: bool) -> tuple[Venue, Service]:
    """The listed venue at ``slug`` and its bookable service (app/venues/listed.py: anything
    else is a 404), with their menus; as this worker remembers them when ``remembered``."""
    key = ("page", slug, service_id)
    found = MENUS.recall(key) if remembered else None
    if found is not None:
        return found["venue"], found["service"]
    versions = MENUS.versions(cache_versions.PUBLIC)
    venue = listed_venue(slug, options=VENUE_LOADS)
    service = bookable_service(venue, service_id)
    # Kept too as load_menus asks for them: the cart shows the service chosen on this page next.
    MENUS.keep(key, versions, also=[("service", service.id)], venue=venue, service=service)
    return venue, service


def load_menus(service_ids: Iterable[int], *, remembered: bool) -> list[tuple[Venue, Service]]:
    """These services, with their menus and venues, in this request's session, so that reading
    them from rows that name them (a cart item's ``service``, its ``venue``) sends nothing: those
    this worker remembers when ``remembered``, the others in one load. Hold on to what it returns
    while reading them: the session keeps unchanged rows only while something refers to them."""
    found: list[tuple[Venue, Service]] = []
    wanted = set(service_ids)
    if remembered:
        for service_id in sorted(wanted):
            rows = MENUS.recall(("service", service_id))
            if rows is not None:
                found.append((rows["venue"], rows["service"]))
                wanted.discard(service_id)
    if not wanted:
        return found
    versions = MENUS.versions(cache_versions.PUBLIC)
    for service in db.session.scalars(select(Service).where(Service.id.in_(wanted)).options(*SERVICE_LOADS)):
        MENUS.keep(("service", service.id), versions, venue=service.venue, service=service)
        found.append((service.venue, service))
    return found
