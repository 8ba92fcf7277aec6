"""Moving to a dearer time: the difference is shown first, the new time is held while a top-up
is paid through the gateway's hosted checkout (the Demo gateway's page, its signed events and
their settling jobs: production's own path), and the move is made once the money is in;
declined, abandoned or expired, the hold goes and nothing else changes; money that comes after
the time was lost is refunded in full. Refunds and payouts count the top-up."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from app.booking import order_lifecycle
from app.booking.availability import find_slot
from app.booking.events import times_reopened
from app.booking.lifecycle import cancel_by_venue
from app.booking.models import (
    Booking,
    BookingMove,
    BookingStatus,
    Order,
    OrderStatus,
    OrderTransition,
    TopUp,
    TopUpStatus,
)
from app.checkout import top_ups
from app.notifications.models import BookingReminder
from app.payments.demo_gateway import build_event, event_id, session_object, sign
from app.payments.models import Payment, PaymentEvent, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.payments.refunds import paid_minor, refundable
from app.payments.service import refund_booking
from app.payouts.models import VenueTransfer
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, iso, make_bookable_venue
from tests.conftest import Browser, IsolatedClient
from tests.payouts.helpers import connect, reversals_of

PAYS = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
DEMO_PAGE_RE = re.compile(r"/payments/demo/(demo_cs_[A-Za-z0-9_-]+)$")
OLD = {"days": 3, "hour": 10}
NEW = {"days": 4, "hour": 14}


@pytest.fixture
def salon(ctx, provider):
    """Calm Rooms: one 60-minute massage, £60.00 when booked, £70.00 now."""
    return make_bookable_venue(provider)


@pytest.fixture
def booking(salon, customer):
    _venue, service = salon
    booked = book(customer, service, future_slot(**OLD))
    service.price_minor = 7000  # the price went up after it was booked
    db.session.commit()
    return booked


@pytest.fixture
def other_web(app) -> Browser:
    return Browser(IsolatedClient(app, app.response_class, use_cookies=True))


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def start_move(web, booking, *, when=None, amount: str = "1000") -> str:
    """Confirm "Pay £10.00 to move" on the move page: the Demo checkout's session id."""
    form = {"starts_at": iso(when or future_slot(**NEW)), "team_member_id": "", "top_up_minor": amount}
    response = web.post(f"/bookings/{booking.reference}/reschedule", form)
    assert response.status_code == 303, html(response)
    match = DEMO_PAGE_RE.search(response.location)
    assert match, response.location
    return match.group(1)


def pay(web, session_id: str, card: str = PAYS):
    return web.post(f"/payments/demo/{session_id}/pay", {"card_number": card, "expiry": "12/34", "cvc": "123"})


def the_top_up() -> TopUp:
    db.session.expire_all()
    return db.session.scalars(select(TopUp)).one()


def where(booking) -> tuple:
    b = fresh(Booking, booking.id)
    return (b.starts_at, b.ends_at, b.team_member_id, b.unit_price_minor, b.calendar_sequence, b.status)


def completed_payload(payment: Payment, *, event: str | None = None) -> bytes:
    obj = session_object(
        payment.session_id,
        payment.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        status="complete",
        payment_status="paid",
        payment_intent_id="demo_pi_top_up",
    )
    return build_event("checkout.session.completed", obj, event_id=event or event_id(payment.session_id, "completed"))


def post_event(client, payload: bytes):
    return client.post(
        "/payments/demo/webhook",
        data=payload,
        headers={"Content-Type": "application/json", "Demo-Signature": sign(payload)},
    )


def run_out(top_up: TopUp) -> None:
    """Pretend the new time's hold (and its checkout) ran out a minute ago."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    hold = db.session.get(Booking, top_up.hold_booking_id)
    hold.hold_expires_at = past
    db.session.get(Payment, top_up.payment_id).expires_at = past
    db.session.flush()


# -- seeing the difference, and starting ------------------------------------------------------------


def test_the_move_page_shows_the_difference_before_confirming(web, booking, customer):
    web.sign_in_as(customer)
    start = future_slot(**NEW)
    page = html(web.get(f"/bookings/{booking.reference}/reschedule?start={iso(start)}"))
    assert "This time costs £10.00 more; pay £10.00 to move." in page
    assert 'name="top_up_minor" value="1000"' in page and "Pay £10.00 to move" in page
    assert "can't take the difference" not in page


def test_confirming_holds_the_new_time_and_opens_the_demo_checkout_while_the_booking_keeps_its_time(
    web, booking, customer, salon, make_user
):
    _venue, service = salon
    before = where(booking)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)

    assert where(booking) == before  # the booking keeps its old time meanwhile
    top_up = the_top_up()
    assert (top_up.status, top_up.amount_minor, top_up.new_unit_price_minor) == (TopUpStatus.PENDING, 1000, 7000)
    hold = db.session.get(Booking, top_up.hold_booking_id)
    assert hold.status == BookingStatus.HELD and hold.moves_booking_id == booking.id
    assert hold.starts_at == future_slot(**NEW) and hold.hold_expires_at > datetime.now(UTC)
    payment = db.session.get(Payment, top_up.payment_id)
    assert (payment.kind, payment.amount_minor, payment.status, payment.session_id) == (
        PaymentKind.TOP_UP,
        1000,
        PaymentStatus.OPEN,
        session_id,
    )
    # The hold counts like any hold: nobody else is offered the new time.
    assert find_slot(service, future_slot(**NEW), now=datetime.now(UTC)) is None
    # It is the move's, not a booking of the order (order lines, totals, My bookings).
    assert [b.id for b in fresh(Order, booking.order_id).bookings] == [booking.id]
    listing = html(web.get("/bookings"))
    assert hold.reference not in listing and booking.reference in listing
    assert web.get(f"/bookings/{hold.reference}").status_code == 404
    assert "is waiting for the price difference of £10.00" in html(web.get(f"/bookings/{booking.reference}"))

    page = html(web.get(f"/payments/demo/{session_id}"))
    assert "Pay £10.00" in page and f"Move of {booking.reference}" in page and "Cancel and keep my time" in page


# -- paid: moved ------------------------------------------------------------------------------------------


def test_paying_the_top_up_makes_the_move_through_the_order_lifecycle(web, booking, customer, salon, run_jobs, outbox):
    _venue, service = salon
    old_start, new_start = future_slot(**OLD), future_slot(**NEW)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    heard = []

    def listen(reason, *, times, order_id):
        heard.append((reason, [t.starts_at for t in times]))

    times_reopened.connect(listen)
    try:
        response = pay(web, session_id)
        top_up = the_top_up()
        assert response.status_code == 303
        assert response.location.endswith(f"/bookings/{booking.reference}/top-ups/{top_up.id}?paid=1")
        assert where(booking)[0] == old_start  # not before the settling job ran
        waiting = html(web.get(response.location))
        assert "Confirming your payment" in waiting and 'hx-trigger="every 2s"' in waiting
        run_jobs()
    finally:
        times_reopened.disconnect(listen)

    moved = fresh(Booking, booking.id)
    assert (moved.starts_at, moved.unit_price_minor, moved.calendar_sequence) == (new_start, 7000, 1)
    assert moved.status == BookingStatus.CONFIRMED and moved.reference == booking.reference
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.MOVED
    assert db.session.get(Booking, top_up.hold_booking_id).status == BookingStatus.EXPIRED
    assert db.session.get(Payment, top_up.payment_id).status == PaymentStatus.SUCCEEDED
    [move] = db.session.scalars(select(BookingMove).where(BookingMove.booking_id == booking.id))
    assert (move.moved_by, move.from_starts_at, move.to_starts_at, move.price_difference_minor) == (
        "customer",
        old_start,
        new_start,
        1000,
    )
    [transition] = db.session.scalars(
        select(OrderTransition).where(
            OrderTransition.order_id == booking.order_id, OrderTransition.event == "record_top_up"
        )
    )
    assert (transition.from_state, transition.to_state, transition.amount_minor) == ("paid", "paid", 1000)
    order = fresh(Order, booking.order_id)
    assert order.total_minor == 7000 and paid_minor(order) == 7000 and refundable(order) == 7000
    assert heard == [("rescheduled", [old_start])]  # the old time reopened; the hold was handed over
    planned = db.session.scalars(
        select(BookingReminder.starts_at).where(
            BookingReminder.booking_id == booking.id, BookingReminder.status == "planned"
        )
    ).all()
    assert planned and set(planned) == {new_start}
    assert find_slot(service, old_start, now=datetime.now(UTC)) is not None
    subjects = [m.subject for m in outbox]
    assert "Moved: Deep tissue massage at Calm Rooms" in subjects
    assert f"Moved by the customer: {booking.reference}" in subjects
    mail = next(m for m in outbox if m.subject.startswith("Moved: "))
    assert "you paid the difference of £10.00" in mail.body
    page = html(web.get(f"/bookings/{booking.reference}/top-ups/{top_up.id}"))
    assert "Moved to" in page and "You paid the difference of £10.00" in page


def test_the_same_paid_event_delivered_twice_moves_the_booking_once(web, client, booking, customer, run_jobs):
    web.sign_in_as(customer)
    start_move(web, booking)
    payment = db.session.get(Payment, the_top_up().payment_id)
    payload = completed_payload(payment, event="evt_demo_top_up_twice")
    first, second = post_event(client, payload), post_event(client, payload)
    run_jobs()
    third = post_event(client, payload)
    run_jobs()
    assert [r.get_json()["duplicate"] for r in (first, second, third)] == [False, True, True]
    # A second event id for the same session (the gateway retrying differently) changes nothing either.
    post_event(client, completed_payload(payment, event="evt_demo_top_up_again"))
    run_jobs()
    assert count(BookingMove, BookingMove.booking_id == booking.id) == 1
    assert count(OrderTransition, OrderTransition.event == "record_top_up") == 1
    assert fresh(Booking, booking.id).calendar_sequence == 1 and fresh(Order, booking.order_id).total_minor == 7000
    again = db.session.scalar(select(PaymentEvent).where(PaymentEvent.event_id == "evt_demo_top_up_again"))
    assert again.outcome == "already settled: the top-up is moved"


# -- not paid: nothing changes ------------------------------------------------------------------------------


def test_a_declined_top_up_releases_the_new_time_and_leaves_the_booking_as_it_was(
    web, booking, customer, salon, run_jobs
):
    _venue, service = salon
    before = where(booking)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    response = pay(web, session_id, DECLINED)
    run_jobs()
    assert where(booking) == before
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.RELEASED and "declined" in top_up.outcome
    assert db.session.get(Booking, top_up.hold_booking_id).status == BookingStatus.EXPIRED
    assert find_slot(service, future_slot(**NEW), now=datetime.now(UTC)) is not None
    assert count(BookingMove) == 0 and count(OrderTransition, OrderTransition.event == "record_top_up") == 0
    page = html(web.get(response.location))
    assert "Not moved" in page and "Your card was declined" in page


def test_an_expired_top_up_hold_is_released_and_reopens_its_time(web, booking, customer, salon):
    _venue, service = salon
    before = where(booking)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    top_up = the_top_up()
    run_out(top_up)
    heard = []

    def listen(reason, *, times, order_id):
        heard.append((reason, [t.starts_at for t in times], order_id))

    times_reopened.connect(listen)
    try:
        assert order_lifecycle.expire_holds() == 1
    finally:
        times_reopened.disconnect(listen)
    assert heard == [("top_up_released", [future_slot(**NEW)], booking.order_id)]
    assert where(booking) == before
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.RELEASED and "didn't arrive in time" in top_up.outcome
    assert db.session.get(Payment, top_up.payment_id).status == PaymentStatus.EXPIRED
    closed = web.get(f"/payments/demo/{session_id}")
    assert closed.status_code == 409 and "didn't arrive in time" in html(closed)
    assert find_slot(service, future_slot(**NEW), now=datetime.now(UTC)) is not None


def test_a_signed_expired_event_releases_the_hold(web, client, booking, customer, run_jobs):
    before = where(booking)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    payment = db.session.get(Payment, the_top_up().payment_id)
    obj = session_object(
        session_id, payment.order_id, amount_minor=1000, currency="GBP", status="expired", payment_status="unpaid"
    )
    assert post_event(client, build_event("checkout.session.expired", obj)).status_code == 200
    run_jobs()
    assert the_top_up().status == TopUpStatus.RELEASED and where(booking) == before
    assert fresh(Payment, payment.id).status == PaymentStatus.EXPIRED


def test_keep_my_time_lets_the_new_time_go_and_charges_nothing(web, booking, customer):
    before = where(booking)
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    top_up = the_top_up()
    response = web.post(f"/bookings/{booking.reference}/top-ups/{top_up.id}/keep")
    assert response.status_code == 303
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.RELEASED and where(booking) == before
    assert db.session.get(Booking, top_up.hold_booking_id).status == BookingStatus.EXPIRED
    assert pay(web, session_id).status_code == 409  # the checkout is closed


# -- paid late ---------------------------------------------------------------------------------------------


def pay_after_the_new_time_was_taken(web, client, booking, salon, make_user, run_jobs) -> Payment:
    """The signed-in customer starts a move, its hold runs out, someone else books the new time,
    then the top-up's money arrives (a signed event, settled by the worker)."""
    _venue, service = salon
    start_move(web, booking)
    top_up = the_top_up()
    run_out(top_up)
    order_lifecycle.expire_holds()
    service.price_minor = 6000
    book(make_user(), service, future_slot(**NEW))  # someone else takes the released time
    service.price_minor = 7000
    db.session.commit()
    payment = db.session.get(Payment, top_up.payment_id)
    post_event(client, completed_payload(payment))
    run_jobs()
    return payment


def test_money_after_the_hold_ran_out_and_the_time_was_taken_is_refunded_in_full(
    web, client, booking, customer, salon, make_user, run_jobs, outbox
):
    before = where(booking)
    web.sign_in_as(customer)
    payment = pay_after_the_new_time_was_taken(web, client, booking, salon, make_user, run_jobs)

    assert where(booking) == before
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.REFUNDED and "was taken" in top_up.outcome
    [refund] = db.session.scalars(select(Refund).where(Refund.payment_id == payment.id))
    assert (refund.amount_minor, refund.status) == (1000, RefundStatus.SUCCEEDED)
    assert count(BookingMove, BookingMove.booking_id == booking.id) == 0
    assert count(VenueTransfer, VenueTransfer.payment_id == payment.id) == 0
    assert any(m.subject.startswith("Not moved: ") and "£10.00" in m.body for m in outbox)
    page = html(web.get(f"/bookings/{booking.reference}/top-ups/{top_up.id}"))
    assert "Not moved" in page and "on its way back to your card" in page


def test_a_spanish_customer_is_told_in_spanish_why_the_move_was_refunded(
    web, client, booking, customer, salon, make_user, run_jobs, outbox
):
    customer.language = "es"
    db.session.commit()
    web.sign_in_as(customer)
    pay_after_the_new_time_was_taken(web, client, booking, salon, make_user, run_jobs)

    [email] = [m for m in outbox if m.to == [customer.email] and "No se ha cambiado la hora" in m.subject]
    assert email.subject.startswith("No se ha cambiado la hora: ")
    assert "No hemos podido mover tu reserva" in email.body
    assert "se ocupó cuando terminó la reserva temporal" in email.body  # why, in Spanish too
    assert "10,00\xa0GBP" in email.body and "was taken" not in email.body

    # The page says it in Spanish too; the record stays in English, beside its code.
    top_up = the_top_up()
    assert top_up.outcome_code == "refunded:taken_after_hold"
    assert top_up.outcome.startswith("We couldn't move your booking: ") and "was taken after its hold" in top_up.outcome
    page = html(web.get(f"/bookings/{booking.reference}/top-ups/{top_up.id}"))
    assert "No hemos podido mover tu reserva" in page and "se ocupó cuando terminó la reserva temporal" in page
    assert "couldn't move" not in page


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "You kept your time; nothing was charged."), ("es", "Te has quedado con tu hora; no se ha cobrado nada.")],
)
def test_what_happened_to_a_top_up_is_said_in_the_readers_language(web, booking, customer, language, words):
    web.sign_in_as(customer)
    start_move(web, booking)
    top_up = the_top_up()
    assert web.post(f"/bookings/{booking.reference}/top-ups/{top_up.id}/keep").status_code == 303
    top_up = the_top_up()
    assert top_up.outcome_code == "kept" and top_up.outcome == "You kept your time; nothing was charged."
    web.post("/language", {"language": language, "next": "/"})
    assert words in html(web.get(f"/bookings/{booking.reference}/top-ups/{top_up.id}"))


def test_money_after_the_hold_ran_out_still_moves_while_the_time_is_free(web, client, booking, customer, run_jobs):
    web.sign_in_as(customer)
    start_move(web, booking)
    top_up = the_top_up()
    run_out(top_up)
    order_lifecycle.expire_holds()
    db.session.commit()
    post_event(client, completed_payload(db.session.get(Payment, top_up.payment_id)))
    run_jobs()
    assert the_top_up().status == TopUpStatus.MOVED
    assert fresh(Booking, booking.id).starts_at == future_slot(**NEW)


def test_money_for_a_booking_cancelled_meanwhile_is_refunded(web, client, booking, customer, provider, run_jobs):
    web.sign_in_as(customer)
    start_move(web, booking)
    top_up = the_top_up()
    cancel_by_venue(fresh(Booking, booking.id), actor=provider, reason="Closed for repairs")
    db.session.commit()
    post_event(client, completed_payload(db.session.get(Payment, top_up.payment_id)))
    run_jobs()
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.REFUNDED and "cancelled" in top_up.outcome
    assert db.session.scalars(select(Refund).where(Refund.payment_id == top_up.payment_id)).one().amount_minor == 1000


# -- access and bad input -------------------------------------------------------------------------------------


def test_another_customer_cant_start_see_pay_or_drop_someone_elses_top_up(web, other_web, booking, customer, make_user):
    web.sign_in_as(customer)
    session_id = start_move(web, booking)
    top_up = the_top_up()
    other_web.sign_in_as(make_user())
    form = {"starts_at": iso(future_slot(days=5, hour=11)), "team_member_id": "", "top_up_minor": "1000"}
    assert other_web.post(f"/bookings/{booking.reference}/reschedule", form).status_code == 404
    assert other_web.get(f"/bookings/{booking.reference}/top-ups/{top_up.id}").status_code == 404
    assert other_web.post(f"/bookings/{booking.reference}/top-ups/{top_up.id}/keep").status_code == 404
    assert other_web.get(f"/payments/demo/{session_id}").status_code == 404
    assert pay(other_web, session_id).status_code == 404
    assert count(TopUp) == 1 and the_top_up().status == TopUpStatus.PENDING


def test_a_top_up_id_of_another_booking_is_not_found(web, booking, customer, salon):
    _venue, service = salon
    web.sign_in_as(customer)
    start_move(web, booking)
    top_up = the_top_up()
    service.price_minor = 6000
    second = book(customer, service, future_slot(days=6, hour=9))
    assert web.get(f"/bookings/{second.reference}/top-ups/{top_up.id}").status_code == 404
    assert web.get(f"/bookings/{booking.reference}/top-ups/99999999999").status_code == 404


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"top_up_minor": "500"}, 409, "The price changed"),  # a stale or forged amount
        ({"top_up_minor": "abc"}, 422, "Confirm the price difference"),
        ({"top_up_minor": "-1000"}, 422, "Confirm the price difference"),
        ({"starts_at": "not a time"}, 422, None),
        ({"starts_at": "NIGHT"}, 409, "isn't free"),  # a time the venue doesn't offer (03:00)
        ({"team_member_id": "999999"}, 422, "Choose a team member"),
    ],
)
def test_bad_or_stale_confirmations_are_refused_and_change_nothing(web, booking, customer, fields, status, message):
    before = where(booking)
    web.sign_in_as(customer)
    form = {"starts_at": iso(future_slot(**NEW)), "team_member_id": "", "top_up_minor": "1000", **fields}
    if form["starts_at"] == "NIGHT":
        form["starts_at"] = iso(future_slot(days=4, hour=3))
    response = web.post(f"/bookings/{booking.reference}/reschedule", form)
    assert response.status_code == status
    if message:
        assert message in html(response)
    assert where(booking) == before
    assert count(TopUp) == 0 and count(Payment, Payment.kind == PaymentKind.TOP_UP) == 0
    assert count(Booking, Booking.moves_booking_id.is_not(None)) == 0


def test_a_top_up_is_refused_when_the_time_no_longer_costs_more(web, booking, customer, salon):
    _venue, service = salon
    service.price_minor = 6000
    db.session.commit()
    web.sign_in_as(customer)
    form = {"starts_at": iso(future_slot(**NEW)), "team_member_id": "", "top_up_minor": "1000"}
    response = web.post(f"/bookings/{booking.reference}/reschedule", form)
    assert response.status_code == 409 and "doesn't cost more" in html(response)
    assert count(TopUp) == 0


def test_confirming_needs_a_csrf_token(web, booking, customer):
    web.sign_in_as(customer)
    form = {"starts_at": iso(future_slot(**NEW)), "team_member_id": "", "top_up_minor": "1000"}
    assert web.post(f"/bookings/{booking.reference}/reschedule", form, csrf=False).status_code == 400
    assert count(TopUp) == 0


def test_choosing_another_time_lets_the_first_hold_go(web, booking, customer, salon):
    _venue, service = salon
    web.sign_in_as(customer)
    start_move(web, booking)
    start_move(web, booking, when=future_slot(days=5, hour=11))
    first, second = db.session.scalars(select(TopUp).order_by(TopUp.id)).all()
    assert (first.status, second.status) == (TopUpStatus.RELEASED, TopUpStatus.PENDING)
    assert find_slot(service, future_slot(**NEW), now=datetime.now(UTC)) is not None


def test_a_move_half_an_hour_later_with_the_same_person_can_be_held(ctx, provider, customer):
    """The hold may overlap its own booking's time for the same team member (the exclusion
    constraint lets a booking and its own move's hold overlap, and nothing else)."""
    _venue, service = make_bookable_venue(provider, team=1)
    booked = book(customer, service, future_slot(**OLD))
    service.price_minor = 7000
    later = booked.starts_at + timedelta(minutes=30)
    top_up, _payment = top_ups.start_top_up(booked, later, booked.team_member_id, by=customer, expected_minor=1000)
    hold = db.session.get(Booking, top_up.hold_booking_id)
    assert hold.team_member_id == booked.team_member_id and hold.starts_at == later


# -- money after a top-up -----------------------------------------------------------------------------------


def paid_move(web, booking, customer, run_jobs) -> TopUp:
    web.sign_in_as(customer)
    pay(web, start_move(web, booking))
    run_jobs()
    return the_top_up()


def test_a_cancellation_after_a_top_up_refunds_the_top_up_first_then_the_checkout(
    web, booking, customer, provider, run_jobs
):
    top_up = paid_move(web, booking, customer, run_jobs)
    moved = fresh(Booking, booking.id)
    amount = cancel_by_venue(moved, actor=provider, reason="Closed for repairs")
    assert amount == 7000
    refund_booking(moved, amount, reason="Cancelled by the venue")
    db.session.commit()
    run_jobs()
    refunds = db.session.scalars(select(Refund).order_by(Refund.id)).all()
    checkout = db.session.scalar(
        select(Payment).where(Payment.order_id == booking.order_id, Payment.kind == PaymentKind.CHECKOUT)
    )
    assert [(r.payment_id, r.amount_minor, r.status) for r in refunds] == [
        (top_up.payment_id, 1000, RefundStatus.SUCCEEDED),
        (checkout.id, 6000, RefundStatus.SUCCEEDED),
    ]
    order = fresh(Order, booking.order_id)
    assert order.status == OrderStatus.REFUNDED and order.refunded_minor == 7000 and refundable(order) == 0


def test_a_part_refund_after_a_top_up_takes_the_newest_payment_first(web, booking, customer, run_jobs):
    from app.payments.refunds import refund_order

    top_up = paid_move(web, booking, customer, run_jobs)
    order = order_lifecycle.lock_order(booking.order_id)
    assert refund_order(order, 1500, reason="goodwill") == 1500
    db.session.commit()
    run_jobs()
    parts = db.session.execute(select(Refund.payment_id, Refund.amount_minor).order_by(Refund.id)).all()
    assert parts[0] == (top_up.payment_id, 1000) and parts[1][1] == 500
    order = fresh(Order, booking.order_id)
    assert order.status == OrderStatus.PARTIALLY_REFUNDED and refundable(order) == 5500


def test_the_venue_is_paid_its_share_of_the_top_up_and_a_refund_reverses_it(
    web, ctx, booking, customer, provider, salon, run_jobs
):
    venue, _service = salon
    connect(venue)
    db.session.commit()
    top_up = paid_move(web, booking, customer, run_jobs)
    transfers = db.session.scalars(
        select(VenueTransfer).where(VenueTransfer.order_id == booking.order_id).order_by(VenueTransfer.id)
    ).all()
    # The checkout (paid before the venue connected) is picked up by reconciliation; the top-up goes now.
    [mine] = [t for t in transfers if t.payment_id == top_up.payment_id]
    assert (mine.gross_minor, mine.commission_minor, mine.transfer_minor) == (1000, 150, 850)
    assert mine.status == "paid" and mine.sent_minor == 850 and mine.venue_id == venue.id

    moved = fresh(Booking, booking.id)
    refund_booking(moved, cancel_by_venue(moved, actor=provider, reason="Closed"), reason="Cancelled by the venue")
    db.session.commit()
    run_jobs()
    [reversal] = reversals_of(fresh(VenueTransfer, mine.id))
    assert (reversal.refund_minor, reversal.amount_minor) == (1000, 850)


# -- the booking changes another way meanwhile ------------------------------------------------------------


def test_cancelling_the_booking_lets_its_waiting_move_go_at_once(web, booking, customer, salon):
    from app.booking.lifecycle import cancel_by_customer

    _venue, service = salon
    web.sign_in_as(customer)
    start_move(web, booking)
    cancel_by_customer(fresh(Booking, booking.id), customer=customer)
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.RELEASED and "cancelled" in top_up.outcome
    assert db.session.get(Booking, top_up.hold_booking_id).status == BookingStatus.EXPIRED
    assert db.session.get(Payment, top_up.payment_id).status == PaymentStatus.EXPIRED
    assert find_slot(service, future_slot(**NEW), now=datetime.now(UTC)) is not None


def test_the_venues_move_lets_a_waiting_move_go_and_keeps_the_price_paid(web, booking, customer, provider):
    from app.checkout import reschedule

    web.sign_in_as(customer)
    start_move(web, booking)
    result = reschedule.move_booking(
        fresh(Booking, booking.id), future_slot(days=5, hour=11), None, by=provider, as_venue=True
    )
    assert result.price_difference_minor == 0 and fresh(Booking, booking.id).unit_price_minor == 6000
    top_up = the_top_up()
    assert top_up.status == TopUpStatus.RELEASED and "The venue moved your booking" in top_up.outcome


def test_an_admin_can_refund_the_checkout_and_the_top_up_newest_first(web, app, booking, customer, admin, run_jobs):
    top_up = paid_move(web, booking, customer, run_jobs)
    admin_web = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    admin_web.sign_in_as(admin)
    assert "£70.00" in html(admin_web.get(f"/admin/orders/{booking.order_id}"))  # what is left to refund
    over = admin_web.post(f"/admin/orders/{booking.order_id}/refund", {"amount": "70.01", "reason": "Goodwill"})
    assert over.status_code == 422 and "at most £70.00" in html(over) and count(Refund) == 0

    response = admin_web.post(f"/admin/orders/{booking.order_id}/refund", {"amount": "15.00", "reason": "Goodwill"})
    assert response.status_code == 303
    run_jobs()
    parts = db.session.execute(select(Refund.payment_id, Refund.amount_minor, Refund.status).order_by(Refund.id)).all()
    assert parts[0] == (top_up.payment_id, 1000, RefundStatus.SUCCEEDED) and parts[1][1:] == (500, "succeeded")
    order = fresh(Order, booking.order_id)
    assert order.refunded_minor == 1500 and order.status == OrderStatus.PARTIALLY_REFUNDED


def test_the_venues_calendar_shows_the_held_new_time_as_a_move_awaiting_payment(web, app, booking, customer, provider):
    from zoneinfo import ZoneInfo

    web.sign_in_as(customer)
    start_move(web, booking)
    owner = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    owner.sign_in_as(provider)
    day = future_slot(**NEW).astimezone(ZoneInfo("Europe/London")).date()
    page = html(owner.get(f"/provider/calendar?view=day&date={day.isoformat()}"))
    assert "Held for a move, awaiting payment" in page
