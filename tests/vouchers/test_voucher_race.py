"""One gift voucher, many customers checking out with it at the same moment, each on a
database connection of its own: together they never take more than its value. The first
takes what their order costs, the next what is left (and pays the rest by card), everyone
after is refused with a message and keeps their cart.

These tests really commit, like tests/checkout/test_overbooking.py, whose committed-data
helpers and fixtures they use, and delete what they made.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, func, select

from app.accounts.models import User
from app.audit.models import AuditEntry
from app.booking.errors import SlotUnavailable
from app.booking.models import CartItem, Order
from app.checkout import checkout
from app.payments.models import PaymentEvent
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.models import Service
from app.venues.service import save_service
from app.vouchers import ledger
from app.vouchers.models import EntryKind, Voucher, VoucherEntry
from tests.booking.helpers import future_slot
from tests.checkout.test_overbooking import (  # fixtures and committed-data helpers
    add_to_cart,
    jobs_before_the_races,
    made,
    make_users,
    make_venue,
    open_connections,
    race_app,
)
from tests.vouchers.helpers import bought_voucher

__all__ = ["jobs_before_the_races", "made", "race_app"]  # fixtures, imported for use here

pytestmark = [pytest.mark.committing, pytest.mark.slow]

RACERS = 16
SERVICES = 4  # the racers' items spread over services, so the services' locks don't line them up


def add_services(venue, count: int) -> list[int]:
    ids = []
    for n in range(count):
        service = save_service(
            venue,
            None,
            name=f"Facial {n + 1}",
            description="",
            category_id=None,
            duration_minutes=60,
            price_minor=6000,
            capacity=RACERS,
            buffer_minutes=0,
            is_active=True,
        )
        ids.append(service.id)
    return ids


def spend_at_once(race_app, customer_ids: list[int], code: str) -> tuple[dict[int, int], list[str], list]:
    """Every customer checks out with ``code`` at once; (won order ids, refusals, errors)."""
    open_connections(race_app, len(customer_ids))
    barrier = threading.Barrier(len(customer_ids))
    lock = threading.Lock()
    won: dict[int, int] = {}
    refused: list[str] = []
    errors: list = []

    def run(customer_id: int) -> None:
        with race_app.app_context():
            try:
                customer = db.session.get(User, customer_id)
                barrier.wait(timeout=60)
                try:
                    order = checkout.checkout(customer, voucher_code=code)
                    order_id = order.id
                    db.session.commit()
                    with lock:
                        won[customer_id] = order_id
                except (ValidationFailed, SlotUnavailable) as exc:
                    db.session.rollback()
                    with lock:
                        refused.append(exc.message)
            except BaseException as exc:
                barrier.abort()
                db.session.rollback()
                with lock:
                    errors.append((customer_id, exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(cid,)) for cid in customer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a checkout never finished (deadlock?)"
    with race_app.app_context():
        db.engine.dispose()
    return won, refused, errors


def test_many_checkouts_spending_one_voucher_never_overspend_it(race_app, made):
    with race_app.app_context():  # this database is this test process's own: later events are ours
        last_event = db.session.scalar(select(func.coalesce(func.max(PaymentEvent.id), 0)))
        db.session.remove()
    with race_app.test_request_context():  # buying a voucher builds links for its email
        venue, first = make_venue(made, capacity=RACERS)
        service_ids = [first.id, *add_services(venue, SERVICES - 1)]
        [buyer] = make_users(made, 1)
        customers = make_users(made, RACERS)
        db.session.commit()
        voucher = bought_voucher(db.session.get(User, buyer), 10000)  # pays for 1⅔ orders of £60
        voucher_id, code = voucher.id, voucher.code
        for n, customer_id in enumerate(customers):
            add_to_cart(customer_id, service_ids[n % SERVICES], future_slot(days=6, hour=10))
        db.session.commit()
        db.session.remove()

    try:
        won, refused, errors = spend_at_once(race_app, customers, code)

        assert errors == [], f"checkouts failed with unexpected errors: {errors!r}"
        assert len(won) + len(refused) == RACERS
        with race_app.app_context():
            redeemed = db.session.scalar(
                select(func.sum(VoucherEntry.amount_minor)).where(
                    VoucherEntry.voucher_id == voucher_id, VoucherEntry.kind == EntryKind.REDEEM
                )
            )
            assert -redeemed == 10000  # all of it, and never more
            assert ledger.balance(db.session.get(Voucher, voucher_id)) == 0
            applied = sorted(
                db.session.scalars(select(Order.voucher_applied_minor).where(Order.id.in_(won.values()))),
                reverse=True,
            )
            assert applied == [6000, 4000]  # the second pays its last £20 by card
            assert len(won) == 2
            assert all("used up" in message for message in refused), refused
            carts = db.session.scalar(select(func.count()).select_from(CartItem).where(CartItem.user_id.in_(customers)))
            assert carts == RACERS - 2  # the refused keep their carts
            db.session.remove()
    finally:
        with race_app.app_context():
            users = made.user_ids or [-1]
            order_ids = list(db.session.scalars(select(Order.id).where(Order.customer_id.in_(users))))
            db.session.execute(delete(PaymentEvent).where(PaymentEvent.id > last_event))
            db.session.execute(
                delete(AuditEntry).where(
                    AuditEntry.subject_type == "order", AuditEntry.subject_id.in_(order_ids or [-1])
                )
            )
            db.session.commit()
            db.session.remove()


def test_the_race_left_nothing_behind(race_app):
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Voucher)) == 0
        assert db.session.scalar(select(func.count()).select_from(Service).where(Service.name.like("Facial %"))) == 0
        db.session.remove()


def test_the_race_left_no_payment_events_behind(race_app):
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0
        db.session.remove()
