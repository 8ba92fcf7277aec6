"""Reconciliation: checkouts stuck past their expiry are settled from what Stripe says, and
events that never reached the webhook are replayed once. Stripe is the Checkout fake,
reached through StripeGateway and the real ``stripe`` library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.booking import order_lifecycle
from app.booking.availability import find_slot
from app.booking.models import BookingStatus, OrderStatus
from app.payments.models import Payment, PaymentEvent, PaymentStatus
from app.payments.reconcile import REPLAY_WINDOW, reconcile
from app.payments.service import checkout_charge
from app.payments.settlement import record_event
from app.payments.stripe_gateway import StripeGateway, to_gateway_event
from app.platform.extensions import db
from app.platform.jobs import queue
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payments.stripe_fakes import checkout_event

SECRET_KEY = "sk_test_reconcile"


@pytest.fixture
def gateway(app, fake_server, monkeypatch):
    """StripeGateway on the fake, and the app configured for it (refund jobs, the CLI)."""
    _, url = fake_server
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", SECRET_KEY)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", url)
    return StripeGateway(SECRET_KEY, api_base=url, max_network_retries=0)


@pytest.fixture
def started(ctx, gateway, customer, provider):
    """A held booking whose Stripe checkout was started (the session exists on the fake)."""
    _, service = make_bookable_venue(provider)
    start = future_slot()
    booking = book(customer, service, start, confirm=False)
    order = booking.order
    checkout = gateway.start_checkout(
        checkout_charge(order),
        success_url="http://127.0.0.1:5000/payments/return/1?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:5000/",
        idempotency_key=f"order-{order.id}-checkout",
    )
    payment = Payment(
        order_id=order.id,
        gateway="stripe",
        session_id=checkout.session_id,
        amount_minor=order.total_minor,
        currency=order.currency,
        status=PaymentStatus.OPEN,
        checkout_url=checkout.url,
        expires_at=checkout.expires_at,
    )
    db.session.add(payment)
    db.session.commit()
    return order, payment, service, start


def reload(*objects):
    db.session.expire_all()
    return [db.session.get(type(o), o.id) for o in objects]


def event_count(event_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(PaymentEvent).where(PaymentEvent.event_id == event_id))


def after_expiry(payment: Payment) -> datetime:
    return payment.expires_at + timedelta(minutes=1)


def test_a_paid_checkout_whose_webhook_never_came_is_confirmed(fake, gateway, started, run_jobs):
    order, payment, _, _ = started
    session = fake.complete(payment.session_id)

    summary = reconcile(after_expiry(payment), gateway)
    db.session.commit()
    run_jobs()

    assert (summary.checked, summary.completed, summary.expired) == (1, 1, 0)
    assert event_count(f"reconcile:{payment.session_id}:completed") == 1
    order, payment = reload(order, payment)
    assert order.status == OrderStatus.PAID and order.receipt_number is not None
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.payment_intent_id == session["payment_intent"]

    again = reconcile(after_expiry(payment), gateway)  # nothing is stuck any more
    assert again.checked == 0


def test_paid_after_the_hold_cleanup_ran_is_still_confirmed_while_the_slot_is_free(fake, gateway, started, run_jobs):
    order, payment, _, _ = started
    order_lifecycle.expire_holds(now=order.hold_expires_at + timedelta(seconds=1))
    fake.complete(payment.session_id)

    reconcile(after_expiry(payment), gateway)
    db.session.commit()
    run_jobs()

    (order,) = reload(order)
    assert order.status == OrderStatus.PAID
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]


def test_an_expired_checkout_releases_the_holds_and_the_slot_is_bookable_again(
    fake, gateway, started, run_jobs, make_user
):
    order, payment, service, start = started
    fake.expire(payment.session_id)

    summary = reconcile(after_expiry(payment), gateway)
    db.session.commit()
    run_jobs()

    assert (summary.completed, summary.expired) == (0, 1)
    assert event_count(f"reconcile:{payment.session_id}:expired") == 1
    order, payment = reload(order, payment)
    assert order.status == OrderStatus.EXPIRED
    assert payment.status == PaymentStatus.EXPIRED
    assert [b.status for b in order.bookings] == [BookingStatus.EXPIRED]
    assert find_slot(service, start) is not None
    assert book(make_user(), service, start).status == BookingStatus.CONFIRMED


def test_a_checkout_still_open_past_its_expiry_is_expired(fake, gateway, started, run_jobs):
    order, payment, _, _ = started  # the fake still says "open"

    summary = reconcile(after_expiry(payment), gateway)
    db.session.commit()
    run_jobs()

    assert summary.expired == 1
    (order,) = reload(order)
    assert order.status == OrderStatus.EXPIRED


def test_a_checkout_past_the_hold_but_within_its_own_life_is_left_alone(fake, gateway, started, run_jobs):
    order, payment, _, _ = started
    assert payment.expires_at > order.hold_expires_at  # Stripe's 30-minute minimum
    moment = order.hold_expires_at + timedelta(seconds=5)

    summary = reconcile(moment, gateway)

    assert (summary.checked, summary.waiting, summary.completed, summary.expired) == (1, 1, 0, 0)
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0


def test_a_checkout_not_yet_expired_is_not_looked_up(fake, gateway, started):
    summary = reconcile(datetime.now(UTC), gateway)
    assert summary.checked == 0


def test_missed_events_are_replayed_once(fake, gateway, started, run_jobs):
    order, payment, _, _ = started
    now = datetime.now(UTC)
    session = fake.complete(payment.session_id)
    missed = fake.add_event(
        checkout_event(
            "checkout.session.completed",
            payment.session_id,
            order_id=order.id,
            payment_intent=session["payment_intent"],
            created=int(now.timestamp()) - 60,
        )
    )
    delivered = fake.add_event(
        checkout_event("checkout.session.completed", "cs_test_other", order_id=None, created=int(now.timestamp()) - 30)
    )
    record_event("stripe", to_gateway_event(delivered))  # this one did reach the webhook
    db.session.commit()

    first = reconcile(now, gateway)
    db.session.commit()
    run_jobs()
    second = reconcile(now, gateway)

    assert (first.replayed, first.already_stored) == (1, 1)
    assert (second.replayed, second.already_stored) == (0, 2)
    assert event_count(missed["id"]) == 1 and event_count(delivered["id"]) == 1
    (order,) = reload(order)
    assert order.status == OrderStatus.PAID
    query = fake.event_queries[-1]
    assert int(query["created"]["gte"]) == int((now - REPLAY_WINDOW).timestamp())


def test_a_gateway_error_is_reported_and_the_rest_goes_on(fake, gateway, started):
    _, payment, _, _ = started
    fake.fail_with = (500, {"error": {"type": "api_error", "message": "Stripe is down"}})

    summary = reconcile(after_expiry(payment), gateway)

    assert summary.checked == 1 and summary.completed == summary.expired == 0
    assert len(summary.errors) == 1 and "Stripe is down" in summary.errors[0]
    assert any("Stripe is down" in line for line in summary.lines())


def test_the_command_reconciles_settles_and_prints_a_summary(app, fake, gateway, started):
    order, payment, _, _ = started
    fake.complete(payment.session_id)
    payment.expires_at = datetime.now(UTC) - timedelta(minutes=1)  # the checkout ran out a minute ago
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["payments", "reconcile"])

    assert result.exit_code == 0, result.output
    assert "Gateway: stripe." in result.output
    assert "1 paid, 0 expired" in result.output
    (order,) = reload(order)
    assert order.status == OrderStatus.PAID


def test_reconciliation_runs_every_ten_minutes(app):
    from app.payments import wiring

    wiring.init_app(app)
    wiring.init_app(app)  # once, however often it is registered
    tasks = [t for t in queue.periodic_registry.periodic_tasks.values() if t.periodic_id == "payments-reconcile"]
    assert len(tasks) == 1
    assert tasks[0].cron == "*/10 * * * *"
    assert tasks[0].task.name == "payments.reconcile"
