"""Walk-in and phone bookings made at the front desk (the provider's calendar).

The desk books like checkout does, through the same reservation (app/booking/reserving.py):
the service row is locked (so a desk booking and an online checkout for the last place are
served one after the other, and the second sees the first's booking), holds past their expiry
stop counting, the slot engine is asked again, and the team member exclusion constraint backs
it up. The booking is built by
the one builder of held bookings (app/booking/holds.py), marked ``channel = 'desk'``, named
after its client, and paid at the venue: confirmed at once. It is of the option and add-ons the
desk picked (the service's standard option when none is named), so its time, end and price
include them, as a customer's booking does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.audit import service as audit
from app.booking import order_lifecycle
from app.booking.holds import hold_booking
from app.booking.models import Booking, Order
from app.booking.reserving import Refusal, reserve
from app.clients.events import desk_booked
from app.clients.models import VenueClient
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.slot_engine import Slot
from app.venues.addons import Choice, chosen_addons
from app.venues.closing import refuse_if_closed
from app.venues.deposits import PaymentMode
from app.venues.models import Service, TeamMember, Venue
from app.venues.options import chosen_option, standard_option

CHANNEL = "desk"


def book_at_desk(
    venue: Venue,
    client: VenueClient,
    *,
    service_id: int,
    starts_at: datetime,
    team_member_id: int | None,
    staff: User,
    now: datetime,
    pay_by_link: bool = False,
    option_id: int | None = None,
    addon_ids: Sequence[int] = (),
    settle: Callable[[Order], object] | None = None,
) -> Booking:
    """A confirmed booking for ``client`` at ``starts_at``, everything due at the venue; raises
    SlotUnavailable (nothing written) when the time is no longer free. ``pay_by_link``: the
    client is also sent a payment link (app/payments/desk_links.py) by email or text, so they
    need an email address or a phone number. ``option_id`` and ``addon_ids``: what is booked of
    the service (``desk_choice``; another service's is refused, nothing written). ``settle``: what
    the caller does with the confirmed order before it is announced (the desk view passes the
    client's packages, app/packages, which this layer doesn't import)."""
    check_desk_booking(venue, client, starts_at, now=now, pay_by_link=pay_by_link)
    service = db.session.scalar(
        select(Service)
        .where(Service.id == service_id, Service.venue_id == venue.id, Service.is_active.is_(True))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if service is None:
        raise NotFound(_("That service is not offered at your venue."))
    choice = desk_choice(service, option_id, addon_ids)
    member_ids = sorted(db.session.scalars(select(TeamMember.id).where(TeamMember.venue_id == venue.id)))
    if team_member_id is not None and team_member_id not in member_ids:
        raise NotFound(_("That team member doesn't work at this venue."))

    def write(slot: Slot, people: list[int | None]) -> tuple[Order, Booking]:
        order = order_lifecycle.hold_at_desk(client.user_id, currency=service.currency, hold_until=now, actor=staff)
        booking = hold_desk_booking(
            service, client, order=order, team_member_id=people[0], slot=slot, hold_until=now, choice=choice
        )
        db.session.add(booking)
        return order, booking

    # Under the service's lock, as checkout reserves (app/booking/reserving.py); holds that ran
    # out on this service or the venue's team at that time stop counting first.
    order, booking = reserve(
        service,
        starts_at,
        write,
        now=now,
        refusal=_refusal,
        team_member_id=team_member_id,
        expire_for=member_ids,
        choice=choice,
    )
    order_lifecycle.confirm_at_desk(order, now=now, actor=staff)
    booking.hold_expires_at = None
    if settle is not None:
        settle(order)
    announce_desk_bookings([booking], client, staff=staff, pay_by_link=pay_by_link)
    return booking


def hold_desk_booking(
    service: Service,
    client: VenueClient,
    *,
    order: Order,
    team_member_id: int | None,
    slot: Slot,
    hold_until: datetime,
    choice: Choice,
    quantity: int = 1,
    visit_key: str | None = None,
) -> Booking:
    """A held booking of ``client`` in the desk's ``order``, built by the one builder of held
    bookings (app/booking/holds.py) and made the desk's: its channel, everything due at the
    venue, and no no-show fee (no card on file: fees are the desk's to settle in person). The
    caller adds it to the session."""
    booking = hold_booking(
        service,
        order_id=order.id,
        customer_id=client.user_id,
        team_member_id=team_member_id,
        starts_at=slot.start,
        ends_at=slot.end,
        hold_until=hold_until,
        quantity=quantity,
        choice=choice,
        visit_key=visit_key,
    )
    booking.client_id = client.id
    booking.channel = CHANNEL
    booking.payment_mode = PaymentMode.AT_VENUE
    booking.online_minor = 0
    booking.no_show_fee_percent = None
    return booking


def announce_desk_bookings(bookings: list[Booking], client: VenueClient, *, staff: User, pay_by_link: bool) -> None:
    """Each desk booking confirmed: the payment link sent is audited, and ``desk_booked`` fires
    (the client's confirmation, the link, webhooks)."""
    for booking in bookings:
        if pay_by_link:
            audit.record(
                "booking.payment_link_sent",
                actor_id=staff.id,
                about=("booking", booking.id),
                to=", ".join(x for x in (client.email, client.phone) if x),
            )
        desk_booked.send(CHANNEL, booking=booking, client=client, pay_by_link=pay_by_link)


def check_desk_booking(
    venue: Venue, client: VenueClient, starts_at: datetime, *, now: datetime, pay_by_link: bool
) -> None:
    """What any desk booking needs before a time is looked at: the venue's own client, a way to
    send a payment link when one is asked for, and a time to come (raises, nothing written)."""
    if client.venue_id != venue.id:
        raise NotFound(_("That client is not in your client book."))
    refuse_if_closed(venue)  # a paused venue's desk still books (docs/pause-and-close.md)
    if pay_by_link and not (client.email or client.phone):
        raise ValidationFailed(
            _("To send a payment link, add the client's email address or phone number, or choose to pay at the venue."),
            field="payment",
        )
    if starts_at.tzinfo is None:
        raise ValidationFailed(_("That time is not valid."), field="starts_at")
    if starts_at <= now:
        raise ValidationFailed(_("That time has passed."), field="starts_at")


def desk_choice(service: Service, option_id: int | None, addon_ids: Sequence[int]) -> Choice:
    """What the desk books of ``service``: the option ``option_id`` names (its standard, cheapest
    one when None; None for a service without options) and the add-ons ``addon_ids`` names.
    ValidationFailed (app/venues/options.py, addons.py) for an option or add-on that isn't the
    service's, or an add-on named twice."""
    option = standard_option(service) if option_id is None else chosen_option(service, option_id)
    return Choice(option=option, addons=chosen_addons(service, addon_ids) if addon_ids else ())


def _refusal(why: Refusal) -> str:
    """Why the time can't be booked at the desk (app/booking/reserving.py)."""
    if why == "member_busy":
        return _("That team member is not free then. Pick another time or “Any”.")
    return _("Sorry, that time was just taken. Pick another time.")


def desk_services(venue: Venue) -> dict[int, Service]:
    """The venue's bookable services by id, in name order (what the desk's forms offer)."""
    active = sorted((s for s in venue.services if s.is_active), key=lambda s: s.name.lower())
    return {s.id: s for s in active}


def venue_today(venue: Venue) -> date:
    """Today on the venue's clock."""
    return datetime.now(UTC).astimezone(venue_zone(venue)).date()
