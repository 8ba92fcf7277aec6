"""A top-up (a move to a dearer time) through Stripe Checkout: one line for the difference,
metadata naming the move, and reconciliation settling a top-up whose webhook never came. A
later refund goes through the gateway recorded on each payment. Stripe is the Checkout fake,
reached through StripeGateway and the real ``stripe`` library."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.booking.lifecycle import cancel_by_venue
from app.booking.models import Booking, TopUp, TopUpStatus
from app.checkout import top_ups
from app.payments.models import Payment, PaymentKind, PaymentStatus, Refund
from app.payments.reconcile import reconcile
from app.payments.service import refund_booking
from app.payments.stripe_gateway import StripeGateway
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue

SECRET_KEY = "sk_test_top_up"


@pytest.fixture
def moving(ctx, fake_server, app, monkeypatch, customer, provider):
    """A booking paid at £60.00 (Demo gateway); the service costs £70.00 now and Stripe takes
    new payments: the customer confirms a move, so a Stripe top-up session is open."""
    _venue, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot(days=3, hour=10))
    service.price_minor = 7000
    _, url = fake_server
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", url)
    top_up, payment = top_ups.start_top_up(
        booking, future_slot(days=4, hour=14), None, by=customer, expected_minor=1000
    )
    db.session.commit()
    gateway = StripeGateway(SECRET_KEY, api_base=url, max_network_retries=0)
    return booking, top_up, payment, gateway


def test_a_top_up_is_one_stripe_line_for_the_difference_with_the_move_in_its_metadata(fake, moving):
    booking, top_up, payment, _ = moving
    (call,) = fake.creates
    assert call.idempotency_key == f"top-up-{top_up.id}"
    (line,) = call.params["line_items"]
    assert line["price_data"]["unit_amount"] == "1000" and line["quantity"] == "1"
    assert line["price_data"]["currency"] == "gbp"
    assert f"Move of {booking.reference}" in line["price_data"]["product_data"]["name"]
    assert call.params["metadata"] == {
        "order_id": str(booking.order_id),
        "top_up_id": str(top_up.id),
        "booking_reference": booking.reference,
        "kind": "top_up",
    }
    assert (payment.gateway, payment.kind, payment.amount_minor) == ("stripe", PaymentKind.TOP_UP, 1000)
    assert call.params["success_url"].endswith(f"/bookings/{booking.reference}/top-ups/{top_up.id}?paid=1")
    assert call.params["cancel_url"].endswith(f"/bookings/{booking.reference}/top-ups/{top_up.id}")


def test_reconcile_settles_a_paid_top_up_whose_webhook_never_came(fake, moving, run_jobs):
    booking, top_up, payment, gateway = moving
    fake.complete(payment.session_id)

    summary = reconcile(payment.expires_at + timedelta(minutes=1), gateway)
    db.session.commit()
    run_jobs()

    assert (summary.checked, summary.completed) == (1, 1)
    db.session.expire_all()
    assert db.session.get(TopUp, top_up.id).status == TopUpStatus.MOVED
    assert db.session.get(Booking, booking.id).starts_at == future_slot(days=4, hour=14)
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCEEDED


def test_reconcile_releases_a_top_up_whose_session_expired_unpaid(fake, moving, run_jobs):
    booking, top_up, payment, gateway = moving
    fake.expire(payment.session_id)
    before = db.session.get(Booking, booking.id).starts_at

    summary = reconcile(payment.expires_at + timedelta(minutes=1), gateway)
    db.session.commit()
    run_jobs()

    assert summary.expired == 1
    db.session.expire_all()
    assert db.session.get(TopUp, top_up.id).status == TopUpStatus.RELEASED
    assert db.session.get(Booking, booking.id).starts_at == before


def test_a_refund_after_the_move_goes_through_each_payments_own_gateway(fake, moving, provider, run_jobs):
    booking, _top_up, payment, gateway = moving
    fake.complete(payment.session_id)
    reconcile(payment.expires_at + timedelta(minutes=1), gateway)
    db.session.commit()
    run_jobs()
    db.session.expire_all()
    moved = db.session.get(Booking, booking.id)
    refund_booking(moved, cancel_by_venue(moved, actor=provider, reason="Closed"), reason="Cancelled by the venue")
    db.session.commit()
    run_jobs()

    refunds = db.session.execute(
        select(Payment.gateway, Refund.amount_minor).join(Payment, Payment.id == Refund.payment_id).order_by(Refund.id)
    ).all()
    assert refunds == [("stripe", 1000), ("demo", 6000)]
    (stripe_refund,) = fake.refunds  # only the top-up went to Stripe; the checkout to the Demo gateway
    assert stripe_refund.params["amount"] == "1000"
