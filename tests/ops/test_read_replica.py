"""Reads of public pages on a streaming replica (DATABASE_REPLICA_URL), the primary for the rest.

The test starts its own primary and a replica made from it with ``pg_basebackup -R`` (the
machine's server cannot be reconfigured for replication), migrates and seeds the primary, and
counts the statements each engine ran; the replica's own ``pg_stat_activity`` shows the app's
connections arrived there. A write on the primary shows on the replica's next read; a browser
that just posted reads the primary; a stopped replica costs a page nothing.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import event, text

from app import create_app
from app.platform.db_routing import replica_of
from app.platform.extensions import db
from app.venues.models import Venue
from app.web.replica_reads import STICKY_COOKIE
from tests.booking.helpers import make_bookable_venue
from tests.factories import PASSWORD, UserFactory
from tests.ops.pgservers import PostgresServer, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.committing]

TAG = "cozywish_replica_reads"


@pytest.fixture(scope="module")
def servers():
    primary = PostgresServer.primary()
    replica = None
    try:
        with psycopg.connect(primary.libpq(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE cozywish")
        setup = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": primary.url("cozywish")})
        with setup.app_context(), setup.test_request_context():
            upgrade()
            customer = UserFactory(role="customer", email="reader@example.com")
            provider = UserFactory(role="provider", email="owner@example.com")
            venue, _service = make_bookable_venue(provider)
            db.session.commit()
            found = {"slug": venue.slug, "name": venue.name, "venue_id": venue.id, "customer": customer.email}
            db.session.remove()
            db.engine.dispose()
        replica = primary.replica()
        yield primary, replica, found
    finally:
        if replica is not None:
            replica.remove()
        primary.remove()


@pytest.fixture(scope="module")
def app(servers):
    primary, replica, _found = servers
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": primary.url("cozywish"),
            "DATABASE_REPLICA_URL": replica.url("cozywish", application_name=TAG),
            "DATABASE_REPLICA_STICKY_SECONDS": 7,
        },
    )
    yield app
    with app.app_context():
        db.engine.dispose()
    replica_of(app).engine.dispose()


@contextmanager
def counted(app):
    """Statements run on the primary and on the replica while the block runs."""
    counts = {"primary": 0, "replica": 0}
    with app.app_context():
        engines = {"primary": db.engine, "replica": replica_of(app).engine}

    def counter(name):
        def count(*_args, **_kwargs):
            counts[name] += 1

        return count

    listeners = [(engine, counter(name)) for name, engine in engines.items()]
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        yield counts
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)


def test_anonymous_public_pages_and_search_read_from_the_replica(servers, app):
    _primary, replica, found = servers
    client = app.test_client()
    for path in ("/", f"/venues/{found['slug']}", "/search?q=" + found["name"].split()[0]):
        with counted(app) as counts:
            response = client.get(path)
        assert response.status_code == 200, path
        assert counts["replica"] > 0, (path, counts)
        assert counts["primary"] == 0, (path, counts)  # reads only: nothing for the primary
        assert STICKY_COOKIE not in response.headers.get("Set-Cookie", "")
    assert found["name"] in client.get(f"/venues/{found['slug']}").get_data(as_text=True)
    # The replica's server saw the app's connections (its own view, not the app's).
    with psycopg.connect(replica.libpq("cozywish"), autocommit=True) as conn:
        in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
        seen = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (TAG,)).fetchone()[0]
    assert in_recovery is True and seen >= 1


def test_signed_in_pages_and_a_browser_that_just_posted_read_the_primary(servers, app):
    _primary, _replica, found = servers
    visitor = app.test_client()
    with counted(app) as counts:
        page = visitor.get("/account/sign-in")  # not a public page of the replica's list
    assert counts["replica"] == 0
    token = page.get_data(as_text=True).split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    signed_in = visitor.post(
        "/account/sign-in", data={"csrf_token": token, "email": found["customer"], "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert any(
        value.startswith(f"{STICKY_COOKIE}=1;") and "Max-Age=7" in value
        for value in signed_in.headers.getlist("Set-Cookie")
    )
    with counted(app) as counts:
        assert visitor.get(f"/venues/{found['slug']}").status_code == 200
    assert counts["replica"] == 0 and counts["primary"] > 0

    # An anonymous browser that posted a moment ago (its cookie) reads the primary too.
    poster = app.test_client()
    poster.set_cookie(STICKY_COOKIE, "1")
    with counted(app) as counts:
        assert poster.get(f"/venues/{found['slug']}").status_code == 200
    assert counts["replica"] == 0 and counts["primary"] > 0


def test_a_write_on_the_primary_shows_on_the_replica_after_replication(servers, app):
    primary, _replica, found = servers
    renamed = "Streamed Spa " + str(int(time.time()))
    writer = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": primary.url("cozywish")})
    with writer.app_context():
        db.session.get(Venue, found["venue_id"]).name = renamed
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    started = time.monotonic()

    def shows_new_name():
        with counted(app) as counts:
            body = app.test_client().get(f"/venues/{found['slug']}").get_data(as_text=True)
        assert counts["replica"] > 0 and counts["primary"] == 0
        return renamed in body

    wait_for(shows_new_name, timeout=10)
    assert time.monotonic() - started < 10  # well within DATABASE_REPLICA_STICKY_SECONDS' kind of delay
    found["name"] = renamed


def test_a_stopped_replica_costs_a_page_nothing_and_is_left_alone(servers, app):
    _primary, replica, found = servers
    replica.stop("immediate")
    client = app.test_client()
    with counted(app) as counts:
        response = client.get(f"/venues/{found['slug']}")
    assert response.status_code == 200  # the dead replica's connection failed; the read ran again on the primary
    assert found["name"] in response.get_data(as_text=True)
    assert counts["primary"] > 0
    assert not replica_of(app).is_up()
    with counted(app) as counts:
        assert client.get("/search").status_code == 200
    assert counts["replica"] == 0 and counts["primary"] > 0  # left alone: no attempt on the replica
    with app.app_context():
        assert db.session.execute(text("SELECT pg_is_in_recovery()")).scalar_one() is False
        db.session.remove()
