"""A refund that reached the customer fires ``refund_made`` once (app/payments/events.py), and
the venues' transfers are taken back only through its payouts receiver: with the receiver
disconnected, a card refund or a refund back on a gift voucher reverses nothing."""

from __future__ import annotations

import pytest

from app.booking import lifecycle
from app.payments import service as payments
from app.payments.events import refund_made
from app.payments.refunds import refund_reached, request_refund
from app.payouts.models import Funding
from app.payouts.receivers import take_back_from_the_venues
from app.platform.extensions import db
from tests.booking.helpers import make_bookable_venue
from tests.payouts.helpers import connect, reversals_of, transfers_of
from tests.payouts.test_demo_payouts import paid_booking
from tests.payouts.test_voucher_payouts import checkout_two, legs
from tests.vouchers.helpers import bought_voucher


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def two_venues(ctx, make_user):
    """Two venues with enabled Demo accounts (as in test_voucher_payouts.py)."""
    venue_a, service_a = make_bookable_venue(make_user(role="provider"), name="Calm Rooms")
    venue_b, service_b = make_bookable_venue(make_user(role="provider"), name="Quiet Corner")
    connect(venue_a)
    connect(venue_b)
    return (venue_a, service_a), (venue_b, service_b)


@pytest.fixture
def sent():
    """What ``refund_made`` fired with, in order: (to, order id, amount, refund id or None)."""
    calls = []

    def spy(to, *, order, amount_minor, refund):
        calls.append((to, order.id, amount_minor, refund.id if refund is not None else None))

    with refund_made.connected_to(spy):
        yield calls


@pytest.fixture
def without_payouts_receiver():
    refund_made.disconnect(take_back_from_the_venues)
    try:
        yield
    finally:
        refund_made.connect(take_back_from_the_venues)


def test_a_card_refund_fires_refund_made_once_and_payouts_reverses_the_transfer(
    ctx, customer, venue_and_service, run_jobs, sent
):
    venue, service = venue_and_service
    booking, payment = paid_booking(customer, venue, service, run_jobs)
    refund = request_refund(payment, 3001, reason="goodwill", booking_id=booking.id)
    db.session.commit()
    assert sent == []  # asked for, not yet reached the customer
    run_jobs()

    assert sent == [("card", booking.order_id, 3001, refund.id)]
    (transfer,) = transfers_of(booking.order)
    assert [r.refund_minor for r in reversals_of(transfer)] == [3001]


def test_without_the_payouts_receiver_a_card_refund_reverses_nothing(
    ctx, customer, venue_and_service, run_jobs, without_payouts_receiver
):
    venue, service = venue_and_service
    booking, payment = paid_booking(customer, venue, service, run_jobs)
    request_refund(payment, 3001, reason="goodwill", booking_id=booking.id)
    db.session.commit()
    run_jobs()

    (transfer,) = transfers_of(booking.order)
    assert reversals_of(transfer) == []
    order = db.session.get(type(booking.order), booking.order_id)
    assert order.refunded_minor == 3001  # the refund itself is still recorded


def test_without_the_payouts_receiver_a_refund_to_the_voucher_reverses_nothing(
    two_venues, customer, run_jobs, sent, without_payouts_receiver
):
    (venue_a, service_a), (_venue_b, service_b) = two_venues
    voucher = bought_voucher(customer, 20_000)
    order = checkout_two(customer, service_a, service_b, voucher.code)
    db.session.commit()
    run_jobs()
    booking_a = next(b for b in order.bookings if b.venue_id == venue_a.id)

    payments.refund_booking(booking_a, lifecycle.cancel_by_customer(booking_a, customer=customer), reason="x")
    db.session.commit()
    run_jobs()

    assert sent == [("voucher", order.id, 6000, None)]
    assert reversals_of(legs(order)[venue_a.id, Funding.BALANCE]) == []


def test_an_unknown_way_of_refunding_is_refused(ctx):
    with pytest.raises(ValueError, match="unknown way of refunding"):
        refund_reached("by cheque", None, 1)
