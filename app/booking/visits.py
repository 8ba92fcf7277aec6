"""A visit: several treatments booked back to back in one go (a facial, then a massage), for
one guest or a group side by side (a couple: a couples massage each, then a facial each), as
Fresha's and Phorest's "add another service" and group appointments do.

The customer picks each guest's treatments in order (each with its option, add-ons and team
member, or anyone); the slot engine offers only the start times at which every guest's sequence
fits (app/slot_engine/visits.py): each treatment starts when the one before it ends, its buffer
included; every guest starts together; guests having the same treatment at the same time sit
together (a team member each, a room the service shares taken once); nobody is given two
treatments at once. Adding a visit puts one cart item per sitting in the cart (its places are
its guests), sharing a ``visit_key``; checkout holds them all or none and each booking keeps
its guest. Cancelling a treatment cancels that guest's part of the visit, each booking under its
own policy; the other guests keep theirs. A treatment is not moved alone (docs/visits.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from secrets import token_hex

from flask_babel import gettext as _

from app.booking.availability import booking_rules, get_group_starts, get_visit_starts, service_spec
from app.booking.cart import CartOwner, add_item, bookable_service, item_addons, item_option, now_utc
from app.booking.errors import CartItemInvalid
from app.booking.models import CartItem
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Part, Placed, Slot
from app.venues.addons import Choice
from app.venues.models import Venue

MAX_TREATMENTS = 4  # a guest's, one after another
MAX_GUESTS = 6
GUEST_NAME_MAX = 80


@dataclass(frozen=True)
class Treatment:
    """One treatment of a visit as the customer asks for it, for ``guest`` (numbered from 1)."""

    service_id: int
    option_id: int | None = None
    addon_ids: tuple[int, ...] = ()
    team_member_id: int | None = None
    guest: int = 1


def _part(venue: Venue, treatment: Treatment) -> Part:
    """The slot engine's part of one treatment, checked: a bookable service of ``venue`` with its
    own option and add-ons, and a team member who performs it (or anyone)."""
    service = bookable_service(treatment.service_id)
    if service.venue_id != venue.id:
        raise CartItemInvalid(_("That service isn't offered by this venue."), field="service_id")
    choice = Choice(option=item_option(service, treatment.option_id), addons=item_addons(service, treatment.addon_ids))
    performers = {m.id for m in venue.team if service in m.services}
    if treatment.team_member_id is not None and treatment.team_member_id not in performers:
        raise CartItemInvalid(_("That team member doesn't perform this service."), field="team_member_id")
    return Part(service_spec(service, choice=choice), booking_rules(service), treatment.team_member_id)


def guests_of(treatments: list[Treatment]) -> list[list[Treatment]]:
    """Each guest's treatments in order, checked: guests numbered 1 to ``MAX_GUESTS`` with none
    missing, each with 1 to ``MAX_TREATMENTS`` treatments (one guest alone: at least 2, else it is
    a plain booking). Refused with CartItemInvalid naming the field."""
    numbers = sorted({t.guest for t in treatments})
    if not numbers or numbers != list(range(1, len(numbers) + 1)) or len(numbers) > MAX_GUESTS:
        raise CartItemInvalid(_("Book for 1 to %(num)d guests.", num=MAX_GUESTS), field="guests")
    guests = [[t for t in treatments if t.guest == number] for number in numbers]
    least = 2 if len(guests) == 1 else 1
    if any(not least <= len(mine) <= MAX_TREATMENTS for mine in guests):
        if len(guests) == 1:
            raise CartItemInvalid(
                _("A visit is 2 to %(num)d treatments, one after another.", num=MAX_TREATMENTS), field="treatments"
            )
        raise CartItemInvalid(
            _("Each guest has 1 to %(num)d treatments, one after another.", num=MAX_TREATMENTS), field="treatments"
        )
    return guests


def group_parts(venue: Venue, treatments: list[Treatment]) -> list[list[Part]]:
    """Each guest's parts for the slot engine (``guests_of``, each treatment checked once: a
    couple's two massages are one question)."""
    parts: dict[Treatment, Part] = {}
    found = []
    for mine in guests_of(treatments):
        row = []
        for treatment in mine:
            key = replace(treatment, guest=0)  # the same treatment, whoever has it
            if key not in parts:
                parts[key] = _part(venue, treatment)
            row.append(parts[key])
        found.append(row)
    return found


def parts_of(venue: Venue, treatments: list[Treatment]) -> list[Part]:
    """The parts of one guest's visit (2 to ``MAX_TREATMENTS`` treatments)."""
    if any(t.guest != 1 for t in treatments):
        raise CartItemInvalid(_("Book for 1 to %(num)d guests.", num=MAX_GUESTS), field="guests")
    [parts] = group_parts(venue, treatments)
    return parts


def visit_times(
    venue: Venue, treatments: list[Treatment], day: date, *, now: datetime | None = None
) -> list[tuple[Slot, ...]]:
    """One guest's visit: each start on ``day`` at which the treatments fit back to back, with each one's slot."""
    return get_visit_starts(venue, parts_of(venue, treatments), day, now=now)


def group_times(
    venue: Venue, treatments: list[Treatment], day: date, *, now: datetime | None = None
) -> list[tuple[Placed, ...]]:
    """Each start on ``day`` at which every guest's treatments fit, with each treatment placed."""
    return get_group_starts(venue, group_parts(venue, treatments), day, now=now)


def clean_names(names: list[str] | tuple[str, ...], guests: int) -> list[str]:
    """The guests' names, trimmed (a missing one is ""); refused when one is too long."""
    cleaned = [(names[i] if i < len(names) else "").strip() for i in range(guests)]
    if any(len(name) > GUEST_NAME_MAX for name in cleaned):
        raise CartItemInvalid(_("Use at most %(num)d characters for a name.", num=GUEST_NAME_MAX), field="guest_names")
    return cleaned


def add_visit(
    owner: CartOwner,
    venue: Venue,
    treatments: list[Treatment],
    starts_at: datetime,
    *,
    guest_names: list[str] | tuple[str, ...] = (),
    now: datetime | None = None,
) -> list[CartItem]:
    """Put the visit starting at ``starts_at`` in the cart: one item per sitting (a treatment at a
    time, its places the guests having it then), sharing a new ``visit_key``, each naming its
    guests. Refused with CartItemInvalid (nothing added) unless the whole visit fits then."""
    now = now or now_utc()
    guests = guests_of(treatments)
    names = clean_names(guest_names, len(guests))
    parts = group_parts(venue, treatments)
    day = starts_at.astimezone(venue_zone(venue)).date()
    found = next((p for p in get_group_starts(venue, parts, day, now=now) if p[0].slot.start == starts_at), None)
    if found is None:
        raise CartItemInvalid(_("That time is no longer free for the whole visit. Choose another."), field="starts_at")
    # A sitting: one treatment at one time, and the guests having it then. The placed treatments
    # come by guest, in each guest's order, as ``guests`` lists them.
    sittings: dict[tuple[Treatment, datetime], list[int]] = {}
    done = [0] * len(guests)
    for placed in found:
        treatment = guests[placed.guest][done[placed.guest]]
        done[placed.guest] += 1
        sittings.setdefault((replace(treatment, guest=0), placed.slot.start), []).append(placed.guest)
    key = token_hex(8)
    with db.session.begin_nested():  # every sitting, or none
        return [
            add_item(
                owner,
                service_id=treatment.service_id,
                starts_at=start,
                quantity=len(sitting),
                team_member_id=treatment.team_member_id,
                now=now,
                option_id=treatment.option_id,
                addon_ids=treatment.addon_ids,
                visit_key=key,
                guests=[guest + 1 for guest in sitting],
                guest_names=[names[guest] for guest in sitting],
            )
            for (treatment, start), sitting in sorted(sittings.items(), key=lambda kv: (kv[0][1], kv[1]))
        ]
