"""A desk booking's payment link (app/payments/desk_links.py, app/payments/views/desk_link.py):
the desk chooses "send a payment link", the client (no account, not signed in) opens the signed
link and pays through the Demo gateway's hosted checkout; the booking then shows paid at the
desk. Tampered, expired and other orders' links are refused, a paid or cancelled booking says
so, and paying twice never charges twice."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from app.booking import lifecycle
from app.booking.models import Booking, BookingStatus
from app.demo.views import deliver_demo_event, demo_session_event
from app.notifications.models import SmsMessage
from app.payments import desk_links
from app.payments.demo_gateway import completed_fields
from app.payments.models import Payment, PaymentKind, PaymentStatus, Refund
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.conftest import Browser, IsolatedClient

LINK_RE = re.compile(r"https?://[^\s\"'<>]+/payments/link/\d+/[^\s\"'<>]+")
DEMO_RE = re.compile(r"/payments/demo/([A-Za-z0-9_-]+)$")
PAYS = "4242 4242 4242 4242"


@pytest.fixture
def salon(ctx, provider):
    return make_bookable_venue(provider)


@pytest.fixture
def stranger(app):
    """The client's own browser: no account, no session."""
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def desk_book(web, service, *, hour: int = 10, days: int = 2, **client) -> Booking:
    start = future_slot(days=days, hour=hour)
    data = {
        "service": service.id,
        "member": "any",
        "date": start.date().isoformat(),
        "starts_at": start.isoformat(),
        "payment": "link",
        "new_name": "Wanda Walkin",
        **client,
    }
    response = web.post("/provider/desk/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return db.session.scalar(select(Booking).where(Booking.starts_at == start, Booking.channel == "desk"))


def emailed_link(outbox, to: str) -> str:
    [message] = [m for m in outbox if to in m.to]
    return urlsplit(LINK_RE.search(message.body)[0]).path


def link_payments(booking) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .where(Payment.order_id == booking.order_id, Payment.kind == PaymentKind.DESK_LINK)
            .order_by(Payment.id)
        )
    )


def pay_through_demo(browser, link: str, run_jobs) -> str:
    """Press "Pay" on the link's page, then pay on the Demo checkout; the session id."""
    started = browser.post(link, {})
    assert started.status_code == 303
    session_id = DEMO_RE.search(urlsplit(started.location).path)[1]
    assert browser.get(f"/payments/demo/{session_id}").status_code == 200  # no sign-in needed
    paid = browser.post(f"/payments/demo/{session_id}/pay", {"card_number": PAYS, "expiry": "12/34", "cvc": "123"})
    assert paid.status_code == 303 and urlsplit(paid.location).path.startswith("/payments/link/")
    run_jobs()  # the stored gateway event is settled by its job
    return session_id


def fresh(booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def test_the_client_pays_by_the_link_and_the_desk_sees_it_paid(web, stranger, provider, salon, outbox, run_jobs):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    booking = desk_book(web, service, new_email="wanda@example.com")
    assert booking.status == BookingStatus.CONFIRMED and booking.at_venue_minor == 6000
    run_jobs()
    link = emailed_link(outbox, "wanda@example.com")

    page = stranger.get(link)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Pay £60.00" in text and booking.reference in text
    assert "no-store" in page.headers["Cache-Control"]
    desk_page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-payment-link="sent"' in desk_page and "Payment link sent to the client" in desk_page

    pay_through_demo(stranger, link, run_jobs)

    booking = fresh(booking)
    assert booking.at_venue_minor == 0 and booking.paid_minor == 6000
    [payment] = link_payments(booking)
    assert (payment.status, payment.amount_minor) == (PaymentStatus.SUCCEEDED, 6000)
    assert db.session.scalar(
        select(func.count()).select_from(VenueTransfer).where(VenueTransfer.payment_id == payment.id)
    )
    assert "Paid: £60.00" in stranger.get(link).get_data(as_text=True)
    desk_page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-payment-link="paid"' in desk_page and "Paid online by the payment link" in desk_page


def test_paying_twice_does_not_charge_twice(web, stranger, provider, salon, outbox, run_jobs):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    booking = desk_book(web, service, new_email="wanda@example.com")
    run_jobs()
    link = emailed_link(outbox, "wanda@example.com")

    # Two tabs: "Pay" twice before paying gives the same checkout, not a second one.
    first = stranger.post(link, {}).location
    assert stranger.post(link, {}).location == first
    assert len(link_payments(booking)) == 1
    old = link_payments(booking)[0]
    old.expires_at = old.expires_at.replace(year=2000)  # that checkout ran out unpaid...
    db.session.commit()
    pay_through_demo(stranger, link, run_jobs)  # ...so a new one is made and paid
    booking = fresh(booking)
    assert [p.status for p in link_payments(booking)] == [PaymentStatus.OPEN, PaymentStatus.SUCCEEDED]

    # The link again after paying: says so, starts nothing.
    again = stranger.post(link, {})
    assert again.status_code == 200 and "already paid" in again.get_data(as_text=True)
    assert len(link_payments(booking)) == 2

    # The old checkout completes late (a gateway's late event): refunded in full, charged once.
    late = demo_session_event(
        old, "checkout.session.completed", "completed", status="complete", **completed_fields(6000, 0)
    )
    assert deliver_demo_event(late) is True
    assert deliver_demo_event(late) is False  # the same event again: stored once
    db.session.commit()
    run_jobs()
    [refund] = db.session.scalars(select(Refund).where(Refund.payment_id == old.id))
    assert refund.amount_minor == 6000
    booking = fresh(booking)
    assert booking.paid_minor == 6000 and booking.at_venue_minor == 0
    kept = sum(p.amount_minor for p in link_payments(booking) if p.status == PaymentStatus.SUCCEEDED) - 6000
    assert kept == 6000  # two charges, one refunded in full: the client pays the price once


def test_tampered_expired_and_other_orders_links_are_refused(
    web, stranger, provider, salon, outbox, run_jobs, monkeypatch
):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    booking = desk_book(web, service, new_email="wanda@example.com")
    other = desk_book(web, service, hour=14, new_name="Otto Other", new_email="otto@example.com")
    run_jobs()
    link = emailed_link(outbox, "wanda@example.com")
    token = link.rsplit("/", 1)[1]

    tampered = f"/payments/link/{booking.order_id}/{token[:-3]}abc"
    for bad in (
        tampered,
        f"/payments/link/{other.order_id}/{token}",  # this link with another order's id
        f"/payments/link/{booking.order_id}/not-a-token",
        f"/payments/link/{booking.order_id}/{'a' * 400}",
    ):
        response = stranger.get(bad)
        assert response.status_code == 404 and "This payment link is not valid." in response.get_data(as_text=True)
        assert stranger.post(bad, {}).status_code == 404
    assert link_payments(booking) == [] and link_payments(other) == []

    later = int(time.time()) + 73 * 3600  # the link works for 72 hours
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    expired = stranger.get(link)
    assert expired.status_code == 410 and "This payment link has expired" in expired.get_data(as_text=True)
    assert stranger.post(link, {}).status_code == 410
    assert link_payments(booking) == []


def test_a_cancelled_bookings_link_says_so_and_takes_nothing(web, stranger, provider, salon, outbox, run_jobs):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    booking = desk_book(web, service, new_email="wanda@example.com")
    run_jobs()
    link = emailed_link(outbox, "wanda@example.com")
    lifecycle.cancel_by_venue(booking, actor=provider, reason="Closed for a leak")
    db.session.commit()
    page = stranger.get(link)
    assert page.status_code == 409 and "cancelled, so there is nothing to pay" in page.get_data(as_text=True)
    refused = stranger.post(link, {})
    assert refused.status_code == 409 and link_payments(booking) == []


def test_a_phone_only_client_gets_the_link_by_text(web, provider, salon, run_jobs):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    booking = desk_book(web, service, new_phone="+44 7700 900123")
    run_jobs()
    [sms] = db.session.scalars(select(SmsMessage))
    assert "Pay online: http" in sms.body and f"/payments/link/{booking.order_id}/" in sms.body


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"new_email": "", "new_phone": ""}, "To send a payment link, add the client"),
        ({"payment": "bitcoin"}, "Choose how the client pays"),
    ],
)
def test_a_link_needs_a_way_to_reach_the_client(web, provider, salon, changes, message):
    _venue, service = salon
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2, hour=10)
    data = {
        "service": service.id,
        "member": "any",
        "date": start.date().isoformat(),
        "starts_at": start.isoformat(),
        "payment": "link",
        "new_name": "Wanda Walkin",
        **changes,
    }
    response = web.post("/provider/desk/new", data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_the_token_names_exactly_its_order_and_booking(ctx, provider, salon):
    """read_link itself: a token whose booking is another order's is refused."""
    with pytest.raises(desk_links.LinkNotValid):
        desk_links.read_link(1, desk_links._serializer().dumps({"order": 1, "booking": True}))
    with pytest.raises(desk_links.LinkNotValid):
        desk_links.read_link(1, desk_links._serializer().dumps(["order", 1]))
