"""POST /payments/stripe/webhook with payloads signed here: valid, tampered, stale,
duplicate, out of order, unknown type, for an order that no longer exists, async payments,
refunds. Settling runs as the job it is (``run_jobs``)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.booking import order_lifecycle
from app.booking.availability import find_slot
from app.booking.models import Booking, BookingStatus, OrderStatus
from app.payments.models import Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus
from app.payments.refunds import request_refund
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payments.stripe_fakes import (
    body,
    charge_refunded_event,
    checkout_event,
    event,
    new_id,
    open_stripe_payment,
    sign,
)

URL = "/payments/stripe/webhook"
SECRET = "whsec_test_webhooks"


@pytest.fixture(autouse=True)
def stripe_configured(app, monkeypatch, fake_server):
    """The app on Stripe: webhooks verified with SECRET, refunds sent to the fake."""
    fake, url = fake_server
    fake.reset()
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_webhooks")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", SECRET)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", url)
    return fake


@pytest.fixture
def fake(stripe_configured):
    return stripe_configured


def post(client, data: dict | bytes, *, secret: str = SECRET, timestamp: int | None = None, headers=None):
    payload = data if isinstance(data, bytes) else body(data)
    if headers is None:
        headers = {"Stripe-Signature": sign(payload, secret, timestamp=timestamp)}
    return client.post(URL, data=payload, headers={"Content-Type": "application/json", **headers})


def stored(event_id: str | None = None) -> int:
    query = select(func.count()).select_from(PaymentEvent)
    if event_id is not None:
        query = query.where(PaymentEvent.event_id == event_id)
    return db.session.scalar(query)


def queued_jobs() -> int:
    return db.session.scalar(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'"))


@pytest.fixture
def pending(ctx, customer, provider):
    """An order whose one booking is held, with an open Stripe checkout."""
    _, service = make_bookable_venue(provider)
    start = future_slot()
    booking = book(customer, service, start, confirm=False)
    order = booking.order
    payment = open_stripe_payment(order)
    return order, payment, service, start


def completed(payment: Payment, **fields) -> dict:
    fields.setdefault("payment_intent", new_id("pi"))
    return checkout_event("checkout.session.completed", payment.session_id, order_id=payment.order_id, **fields)


def reload(*objects):
    db.session.expire_all()
    return [db.session.get(type(o), o.id) for o in objects]


def outcome(event_id: str) -> str | None:
    db.session.expire_all()
    return db.session.scalar(select(PaymentEvent.outcome).where(PaymentEvent.event_id == event_id))


# -- trust ------------------------------------------------------------------------------------


def test_a_paid_checkout_confirms_the_order_once_the_job_settles_it(client, pending, run_jobs, outbox):
    order, payment, _, _ = pending
    data = completed(payment)

    response = post(client, data)

    assert response.status_code == 200
    assert response.get_json() == {"received": True}
    assert stored(data["id"]) == 1
    order, payment = reload(order, payment)
    assert order.status == OrderStatus.PENDING_PAYMENT  # not from the request itself: a job settles

    run_jobs()

    order, payment = reload(order, payment)
    assert order.status == OrderStatus.PAID
    assert order.receipt_number is not None and order.paid_at is not None
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.payment_intent_id == data["data"]["object"]["payment_intent"]
    assert outcome(data["id"]) == "paid: bookings confirmed"
    assert [m.subject for m in outbox if f"receipt {order.receipt_number}" in m.subject] == [
        f"Booked: {order.bookings[0].venue.name} (receipt {order.receipt_number})"
    ]


def test_the_webhook_needs_no_csrf_token_and_answers_json(client, pending):
    _, payment, _, _ = pending
    response = post(client, completed(payment))
    assert response.status_code == 200 and response.is_json


@pytest.mark.parametrize("case", ["tampered", "wrong secret", "stale", "missing header", "not json"])
def test_an_untrusted_webhook_gets_400_and_changes_nothing(client, pending, run_jobs, case):
    order, payment, _, _ = pending
    data = completed(payment)
    payload = body(data)
    headers = {"Stripe-Signature": sign(payload, SECRET)}
    if case == "tampered":
        payload = payload.replace(b'"payment_status":"paid"', b'"payment_status":"PAID"')
        assert payload != body(data)
    elif case == "wrong secret":
        headers = {"Stripe-Signature": sign(payload, "whsec_forged")}
    elif case == "stale":
        headers = {"Stripe-Signature": sign(payload, SECRET, timestamp=int(time.time()) - 301)}
    elif case == "missing header":
        headers = {}
    elif case == "not json":
        payload = b"this is not json"
        headers = {"Stripe-Signature": sign(payload, SECRET)}
    jobs_before = queued_jobs()

    response = post(client, payload, headers=headers)

    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]
    assert stored() == 0
    assert queued_jobs() == jobs_before
    run_jobs()
    (order,) = reload(order)
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_stale_signature_is_refused_but_a_recent_one_accepted(client, pending):
    _, payment, _, _ = pending
    assert post(client, completed(payment), timestamp=int(time.time()) - 301).status_code == 400
    assert post(client, completed(payment), timestamp=int(time.time()) - 250).status_code == 200


def test_without_a_webhook_secret_nothing_is_accepted(app, client, pending, monkeypatch):
    _, payment, _, _ = pending
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)
    response = post(client, completed(payment))
    assert response.status_code == 503
    assert stored() == 0


# -- duplicates and order ---------------------------------------------------------------------


def test_a_duplicate_event_is_acknowledged_stored_once_and_settled_once(client, pending, run_jobs, outbox):
    order, payment, _, _ = pending
    data = completed(payment)

    assert post(client, data).status_code == 200
    assert post(client, data).status_code == 200  # Stripe retried before our 200 reached it
    assert stored(data["id"]) == 1
    done = run_jobs()
    assert done.count("payments.settle_event:succeeded") == 1
    assert post(client, data).status_code == 200  # and once more after it was settled
    assert stored(data["id"]) == 1
    assert run_jobs() == []

    (order,) = reload(order)
    assert order.status == OrderStatus.PAID
    assert sum(1 for m in outbox if f"(receipt {order.receipt_number})" in m.subject) == 1


def test_expired_after_completed_leaves_the_order_paid(client, pending, run_jobs):
    order, payment, _, _ = pending
    post(client, completed(payment))
    run_jobs()
    late = checkout_event("checkout.session.expired", payment.session_id, order_id=order.id)

    assert post(client, late).status_code == 200
    run_jobs()

    order, payment = reload(order, payment)
    assert order.status == OrderStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]
    assert outcome(late["id"]) == "no change: the order is already paid"


def test_expired_releases_the_holds_and_the_slot_reopens(client, pending, run_jobs):
    order, payment, service, start = pending
    data = checkout_event("checkout.session.expired", payment.session_id, order_id=order.id)

    post(client, data)
    run_jobs()

    order, payment = reload(order, payment)
    assert order.status == OrderStatus.EXPIRED
    assert payment.status == PaymentStatus.EXPIRED
    assert [b.status for b in order.bookings] == [BookingStatus.EXPIRED]
    assert find_slot(service, start) is not None


def test_completed_after_our_own_expiry_confirms_while_the_slot_is_free(client, pending, run_jobs):
    order, payment, _, _ = pending
    order_lifecycle.expire_holds(now=order.hold_expires_at + timedelta(seconds=1))  # the cleanup job ran
    db.session.commit()
    (order,) = reload(order)
    assert order.status == OrderStatus.EXPIRED

    post(client, completed(payment))
    run_jobs()

    (order,) = reload(order)
    assert order.status == OrderStatus.PAID
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]


def test_completed_after_our_own_expiry_refunds_in_full_when_the_slot_was_taken(
    client, pending, run_jobs, make_user, fake
):
    order, payment, service, start = pending
    order_lifecycle.expire_holds(now=order.hold_expires_at + timedelta(seconds=1))
    someone_else = book(make_user(), service, start)  # took the reopened time
    db.session.commit()
    data = completed(payment)

    post(client, data)
    run_jobs()

    order, payment, someone_else = reload(order, payment, someone_else)
    assert order.status == OrderStatus.FAILED
    assert [b.status for b in order.bookings] == [BookingStatus.EXPIRED]
    assert someone_else.status == BookingStatus.CONFIRMED
    assert outcome(data["id"]) == "paid too late: refunded in full"
    refund = db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)).one()
    assert refund.amount_minor == payment.amount_minor == order.total_minor
    assert refund.gateway_refund_id.startswith("re_test_")  # issued by the job through stripe
    assert refund.status == RefundStatus.PENDING  # until Stripe's refund event settles it
    (call,) = fake.refunds
    assert call.params == {"payment_intent": payment.payment_intent_id, "amount": str(order.total_minor)}
    assert call.idempotency_key == f"refund-{refund.id}"


# -- async payment methods --------------------------------------------------------------------


def test_an_async_payment_confirms_when_it_succeeds(client, pending, run_jobs):
    order, payment, _, _ = pending
    post(client, completed(payment, payment_status="unpaid"))
    run_jobs()
    order, payment = reload(order, payment)
    assert (order.status, payment.status) == (OrderStatus.PENDING_PAYMENT, PaymentStatus.PROCESSING)

    succeeded = checkout_event("checkout.session.async_payment_succeeded", payment.session_id, order_id=order.id)
    post(client, succeeded)
    run_jobs()

    order, payment = reload(order, payment)
    assert (order.status, payment.status) == (OrderStatus.PAID, PaymentStatus.SUCCEEDED)
    assert [b.status for b in order.bookings] == [BookingStatus.CONFIRMED]


def test_an_async_payment_that_fails_releases_the_holds(client, pending, run_jobs):
    order, payment, service, start = pending
    post(client, completed(payment, payment_status="unpaid"))
    failed = checkout_event("checkout.session.async_payment_failed", payment.session_id, order_id=order.id)
    post(client, failed)
    run_jobs()

    order, payment = reload(order, payment)
    assert (order.status, payment.status) == (OrderStatus.FAILED, PaymentStatus.FAILED)
    assert [b.status for b in order.bookings] == [BookingStatus.EXPIRED]
    assert find_slot(service, start) is not None


# -- what we don't act on ---------------------------------------------------------------------


def test_an_unknown_type_is_acknowledged_stored_and_ignored(client, run_jobs):
    data = event("customer.created", {"id": "cus_test_1", "object": "customer"})
    response = post(client, data)
    assert response.status_code == 200 and response.get_json() == {"received": True}
    run_jobs()
    assert outcome(data["id"]) == "ignored: not an event we act on"


def test_an_event_for_a_checkout_we_dont_know_is_acknowledged_and_ignored(client, run_jobs):
    data = checkout_event("checkout.session.completed", "cs_test_gone", order_id=999_999, payment_intent="pi_x")
    assert post(client, data).status_code == 200
    run_jobs()
    assert outcome(data["id"]) == "ignored: no payment for this checkout session"


def test_an_event_for_an_order_that_was_deleted_is_acknowledged_and_ignored(client, pending, run_jobs):
    order, payment, _, _ = pending
    session_id = payment.session_id
    for booking in list(order.bookings):
        db.session.delete(booking)
    db.session.delete(payment)
    db.session.delete(order)
    db.session.commit()
    data = checkout_event("checkout.session.completed", session_id, order_id=order.id, payment_intent="pi_x")

    assert post(client, data).status_code == 200
    run_jobs()

    assert outcome(data["id"]) == "ignored: no payment for this checkout session"
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.order_id == order.id)) == 0


def test_a_failed_payment_attempt_is_noted_and_the_customer_may_retry(client, pending, run_jobs):
    order, payment, _, _ = pending
    payment.payment_intent_id = new_id("pi")
    db.session.commit()
    data = event("payment_intent.payment_failed", {"id": payment.payment_intent_id, "object": "payment_intent"})

    assert post(client, data).status_code == 200
    run_jobs()

    assert outcome(data["id"]) == "noted: a payment attempt failed"
    (order,) = reload(order)
    assert order.status == OrderStatus.PENDING_PAYMENT


# -- refunds ----------------------------------------------------------------------------------


def test_charge_refunded_settles_pending_refunds(client, pending, run_jobs, fake):
    order, payment, _, _ = pending
    post(client, completed(payment))
    run_jobs()
    payment, order = reload(payment, order)
    total = order.total_minor

    first = request_refund(payment, 2000, reason="Cancelled by the customer")
    db.session.commit()
    run_jobs()  # issues it: Stripe answers "pending"
    (first,) = reload(first)
    assert first.status == RefundStatus.PENDING and first.gateway_refund_id

    refunded = charge_refunded_event(
        payment.payment_intent_id,
        [{"id": first.gateway_refund_id, "status": "succeeded", "amount": 2000, "created": 100}],
        amount=total,
    )
    assert post(client, refunded).status_code == 200
    run_jobs()

    order, first = reload(order, first)
    assert first.status == RefundStatus.SUCCEEDED and first.settled_at is not None
    assert (order.status, order.refunded_minor) == (OrderStatus.PARTIALLY_REFUNDED, 2000)

    rest = request_refund(payment, total - 2000, reason="Cancelled by the venue")
    db.session.commit()
    run_jobs()
    (rest,) = reload(rest)
    both = charge_refunded_event(
        payment.payment_intent_id,
        [
            {"id": first.gateway_refund_id, "status": "succeeded", "amount": 2000, "created": 100},
            {"id": rest.gateway_refund_id, "status": "succeeded", "amount": total - 2000, "created": 200},
        ],
        amount=total,
    )
    post(client, both)
    post(client, refunded)  # the first one's event again, late: already settled
    run_jobs()

    order, rest = reload(order, rest)
    assert rest.status == RefundStatus.SUCCEEDED
    assert (order.status, order.refunded_minor) == (OrderStatus.REFUNDED, total)


def test_refund_updated_settles_a_failed_refund_without_touching_the_order(client, pending, run_jobs, fake):
    order, payment, _, _ = pending
    post(client, completed(payment))
    run_jobs()
    (payment,) = reload(payment)
    refund = request_refund(payment, 1000, reason="Goodwill")
    db.session.commit()
    run_jobs()
    (refund,) = reload(refund)

    data = event(
        "refund.updated", {"id": refund.gateway_refund_id, "object": "refund", "status": "failed", "amount": 1000}
    )
    post(client, data)
    run_jobs()

    order, refund = reload(order, refund)
    assert refund.status == RefundStatus.FAILED
    assert (order.status, order.refunded_minor) == (OrderStatus.PAID, 0)
    assert outcome(data["id"]) == "refund failed"
