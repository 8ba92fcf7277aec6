"""A losing checkout (the 99 in 100 of a race for one place) is cheap: one statement reads the
cart with its services and venues and finds the item gone, and nothing is locked. A paid journey
reads nothing twice that it holds: the item's service, the order it just wrote, the payment event
it settles; and the order's confirmation is one UPDATE of it (issue 46, item 1)."""

from __future__ import annotations

import gc

import pytest

from app.booking.cart import CartOwner, add_item
from app.booking.errors import SlotUnavailable
from app.checkout import checkout as checkouts
from app.payments.demo_webhook import store_demo_payment
from app.payments.settlement import settle_event_job
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue, put_in_cart
from tests.statements import statements_sent


def test_a_losing_checkout_sends_one_statement_and_takes_no_lock(ctx, provider, customer, make_user):
    _venue, service = make_bookable_venue(provider)
    start = future_slot(days=3, hour=10)
    add_item(CartOwner(user_id=customer.id), service_id=service.id, starts_at=start, quantity=1, team_member_id=None)
    book(make_user(name="Quick Winner"), service, start)  # someone else got there first
    db.session.expire_all()
    assert customer.is_verified  # loaded, as the request's session user is before checkout runs
    with statements_sent() as sent, pytest.raises(SlotUnavailable, match="just taken"):
        checkouts.checkout(customer)
    assert not any("FOR UPDATE" in s for s in sent), sent
    assert len(sent) == 1, "\n".join(sent)


def test_an_added_item_has_its_service_without_reading_it_again(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    service_id = service.id
    db.session.expunge_all()  # a request's session: nothing loaded yet
    del service, _venue
    item = add_item(
        CartOwner(user_id=customer.id), service_id=service_id, starts_at=future_slot(), quantity=1, team_member_id=None
    )
    gc.collect()  # the session holds its rows weakly: only the item keeps the service it was added for
    with statements_sent() as sent:
        assert item.service.id == service_id
    assert sent == []


def test_adding_an_item_reads_its_service_and_venue_in_one_statement(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    service_id = service.id
    db.session.expunge_all()  # a request's session: nothing loaded yet
    del service, _venue
    with statements_sent() as sent:
        add_item(
            CartOwner(user_id=customer.id),
            service_id=service_id,
            starts_at=future_slot(),
            quantity=1,
            team_member_id=None,
        )
    reads = [" ".join(s.split()) for s in sent if s.startswith("SELECT")]
    assert [r for r in reads if " FROM services " in r and " JOIN venues " in r], reads
    assert not [r for r in reads if r.startswith("SELECT venues.") and " FROM venues " in r], reads


def test_a_won_checkout_does_not_read_back_the_order_it_wrote(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    put_in_cart(customer, service)
    with statements_sent() as sent:
        order = checkouts.checkout(customer)
    assert order.total_minor == service.price_minor and len(order.bookings) == 1
    read_back = [s for s in sent if s.startswith("SELECT orders.") and "FOR UPDATE" not in s]
    assert read_back == [], read_back
    # Nor the bookings it just held, nor the venue it read with the cart's items.
    reads = [" ".join(s.split()) for s in sent if s.startswith("SELECT")]
    assert not [r for r in reads if "= bookings.order_id" in r or r.startswith("SELECT venues.")], reads


def test_settling_a_payment_reads_its_event_once_and_updates_the_order_once(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    put_in_cart(customer, service)
    order = checkouts.checkout(customer)
    event_row = store_demo_payment(order)
    with statements_sent() as sent:
        settle_event_job(event_row_id=event_row.id)  # the job's body, as the worker runs it
    db.session.refresh(order)
    assert order.status == "paid" and order.receipt_number is not None
    assert len([s for s in sent if "FROM payment_events" in s]) == 1, sent
    order_updates = [s for s in sent if s.startswith("UPDATE orders")]
    assert len(order_updates) == 1 and "receipt_number" in order_updates[0], order_updates
    # The order locked once (confirming it asks again: app/platform/held_locks.py), its bookings
    # read once, under their locks, and what follows the payment reads them from there.
    assert len([s for s in sent if "FROM orders" in s and "FOR UPDATE" in s]) == 1, sent
    flat = [" ".join(s.split()) for s in sent]
    assert len([s for s in flat if " FROM bookings" in s and "bookings.order_id" in s.split(" WHERE ")[-1]]) == 1, flat


def test_a_payment_event_is_stored_without_reading_it_back(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    put_in_cart(customer, service)
    order = checkouts.checkout(customer)
    with statements_sent() as sent:
        event_row = store_demo_payment(order)
    assert event_row.type == "checkout.session.completed" and event_row.processed_at is None
    assert [s for s in sent if "FROM payment_events" in s and "payment_events.event_id IN" not in s] == [], sent
