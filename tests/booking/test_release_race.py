"""Two release paths racing for one held order (the gateway's expiry settling while the
customer presses "Change my order"), each on a database connection of its own: the times
are released once and the cart gets each item back once.

These tests really commit, like tests/checkout/test_overbooking.py, whose committed-data helpers they use.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.booking import order_lifecycle
from app.booking.models import BookingStatus, CartItem, Order, OrderStatus, ReleaseReason
from app.checkout import checkout
from app.payments import service as payments
from app.platform.extensions import db
from tests.booking.helpers import future_slot
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    add_to_cart,
    jobs_before_the_races,
    made,
    make_users,
    make_venue,
    race_app,
)

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]

ROUNDS = 5


def held_order(made, customer_id: int, service_ids: list[int], hour: int) -> int:
    for service_id in service_ids:  # one item at each venue, at the same hour
        add_to_cart(customer_id, service_id, future_slot(days=6, hour=hour))
    order = checkout.checkout(db.session.get(User, customer_id))
    db.session.commit()
    return order.id


def release_at_once(race_app, order_id: int, customer_id: int) -> list[BaseException]:
    """The gateway's expiry and the customer's change, started together on two connections."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def gateway() -> None:
        order = db.session.get(Order, order_id)
        barrier.wait(timeout=30)
        order_lifecycle.release_order(order, ReleaseReason.ABANDONED)

    def customer() -> None:
        order = db.session.get(Order, order_id)
        person = db.session.get(User, customer_id)
        barrier.wait(timeout=30)
        payments.release_for_change(order, customer=person)

    def run(work) -> None:
        with race_app.app_context():
            try:
                work()
                db.session.commit()
            except BaseException as exc:
                barrier.abort()
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(work,)) for work in (gateway, customer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a release never finished (deadlock?)"
    return errors


def test_two_releases_racing_give_each_item_back_once(race_app, made):
    with race_app.app_context():
        _venue, first = make_venue(made, capacity=2)
        _other, second = make_venue(made, capacity=2)
        service_ids = [first.id, second.id]
        customers = make_users(made, ROUNDS)
        db.session.commit()
        orders = [held_order(made, c, service_ids, hour=10 + n) for n, c in enumerate(customers)]
        db.session.remove()

    try:
        for order_id, customer_id in zip(orders, customers, strict=True):
            assert release_at_once(race_app, order_id, customer_id) == []

        with race_app.app_context():
            for order_id, customer_id in zip(orders, customers, strict=True):
                order = db.session.get(Order, order_id)
                assert order.status in (OrderStatus.EXPIRED, OrderStatus.RELEASED)
                assert {b.status for b in order.bookings} == {BookingStatus.EXPIRED}
                items = db.session.scalar(
                    select(func.count()).select_from(CartItem).where(CartItem.user_id == customer_id)
                )
                assert items == 2, f"order {order_id}: {items} cart items for 2 chosen"
                releases = db.session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(
                        AuditEntry.subject_type == "order",
                        AuditEntry.subject_id == order_id,
                        AuditEntry.action.like("order.release%"),
                    )
                )
                assert releases == 1
            db.session.remove()
    finally:
        with race_app.app_context():
            db.session.execute(
                delete(AuditEntry).where(AuditEntry.subject_type == "order", AuditEntry.subject_id.in_(orders))
            )
            db.session.commit()
            db.session.remove()
