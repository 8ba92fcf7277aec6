"""A web worker warms itself before it takes traffic (app/ops/warm_up.py): it compiles
checkout's statements and opens its connections, changes nothing in the database, and
/readyz is not ready while it runs."""

from __future__ import annotations

import gc
import os
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine.interfaces import CacheStats

from app import create_app
from app.accounts.models import User
from app.booking.cart import CartOwner, add_item
from app.booking.errors import SlotUnavailable
from app.checkout.checkout import checkout
from app.ops import gunicorn_hooks
from app.ops.warm_up import state_of, warm_up
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.database import create_fresh_database, drop_database, server_url
from tests.factories import UserFactory

pytestmark = [pytest.mark.committing]

DIGEST = "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM {} t"
TABLES_WATCHED = ("orders", "bookings", "cart_items", "services", "users", "procrastinate_jobs")


@pytest.fixture
def own_app():
    """An app on a database of its own with committed rows: a venue, a customer whose cart
    holds one item and a held order (what a warm-up must leave exactly as it found)."""
    from flask_migrate import upgrade

    base = server_url()
    name = f"cozywish_warm_up_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with app.test_request_context():
            owner = UserFactory(role="provider")
            customer = UserFactory(role="customer")
            _venue, service = make_bookable_venue(owner)
            add_item(
                CartOwner(user_id=customer.id),
                service_id=service.id,
                starts_at=future_slot(days=3),
                quantity=1,
                team_member_id=None,
            )
            db.session.flush()
            loser = UserFactory(role="customer")  # wants the time the order below holds
            add_item(
                CartOwner(user_id=loser.id),
                service_id=service.id,
                starts_at=future_slot(days=3),
                quantity=1,
                team_member_id=None,
            )
            db.session.flush()
            checkout(customer)  # a held order, whose hold has not run out
            add_item(
                CartOwner(user_id=customer.id),
                service_id=service.id,
                starts_at=future_slot(days=4),
                quantity=1,
                team_member_id=None,
            )
            db.session.commit()
            found = {"service_id": service.id, "url": url, "winner": customer.id, "loser": loser.id}
        db.session.remove()
    yield app, found
    with app.app_context():
        db.engine.dispose()
    drop_database(base, name)


def snapshot(app) -> dict[str, str]:
    """Every watched table's rows, as one digest each."""
    with app.app_context():
        rows = {table: db.session.execute(text(DIGEST.format(table))).scalar_one() for table in TABLES_WATCHED}
        db.session.remove()
    return rows


def test_warm_up_compiles_checkouts_statements_and_changes_nothing(own_app):
    app, found = own_app
    before = snapshot(app)
    with app.app_context():
        db.engine.dispose()  # a fresh process: no connection open yet
        engine = db.engine
    sent: list[str] = []
    connects: list[object] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    event.listen(engine.pool, "connect", lambda *_: connects.append(1))
    try:
        state = warm_up(app)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert state.state == "done", state.error
    assert state.service_id == found["service_id"]
    assert state.connections == 2 and len(connects) == 2  # opened now, not by the first customer
    assert engine.pool.checkedin() == 2  # back in the pool, ready
    # Checkout's own statements ran: the cart's first look, the service lock, the held orders.
    assert any("FOR UPDATE" in s and "FROM services" in s for s in sent)
    assert any("FROM cart_items" in s for s in sent)
    assert any("FROM orders" in s and "SKIP LOCKED" in s for s in sent)
    assert not any(s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")) for s in sent)
    assert snapshot(app) == before  # nothing written, nothing released


def test_after_the_warm_up_each_request_runs_on_the_connection_it_warmed(own_app):
    """The pool hands out the connection given back last (``pool_use_lifo``): the first request
    gets the connection checkout's statements were warmed on, and a sync worker serves every
    request on that one warm connection (its statements prepared, PostgreSQL's caches filled)
    while the other waits idle, instead of taking each in turn, each cold for what it has not
    run yet (the first checkout race paid for that: docs/benchmarks.md)."""
    app, _found = own_app
    with app.app_context():
        db.engine.dispose()
        engine = db.engine
    used: list[int] = []
    event.listen(engine.pool, "checkout", lambda dbapi_connection, *_: used.append(id(dbapi_connection)))
    assert warm_up(app).connections == 2
    opened, warmed = used[:2], used[2]  # two opened at once, then checkout's statements on one
    assert len(set(opened)) == 2 and warmed in opened
    for _ in range(4):  # one request after another, as a gunicorn sync worker serves them
        with app.app_context():
            db.session.execute(text("SELECT 1"))
            db.session.remove()
    assert engine.pool.checkedin() == 2  # both connections are still there
    assert used[3:] == [warmed] * 4


def test_a_warm_up_that_fails_still_lets_the_worker_serve():
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    state = warm_up(app)
    assert state.state == "failed" and "OperationalError" in state.error
    assert state.connections == 0


def test_readyz_is_not_ready_while_warming(app, client):
    state = state_of(app)
    before = state.state
    try:
        state.state = "warming"
        warming = client.get("/readyz")
        assert warming.status_code == 503
        assert "warm_up" in warming.get_json()["failing"]
        state.state = "done"
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.get_json()
        assert ready.get_json()["checks"]["warm_up"] == {"ok": True}
    finally:
        state.state = before


def test_gunicorns_hook_runs_the_apps_warm_up_then_freezes_what_the_worker_holds():
    ran = []
    try:
        gunicorn_hooks.post_worker_init(
            SimpleNamespace(wsgi=SimpleNamespace(extensions={"warm_up": lambda: ran.append(gc.get_freeze_count())}))
        )
        # Warmed first, then frozen: what the warm-up loaded is frozen too.
        assert ran[0] == 0 and gc.get_freeze_count() > 0
        gunicorn_hooks.post_worker_init(SimpleNamespace(wsgi=object()))  # any other WSGI app: nothing to run
        assert len(ran) == 1
    finally:
        gc.unfreeze()  # the rest of the suite's objects stay collectable


def test_the_app_registers_its_warm_up(app):
    assert callable(app.extensions["warm_up"])


def compiled_by_checkouts(url: str, customers: dict[str, int], *, warmed: bool) -> dict[str, int]:
    """Statements compiled (SQLAlchemy's cache missed) by the first checkouts of a fresh
    process: one that loses (its time is held) and one that wins, each rolled back."""
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    if warmed:
        assert warm_up(app).state == "done"
    compiled: dict[str, int] = {}
    with app.app_context():
        engine = db.engine
        for name in ("loser", "winner"):
            misses = []

            def count(_conn, _cursor, statement, _params, context, _many, misses=misses):
                if context is not None and context.cache_hit is CacheStats.CACHE_MISS:
                    misses.append(statement)

            try:
                with app.test_request_context():
                    customer = db.session.get(User, customers[name])  # signed in: loaded before checkout
                    event.listen(engine, "after_cursor_execute", count)
                    try:
                        checkout(customer)
                    except SlotUnavailable:
                        assert name == "loser"
                    else:
                        assert name == "winner"
                    db.session.rollback()
            finally:
                event.remove(engine, "after_cursor_execute", count)
                db.session.remove()
            compiled[name] = len(misses)
        engine.dispose()
    return compiled


def test_after_the_warm_up_a_losing_checkout_compiles_nothing(own_app):
    """What the warm-up is for: in a 100-way race nearly everyone loses, and a fresh worker's
    losers no longer compile anything; the one winner compiles only its writes."""
    app, found = own_app
    customers = {"winner": found["winner"], "loser": found["loser"]}
    before = snapshot(app)
    cold = compiled_by_checkouts(found["url"], customers, warmed=False)
    warm = compiled_by_checkouts(found["url"], customers, warmed=True)
    assert cold["loser"] > 0 and warm["loser"] == 0, (cold, warm)
    assert warm["winner"] < cold["winner"], (cold, warm)
    print(f"statements compiled by a fresh process's first checkouts: cold {cold}, warmed {warm}")
    assert snapshot(app) == before
