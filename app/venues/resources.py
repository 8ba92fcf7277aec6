"""Rooms and equipment: the venue's resources ("Treatment room" x 2, "Double room" x 1) and what
each service needs of them for one booking, as Fresha's and Phorest's "resources" (docs/rooms-and-equipment.md).

- A resource has a name (1-60 characters, unique in the venue, whatever the case) and a quantity
  (1-50 units, each booked on its own: room 1, room 2); a venue has at most ``MAX_RESOURCES``.
- A service needs ``units`` (1-10) of some of the venue's resources for each booking, never more
  than the resource has. The slot engine offers a time only when that many units are free for the
  whole booking, and the database refuses a unit in two live bookings that meet (migration 0072).
- A quantity can't go below a unit that a live booking still to come holds, nor below what a
  service needs; a resource that a live booking still to come holds can't be removed (a service's
  need of a removed resource goes with it). The resource row is locked first, as reserving locks
  it, so a booking taking unit 3 and the owner lowering the quantity to 2 take turns.
- Every change bumps the cache versions of the venue's pages and free times.

The units a booking holds live in ``booking_resources`` (app/booking/models.BookingResource). The
venues domain sits below booking and imports none of it, so the one question asked of them here,
"which units do live bookings still to come hold?", reads those two tables by name (``_USED``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import column, func, or_, select, table

from app.platform import cache_versions
from app.platform.errors import InvalidTransition, NotFound, ValidationFailed
from app.platform.extensions import db
from app.venues.lists import next_position
from app.venues.models import Resource, Service, ServiceResource, Venue
from app.venues.service import note_change

MAX_RESOURCES = 20
NAME_MAX = 60
MAX_QUANTITY = 50
MAX_UNITS = 10  # of one resource, for one booking

# booking_resources and bookings, read by name (see the module's docstring).
_UNITS = table(
    "booking_resources",
    column("booking_id"),
    column("resource_id"),
    column("unit"),
    column("blocks_until"),
    column("live"),
)
_BOOKINGS = table("bookings", column("id"), column("status"), column("hold_expires_at"))


def venue_resources(venue_id: int) -> list[Resource]:
    """The venue's resources in the owner's order."""
    return list(
        db.session.scalars(
            select(Resource).where(Resource.venue_id == venue_id).order_by(Resource.position, Resource.id)
        )
    )


def get_resource(venue: Venue, resource_id: int, *, for_update: bool = False) -> Resource:
    """One of the venue's resources (locked with ``for_update``), else NotFound."""
    query = select(Resource).where(Resource.id == resource_id, Resource.venue_id == venue.id)
    resource = db.session.scalar(query.with_for_update() if for_update else query)
    if resource is None:
        raise NotFound(_("No such room or equipment at your venue."))
    return resource


def _clean_name(venue: Venue, name: str, resource_id: int | None) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= NAME_MAX:
        raise ValidationFailed(
            _("Give the room or equipment a name of up to %(num)d characters.", num=NAME_MAX), field="name"
        )
    others = db.session.scalars(
        select(Resource.name).where(Resource.venue_id == venue.id, Resource.id != (resource_id or 0))
    )
    if name.casefold() in {other.casefold() for other in others}:
        raise ValidationFailed(_("You already have something called “%(name)s”.", name=name), field="name")
    return name


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed(_("Enter how many you have: 1 to %(num)d.", num=MAX_QUANTITY), field="quantity")


def _changed(venue: Venue) -> None:
    """What customers see and the free times follow the change (the venue's pages, its slots)."""
    note_change(venue, "services")
    cache_versions.bump(cache_versions.PUBLIC)
    cache_versions.bump(cache_versions.venue_times(venue.id))


def add_resource(venue: Venue, *, name: str, quantity: int) -> Resource:
    """Add a room or piece of equipment; at most ``MAX_RESOURCES``, even when two adds race."""
    position = next_position(
        venue,
        Resource,
        most=MAX_RESOURCES,
        full=_(
            "A venue can list at most %(num)d rooms and kinds of equipment. Remove one to add another.",
            num=MAX_RESOURCES,
        ),
    )
    clean = _clean_name(venue, name, None)
    _check_quantity(quantity)
    resource = Resource(venue_id=venue.id, name=clean, quantity=quantity, position=position)
    db.session.add(resource)
    db.session.flush()
    _changed(venue)
    return resource


def highest_unit_in_use(resource_id: int, *, now: datetime | None = None) -> int:
    """The highest unit number a live booking still to come holds (0: none); a hold past its
    expiry holds nothing."""
    now = now or datetime.now(UTC)
    query = (
        select(func.coalesce(func.max(_UNITS.c.unit), 0))
        .select_from(_UNITS.join(_BOOKINGS, _BOOKINGS.c.id == _UNITS.c.booking_id))
        .where(
            _UNITS.c.resource_id == resource_id,
            _UNITS.c.live.is_(True),
            _UNITS.c.blocks_until > now,
            or_(_BOOKINGS.c.status != "held", _BOOKINGS.c.hold_expires_at > now),
        )
    )
    return int(db.session.scalar(query) or 0)


def update_resource(venue: Venue, resource_id: int, *, name: str, quantity: int) -> Resource:
    """Rename it or change how many there are. Fewer than a booking to come holds (its unit 3 of
    3), or than a service needs for one booking, is refused with a message saying which."""
    resource = get_resource(venue, resource_id, for_update=True)
    clean = _clean_name(venue, name, resource.id)
    _check_quantity(quantity)
    if quantity < resource.quantity:
        in_use = highest_unit_in_use(resource.id)
        if in_use > quantity:
            raise ValidationFailed(
                _(
                    "Bookings still to come use %(name)s number %(unit)d, so you can't have fewer than %(unit)d. "
                    "Move or cancel those bookings first.",
                    name=resource.name,
                    unit=in_use,
                ),
                field="quantity",
            )
        needing = db.session.execute(
            select(Service.name, ServiceResource.units)
            .join(ServiceResource, ServiceResource.service_id == Service.id)
            .where(ServiceResource.resource_id == resource.id, ServiceResource.units > quantity)
            .order_by(Service.name)
        ).first()
        if needing is not None:
            raise ValidationFailed(
                _(
                    "“%(service)s” needs %(units)d of them for each booking. Change what it needs first.",
                    service=needing.name,
                    units=needing.units,
                ),
                field="quantity",
            )
    resource.name, resource.quantity = clean, quantity
    db.session.flush()
    _changed(venue)
    return resource


def remove_resource(venue: Venue, resource_id: int) -> None:
    """Remove it, and what services need of it; refused (InvalidTransition, as a service with
    bookings is) while a booking still to come holds it."""
    resource = get_resource(venue, resource_id, for_update=True)
    if highest_unit_in_use(resource.id):
        raise InvalidTransition(
            _(
                "Bookings still to come use %(name)s, so it can't be removed. Move or cancel those bookings first.",
                name=resource.name,
            )
        )
    db.session.delete(resource)
    db.session.flush()
    for service in venue.services:  # their needs of it went with it (ON DELETE CASCADE)
        db.session.expire(service, ["needs"])
    _changed(venue)


def set_needs(
    venue: Venue, service: Service, needs: Iterable[tuple[int, int]], *, shared: Collection[int] = ()
) -> None:
    """Make ``needs`` — (resource id, units for one booking) — what the service needs, replacing
    what it needed; the resources in ``shared`` are taken once by a sitting of guests side by
    side (a couples massage's double room), the others by each guest's booking. Units of 0 are
    left out; a resource that isn't the venue's, twice named, or more units than it has is
    refused (field ``needs``) and nothing changes."""
    wanted = [(int(resource_id), int(units)) for resource_id, units in needs if int(units) != 0]
    own = {r.id: r for r in venue_resources(venue.id)}
    seen: set[int] = set()
    for resource_id, units in wanted:
        resource = own.get(resource_id)
        if resource is None:
            raise ValidationFailed(_("Choose rooms and equipment of your own venue."), field="needs")
        if resource_id in seen:
            raise ValidationFailed(_("Name each room or piece of equipment once."), field="needs")
        seen.add(resource_id)
        if not 1 <= units <= min(MAX_UNITS, resource.quantity):
            raise ValidationFailed(
                _(
                    "A booking can need 1 to %(num)d of %(name)s.",
                    num=min(MAX_UNITS, resource.quantity),
                    name=resource.name,
                ),
                field="needs",
            )
    present = {need.resource_id: need for need in service.needs}
    asked = {rid: (units, rid in shared) for rid, units in wanted}
    if {rid: (need.units, need.shared) for rid, need in present.items()} == asked:
        return
    kept = []
    for resource_id, units in wanted:
        need = present.get(resource_id) or ServiceResource(service_id=service.id, resource_id=resource_id)
        need.units, need.shared = units, resource_id in shared
        kept.append(need)
    service.needs = kept
    db.session.flush()
    _changed(venue)


def needs_of(service: Service) -> dict[int, int]:
    """resource id -> units one booking of the service takes."""
    return {need.resource_id: need.units for need in service.needs}


def describe_needs(service: Service) -> str:
    """ "Treatment room, Double room ×2": what a service's row in the list says it needs."""
    return ", ".join(
        need.resource.name if need.units == 1 else f"{need.resource.name} ×{need.units}"
        for need in sorted(service.needs, key=lambda n: (n.resource.position, n.resource_id))
    )


def unit_label(name: str, unit: int, quantity: int) -> str:
    """ "Treatment room 2" (one of several), "Double room" (the only one)."""
    return name if quantity == 1 else _("%(name)s %(unit)d", name=name, unit=unit)
