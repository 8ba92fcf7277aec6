"""A move to a dearer time through the API: the 409 names the difference; confirming it starts
the booking page's own top-up (app/checkout/top_ups.start_top_up: the new time held, a top-up
payment at the gateway's hosted checkout) and answers 202 with its checkout_url; once the Demo
gateway's signed "paid" event is settled, the booking has its new time."""

from __future__ import annotations

from sqlalchemy import func, select

from app.booking.models import Booking, TopUp, TopUpStatus
from app.payments.demo_gateway import build_event, event_id, session_object, sign
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.booking.helpers import book, future_slot

OLD = {"days": 3, "hour": 10}
NEW = {"days": 4, "hour": 14}


def dearer_booking(customer, service) -> Booking:
    booked = book(customer, service, future_slot(**OLD))
    service.price_minor = 7000  # booked at £60.00; £70.00 now
    db.session.commit()
    return booked


def move(client, token, booking, **extra):
    return client.post(
        f"/api/v1/me/bookings/{booking.reference}/reschedule",
        json={"starts_at": future_slot(**NEW).isoformat(), **extra},
        headers=bearer(token),
    )


def where(booking) -> tuple:
    db.session.expire_all()
    b = db.session.get(Booking, booking.id)
    return b.starts_at, b.unit_price_minor, b.status


def count_top_ups() -> int:
    return db.session.scalar(select(func.count()).select_from(TopUp))


def pay_on_demo_checkout(client, payment: Payment) -> None:
    """What the Demo checkout's "Pay" sends: a signed checkout.session.completed event."""
    obj = session_object(
        payment.session_id,
        payment.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        status="complete",
        payment_status="paid",
        payment_intent_id="demo_pi_api_top_up",
    )
    payload = build_event("checkout.session.completed", obj, event_id=event_id(payment.session_id, "completed"))
    delivered = client.post(
        "/payments/demo/webhook",
        data=payload,
        headers={"Content-Type": "application/json", "Demo-Signature": sign(payload)},
    )
    assert delivered.status_code == 200


def test_a_dearer_move_is_paid_through_the_top_up_and_then_lands(client, customer, make_token, listed, run_jobs):
    _venue, service = listed
    booking = dearer_booking(customer, service)
    before = where(booking)
    token = make_token(customer, "read", "write")

    asked = move(client, token, booking)
    assert asked.status_code == 409 and asked.mimetype == "application/problem+json"
    assert "£10.00 more" in asked.get_json()["detail"] and "top_up_minor" in asked.get_json()["errors"]["json"]
    assert where(booking) == before and count_top_ups() == 0

    stale = move(client, token, booking, top_up_minor=500)  # not the difference the server computes
    assert stale.status_code == 409 and "The price changed" in stale.get_json()["detail"]
    assert where(booking) == before and count_top_ups() == 0

    started = move(client, token, booking, top_up_minor=1000)
    assert started.status_code == 202, started.get_json()
    body = started.get_json()
    assert body["state"] == "pending_payment" and body["gateway"] == "demo"
    assert "/payments/demo/demo_cs_" in body["checkout_url"]
    assert body["top_up"]["status"] == "pending" and body["top_up"]["amount"] == {"amount": 1000, "currency": "GBP"}
    assert "T10:00:00" in body["booking"]["starts_at"] and "T14:00:00" in body["top_up"]["to_starts_at"]
    assert where(booking) == before  # the booking keeps its time until the money is in
    top_up = db.session.scalars(select(TopUp)).one()
    payment = db.session.get(Payment, top_up.payment_id)
    assert (payment.kind, payment.amount_minor, payment.status) == (PaymentKind.TOP_UP, 1000, PaymentStatus.OPEN)
    status_url = started.headers["Location"]
    assert status_url.endswith(f"/api/v1/me/bookings/{booking.reference}/top-ups/{top_up.id}")
    assert client.get(status_url, headers=bearer(token)).get_json()["status"] == "pending"

    pay_on_demo_checkout(client, payment)
    run_jobs()

    moved_at, price, status = where(booking)
    assert (moved_at, price, status) == (future_slot(**NEW), 7000, "confirmed")
    settled = client.get(status_url, headers=bearer(token)).get_json()
    assert settled["status"] == TopUpStatus.MOVED and "£10.00" in settled["outcome"]
    shown = client.get(f"/api/v1/me/bookings/{booking.reference}", headers=bearer(token)).get_json()
    assert "T14:00:00" in shown["starts_at"]


def test_top_ups_are_the_customers_own_and_bad_amounts_change_nothing(client, customer, make_user, make_token, listed):
    _venue, service = listed
    booking = dearer_booking(customer, service)
    before = where(booking)
    token = make_token(customer, "read", "write")
    for bad in (0, -5, "ten", 10**12):
        refused = move(client, token, booking, top_up_minor=bad)
        assert refused.status_code == 422 and "top_up_minor" in refused.get_json()["errors"]["json"]
    assert where(booking) == before and count_top_ups() == 0

    someone = make_token(make_user(), "read", "write")
    assert move(client, someone, booking, top_up_minor=1000).status_code == 404
    assert count_top_ups() == 0
    assert move(client, make_token(customer, "read"), booking, top_up_minor=1000).status_code == 403

    started = move(client, token, booking, top_up_minor=1000)
    assert started.status_code == 202
    status_url = started.headers["Location"]
    assert client.get(status_url, headers=bearer(someone)).status_code == 404
    top_up_id = db.session.scalars(select(TopUp.id)).one()
    other = book(customer, service, future_slot(days=6, hour=11))
    db.session.commit()
    wrong = f"/api/v1/me/bookings/{other.reference}/top-ups/{top_up_id}"
    assert client.get(wrong, headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/me/bookings/{booking.reference}/top-ups/0", headers=bearer(token)).status_code == 404
