"""Promo code limits hold under concurrent checkouts: many customers (or one customer in
several tabs) check out at the same moment, each on a database connection of its own, and
exactly as many get the code as its limits allow. The others are refused with the reason,
and their checkout changes nothing: no order, no hold, the cart and its code as they were.

Like tests/checkout/test_overbooking.py, these tests really commit: data is built in committed
transactions and deleted in a ``finally``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete, select

from app.accounts.models import User
from app.booking import cart
from app.booking.models import Order
from app.checkout import checkout
from app.platform.extensions import db
from app.promos import redemption as promos
from app.promos.models import CartPromo, PromoCode, PromoRedemption
from app.venues.models import Service
from app.venues.service import save_service
from tests.booking.helpers import future_slot
from tests.checkout.test_overbooking import add_to_cart, make_users, make_venue, open_connections

pytestmark = [pytest.mark.committing, pytest.mark.slow]

RACERS = 12


@pytest.fixture
def codes(race_app):
    """Promo codes made by the test, deleted after the orders that used them (``made``)."""
    ids: list[int] = []
    yield ids
    with race_app.app_context():
        db.session.execute(delete(PromoRedemption).where(PromoRedemption.promo_code_id.in_(ids or [-1])))
        db.session.execute(delete(CartPromo).where(CartPromo.promo_code_id.in_(ids or [-1])))
        db.session.execute(delete(PromoCode).where(PromoCode.id.in_(ids or [-1])))
        db.session.commit()
        db.session.remove()


@dataclass
class Outcome:
    won: list[int] = field(default_factory=list)  # order ids
    refused: list[str] = field(default_factory=list)  # what each refused checkout was told
    errors: list[BaseException] = field(default_factory=list)


def race(race_app, customer_ids: list[int]) -> Outcome:
    """One checkout a thread (a customer may appear more than once: tabs), all at once."""
    open_connections(race_app, len(customer_ids))
    outcome, lock = Outcome(), threading.Lock()
    barrier = threading.Barrier(len(customer_ids))

    def run(customer_id: int) -> None:
        with race_app.app_context():
            try:
                customer = db.session.get(User, customer_id)
                barrier.wait(timeout=60)
                try:
                    order_id = checkout.checkout(customer).id
                    db.session.commit()
                    with lock:
                        outcome.won.append(order_id)
                except promos.PromoRefused as exc:
                    db.session.rollback()
                    with lock:
                        outcome.refused.append(exc.message)
            except BaseException as exc:  # anything but a clean refusal fails the test
                barrier.abort()
                db.session.rollback()
                with lock:
                    outcome.errors.append(exc)
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
    assert outcome.errors == []
    return outcome


def make_code(codes: list[int], code: str, **fields) -> int:
    row = PromoCode(code=code, kind="percent", value=10, currency="GBP", funded_by="platform", uses_count=0, **fields)
    db.session.add(row)
    db.session.flush()
    codes.append(row.id)
    return row.id


def services_for(venue, first: Service, count: int) -> list[int]:
    """``count`` services of one venue (the first one given), so no two customers share a
    service lock: only the code's row lock stands between their checkouts."""
    ids = [first.id]
    for n in range(count - 1):
        service = save_service(
            venue, None, name=f"Treatment {n}", description="", category_id=None, duration_minutes=60,
            price_minor=6000, capacity=1, buffer_minutes=0, is_active=True,
        )  # fmt: skip
        ids.append(service.id)
    return ids


def test_a_code_with_one_use_goes_to_exactly_one_of_many_simultaneous_checkouts(race_app, made, codes):
    start = future_slot(days=6)
    with race_app.app_context():
        venue, first = make_venue(made)
        service_ids = services_for(venue, first, RACERS)
        customers = make_users(made, RACERS)
        code_id = make_code(codes, f"RACE{customers[0]}", max_uses_total=1)
        db.session.commit()
        for customer_id, service_id in zip(customers, service_ids, strict=True):
            add_to_cart(customer_id, service_id, start)
            db.session.add(CartPromo(user_id=customer_id, promo_code_id=code_id))
        db.session.commit()
        db.session.remove()

    outcome = race(race_app, customers)

    assert len(outcome.won) == 1
    assert len(outcome.refused) == RACERS - 1
    assert set(outcome.refused) == {f"The code RACE{customers[0]} has been used up."}
    with race_app.app_context():
        code = db.session.get(PromoCode, code_id)
        assert code.uses_count == 1
        uses = db.session.scalars(select(PromoRedemption).where(PromoRedemption.promo_code_id == code_id)).all()
        assert [(u.order_id, u.status) for u in uses] == [(outcome.won[0], "active")]
        orders = db.session.scalars(select(Order).where(Order.customer_id.in_(customers))).all()
        assert [(o.id, o.promo_discount_minor, o.total_minor) for o in orders] == [(outcome.won[0], 600, 5400)]
        # The refused customers' carts are as they were: their item and the code.
        winner = orders[0].customer_id
        for loser in (c for c in customers if c != winner):
            assert len(cart.get_items(cart.CartOwner(user_id=loser))) == 1
            assert db.session.get(CartPromo, loser).promo_code_id == code_id
        db.session.remove()


def test_a_code_once_per_customer_is_used_once_by_one_customer_in_several_tabs(race_app, made, codes):
    tabs = 4
    start = future_slot(days=7)
    with race_app.app_context():
        _venue, service = make_venue(made, capacity=tabs)  # room for every tab: only the code decides
        [customer] = make_users(made, 1)
        code_id = make_code(codes, f"ONCE{customer}", max_uses_per_customer=1)
        db.session.commit()
        add_to_cart(customer, service.id, start)
        db.session.add(CartPromo(user_id=customer, promo_code_id=code_id))
        db.session.commit()
        db.session.remove()

    outcome = race(race_app, [customer] * tabs)

    assert len(outcome.won) == 1
    assert outcome.refused and set(outcome.refused) == {f"You have already used the code ONCE{customer}."}
    with race_app.app_context():
        assert db.session.get(PromoCode, code_id).uses_count == 1
        active = db.session.scalars(
            select(PromoRedemption).where(PromoRedemption.promo_code_id == code_id, PromoRedemption.status == "active")
        ).all()
        assert [u.order_id for u in active] == outcome.won
        assert db.session.scalars(select(Order.id).where(Order.customer_id == customer)).all() == outcome.won
        db.session.remove()


def test_a_code_with_three_uses_goes_to_exactly_three(race_app, made, codes):
    start = future_slot(days=8)
    with race_app.app_context():
        venue, first = make_venue(made)
        service_ids = services_for(venue, first, RACERS)
        customers = make_users(made, RACERS)
        code_id = make_code(codes, f"THREE{customers[0]}", max_uses_total=3)
        db.session.commit()
        for customer_id, service_id in zip(customers, service_ids, strict=True):
            add_to_cart(customer_id, service_id, start)
            db.session.add(CartPromo(user_id=customer_id, promo_code_id=code_id))
        db.session.commit()
        db.session.remove()

    outcome = race(race_app, customers)

    assert len(outcome.won) == 3 and len(outcome.refused) == RACERS - 3
    with race_app.app_context():
        assert db.session.get(PromoCode, code_id).uses_count == 3
        db.session.remove()
