"""A visit of several treatments (issue 44, item 5): the times offered are those at which the
whole sequence fits back to back; adding a visit puts its treatments in the cart together;
checkout holds them all or none and the bookings share the visit; cancelling one cancels the
visit, each under its own policy. Moving a visit: tests/checkout/test_visit_moves.py."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking import cart, lifecycle
from app.booking.errors import CartItemInvalid
from app.booking.models import Booking, BookingStatus, CartItem
from app.booking.visits import Treatment, add_visit, visit_times
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)


def service(venue, name: str, minutes: int, price_minor: int, **fields):
    return save_service(
        venue,
        None,
        name=name,
        description="",
        category_id=None,
        duration_minutes=minutes,
        price_minor=price_minor,
        capacity=1,
        buffer_minutes=fields.pop("buffer_minutes", 0),
        is_active=True,
        **fields,
    )


@pytest.fixture
def spa(ctx, provider):
    return facial_and_massage(provider)


def facial_and_massage(provider):
    """Calm Rooms (09:00-18:00): a 50-minute facial with a 10-minute buffer by Ines, then the
    venue's 60-minute massage by Tom."""
    venue, massage = make_bookable_venue(provider)
    facial = service(venue, "Facial", 50, 5000, buffer_minutes=10)
    ines = add_team_member(venue, name="Ines", title="", bio="", service_ids=[facial.id])
    tom = add_team_member(venue, name="Tom", title="", bio="", service_ids=[massage.id])
    db.session.flush()
    return venue, facial, massage, ines, tom


def local(moment) -> str:
    return moment.astimezone(LONDON).strftime("%H:%M")


def plan(facial, massage, **massage_fields):
    return [Treatment(facial.id), Treatment(massage.id, **massage_fields)]


def test_the_times_offered_are_those_at_which_the_whole_visit_fits(spa, customer, make_user):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=11)
    book(make_user(), massage, start)  # Tom is busy 11:00-12:00
    day = start.astimezone(LONDON).date()
    offered = {
        local(slots[0].start): [local(s.start) for s in slots]
        for slots in visit_times(venue, plan(facial, massage), day)
    }
    assert offered["09:00"] == ["09:00", "10:00"]  # the massage after the facial's 50 minutes and 10 of buffer
    assert "10:00" not in offered and "10:30" not in offered  # the massage would meet Tom's 11:00
    assert "11:00" in offered  # massage at 12:00
    assert max(offered) == "16:00"  # the massage must end by 18:00


def test_adding_a_visit_puts_its_treatments_in_the_cart_together(spa, customer):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=9)
    items = add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    assert [(i.service_id, i.starts_at) for i in items] == [(facial.id, start), (massage.id, start + 60 * MIN)]
    assert items[0].visit_key and items[0].visit_key == items[1].visit_key


@pytest.mark.parametrize(
    ("treatments", "words"),
    [
        (lambda f, m, other: [Treatment(f.id)], "2 to 4 treatments"),
        (lambda f, m, other: [Treatment(f.id)] * 5, "2 to 4 treatments"),
        (lambda f, m, other: [Treatment(f.id), Treatment(other.id)], "isn't offered by this venue"),
        (lambda f, m, other: [Treatment(f.id), Treatment(m.id, option_id=987654)], "option"),
        (lambda f, m, other: [Treatment(f.id, team_member_id=-1), Treatment(m.id)], "doesn't perform"),
    ],
)
def test_a_visit_that_makes_no_sense_is_refused_and_nothing_is_added(spa, customer, make_user, treatments, words):
    venue, facial, massage, _ines, _tom = spa
    _other_venue, other = make_bookable_venue(make_user(role="provider"), name="Elsewhere")
    with pytest.raises(CartItemInvalid, match=words):
        add_visit(
            cart.CartOwner(user_id=customer.id), venue, treatments(facial, massage, other), future_slot(days=3, hour=9)
        )
    assert db.session.scalars(select(CartItem)).all() == []


def test_a_time_at_which_the_visit_does_not_fit_is_refused_and_nothing_is_added(spa, customer, make_user):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=10)
    book(make_user(), massage, start + 60 * MIN)  # Tom busy when the massage would start
    with pytest.raises(CartItemInvalid, match="whole visit"):
        add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    assert db.session.scalars(select(CartItem).where(CartItem.user_id == customer.id)).all() == []


def test_checkout_holds_the_whole_visit_and_the_bookings_share_it(spa, customer):
    venue, facial, massage, ines, tom = spa
    start = future_slot(days=4, hour=9)
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    first, second = sorted(order.bookings, key=lambda b: b.starts_at)
    assert (first.service_id, first.team_member_id, first.starts_at) == (facial.id, ines.id, start)
    assert (second.service_id, second.team_member_id, second.starts_at) == (massage.id, tom.id, start + 60 * MIN)
    assert first.visit_key and first.visit_key == second.visit_key
    assert order.total_minor == 5000 + 6000


def test_a_visit_whose_later_treatment_was_taken_meanwhile_holds_nothing(spa, customer, make_user):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=4, hour=9)
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    book(make_user(), massage, start + 60 * MIN)  # someone books Tom at the massage's time
    with pytest.raises(Exception, match="no longer available"):
        checkout.checkout(customer)
    assert db.session.scalars(select(Booking).where(Booking.customer_id == customer.id)).all() == []


def test_cancelling_one_treatment_cancels_the_visit_each_under_its_policy(spa, customer):
    venue, facial, massage, _ines, _tom = spa
    facial.cancel_late_fee_percent = 100  # free until 24 hours before, then the whole price
    db.session.flush()
    start = future_slot(days=4, hour=9)
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    first, second = sorted(order.bookings, key=lambda b: b.starts_at)
    refund = lifecycle.cancel_by_customer(second, customer=customer)
    assert refund == 11000  # both free to cancel four days ahead
    assert {first.status, second.status} == {BookingStatus.CANCELLED_BY_CUSTOMER}


def test_a_visit_is_not_cancelled_when_one_treatment_no_longer_may_be(spa, customer):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=4, hour=9)
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    first, second = sorted(order.bookings, key=lambda b: b.starts_at)
    second.cancel_late_fee_percent = None  # booked with no late cancelling at all...
    second.cancel_free_hours = 24 * 30  # ... and free only until a month before
    db.session.flush()
    with pytest.raises(ValidationFailed):
        lifecycle.cancel_by_customer(first, customer=customer)
    assert {first.status, second.status} == {BookingStatus.CONFIRMED}


def test_a_single_booking_off_the_step_is_still_refused(spa, customer):
    _venue, facial, _massage, _ines, _tom = spa
    with pytest.raises(CartItemInvalid, match="no longer available"):
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=facial.id,
            starts_at=future_slot(days=3, hour=9) + 7 * MIN,
            quantity=1,
            team_member_id=None,
        )
