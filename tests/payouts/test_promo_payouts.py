"""Payouts of an order with a promo code: a venue-funded code lowers that venue's transfer; a
platform-funded one lowers only the charge (the platform pays it out of its commission)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.booking import cart
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.models import Payment
from app.payouts.shares import venue_shares
from app.platform.extensions import db
from app.promos import redemption as promos
from app.promos.rules import PricedLine
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.payouts.helpers import connect, transfers_of
from tests.promos.helpers import make_code


@pytest.fixture
def two_venues(ctx, make_user):
    venue_a, service_a = make_bookable_venue(make_user(role="provider"), name="Calm Rooms")  # 60.00
    venue_b, service_b = make_bookable_venue(make_user(role="provider"), name="Quiet Corner")
    service_b.price_minor = 4000
    connect(venue_a)
    connect(venue_b)
    return venue_a, service_a, venue_b, service_b


def paid_order_with_code(customer, services, code_text: str):
    owner = cart.CartOwner(user_id=customer.id)
    for n, service in enumerate(services):
        cart.add_item(owner, service_id=service.id, starts_at=future_slot(days=3 + n), quantity=1, team_member_id=None)
    view = cart.view_cart(owner)
    lines = [PricedLine(line.venue.id, line.total_minor) for line in view.lines if line.problem is None]
    promos.add_to_cart(customer.id, code_text, lines, currency="GBP", now=datetime.now(UTC))
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.commit()
    [payment] = db.session.scalars(select(Payment).where(Payment.order_id == order.id))
    return order, payment


def test_a_platform_funded_code_leaves_the_venues_transfers_whole(two_venues, customer, run_jobs):
    venue_a, service_a, venue_b, service_b = two_venues
    make_code("PLATFORM10", value=10)  # platform-funded, 10%
    order, payment = paid_order_with_code(customer, [service_a, service_b], "PLATFORM10")
    assert payment.amount_minor == 9000  # 100.00 less 10.00
    run_jobs()
    transfers = {t.venue_id: t for t in transfers_of(order)}
    # 15% of each venue's full price; the venues are paid as if there were no code.
    assert (transfers[venue_a.id].commission_minor, transfers[venue_a.id].sent_minor) == (900, 5100)
    assert (transfers[venue_b.id].commission_minor, transfers[venue_b.id].sent_minor) == (600, 3400)
    shares = venue_shares(order)
    assert sum(s.charged_minor for s in shares) == payment.amount_minor
    # What the platform keeps is its commission less the discount it paid for.
    kept = payment.amount_minor - sum(t.sent_minor for t in transfers.values())
    assert kept == 900 + 600 - 1000


def test_a_venue_funded_code_comes_out_of_that_venues_transfer(two_venues, customer, run_jobs):
    venue_a, service_a, venue_b, service_b = two_venues
    make_code("CALM5", kind="fixed", value=500, funded_by="venue", venue_id=venue_a.id)
    order, payment = paid_order_with_code(customer, [service_a, service_b], "CALM5")
    assert payment.amount_minor == 9500
    run_jobs()
    transfers = {t.venue_id: t for t in transfers_of(order)}
    # Calm Rooms sold 55.00 (60.00 less its own 5.00 off): 15% of that is 8.25.
    assert (transfers[venue_a.id].commission_minor, transfers[venue_a.id].sent_minor) == (825, 4675)
    assert (transfers[venue_b.id].commission_minor, transfers[venue_b.id].sent_minor) == (600, 3400)
    assert sum(t.sent_minor + t.commission_minor for t in transfers.values()) == payment.amount_minor
