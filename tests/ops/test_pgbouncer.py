"""The app through PgBouncer in transaction pooling (DATABASE_POOLER=pgbouncer-transaction).

Debian's pgbouncer (1.18, no prepared statements across server connections) is started by the
test in front of the tests' PostgreSQL. The app's DATABASE_URL is PgBouncer's; the job queue's
JOBS_DATABASE_URL is the direct one. A customer signs in, searches, opens the venue, books, checks
out and pays with the Demo gateway, and the real job worker (procrastinate, LISTEN on the direct
URL) confirms the payment; PgBouncer's own statistics show the requests went through it.
"""

from __future__ import annotations

import os
import re

import psycopg
import pytest
from flask_migrate import current
from sqlalchemy import select, text

from app import create_app
from app.booking.models import BookingStatus, Order, OrderStatus
from app.platform.cursors import Cursor
from app.platform.db_routing import engine_options
from app.platform.extensions import db
from app.platform.jobs import run_worker
from tests.booking.helpers import cart_form, future_slot, make_bookable_venue
from tests.database import create_fresh_database, drop_database
from tests.factories import PASSWORD, UserFactory
from tests.ops.pgservers import PGBOUNCER, PgBouncer, PostgresServer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.committing,
    pytest.mark.skipif(not PGBOUNCER.exists(), reason="Debian's pgbouncer is not installed (/usr/sbin/pgbouncer)"),
]

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
POOLED = {"DATABASE_POOLER": "pgbouncer-transaction"}


@pytest.fixture(scope="module")
def pg_server():
    """A PostgreSQL server of the tests' own on a TCP port: PgBouncer runs as another user and
    cannot reach the embedded server's socket under instance/ (the fresh-clone path of `make test`)."""
    server = PostgresServer.primary()
    yield server.url()
    server.remove()


@pytest.fixture(scope="module")
def direct_database(pg_server):
    """A fresh, migrated database on the tests' server, with the pooled role's settings applied."""
    from flask_migrate import upgrade

    base = pg_server
    name = f"cozywish_bouncer_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    # What an operator runs once (docs/operations.md): the role's settings in this database.
    result = app.test_cli_runner().invoke(args=["db-settings", "apply"])
    assert result.exit_code == 0, result.output
    assert "SET timezone = 'UTC'" in result.output and "SET lock_timeout = '5000'" in result.output
    yield url, name
    drop_database(base, name)


@pytest.fixture
def bouncer(request, pg_server):
    size = getattr(request, "param", 4)
    server = PgBouncer(pg_server, pool_size=size)
    yield server
    server.stop()


def pooled_app(bouncer, direct_url, name, **overrides):
    return create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": bouncer.url(name),
            "JOBS_DATABASE_URL": direct_url,
            **POOLED,
            **overrides,
        },
    )


def csrf(client, path):
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    return CSRF_RE.search(page.get_data(as_text=True)).group(1)


def test_pooled_engine_options_drop_startup_options_and_prepared_statements():
    default = engine_options({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"options": "x"}}})
    assert default["connect_args"] == {"options": "x", "cursor_factory": Cursor}
    assert default["pool_use_lifo"] is True  # the connection used last, first (app/platform/db_routing.py)
    pooled = engine_options(
        {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"options": "x"}}, **POOLED}
    )
    assert pooled == {
        "pool_pre_ping": True,
        "pool_use_lifo": True,
        "connect_args": {"prepare_threshold": None, "cursor_factory": Cursor},
    }
    with pytest.raises(RuntimeError, match="DATABASE_POOLER"):
        engine_options({"DATABASE_POOLER": "pgpool"})


def test_pgbouncer_refuses_the_direct_startup_options(direct_database, bouncer):
    _url, name = direct_database
    libpq = bouncer.url(name).replace("postgresql+psycopg://", "postgresql://")
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter"):
        psycopg.connect(libpq, options="-c timezone=UTC -c jit=off").close()


def test_a_whole_journey_through_pgbouncer_in_transaction_mode(direct_database, bouncer):
    direct_url, name = direct_database
    setup = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": direct_url})
    with setup.app_context(), setup.test_request_context():
        customer = UserFactory(role="customer", email="pooled@example.com", name="Pia Pooled")
        provider = UserFactory(role="provider", email="owner@example.com")
        venue, service = make_bookable_venue(provider)
        db.session.commit()
        slug, venue_name, email = venue.slug, venue.name, customer.email
        form = cart_form(service, future_slot(days=4))
        db.session.remove()
        db.engine.dispose()

    app = pooled_app(bouncer, direct_url, name, WTF_CSRF_ENABLED=True)
    before = bouncer.stats(name)["total_xact_count"]
    client = app.test_client()

    # The session's settings come from the role: nothing was sent at connect.
    with app.app_context():
        zone, jit, timeout, lock = db.session.execute(
            text(
                "SELECT current_setting('TimeZone'), current_setting('jit'),"
                " current_setting('statement_timeout'), current_setting('lock_timeout')"
            )
        ).one()
        db.session.remove()
    assert (zone, jit, timeout, lock) == ("UTC", "off", "15s", "5s")

    signed_in = client.post(
        "/account/sign-in",
        data={"csrf_token": csrf(client, "/account/sign-in"), "email": email, "password": PASSWORD},
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[:500]
    for _ in range(3):  # repeated statements: psycopg would prepare them after 5 runs by default
        assert client.get("/search?q=" + venue_name.split()[0]).status_code == 200
        page = client.get(f"/venues/{slug}")
        assert page.status_code == 200 and venue_name in page.get_data(as_text=True)

    added = client.post("/cart/items", data={**form, "csrf_token": csrf(client, "/cart")})
    assert added.status_code == 303, added.get_data(as_text=True)[:500]
    checkout = client.post("/checkout", data={"csrf_token": csrf(client, "/cart")})
    assert checkout.status_code == 303 and "/orders/" in checkout.headers["Location"]
    order_id = int(checkout.headers["Location"].rsplit("/", 1)[-1])
    paying = client.post(f"/orders/{order_id}/pay", data={"csrf_token": csrf(client, f"/orders/{order_id}")})
    assert paying.status_code == 303 and "/payments/demo/" in paying.headers["Location"]
    demo_page = "/" + paying.headers["Location"].split("://", 1)[-1].split("/", 1)[-1]
    paid = client.post(
        f"{demo_page}/pay",
        data={
            "csrf_token": csrf(client, demo_page),
            "card_number": "4242 4242 4242 4242",
            "expiry": "12/34",
            "cvc": "123",
        },
    )
    assert paid.status_code == 303, paid.get_data(as_text=True)[:500]

    # The real worker: procrastinate on the direct URL, task bodies on the pooled session.
    run_worker(app, wait=False, concurrency=1)
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.PAID
        (booking,) = order.bookings
        assert booking.status == BookingStatus.CONFIRMED
        reference = booking.reference
        db.session.remove()
    assert reference in client.get("/bookings").get_data(as_text=True)

    # It all went through PgBouncer (its count of transactions for this database grew).
    assert bouncer.stats(name)["total_xact_count"] - before > 20
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("bouncer", [1], indirect=True)
def test_two_clients_on_one_server_connection_see_no_settings_of_each_other(direct_database, bouncer):
    direct_url, name = direct_database
    first = pooled_app(bouncer, direct_url, name, DB_STATEMENT_TIMEOUT_MS=1111, DB_LOCK_TIMEOUT_MS=1111)
    second = pooled_app(bouncer, direct_url, name, DB_STATEMENT_TIMEOUT_MS=2222, DB_LOCK_TIMEOUT_MS=2222)
    probe = text("SELECT pg_backend_pid(), current_setting('statement_timeout'), current_setting('lock_timeout')")
    with first.app_context():
        a = db.engine.connect()
    with second.app_context():
        b = db.engine.connect()
    try:
        seen = []
        for connection in (a, b, a, b):  # interleaved transactions, one server connection
            seen.append(tuple(connection.execute(probe).one()))
            connection.commit()
        assert len({pid for pid, _, _ in seen}) == 1  # PgBouncer had one server connection for both
        assert {(timeout, lock) for _, timeout, lock in seen} == {("15s", "5s")}  # the role's, no client's

        # What a session SET would do there (the direct mode's connect event): it leaks.
        a.exec_driver_sql("SET statement_timeout = 1234")
        a.commit()
        assert b.execute(probe).one()[1] == "1234ms"
        b.commit()
        a.exec_driver_sql("RESET statement_timeout")
        a.commit()
    finally:
        a.close()
        b.close()
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()


def test_the_worker_and_migrations_use_the_direct_url(direct_database, bouncer):
    direct_url, name = direct_database
    app = pooled_app(bouncer, direct_url, name)
    assert app.extensions["procrastinate_conninfo"] == direct_url.replace("postgresql+psycopg://", "postgresql://")
    with app.app_context():
        before = bouncer.stats(name)["total_query_count"]
        current()  # alembic connects through migrations/env.py's engine
        assert bouncer.stats(name)["total_query_count"] == before
        assert db.session.scalar(select(text("1"))) == 1
        db.session.remove()
        db.engine.dispose()
