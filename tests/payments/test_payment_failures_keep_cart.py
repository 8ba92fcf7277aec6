"""Payments never cost the customer their choices: a declined card, an abandoned or expired
checkout and "Change my order" all free the held times at once and put every item back in
the cart (service, start, team member choice, people), flagged when its time went meanwhile.

Driven through the real pages and the signed event paths, as customers and gateways do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.audit import service as audit
from app.booking import cart, order_lifecycle
from app.booking.availability import find_slot
from app.booking.models import BookingStatus, CartItem, Order, OrderStatus, ReleaseReason
from app.checkout import checkout
from app.payments.demo_gateway import build_event, session_object, sign
from app.payments.models import Payment, PaymentStatus
from app.platform.extensions import db
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.payments.stripe_fakes import body, checkout_event, open_stripe_payment
from tests.payments.stripe_fakes import sign as stripe_sign
from tests.payments.test_demo_payments import (
    DECLINED,
    expire,
    fresh,
    html,
    other_web,
    pay,
    post_event,
    start_paying,
)

__all__ = ["other_web"]  # a fixture, imported for use here

STRIPE_SECRET = "whsec_test_cart_back"


# -- a cart across two venues --------------------------------------------------------------------


@pytest.fixture
def two_venues(ctx, provider, make_user):
    """Calm Rooms (two therapists, one client each) and Quiet Spa (a sauna for up to 4)."""
    _calm, massage = make_bookable_venue(provider, team=2)
    _quiet, sauna = make_bookable_venue(make_user(role=Role.PROVIDER), capacity=4, name="Quiet Spa")
    return massage, sauna


def fill_cart(web, customer, massage, sauna) -> tuple[tuple, ...]:
    """Therapist 2 for the massage at 10:00, and the sauna for 3 people at 14:00: the cart as
    (service, start, team member, people), sorted."""
    web.sign_in_as(customer)
    therapist = next(m for m in massage.venue.team if m.name == "Therapist 2")
    massage_at, sauna_at = future_slot(hour=10), future_slot(hour=14)
    assert web.post("/cart/items", cart_form(massage, massage_at, team_member_id=therapist.id)).status_code == 303
    assert web.post("/cart/items", cart_form(sauna, sauna_at, quantity=3)).status_code == 303
    return cart_of(customer)


def cart_of(customer) -> tuple[tuple, ...]:
    db.session.expire_all()
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == customer.id))
    return tuple(sorted((i.service_id, i.starts_at, i.team_member_id, i.quantity) for i in items))


def check_out(web) -> int:
    response = web.post("/checkout")
    assert response.status_code == 303 and "/orders/" in response.location, html(response)
    return int(response.location.rsplit("/", 1)[-1])


def times_are_free(massage, sauna, chosen) -> bool:
    db.session.expire_all()
    slots = {s.id: s for s in (massage, sauna)}
    for service_id, start, member_id, people in chosen:
        slot = find_slot(slots[service_id], start)
        if slot is None or slot.remaining < people or (member_id and member_id not in slot.team_member_ids):
            return False
    return True


def audit_of(order: Order) -> list[tuple[str, str | None, str | None]]:
    return [
        (e.action, e.to_state, e.reason)
        for b in order.bookings
        for e in audit.find_entries(subject_type="booking", subject_id=b.id)
    ]


# -- declined, abandoned, expired ------------------------------------------------------------------


def test_a_declined_card_puts_every_item_back_in_the_cart_and_frees_the_times(web, two_venues, customer, run_jobs):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    assert cart_of(customer) == () and not times_are_free(massage, sauna, chosen)

    assert pay(web, start_paying(web, order_id), card=DECLINED).status_code == 303
    run_jobs()

    order = fresh(Order, order_id)
    assert order.status == OrderStatus.FAILED and order.release_reason == ReleaseReason.DECLINED
    assert {b.status for b in order.bookings} == {BookingStatus.EXPIRED}
    assert cart_of(customer) == chosen  # same services, starts, therapist choice and people
    assert times_are_free(massage, sauna, chosen)
    assert set(audit_of(order)) == {("booking.release", "expired", "payment_declined")}
    page = html(web.get("/cart"))
    assert "2 items are back in your cart from an order that wasn't paid" in page
    assert "No longer available" not in page and "With: Therapist 2" in page
    assert "Everything you chose is back in your cart" in html(web.get(f"/payments/return/{order_id}"))
    assert check_out(web) != order_id  # and the customer can simply check out again


def test_an_expired_hold_puts_the_items_back_when_the_job_runs(web, two_venues, customer):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    expire(order_id)

    assert order_lifecycle.expire_holds() == 2  # the massage with its therapist, the sauna group
    db.session.flush()

    order = fresh(Order, order_id)
    assert order.status == OrderStatus.EXPIRED and order.release_reason == ReleaseReason.EXPIRED
    assert cart_of(customer) == chosen and times_are_free(massage, sauna, chosen)
    assert set(audit_of(order)) == {("booking.expire", "expired", "hold_expired")}
    assert order_lifecycle.expire_holds() == 0 and cart_of(customer) == chosen  # nothing twice


def test_the_cart_page_gives_back_an_expired_hold_before_the_job_runs(web, two_venues, customer):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    expire(order_id)

    page = html(web.get("/cart"))

    assert "Deep tissue massage" in page and "2 items are back in your cart" in page
    assert fresh(Order, order_id).status == OrderStatus.EXPIRED
    assert cart_of(customer) == chosen


def test_abandoning_the_demo_checkout_until_it_expires_puts_the_items_back(web, two_venues, customer, run_jobs):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    session_id = start_paying(web, order_id)
    expire(order_id)

    late = pay(web, session_id)  # the gateway notices the session ran out and says so
    run_jobs()

    assert late.status_code == 409 and "Everything you chose is back in your cart" in html(late)
    order = fresh(Order, order_id)
    assert (order.status, order.release_reason) == (OrderStatus.EXPIRED, ReleaseReason.ABANDONED)
    assert cart_of(customer) == chosen


# -- the Stripe webhook path -----------------------------------------------------------------------


@pytest.fixture
def on_stripe(app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "sk_test_cart_back")
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", STRIPE_SECRET)


def stripe_checkout(order_id: int) -> Payment:
    """An open Stripe Checkout Session for the order, as start_payment records it."""
    order = fresh(Order, order_id)
    payment = open_stripe_payment(order)
    return payment


def post_stripe(client, data: dict):
    payload = body(data)
    headers = {"Stripe-Signature": stripe_sign(payload, STRIPE_SECRET), "Content-Type": "application/json"}
    return client.post("/payments/stripe/webhook", data=payload, headers=headers)


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("checkout.session.expired", OrderStatus.EXPIRED, ReleaseReason.ABANDONED),
        ("checkout.session.async_payment_failed", OrderStatus.FAILED, ReleaseReason.DECLINED),
    ],
)
def test_a_stripe_checkout_that_expires_or_fails_puts_the_items_back(
    web, client, on_stripe, two_venues, customer, run_jobs, kind, status, reason
):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    payment = stripe_checkout(order_id)

    assert post_stripe(client, checkout_event(kind, payment.session_id, order_id=order_id)).status_code == 200
    run_jobs()

    order = fresh(Order, order_id)
    assert (order.status, order.release_reason) == (status, reason)
    assert cart_of(customer) == chosen and times_are_free(massage, sauna, chosen)


def test_a_stripe_payment_that_arrives_after_a_change_confirms_and_leaves_the_cart(
    web, client, on_stripe, two_venues, customer, run_jobs
):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    payment = stripe_checkout(order_id)
    assert web.post(f"/orders/{order_id}/change").status_code == 303
    assert cart_of(customer) == chosen

    # The customer had finished paying in Stripe's tab all the same; the times were still free.
    post_stripe(client, checkout_event("checkout.session.completed", payment.session_id, order_id=order_id))
    run_jobs()

    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PAID
    assert {b.status for b in order.bookings} == {BookingStatus.CONFIRMED}
    assert cart_of(customer) == ()  # not offered again: they are booked


# -- "Change my order" ------------------------------------------------------------------------------


def test_change_my_order_frees_the_times_at_once_and_returns_to_the_full_cart(
    web, other_web, two_venues, customer, make_user
):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    session_id = start_paying(web, order_id)
    page = html(web.get(f"/orders/{order_id}"))
    assert f'action="/orders/{order_id}/change"' in page and "Change my order" in page

    response = web.post(f"/orders/{order_id}/change")

    assert response.status_code == 303 and response.location.endswith("/cart")
    order = fresh(Order, order_id)
    assert (order.status, order.release_reason) == (OrderStatus.RELEASED, ReleaseReason.CHANGED)
    assert cart_of(customer) == chosen and times_are_free(massage, sauna, chosen)
    assert db.session.scalars(select(Payment)).one().status == PaymentStatus.EXPIRED
    entries = [e for b in order.bookings for e in audit.find_entries(subject_type="booking", subject_id=b.id)]
    assert {(e.action, e.actor_id, e.reason) for e in entries} == {
        ("booking.release", customer.id, "changed_by_customer")
    }
    cart = html(web.get("/cart"))
    assert "Your held times are released and your 2 items are back in your cart." in cart
    after = html(web.get(f"/orders/{order_id}"))
    assert "Pay £" not in after and "Change my order" not in after and "to change your order" in after
    closed = web.post(f"/payments/demo/{session_id}/pay", {})
    assert closed.status_code == 409 and "you let the held times go to change your order" in html(closed)
    returned = html(web.get(f"/payments/return/{order_id}"))
    assert "You changed your order" in returned and f'hx-get="/payments/return/{order_id}"' not in returned
    # Someone else may take the times right away.
    rival = make_user(name="Rita Rival")
    other_web.sign_in_as(rival)
    assert other_web.post("/cart/items", cart_form(sauna, future_slot(hour=14), quantity=4)).status_code == 303


def test_cancel_and_return_on_the_demo_checkout_releases_the_order_to_the_cart(web, two_venues, customer):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    session_id = start_paying(web, order_id)
    checkout_page = html(web.get(f"/payments/demo/{session_id}"))
    assert f'action="/payments/demo/{session_id}/cancel"' in checkout_page and "Cancel and return" in checkout_page

    response = web.post(f"/payments/demo/{session_id}/cancel")

    assert response.status_code == 303 and response.location.endswith("/cart")
    assert fresh(Order, order_id).status == OrderStatus.RELEASED
    assert cart_of(customer) == chosen and times_are_free(massage, sauna, chosen)
    assert web.get(f"/payments/demo/{session_id}").status_code == 409


def test_another_customer_cant_change_someone_elses_order(web, other_web, two_venues, customer, make_user):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    session_id = start_paying(web, order_id)
    other_web.sign_in_as(make_user(name="Nosy Neighbour"))

    assert other_web.post(f"/orders/{order_id}/change").status_code == 404
    assert other_web.post(f"/payments/demo/{session_id}/cancel").status_code == 404
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PENDING_PAYMENT and {b.status for b in order.bookings} == {"held"}
    assert cart_of(customer) == () and not times_are_free(massage, sauna, chosen)


def test_signed_out_change_asks_to_sign_in_and_changes_nothing(web, two_venues, customer):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    web.sign_out()

    response = web.post(f"/orders/{order_id}/change")

    assert response.status_code in (302, 303) and "/sign-in" in response.location
    assert fresh(Order, order_id).status == OrderStatus.PENDING_PAYMENT


def test_change_without_its_csrf_token_is_refused(web, two_venues, customer):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)

    assert web.post(f"/orders/{order_id}/change", csrf=False).status_code == 400
    assert fresh(Order, order_id).status == OrderStatus.PENDING_PAYMENT and cart_of(customer) == ()


def test_a_paid_order_cant_be_changed(web, two_venues, customer, run_jobs):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    assert pay(web, start_paying(web, order_id)).status_code == 303
    run_jobs()
    assert "Change my order" not in html(web.get(f"/orders/{order_id}"))

    response = web.post(f"/orders/{order_id}/change")

    assert response.status_code == 409
    assert "This order is paid, so these times are booked for you" in html(response)
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.PAID and {b.status for b in order.bookings} == {"confirmed"}
    assert cart_of(customer) == ()


def test_an_order_whose_payment_is_processing_cant_be_changed(web, two_venues, customer):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    start_paying(web, order_id)
    db.session.scalars(select(Payment)).one().status = PaymentStatus.PROCESSING  # a bank debit under way
    db.session.flush()

    response = web.post(f"/orders/{order_id}/change")

    assert response.status_code == 409 and "still being processed" in html(response)
    assert fresh(Order, order_id).status == OrderStatus.PENDING_PAYMENT and cart_of(customer) == ()


# -- a time that went meanwhile --------------------------------------------------------------------


def test_an_item_whose_time_was_taken_comes_back_flagged_with_a_message(
    web, other_web, two_venues, customer, make_user
):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    expire(order_id)
    # Past its hold, the sauna is free again: a group of four books all of it.
    other_web.sign_in_as(make_user(name="Rita Rival"))
    assert other_web.post("/cart/items", cart_form(sauna, future_slot(hour=14), quantity=4)).status_code == 303
    assert other_web.post("/checkout").status_code == 303

    page = html(web.get("/cart"))

    assert cart_of(customer) == chosen  # still put back, so the customer sees what went
    assert "Since then this one is no longer available: <strong>Deep tissue massage at Quiet Spa</strong>" in (
        re.sub(r"\s+", " ", page)
    )
    assert "No longer available:</strong> Only 0 places are left at that time." in page or (
        "No longer available:</strong> That time is no longer available." in page
    )
    assert page.count("No longer available:</strong>") == 1  # the massage is fine


def test_the_change_message_names_the_items_that_went(ctx, two_venues, customer, make_user):
    _massage, sauna = two_venues
    owner = cart.CartOwner(user_id=customer.id)
    start = future_slot(hour=14)
    cart.add_item(owner, service_id=sauna.id, starts_at=start, quantity=2, team_member_id=None)
    order = checkout.checkout(customer)
    sauna.is_active = False  # the venue stopped offering it meanwhile
    db.session.flush()

    restored = order_lifecycle.release_order(order, ReleaseReason.CHANGED, actor=customer)

    assert restored.added == 1 and len(restored.unavailable) == 1
    assert "Deep tissue massage at Quiet Spa" in restored.message()
    assert "This service is no longer offered." in restored.message()


# -- once, whatever happens twice --------------------------------------------------------------------


def test_releasing_twice_puts_the_items_back_once(ctx, two_venues, customer, run_jobs, web):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)

    first = order_lifecycle.release_order(fresh(Order, order_id), ReleaseReason.CHANGED, actor=customer)
    second = order_lifecycle.release_order(fresh(Order, order_id), ReleaseReason.EXPIRED)
    order_lifecycle.expire_holds(now=datetime.now(UTC) + timedelta(hours=1))

    assert (first.added, second.added) == (2, 0)
    assert cart_of(customer) == chosen
    order = fresh(Order, order_id)
    assert order.status == OrderStatus.RELEASED  # the first release stands
    releases = [e for e in audit.find_entries(subject_type="order", subject_id=order_id) if "release" in e.action]
    assert [e.action for e in releases] == ["order.release_cancelled"]


def test_a_gateway_expiry_after_the_customers_change_adds_nothing(web, client, two_venues, customer, run_jobs):
    massage, sauna = two_venues
    chosen = fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    session_id = start_paying(web, order_id)
    assert web.post(f"/orders/{order_id}/change").status_code == 303
    assert web.post(f"/orders/{order_id}/change").status_code == 303  # a double click
    payload = build_event(
        "checkout.session.expired",
        session_object(session_id, order_id, amount_minor=1, currency="GBP", status="expired", payment_status="unpaid"),
    )
    assert post_event(client, payload, sign(payload)).status_code == 200
    run_jobs()

    assert cart_of(customer) == chosen
    assert fresh(Order, order_id).status == OrderStatus.RELEASED
    count = db.session.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id == customer.id))
    assert count == 2


# -- where held times show ----------------------------------------------------------------------------


def test_my_bookings_lists_held_bookings_with_their_countdown(web, two_venues, customer):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)
    order_id = check_out(web)
    hold_ends = fresh(Order, order_id).hold_expires_at.astimezone(UTC).isoformat(timespec="seconds")

    page = html(web.get("/bookings"))

    assert page.count("Held for you until") == 2
    assert page.count(f'datetime="{hold_ends}" data-countdown') == 2
    assert f'href="/orders/{order_id}"' in page and "Pay or change your order" in page
    reference = fresh(Order, order_id).bookings[0].reference
    detail = html(web.get(f"/bookings/{reference}"))
    assert "This booking is held, not paid yet" in detail and f'datetime="{hold_ends}" data-countdown' in detail


def test_the_cart_no_longer_promises_payment_later(web, two_venues, customer):
    massage, sauna = two_venues
    fill_cart(web, customer, massage, sauna)

    page = html(web.get("/cart"))

    assert "arrives soon" not in page and "won't be charged now" not in page
    assert "If the payment doesn't go through, everything comes back to this cart." in page
