"""The navbar's cart count as a warm worker remembers it (app/web/guards.py, ``CART_COUNTS``): a
repeat page sends no statement for it; the customer's own change shows at once, another worker's
once this worker's memo of their "user" version runs out, and an item that runs out leaves the
count when it does."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.accounts.models import Role
from app.booking.models import CartItem
from app.platform import cache_versions
from app.platform.extensions import db
from tests.booking.helpers import cart_form, future_slot, put_in_cart
from tests.statements import statements_sent


@pytest.fixture
def customer(web, make_user, as_in_production):
    person = make_user(role=Role.CUSTOMER, name="Cara Customer")
    web.sign_in_as(person)
    return person


def count_shown(page) -> str:
    text = page.get_data(as_text=True)
    start = text.index("Cart (")
    return text[start : text.index(")", start) + 1]


def test_a_warm_worker_shows_the_count_without_a_statement(web, customer, venue_and_service):
    _venue, service = venue_and_service
    put_in_cart(customer, service)
    db.session.commit()
    assert count_shown(web.get("/bookings")) == "Cart (1)"
    with statements_sent() as sent:
        page = web.get("/bookings")
    assert count_shown(page) == "Cart (1)"
    assert not [s for s in sent if "FROM cart_items" in s], sent


def test_the_customers_own_add_shows_at_once(web, customer, venue_and_service):
    _venue, service = venue_and_service
    assert count_shown(web.get("/bookings")) == "Cart (0)"
    added = web.post("/cart/items", cart_form(service, future_slot(days=3)))
    assert added.status_code in (200, 303), added.status_code
    assert count_shown(web.get("/bookings")) == "Cart (1)"


def test_another_workers_change_shows_once_the_memo_runs_out(app, web, customer, venue_and_service):
    _venue, service = venue_and_service
    assert count_shown(web.get("/bookings")) == "Cart (0)"
    # Another worker's add: its bump is not this process's, so this worker's memo is not told.
    put_in_cart(customer, service)
    db.session.flush()
    db.session.execute(cache_versions.BUMP_SQL, {"namespace": cache_versions.user_namespace(customer.id)})
    db.session.info.pop("cache_versions_pending", None)  # as if written elsewhere: no bump of ours
    db.session.commit()
    cache_versions.forget(cache_versions.user_namespace(customer.id))  # this worker's memo runs out

    assert count_shown(web.get("/bookings")) == "Cart (1)"


def test_an_item_that_runs_out_leaves_the_count_when_it_does(web, customer, venue_and_service):
    _venue, service = venue_and_service
    put_in_cart(customer, service)
    db.session.flush()
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    db.session.execute(update(CartItem).where(CartItem.user_id == customer.id).values(expires_at=soon))
    db.session.commit()
    assert count_shown(web.get("/bookings")) == "Cart (1)"
    time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.2)

    assert count_shown(web.get("/bookings")) == "Cart (0)"


def test_the_cart_page_shows_the_count_of_the_items_it_read_without_counting_again(web, customer, venue_and_service):
    _venue, service = venue_and_service
    put_in_cart(customer, service, hour=10)
    put_in_cart(customer, service, hour=12)
    put_in_cart(customer, service, hour=14)
    db.session.flush()
    gone = db.session.scalars(select(CartItem.id).where(CartItem.user_id == customer.id)).first()
    past = datetime.now(UTC) - timedelta(minutes=1)
    db.session.execute(update(CartItem).where(CartItem.id == gone).values(expires_at=past))  # ran out
    db.session.commit()
    with statements_sent() as sent:
        page = web.get("/cart")
    assert page.status_code == 200
    assert count_shown(page) == "Cart (2)"  # the two still in it, as the page lists them
    assert not [s for s in sent if "count(" in s and "FROM cart_items" in s], sent
