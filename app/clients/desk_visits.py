"""A visit booked at the front desk (issue 44, item 6): several treatments back to back and/or
2 to 6 guests side by side, for one client, confirmed at once in one desk order.

It is the customer's visit (app/booking/visits.py) written the desk's way (app/clients/desk.py):
the start must be one the slot engine offers for the whole visit (``group_times``); the services
are locked in id order and then their rooms and equipment, as checkout locks a cart; each sitting
(one treatment at one time and the guests having it then) is reserved like a cart item of a visit
(``reserve(..., on_step=False)``, its places its guests), a booking a team member, each naming its
guest (the client is guest 1) and sharing a new ``visit_key``. Every sitting is written inside one
savepoint (``write_or_refuse``): if one is refused, nothing of the visit is kept. The bookings are
paid at the venue (or by a payment link each), confirmed at once, and each fires ``desk_booked``.

The team members booked are the ones the plan showed the desk when they are all still free; if
not, whoever ``reserve`` finds free, as checkout does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from secrets import token_hex

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.booking import order_lifecycle
from app.booking.errors import SlotUnavailable
from app.booking.models import Booking
from app.booking.reserving import Refusal, lock_resources, reserve, write_or_refuse
from app.booking.visits import Treatment, clean_names, group_times, guests_of
from app.clients.desk import announce_desk_bookings, check_desk_booking, desk_choice, hold_desk_booking
from app.clients.models import VenueClient
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Placed, Slot
from app.venues.models import Service, TeamMember, Venue

# The visit's bookings are held this long while its sittings are written one after another (so
# each sitting sees the ones before it as taken), then confirmed in the same transaction.
WRITING_HOLD = timedelta(minutes=5)

Sitting = tuple[Treatment, datetime, list[Placed]]


def book_visit_at_desk(
    venue: Venue,
    client: VenueClient,
    treatments: list[Treatment],
    starts_at: datetime,
    *,
    staff: User,
    now: datetime,
    guest_names: Sequence[str] = (),
    pay_by_link: bool = False,
) -> list[Booking]:
    """The confirmed bookings of the visit ``treatments`` (each guest's in order, guests numbered
    from 1, the client guest 1) starting at ``starts_at``, in time and guest order. Raises
    SlotUnavailable (nothing written) unless the whole visit still fits then; NotFound for a
    service that isn't the venue's; CartItemInvalid / ValidationFailed for a visit that makes no
    sense (app/booking/visits.py), an option or add-on not the service's, or names too long.
    ``guest_names``: in guest order, guest 1's the client's name when left out."""
    check_desk_booking(venue, client, starts_at, now=now, pay_by_link=pay_by_link)
    names = clean_names(list(guest_names), len(guests_of(treatments)))  # a visit that makes sense
    names[0] = names[0] or client.name
    services = _locked_services(venue, {t.service_id for t in treatments})
    if len({s.currency for s in services.values()}) > 1:
        raise ValidationFailed(_("A visit is paid in one currency: choose treatments of one currency."))
    # What is booked of each treatment, checked (another service's option or add-on is refused);
    # a service's standard option when none is named, as book_at_desk.
    booked = [desk_choice(services[t.service_id], t.option_id, t.addon_ids) for t in treatments]
    treatments = [
        replace(t, option_id=c.option.id if c.option is not None else None)
        for t, c in zip(treatments, booked, strict=True)
    ]
    choices = {replace(t, guest=0): c for t, c in zip(treatments, booked, strict=True)}
    guests = guests_of(treatments)
    lock_resources(sorted(services))  # after the services' locks, in id order, as checkout does
    member_ids = sorted(db.session.scalars(select(TeamMember.id).where(TeamMember.venue_id == venue.id)))
    day = starts_at.astimezone(venue_zone(venue)).date()
    plan = next((p for p in group_times(venue, treatments, day, now=now) if p[0].slot.start == starts_at), None)
    if plan is None:
        raise SlotUnavailable(_refusal("taken"))
    currency = next(iter(services.values())).currency
    hold_until = now + WRITING_HOLD
    key = token_hex(8)
    bookings: list[Booking] = []
    with write_or_refuse(_refusal, now=now):  # every sitting, or none
        order = order_lifecycle.hold_at_desk(client.user_id, currency=currency, hold_until=hold_until, actor=staff)
        for treatment, start, seated in _sittings(guests, plan):
            service = services[treatment.service_id]
            choice = choices[treatment]

            def write(slot: Slot, people: list[int | None], *, service=service, choice=choice, seated=seated):
                per_booking = 1 if people != [None] else len(seated)
                written = []
                for member_id, placed in zip(_who(seated, slot, people), seated, strict=False):
                    booking = hold_desk_booking(
                        service,
                        client,
                        order=order,
                        team_member_id=member_id,
                        slot=slot,
                        hold_until=hold_until,
                        choice=choice,
                        quantity=per_booking,
                        visit_key=key,
                    )
                    if people != [None]:  # a booking a place: its guest (one for the group otherwise)
                        booking.guest, booking.guest_name = placed.guest + 1, names[placed.guest] or None
                    written.append(booking)
                db.session.add_all(written)
                return written

            bookings += reserve(
                service,
                start,
                write,
                now=now,
                refusal=_refusal,
                quantity=len(seated),
                team_member_id=treatment.team_member_id,
                expire_for=member_ids,
                choice=choice,
                on_step=False,  # a visit's treatments start when the one before ends
            )
    order_lifecycle.confirm_at_desk(order, now=now, actor=staff)
    for booking in bookings:
        booking.hold_expires_at = None
    order.hold_expires_at = now  # as book_at_desk's order: nothing left to hold
    announce_desk_bookings(bookings, client, staff=staff, pay_by_link=pay_by_link)
    return sorted(bookings, key=lambda b: (b.starts_at, b.guest or 0))


def _locked_services(venue: Venue, service_ids: set[int]) -> dict[int, Service]:
    """The visit's services, the venue's bookable ones, locked in id order (desk bookings and
    checkouts of these services take turns), fresh copies; NotFound for any other."""
    services = {
        s.id: s
        for s in db.session.scalars(
            select(Service)
            .where(Service.id.in_(sorted(service_ids)), Service.venue_id == venue.id, Service.is_active.is_(True))
            .order_by(Service.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    if set(services) != service_ids:
        raise NotFound(_("That service is not offered at your venue."))
    return services


def _sittings(guests: list[list[Treatment]], plan: tuple[Placed, ...]) -> list[Sitting]:
    """The plan's sittings: one treatment (its guest left out) at one time, with the guests having
    it then (their places in the plan), by time and then by first guest. The plan lists each
    guest's treatments in order, as ``guests`` does."""
    sittings: dict[tuple[Treatment, datetime], list[Placed]] = {}
    done = [0] * len(guests)
    for placed in plan:
        treatment = guests[placed.guest][done[placed.guest]]
        done[placed.guest] += 1
        sittings.setdefault((replace(treatment, guest=0), placed.slot.start), []).append(placed)
    ordered = sorted(sittings.items(), key=lambda kv: (kv[0][1], kv[1][0].guest))
    return [(treatment, start, seated) for (treatment, start), seated in ordered]


def _who(seated: list[Placed], slot: Slot, people: list[int | None]) -> list[int | None]:
    """Who takes the sitting's places: the team members the plan showed when each is different and
    still free then, else those ``reserve`` found (``people``)."""
    planned = [p.team_member_id for p in seated]
    if (
        people != [None]
        and len(planned) == len(people)
        and None not in planned
        and len(set(planned)) == len(planned)
        and set(planned) <= set(slot.team_member_ids)
    ):
        return list(planned)
    return people


def _refusal(_why: Refusal) -> str:
    """Why the visit can't be booked at that time (app/booking/reserving.py)."""
    return _("That time is no longer free for the whole visit. Pick another time.")
