"""A visit: several treatments booked back to back in one go (a facial, then a massage), as
Fresha's and Phorest's "add another service" does.

The customer picks the treatments in order (each with its option, add-ons and team member, or
anyone); the slot engine offers only the start times at which the whole sequence fits: each
treatment starts when the one before it ends, its buffer included (app/slot_engine:
``visit_starts``). The same or different team members may do them. Adding a visit puts one cart
item per treatment in the cart, sharing a ``visit_key``; checkout holds them all or none, as it
holds any cart, and its bookings keep the key. Cancelling a treatment cancels the visit, each
booking under its own policy; a treatment is not moved alone (docs/visits.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from secrets import token_hex

from flask_babel import gettext as _

from app.booking.availability import booking_rules, get_visit_starts, service_spec
from app.booking.cart import CartOwner, add_item, bookable_service, item_addons, item_option, now_utc
from app.booking.errors import CartItemInvalid
from app.booking.models import CartItem
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Part, Slot
from app.venues.addons import Choice
from app.venues.models import Venue

MAX_TREATMENTS = 4


@dataclass(frozen=True)
class Treatment:
    """One treatment of a visit as the customer asks for it."""

    service_id: int
    option_id: int | None = None
    addon_ids: tuple[int, ...] = ()
    team_member_id: int | None = None


def parts_of(venue: Venue, treatments: list[Treatment]) -> list[Part]:
    """The slot engine's parts of a visit, checked: 2 to ``MAX_TREATMENTS`` treatments, each a
    bookable service of ``venue`` with its own option and add-ons and a team member who performs
    it (or anyone). Refused with CartItemInvalid naming the field."""
    if not 2 <= len(treatments) <= MAX_TREATMENTS:
        raise CartItemInvalid(
            _("A visit is 2 to %(num)d treatments, one after another.", num=MAX_TREATMENTS), field="treatments"
        )
    parts = []
    for treatment in treatments:
        service = bookable_service(treatment.service_id)
        if service.venue_id != venue.id:
            raise CartItemInvalid(_("That service isn't offered by this venue."), field="service_id")
        choice = Choice(
            option=item_option(service, treatment.option_id), addons=item_addons(service, treatment.addon_ids)
        )
        performers = {m.id for m in venue.team if service in m.services}
        if treatment.team_member_id is not None and treatment.team_member_id not in performers:
            raise CartItemInvalid(_("That team member doesn't perform this service."), field="team_member_id")
        parts.append(Part(service_spec(service, choice=choice), booking_rules(service), treatment.team_member_id))
    return parts


def visit_times(
    venue: Venue, treatments: list[Treatment], day: date, *, now: datetime | None = None
) -> list[tuple[Slot, ...]]:
    """Each start on ``day`` at which the treatments fit back to back, with each one's slot."""
    return get_visit_starts(venue, parts_of(venue, treatments), day, now=now)


def add_visit(
    owner: CartOwner, venue: Venue, treatments: list[Treatment], starts_at: datetime, *, now: datetime | None = None
) -> list[CartItem]:
    """Put the visit starting at ``starts_at`` in the cart: one item per treatment at its own time,
    sharing a new ``visit_key``. Refused with CartItemInvalid (nothing added) unless the whole
    visit fits then."""
    now = now or now_utc()
    day = starts_at.astimezone(venue_zone(venue)).date()
    found = next((slots for slots in visit_times(venue, treatments, day, now=now) if slots[0].start == starts_at), None)
    if found is None:
        raise CartItemInvalid(_("That time is no longer free for the whole visit. Choose another."), field="starts_at")
    key = token_hex(8)
    with db.session.begin_nested():  # all the treatments, or none
        return [
            add_item(
                owner,
                service_id=treatment.service_id,
                starts_at=slot.start,
                quantity=1,
                team_member_id=treatment.team_member_id,
                now=now,
                option_id=treatment.option_id,
                addon_ids=treatment.addon_ids,
                visit_key=key,
            )
            for treatment, slot in zip(treatments, found, strict=True)
        ]
