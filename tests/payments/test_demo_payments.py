"""Paying with the Demo gateway, end to end through the pages: the pay step, the hosted demo
checkout, signed events settled by jobs, the return page, receipts, refunds from
cancellations and from the admin order page."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.booking import order_lifecycle
from app.booking.models import Booking, BookingStatus, Order, OrderStatus
from app.payments.demo_gateway import (
    SIGNATURE_HEADER,
    DemoGateway,
    DemoSession,
    build_event,
    event_id,
    session_asked,
    session_object,
    sign,
)
from app.payments.demo_webhook import session_state
from app.payments.models import Payment, PaymentEvent, PaymentStatus, Refund, RefundStatus
from app.payments.ports import InvalidEvent
from app.platform.extensions import db
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.conftest import Browser, IsolatedClient

PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
HTMX = {"HX-Request": "true"}
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")


@pytest.fixture
def bookable(ctx, provider):
    """Calm Rooms: open 09:00-18:00 daily; one 60-minute massage at £60.00 for one person at a time."""
    return make_bookable_venue(provider)


@pytest.fixture
def other_web(app) -> Browser:
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def hold(web, user, service, start) -> int:
    """Sign in as ``user``, put ``start`` in the cart and check out: the order id (its times held)."""
    web.sign_in_as(user)
    assert web.post("/cart/items", cart_form(service, start)).status_code == 303
    response = web.post("/checkout")
    assert response.status_code == 303 and "/orders/" in response.location, html(response)
    return int(response.location.rsplit("/", 1)[-1])


def start_paying(web, order_id: int, **form) -> str:
    """Press "Pay £X securely": the demo checkout's session id."""
    response = web.post(f"/orders/{order_id}/pay", form)
    assert response.status_code == 303, html(response)
    match = DEMO_PAGE_RE.search(response.location)
    assert match, response.location
    return match.group(1)


def pay(web, session_id: str, card: str = PAYS, expiry: str = "12/34", cvc: str = "123"):
    return web.post(f"/payments/demo/{session_id}/pay", {"card_number": card, "expiry": expiry, "cvc": cvc})


def paid_order(web, user, service, start, run_jobs) -> Order:
    order_id = hold(web, user, service, start)
    assert pay(web, start_paying(web, order_id)).status_code == 303
    run_jobs()
    return fresh(Order, order_id)


def post_event(client, payload: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return client.post("/payments/demo/webhook", data=payload, headers=headers)


def expire(order_id: int) -> None:
    """Pretend the holds (and the checkout session with them) ran out a minute ago."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    order = fresh(Order, order_id)
    order.hold_expires_at = past
    for booking in order.bookings:
        booking.hold_expires_at = past
    for payment in db.session.scalars(select(Payment).where(Payment.order_id == order_id)):
        payment.expires_at = past
    db.session.flush()


# -- the pay step ------------------------------------------------------------------------------


def test_the_order_page_offers_to_pay_the_servers_total(web, bookable, customer):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())

    page = html(web.get(f"/orders/{order_id}"))

    assert f'action="/orders/{order_id}/pay"' in page and "Pay £60.00 securely" in page
    assert "Confirm booking" not in page and "won't be charged now" not in page
    assert f"/orders/{order_id}/confirm" not in page
    assert web.post(f"/orders/{order_id}/confirm").status_code in (404, 405)


def test_paying_starts_one_payment_for_the_servers_amount_whatever_the_form_says(web, bookable, customer):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())

    session_id = start_paying(web, order_id, amount="0.01", amount_minor="1", total_minor="1", currency="USD")
    again = start_paying(web, order_id, amount="0.01")

    [payment] = db.session.scalars(select(Payment)).all()
    assert again == session_id == payment.session_id
    assert payment.amount_minor == 6000 and payment.currency == "GBP" and payment.gateway == "demo"
    assert payment.status == PaymentStatus.OPEN and payment.expires_at == fresh(Order, order_id).hold_expires_at
    page = html(web.get(f"/payments/demo/{session_id}"))
    assert "Pay £60.00" in page and "Deep tissue massage" in page and "Calm Rooms" in page
    assert "4242 4242 4242 4242" in page and "Cancel and return" in page and f'href="/orders/{order_id}"' in page
    assert "style=" not in page  # strict CSP


def test_a_held_order_past_its_hold_cant_be_paid(web, bookable, customer):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    expire(order_id)

    response = web.post(f"/orders/{order_id}/pay")

    assert response.status_code == 409 and "The hold on these times has expired" in html(response)
    assert count(Payment) == 0


def test_someone_elses_order_cant_be_paid(web, other_web, bookable, customer, make_user):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    other_web.sign_in_as(make_user())

    assert other_web.post(f"/orders/{order_id}/pay").status_code == 404
    assert count(Payment) == 0


# -- paying with the test card ------------------------------------------------------------------


def test_the_test_card_pays_and_the_jobs_confirm_with_a_receipt(web, bookable, customer, run_jobs, outbox):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)

    response = pay(web, session_id)

    assert response.status_code == 303 and response.location.endswith(f"/payments/return/{order_id}")
    # Nothing is confirmed by the redirect: the event is stored and waits for its job.
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PENDING_PAYMENT and order.bookings[0].status == BookingStatus.HELD
    [event] = db.session.scalars(select(PaymentEvent)).all()
    assert event.type == "checkout.session.completed" and event.processed_at is None
    waiting = html(web.get(f"/payments/return/{order_id}?session_id={session_id}"))
    assert "Confirming your payment…" in waiting
    assert 'hx-trigger="every 2s"' in waiting and f'hx-get="/payments/return/{order_id}"' in waiting
    assert "Refresh" in waiting
    assert fresh(Order, order_id).status == OrderStatus.PENDING_PAYMENT  # ?session_id= confirmed nothing

    run_jobs()

    order = fresh(Order, order_id)
    booking = order.bookings[0]
    assert order.status == OrderStatus.PAID and booking.status == BookingStatus.CONFIRMED
    assert order.receipt_number is not None and order.paid_at is not None
    payment = db.session.scalars(select(Payment)).one()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.payment_intent_id.startswith("demo_pi_")
    fragment = web.get(f"/payments/return/{order_id}", headers={**HTMX, "HX-Target": "payment-status"})
    body = html(fragment)
    assert "<html" not in body and 'id="payment-status"' in body
    assert "hx-trigger" not in body  # polling stops
    assert "You're booked" in body and booking.reference in body
    assert f"/payments/receipts/{order_id}" in body
    # One email for the payment: the booking confirmation with its receipt and calendar file.
    [receipt] = [m for m in outbox if m.to == [customer.email]]
    assert receipt.subject == f"Booked: Calm Rooms (receipt {order.receipt_number})"
    assert [name for name, _content, _type in receipt.attachments] == ["cozywish-booking.ics"]
    assert "£60.00" in receipt.body and booking.reference in receipt.body and "Europe/London" in receipt.body
    assert f"/payments/receipts/{order_id}" in receipt.body
    assert "Free cancellation up to 24 hours before" in receipt.body


def test_receipt_numbers_follow_each_other_and_the_receipt_page_shows_the_order(
    web, other_web, bookable, customer, make_user, run_jobs
):
    _venue, service = bookable
    first = paid_order(web, customer, service, future_slot(hour=10), run_jobs)
    second = paid_order(other_web, make_user(name="Sam Second"), service, future_slot(hour=12), run_jobs)

    assert second.receipt_number == first.receipt_number + 1
    page = html(web.get(f"/payments/receipts/{first.id}"))
    assert f"Receipt {first.receipt_number}" in page
    for text in (
        "Calm Rooms",
        "Deep tissue massage",
        "Europe/London",
        "£60.00",
        first.bookings[0].reference,
        "Free cancellation up to 24 hours before",
        "Date paid",
        "data-print",
        "js/receipt.js",
        "css/receipt.css",
    ):
        assert text in page, text
    assert "style=" not in page


def test_the_order_and_booking_pages_link_the_receipt_once_paid(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(), run_jobs)

    order_page = html(web.get(f"/orders/{order.id}"))
    booking_page = html(web.get(f"/bookings/{order.bookings[0].reference}"))

    assert "You're booked" in order_page and "Pay £60.00 securely" not in order_page
    assert f"/payments/receipts/{order.id}" in order_page and f"/payments/receipts/{order.id}" in booking_page


def test_a_paid_checkout_cant_be_paid_again(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    pay(web, session_id)

    again = pay(web, session_id)  # a double click, before the job ran
    run_jobs()
    later = web.get(f"/payments/demo/{session_id}")

    assert again.status_code == 303 and again.location.endswith(f"/payments/return/{order_id}")
    assert count(PaymentEvent) == 1
    assert later.status_code == 303 and later.location.endswith(f"/payments/return/{order_id}")
    assert web.post(f"/orders/{order_id}/pay").status_code == 409  # paid: nothing left to pay


# -- a declined card, abandoning, expiry ----------------------------------------------------------


def test_a_declined_card_releases_the_holds_at_once_for_someone_else(
    web, other_web, bookable, customer, make_user, run_jobs
):
    _venue, service = bookable
    start = future_slot()
    order_id = hold(web, customer, service, start)
    session_id = start_paying(web, order_id)

    response = pay(web, session_id, card=DECLINED)
    run_jobs()

    assert response.status_code == 303 and response.location.endswith(f"/payments/return/{order_id}")
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.FAILED and order.bookings[0].status == BookingStatus.EXPIRED
    assert db.session.scalars(select(Payment)).one().status == PaymentStatus.FAILED
    assert db.session.scalars(select(PaymentEvent)).one().type == "checkout.session.async_payment_failed"
    page = html(web.get(f"/payments/return/{order_id}"))
    # polling stops (the navigation's own bell still polls its count)
    assert "Your payment didn't go through" in page and f'hx-get="/payments/return/{order_id}"' not in page
    assert "Book Deep tissue massage at Calm Rooms again" in page
    assert "Your payment didn't go through" in html(web.get(f"/orders/{order_id}"))
    closed = pay(web, session_id)
    assert closed.status_code == 409 and "declined" in html(closed)
    # The hold was long, but the time is free again right now.
    rival_order = hold(other_web, make_user(name="Rita Rival"), service, start)
    assert fresh(Order, rival_order).bookings[0].status == BookingStatus.HELD


def test_abandoning_leaves_the_holds_until_they_expire(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    assert f'href="/orders/{order_id}"' in html(web.get(f"/payments/demo/{session_id}"))  # "Cancel and return"

    back = html(web.get(f"/orders/{order_id}"))  # the customer walks away here
    assert "Pay £60.00 securely" in back and "You've started paying" in back
    expire(order_id)
    order_lifecycle.expire_holds()
    db.session.flush()

    order = fresh(Order, order_id)
    assert order.status == OrderStatus.EXPIRED and order.bookings[0].status == BookingStatus.EXPIRED
    page = web.get(f"/payments/demo/{session_id}")
    assert page.status_code == 409 and "This checkout expired" in html(page)
    late = pay(web, session_id)
    assert late.status_code == 409 and "This checkout expired" in html(late)
    run_jobs()
    assert db.session.scalars(select(Payment)).one().status == PaymentStatus.EXPIRED
    assert "Your checkout expired" in html(web.get(f"/payments/return/{order_id}"))


def test_a_signed_expired_event_releases_the_holds(web, client, bookable, customer, run_jobs):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    payload = build_event(
        "checkout.session.expired",
        session_object(
            session_id, order_id, amount_minor=6000, currency="GBP", status="expired", payment_status="unpaid"
        ),
    )

    response = post_event(client, payload, sign(payload))
    run_jobs()

    assert response.status_code == 200 and response.get_json() == {"received": True, "duplicate": False}
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.EXPIRED and order.bookings[0].status == BookingStatus.EXPIRED
    assert db.session.scalars(select(PaymentEvent)).one().outcome == "expired: holds released"


def test_an_expired_session_cant_be_paid(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    expire(order_id)

    response = pay(web, session_id)
    run_jobs()

    assert response.status_code == 409
    assert "This checkout expired" in html(response) and "Nothing was charged" in html(response)
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.EXPIRED and order.bookings[0].status == BookingStatus.EXPIRED
    assert [e.type for e in db.session.scalars(select(PaymentEvent))] == ["checkout.session.expired"]


# -- who may see what ----------------------------------------------------------------------------


def test_a_customer_cant_open_another_customers_checkout_return_page_or_receipt(
    web, other_web, bookable, customer, make_user, run_jobs
):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    other_web.sign_in_as(make_user())

    assert other_web.get(f"/payments/demo/{session_id}").status_code == 404
    assert pay(other_web, session_id).status_code == 404
    assert count(PaymentEvent) == 0
    pay(web, session_id)
    run_jobs()
    for path in (f"/payments/receipts/{order_id}", f"/payments/return/{order_id}"):
        assert other_web.get(path).status_code == 404, path
    assert web.get(f"/payments/receipts/{order_id}").status_code == 200
    other_web.sign_out()
    anonymous = other_web.get(f"/payments/receipts/{order_id}")
    assert anonymous.status_code == 302 and "/account/sign-in" in anonymous.location


def test_an_admin_may_open_any_receipt_and_unpaid_orders_have_none(web, other_web, bookable, customer, admin):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())

    unpaid = web.get(f"/payments/receipts/{order_id}")
    other_web.sign_in_as(admin)

    assert unpaid.status_code == 409 and "isn't paid" in html(unpaid)
    assert other_web.get(f"/payments/receipts/{order_id}").status_code == 409
    assert web.get("/payments/receipts/999999").status_code == 404
    assert web.get("/payments/demo/demo_cs_not-a-real-session-id").status_code == 404
    assert web.get("/payments/demo/cs_live_whatever").status_code == 404


# -- the card form ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"card_number": ""}, "Enter the card number."),
        ({"card_number": "4242 4242"}, "12 to 19 digits"),
        ({"card_number": "4242 4242 4242 4241"}, "That card number isn't valid"),
        ({"card_number": "5555 5555 5555 4444"}, "test cards only"),
        ({"expiry": "13/30"}, "Enter the expiry date as MM/YY"),
        ({"expiry": "01/20"}, "This card has expired"),
        ({"expiry": ""}, "Enter the expiry date as MM/YY."),
        ({"cvc": "12"}, "3 or 4 digits"),
        ({"cvc": "abc"}, "3 or 4 digits"),
    ],
)
def test_bad_card_details_are_refused_with_a_message_and_nothing_is_sent(web, bookable, customer, fields, message):
    _venue, service = bookable
    session_id = start_paying(web, hold(web, customer, service, future_slot()))
    form = {"card": PAYS, "expiry": "12/34", "cvc": "123"}
    form.update({{"card_number": "card"}.get(k, k): v for k, v in fields.items()})

    response = pay(web, session_id, card=form["card"], expiry=form["expiry"], cvc=form["cvc"])

    assert response.status_code == 422
    assert message in html(response) and "nothing was charged" in html(response)
    assert count(PaymentEvent) == 0


# -- the demo webhook ---------------------------------------------------------------------------------


def completed_event(session_id: str, order_id: int, **overrides) -> bytes:
    obj = session_object(
        session_id,
        order_id,
        amount_minor=6000,
        currency="GBP",
        status="complete",
        payment_status="paid",
        payment_intent_id="demo_pi_webhook",
    )
    return build_event("checkout.session.completed", obj, **overrides)


@pytest.mark.parametrize(
    "problem",
    ["no header", "wrong secret", "tampered", "stale", "no timestamp", "not json"],
)
def test_the_demo_webhook_refuses_what_it_cant_trust_and_stores_nothing(
    web, client, bookable, customer, run_jobs, problem
):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    payload = completed_event(session_id, order_id)
    signature = sign(payload)
    if problem == "no header":
        signature = None
    elif problem == "wrong secret":
        signature = sign(payload, secret=b"someone-elses-secret")
    elif problem == "tampered":
        payload = payload.replace(b'"amount_total":6000', b'"amount_total":1')
    elif problem == "stale":
        signature = sign(payload, timestamp=int(time.time()) - 301)
    elif problem == "no timestamp":
        signature = signature.split(",", 1)[1]
    else:
        payload = b"not json"
        signature = sign(payload)

    response = post_event(client, payload, signature)
    run_jobs()

    assert response.status_code == 400 and response.get_json()["message"]
    assert count(PaymentEvent) == 0
    assert fresh(Order, order_id).status == OrderStatus.PENDING_PAYMENT


def test_a_duplicate_event_is_stored_and_settled_once(web, client, bookable, customer, run_jobs, outbox):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    payload = completed_event(session_id, order_id, event_id="evt_demo_duplicate")

    first = post_event(client, payload, sign(payload))
    second = post_event(client, payload, sign(payload))
    run_jobs()
    third = post_event(client, payload, sign(payload))
    run_jobs()

    assert [r.get_json()["duplicate"] for r in (first, second, third)] == [False, True, True]
    assert count(PaymentEvent) == 1
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PAID and order.bookings[0].status == BookingStatus.CONFIRMED
    assert len([m for m in outbox if f"receipt {order.receipt_number}" in m.subject]) == 1


def test_unknown_event_types_are_acknowledged_and_ignored(client, ctx, run_jobs):
    payload = build_event("customer.created", {"object": "customer", "id": "cus_demo"})

    response = post_event(client, payload, sign(payload))
    run_jobs()

    assert response.status_code == 200
    assert db.session.scalars(select(PaymentEvent)).one().outcome == "ignored: not an event we act on"


def test_the_gateway_reads_headers_in_any_case_and_refunds_idempotently(ctx):
    gateway = DemoGateway()
    payload = build_event("customer.created", {"object": "customer"})
    event = gateway.parse_event(payload, {SIGNATURE_HEADER.lower(): sign(payload)})
    assert event.type == "customer.created"
    with pytest.raises(InvalidEvent):
        gateway.parse_event(payload, {})
    first = gateway.refund("demo_pi_x", 100, idempotency_key="refund-1")
    assert first == gateway.refund("demo_pi_x", 100, idempotency_key="refund-1")
    assert first.status == "succeeded" and first.refund_id.startswith("demo_re_")
    assert gateway.refund("demo_pi_x", 100, idempotency_key="refund-2") != first
    assert gateway.recent_events(datetime.now(UTC)) == []
    assert gateway.lookup("demo_cs_unknown").status == "expired"


def test_lookup_reports_the_session_as_the_demo_checkout_left_it(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    assert DemoGateway().lookup(session_id).status == "open"
    pay(web, session_id)
    db.session.expire_all()
    assert DemoGateway().lookup(session_id).payment_status == "paid"  # before settling, too
    run_jobs()
    status = DemoGateway().lookup(session_id)
    assert (status.status, status.payment_status) == ("complete", "paid")
    assert status.payment_intent_id.startswith("demo_pi_")


# -- refunds from cancellations ---------------------------------------------------------------------


def test_cancelling_inside_the_free_window_refunds_through_the_gateway(web, bookable, customer, run_jobs):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(days=5), run_jobs)
    booking = order.bookings[0]

    done = web.post(f"/bookings/{booking.reference}/cancel")

    assert done.status_code == 303
    [refund] = db.session.scalars(select(Refund)).all()
    assert refund.status == RefundStatus.PENDING and refund.amount_minor == 6000 and refund.booking_id == booking.id
    page = html(web.get(done.location))
    assert "Cancelled. Refund due: £60.00" in page
    assert 'data-refund-status="pending"' in page and "Refund pending" in page

    run_jobs()

    refund = fresh(Refund, refund.id)
    assert refund.status == RefundStatus.SUCCEEDED and refund.gateway_refund_id.startswith("demo_re_")
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_minor == 6000
    page = html(web.get(f"/bookings/{booking.reference}"))
    assert 'data-refund-status="succeeded"' in page and "Refunded to your card: £60.00" in page
    receipt = html(web.get(f"/payments/receipts/{order.id}"))
    assert "Refunded so far" in receipt and "− £60.00" in receipt


def test_cancelling_one_of_two_bookings_partly_refunds_the_order(web, bookable, customer, run_jobs):
    _venue, service = bookable
    web.sign_in_as(customer)
    for hour in (10, 12):
        assert web.post("/cart/items", cart_form(service, future_slot(days=5, hour=hour))).status_code == 303
    order_id = int(web.post("/checkout").location.rsplit("/", 1)[-1])
    pay(web, start_paying(web, order_id))
    run_jobs()
    order = fresh(Order, order_id)
    assert db.session.scalars(select(Payment)).one().amount_minor == 12000

    web.post(f"/bookings/{order.bookings[0].reference}/cancel")
    run_jobs()

    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_minor == 6000


def test_a_late_cancellation_refunds_what_the_policy_allows(web, bookable, customer, run_jobs):
    _venue, service = bookable
    service.cancel_free_hours = 200  # three days out is inside the fee window: 50% back
    db.session.flush()
    order = paid_order(web, customer, service, future_slot(days=3), run_jobs)

    web.post(f"/bookings/{order.bookings[0].reference}/cancel")
    run_jobs()

    assert db.session.scalars(select(Refund)).one().amount_minor == 3000
    assert fresh(Order, order.id).status == OrderStatus.PARTIALLY_REFUNDED


def test_a_venue_cancellation_refunds_in_full(web, other_web, bookable, customer, provider, run_jobs):
    _venue, service = bookable
    service.cancel_free_hours = 200  # even inside the fee window, the venue pays it all back
    db.session.flush()
    order = paid_order(web, customer, service, future_slot(days=3), run_jobs)
    booking = order.bookings[0]
    other_web.sign_in_as(provider)

    response = other_web.post(f"/provider/bookings/{booking.id}/cancel", {"reason": "Our therapist is ill."})

    assert response.status_code in (302, 303)
    [refund] = db.session.scalars(select(Refund)).all()
    assert refund.amount_minor == 6000 and refund.status == RefundStatus.PENDING
    run_jobs()
    assert fresh(Refund, refund.id).status == RefundStatus.SUCCEEDED
    assert fresh(Order, order.id).status == OrderStatus.REFUNDED


# -- the admin order page ------------------------------------------------------------------------------


@pytest.fixture
def admin_web(app, admin) -> Browser:
    browser = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    browser.sign_in_as(admin)
    return browser


def test_the_admin_order_page_shows_payments_events_and_refunds(web, admin_web, bookable, customer, run_jobs):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(days=5), run_jobs)
    web.post(f"/bookings/{order.bookings[0].reference}/cancel")
    run_jobs()

    dashboard = html(admin_web.get("/admin/"))
    page = html(admin_web.get(f"/admin/orders/{order.id}"))

    assert "Recent orders" in dashboard and f'href="/admin/orders/{order.id}"' in dashboard
    assert f"Order {order.id}" in page and customer.email in page
    assert "checkout.session.completed" in page and "paid: bookings confirmed" in page
    assert "demo_pi_" in page and "demo_re_" in page and "succeeded" in page
    assert "Nothing to refund" in page  # refunded in full already
    history = page.split("data-history", 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td class=\"text-end\">(.*?)</td><td>(.*?)</td>", history
    )
    assert [(step.split(" <")[0], before, after, amount, actor) for step, before, after, amount, actor in rows] == [
        ("hold", "—", "Waiting for payment", "—", customer.name),
        ("confirm paid", "Waiting for payment", "Paid", "—", "System"),
        ("refund rest", "Paid", "Refunded", "£60.00", "System"),
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"amount": "60.01", "reason": "Goodwill"}, "You can refund at most £60.00"),
        ({"amount": "10", "reason": "  "}, "Give a reason for the refund"),
        ({"amount": "", "reason": "Goodwill"}, "Enter the amount to refund."),
        ({"amount": "ten", "reason": "Goodwill"}, "Enter the amount like 12.50"),
        ({"amount": "0", "reason": "Goodwill"}, "more than zero"),
        ({"amount": "1.234", "reason": "Goodwill"}, "Enter the amount like 12.50"),
    ],
)
def test_an_admin_refund_is_refused_with_a_reason(web, admin_web, bookable, customer, run_jobs, form, message):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(days=5), run_jobs)

    response = admin_web.post(f"/admin/orders/{order.id}/refund", form)

    assert response.status_code == 422 and message in html(response)
    assert count(Refund) == 0


def test_an_admin_refunds_part_of_an_order(web, admin_web, bookable, customer, run_jobs):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(days=5), run_jobs)

    response = admin_web.post(f"/admin/orders/{order.id}/refund", {"amount": "12.50", "reason": "Room was cold"})

    assert response.status_code == 303 and response.location.endswith(f"/admin/orders/{order.id}")
    [refund] = db.session.scalars(select(Refund)).all()
    assert refund.amount_minor == 1250 and refund.status == RefundStatus.PENDING and "Room was cold" in refund.reason
    run_jobs()
    assert fresh(Refund, refund.id).status == RefundStatus.SUCCEEDED
    order = fresh(Order, order.id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and order.refunded_minor == 1250
    page = html(admin_web.get(f"/admin/orders/{order.id}"))
    assert "£47.50" in page  # what is left to refund
    over = admin_web.post(f"/admin/orders/{order.id}/refund", {"amount": "47.51", "reason": "More"})
    assert over.status_code == 422 and "at most £47.50" in html(over)


def test_an_unpaid_order_has_nothing_to_refund(web, admin_web, bookable, customer):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())

    response = admin_web.post(f"/admin/orders/{order_id}/refund", {"amount": "10", "reason": "Why not"})

    assert response.status_code == 409 and "no completed payment" in html(response)
    assert admin_web.get("/admin/orders/999999").status_code == 404


def test_only_admins_see_orders_and_refund(web, other_web, bookable, customer, provider, run_jobs):
    _venue, service = bookable
    order = paid_order(web, customer, service, future_slot(days=5), run_jobs)

    for user in (customer, provider):
        other_web.sign_in_as(user)
        assert other_web.get(f"/admin/orders/{order.id}").status_code == 403
        refused = other_web.post(f"/admin/orders/{order.id}/refund", {"amount": "10", "reason": "Mine"})
        assert refused.status_code == 403
    assert count(Refund) == 0


def test_the_stored_event_keeps_the_signed_payload(web, bookable, customer):
    _venue, service = bookable
    order_id = hold(web, customer, service, future_slot())
    session_id = start_paying(web, order_id)
    pay(web, session_id)

    event = db.session.scalars(select(PaymentEvent)).one()

    assert event.event_id == event_id(session_id, "completed") and event.gateway == "demo"
    assert event.payload["parsed"]["order_id"] == order_id
    assert event.payload["event"]["data"]["object"]["amount_total"] == 6000
    assert json.loads(json.dumps(event.payload))  # plain JSON, nothing exotic
    assert db.session.scalar(select(Booking.status).where(Booking.order_id == order_id)) == BookingStatus.HELD


def test_a_cancellation_refund_never_exceeds_what_is_left(ctx, provider, customer):
    from app.payments.refunds import refundable, request_refund
    from app.payments.service import refund_booking
    from tests.booking.helpers import book as book_helper

    _venue, service = make_bookable_venue(provider, name="Refund Rooms")
    booking = book_helper(customer, service, future_slot())  # paid with the Demo gateway
    payment = db.session.scalars(select(Payment).where(Payment.order_id == booking.order_id)).one()
    assert (payment.gateway, payment.status, payment.amount_minor) == ("demo", PaymentStatus.SUCCEEDED, 6000)
    request_refund(payment, 5000, reason="goodwill")
    refund_booking(booking, 6000, reason="cancelled")
    amounts = sorted(r.amount_minor for r in db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)))
    assert amounts == [1000, 5000]
    assert refundable(payment) == 0


def test_lookup_asks_the_app_in_plain_values_and_reads_nothing_else(ctx):
    """The adapter knows a session only by ``session_asked``'s answer (app/payments/demo_webhook.py)."""
    expires = datetime.now(UTC) + timedelta(minutes=5)
    answers = {
        "demo_cs_open": DemoSession(status="open", payment_intent_id=None, expires_at=expires),
        "demo_cs_sent": DemoSession(
            status="open", payment_intent_id="demo_pi_c4242_x", expires_at=expires, sent=frozenset({"completed"})
        ),
        "demo_cs_late": DemoSession(status="open", payment_intent_id=None, expires_at=datetime.now(UTC)),
    }
    session_asked.disconnect(session_state)
    try:
        with session_asked.connected_to(lambda _sender, *, session_id: answers.get(session_id)):
            gateway = DemoGateway()
            assert gateway.lookup("demo_cs_open").status == "open"
            assert gateway.lookup("demo_cs_sent").payment_intent_id == "demo_pi_c4242_x"
            assert gateway.lookup("demo_cs_late").status == "expired"
            assert gateway.lookup("demo_cs_unknown").status == "expired"
    finally:
        session_asked.connect(session_state)
