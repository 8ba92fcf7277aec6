"""Cart -> checkout -> confirm -> cancel, at the service layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.booking import cart, lifecycle
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.models import BookingStatus, OrderStatus
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from tests.booking.helpers import future_slot, make_bookable_venue


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


def test_checkout_holds_then_confirm_books(venue_and_service, customer, run_jobs, outbox):
    _venue, service = venue_and_service
    owner = cart.CartOwner(user_id=customer.id)
    start = future_slot()
    cart.add_item(owner, service_id=service.id, starts_at=start, quantity=1, team_member_id=None)
    order = checkout.checkout(customer)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert [b.status for b in order.bookings] == [BookingStatus.HELD]
    assert order.total_minor == 6000
    assert cart.get_items(owner) == []
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert order.status == OrderStatus.PAID
    assert order.bookings[0].status == BookingStatus.CONFIRMED
    assert order.bookings[0].reference.startswith("CW-")
    run_jobs()
    [confirmation] = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked:")]
    assert confirmation.attachments[0][0] == "cozywish-booking.ics"
    assert "BEGIN:VEVENT" in confirmation.attachments[0][1]


def test_a_held_slot_is_not_offered_again(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    start = future_slot()
    cart.add_item(
        cart.CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None
    )
    checkout.checkout(customer)
    other = make_user()
    with pytest.raises(CartItemInvalid, match="no longer available"):
        cart.add_item(
            cart.CartOwner(user_id=other.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None
        )


def test_the_second_checkout_of_one_slot_is_refused_naming_the_item(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    start = future_slot()
    other = make_user()
    for user in (customer, other):
        cart.add_item(
            cart.CartOwner(user_id=user.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None
        )
    checkout.checkout(customer)
    with pytest.raises(SlotUnavailable, match="Deep tissue massage at Calm Rooms"):
        checkout.checkout(other)


def test_an_expired_hold_frees_the_slot_before_cleanup(venue_and_service, customer, make_user):
    _venue, service = venue_and_service
    start = future_slot()
    cart.add_item(
        cart.CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None
    )
    checkout.checkout(customer)
    later = datetime.now(UTC) + timedelta(minutes=31)
    other = make_user()
    cart.add_item(
        cart.CartOwner(user_id=other.id),
        service_id=service.id,
        starts_at=start,
        quantity=1,
        team_member_id=None,
        now=later,
    )
    order = checkout.checkout(other, now=later)
    assert order.bookings[0].status == BookingStatus.HELD


def test_cancel_inside_the_free_window_refunds_everything(venue_and_service, customer):
    _venue, service = venue_and_service
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=5),
        quantity=1,
        team_member_id=None,
    )
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    refund = lifecycle.cancel_by_customer(order.bookings[0], customer=customer)
    assert refund == 6000
    assert order.bookings[0].status == BookingStatus.CANCELLED_BY_CUSTOMER
