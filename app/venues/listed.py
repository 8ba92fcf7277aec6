"""What the public may see and book: a listed (approved) venue by its address, and one of its
bookable services. The booking pages, the booking button's panel and the public API load them
here, so each checks the same things and a hidden venue or service is a 404 everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.sql.base import ExecutableOption

from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.venues.addons import chosen_addons
from app.venues.models import Service, ServiceAddon, ServiceOption, Venue, VenueStatus
from app.venues.options import standard_option
from app.venues.slugs import find_venue_by_any_slug

SLUG_MAX = 140  # the column's width: a longer address names no venue


def listed_venue(slug: str, *, options: Sequence[ExecutableOption] = ()) -> Venue:
    """The approved venue that has, or once had, ``slug``; NotFound for any other."""
    venue = find_venue_by_any_slug(slug[:SLUG_MAX], options=options)
    if venue is None or venue.status != VenueStatus.APPROVED:
        raise NotFound(_("No listed venue has that address."))
    return venue


def bookable_service(venue: Venue, service_id: Any) -> Service:
    """The venue's active service with this id; NotFound for another venue's, a withdrawn or a
    missing one. Found in the session without a query when the venue's services are loaded."""
    service = db.session.get(Service, service_id) if isinstance(service_id, int) else None
    if service is None or service.venue_id != venue.id or not service.is_active:
        raise NotFound(_("This venue has no such service."))
    return service


def bookable_option(service: Service, option_id: int | None) -> ServiceOption | None:
    """The service's option ``option_id`` names; its standard (cheapest) one when None, and None
    for a service without options; NotFound for another service's or a missing one."""
    if option_id is None:
        return standard_option(service)
    found = next((option for option in service.options if option.id == option_id), None)
    if found is None:
        raise NotFound(_("That option is not one of this service's."))
    return found


def bookable_addons(service: Service, addon_ids: Sequence[int]) -> tuple[ServiceAddon, ...]:
    """The service's add-ons ``addon_ids`` names, in the service's order (app/venues/addons.py);
    NotFound for another service's, a missing one or one named twice."""
    try:
        return chosen_addons(service, addon_ids)
    except ValidationFailed as exc:
        raise NotFound(exc.message) from None
