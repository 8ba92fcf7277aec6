"""Couples and groups (issue 44, item 6): guests booked side by side, each with their own
treatments and name; the same treatment at the same time is one sitting (a team member each, a
room the service shares taken once); one payment; a guest's treatments are cancelled alone."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.booking import cart, lifecycle
from app.booking.errors import CartItemInvalid
from app.booking.models import BookingResource, BookingStatus, CartItem
from app.booking.visits import Treatment, add_visit, group_times
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.lists import add_team_member
from app.venues.options import OptionInput, set_options
from app.venues.resources import add_resource, set_needs
from app.venues.service import save_service
from app.webhooks.receivers import booking_data
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.conftest import Browser

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)


def service(venue, name: str, minutes: int, price_minor: int, capacity: int = 2):
    return save_service(
        venue,
        None,
        name=name,
        description="",
        category_id=None,
        duration_minutes=minutes,
        price_minor=price_minor,
        capacity=capacity,
        buffer_minutes=0,
        is_active=True,
    )


@pytest.fixture
def spa(ctx, provider):
    return couples_spa(provider)


def couples_spa(provider):
    """Calm Rooms: a couples massage (60 or 90 min, hot stones +15 min) by Amy or Ben in the one
    double room the couple shares; a facial by Amy, Ben or Cat in one of two treatment rooms."""
    venue, _plain = make_bookable_venue(provider)
    couples = service(venue, "Couples massage", 60, 6000)
    set_options(couples, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8000)])
    set_addons(couples, [AddonInput("Hot stones", 1500, 15)])
    facial = service(venue, "Facial", 45, 5000)
    double = add_resource(venue, name="Double room", quantity=1)
    rooms = add_resource(venue, name="Treatment room", quantity=2)
    set_needs(venue, couples, [(double.id, 1)], shared=[double.id])
    set_needs(venue, facial, [(rooms.id, 1)])
    amy = add_team_member(venue, name="Amy", title="", bio="", service_ids=[couples.id, facial.id])
    ben = add_team_member(venue, name="Ben", title="", bio="", service_ids=[couples.id, facial.id])
    cat = add_team_member(venue, name="Cat", title="", bio="", service_ids=[facial.id])
    db.session.flush()
    return venue, couples, facial, (amy, ben, cat), double


def couple_plan(couples, facial) -> list[Treatment]:
    """Each guest: a 90-minute couples massage with hot stones, then a facial."""
    long, stones = couples.options[1], couples.addons[0]
    massage = {"service_id": couples.id, "option_id": long.id, "addon_ids": (stones.id,)}
    return [
        Treatment(**massage, guest=1),
        Treatment(facial.id, guest=1),
        Treatment(**massage, guest=2),
        Treatment(facial.id, guest=2),
    ]


def local(moment) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


def book_couple(customer, venue, couples, facial, start):
    owner = cart.CartOwner(user_id=customer.id)
    items = add_visit(owner, venue, couple_plan(couples, facial), start, guest_names=["Ana", "Ben Okoro"])
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    return items, order


def test_a_couple_sits_side_by_side_then_has_a_facial_each(spa, customer):
    venue, couples, facial, (amy, ben, _cat), double = spa
    start = future_slot(days=3, hour=10)
    items, order = book_couple(customer, venue, couples, facial, start)
    # Two sittings: the massage for both at 10:00, the facial for both when it ends (105 minutes).
    assert [(i.service_id, i.quantity, i.guests, i.guest_names, i.starts_at) for i in items] == [
        (couples.id, 2, [1, 2], ["Ana", "Ben Okoro"], start),
        (facial.id, 2, [1, 2], ["Ana", "Ben Okoro"], start + 105 * MIN),
    ]
    bookings = sorted(order.bookings, key=lambda b: (b.starts_at, b.guest))
    massages, facials = bookings[:2], bookings[2:]
    assert {b.team_member_id for b in massages} == {amy.id, ben.id}  # a therapist each
    assert [(b.guest, b.guest_name) for b in massages] == [(1, "Ana"), (2, "Ben Okoro")]
    assert all(b.ends_at - b.starts_at == 105 * MIN for b in massages)
    assert len({b.team_member_id for b in facials}) == 2
    assert order.total_minor == 2 * (8000 + 1500) + 2 * 5000  # one payment for all of it
    # The double room is taken once for both: one unit, a row each, sharing the first's key.
    rows = db.session.scalars(select(BookingResource).where(BookingResource.resource_id == double.id)).all()
    assert {r.unit for r in rows} == {1} and len(rows) == 2
    assert len({r.shares_booking_id for r in rows}) == 1


def test_the_time_taken_is_no_longer_offered_to_another_couple(spa, customer, make_user):
    venue, couples, facial, _team, _double = spa
    start = future_slot(days=3, hour=10)
    book_couple(customer, venue, couples, facial, start)
    day = start.astimezone(LONDON).date()
    offered = {local(found[0].slot.start) for found in group_times(venue, couple_plan(couples, facial), day)}
    assert "10:00" not in offered and "08:15" not in offered
    assert "12:00" not in offered  # the double room and the therapists are busy until 11:45 and then
    assert "09:00" not in offered  # a massage at 09:00 would run into 10:00
    assert "14:00" in offered


def test_another_order_cannot_take_the_shared_room_at_that_time(spa, customer, make_user):
    """Below the engine: the unit exclusion constraint lets one sitting's rows meet, no one else's."""
    venue, couples, facial, _team, double = spa
    start = future_slot(days=3, hour=10)
    _items, order = book_couple(customer, venue, couples, facial, start)
    other = next(b for b in order.bookings if b.service_id == facial.id)
    row = BookingResource(
        booking_id=other.id, resource_id=double.id, unit=1, starts_at=start, blocks_until=start + 30 * MIN
    )
    with db.session.begin_nested():
        db.session.add(row)
        with pytest.raises(IntegrityError, match="ex_booking_resources_unit_overlap"):
            db.session.flush()


def test_a_guest_cancels_their_own_treatments_and_the_other_keeps_theirs(spa, customer):
    venue, couples, facial, _team, double = spa
    _items, order = book_couple(customer, venue, couples, facial, future_slot(days=4, hour=10))
    ben_massage = next(b for b in order.bookings if b.guest == 2 and b.service_id == couples.id)
    refund = lifecycle.cancel_by_customer(ben_massage, customer=customer)
    assert refund == 8000 + 1500 + 5000  # his massage and facial, free to cancel four days ahead
    db.session.flush()
    by_guest = {(b.guest, b.service_id): b.status for b in order.bookings}
    assert by_guest[(2, couples.id)] == by_guest[(2, facial.id)] == BookingStatus.CANCELLED_BY_CUSTOMER
    assert by_guest[(1, couples.id)] == by_guest[(1, facial.id)] == BookingStatus.CONFIRMED
    live = db.session.scalars(
        select(BookingResource).where(BookingResource.resource_id == double.id, BookingResource.live)
    ).all()
    assert len(live) == 1  # Ana still has the double room


@pytest.mark.parametrize(
    ("guests", "names", "words"),
    [
        ([1, 3], [], "1 to 6 guests"),
        ([1, 2, 3, 4, 5, 6, 7], [], "1 to 6 guests"),
        ([1, 2], ["x" * 81], "at most 80 characters"),
    ],
)
def test_a_group_that_makes_no_sense_is_refused_and_nothing_is_added(spa, customer, guests, names, words):
    venue, _couples, facial, _team, _double = spa
    treatments = [Treatment(facial.id, guest=g) for g in guests]
    with pytest.raises(CartItemInvalid, match=words):
        add_visit(
            cart.CartOwner(user_id=customer.id), venue, treatments, future_slot(days=3, hour=10), guest_names=names
        )
    assert db.session.scalars(select(CartItem)).all() == []


def test_a_chosen_team_member_cannot_take_two_guests_at_once(spa, customer):
    venue, _couples, facial, (amy, _ben, _cat), _double = spa
    treatments = [
        Treatment(facial.id, team_member_id=amy.id, guest=1),
        Treatment(facial.id, team_member_id=amy.id, guest=2),
    ]
    day = future_slot(days=3).astimezone(LONDON).date()
    assert group_times(venue, treatments, day) == []


def test_the_owners_calendar_shows_both_therapists_the_room_and_each_guest(spa, customer, provider, client):
    venue, couples, facial, (amy, ben, _cat), _double = spa
    start = future_slot(days=3, hour=10)
    book_couple(customer, venue, couples, facial, start)
    db.session.commit()
    web = Browser(client)
    web.sign_in_as(provider)
    response = web.get(f"/provider/calendar?view=day&date={start.astimezone(LONDON).date().isoformat()}")
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    # one room, shown on each therapist's booking (the card's line, and its title that holds it whole)
    assert page.count('data-rooms title="Double room"') == 2
    assert page.count("Couples massage (90 min)") >= 2
    assert f"Ben Okoro (guest of {customer.name})" in page
    assert amy.name in page and ben.name in page  # a column each


def test_a_couples_webhook_names_the_option_add_ons_visit_and_guest(spa, customer):
    venue, couples, facial, _team, _double = spa
    _items, order = book_couple(customer, venue, couples, facial, future_slot(days=3, hour=10))
    ben = next(b for b in order.bookings if b.guest == 2 and b.service_id == couples.id)
    data = booking_data(ben)
    assert data["option"] == {"id": couples.options[1].id, "name": "90 min"}
    assert [(a["name"], a["extra_minutes"]) for a in data["addons"]] == [("Hot stones", 15)]
    assert (data["guest"], data["guest_name"], data["visit_key"]) == (2, "Ben Okoro", ben.visit_key)
    assert data["processing"] is None


def test_the_confirmation_names_each_guests_treatments(spa, customer, run_jobs, outbox):
    venue, couples, facial, _team, _double = spa
    book_couple(customer, venue, couples, facial, future_slot(days=3, hour=10))
    run_jobs()
    [confirmation] = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked:")]
    assert confirmation.body.count("(for Ben Okoro)") == 2  # his massage and his facial
    assert confirmation.body.count("(for Ana)") == 2
    assert confirmation.attachments[0][1].count("BEGIN:VEVENT") == 4
