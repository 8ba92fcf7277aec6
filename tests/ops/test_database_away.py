"""Fault test: the database away (stopped, then started again) under a warm app (issue 46, item 4).

A private server (the embedded PostgreSQL on its own data directory) is stopped while the app
is warm. Public pages the page cache holds are still served, a page whose time ran out too
(``X-Page-Cache: stale``: stale if error, app/web/page_cache.py); a public page never stored,
a signed-in page and a POST get the 503 page with ``Retry-After``; the refused POST is not
applied once the database is back, and then every page is served fresh again.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from flask import Blueprint, request
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.accounts.models import Role, User
from app.platform.extensions import csrf, db, limiter
from tests.conftest import Browser, IsolatedClient
from tests.ops.test_worker_faults import PrivateServer

pytestmark = [pytest.mark.slow, pytest.mark.committing]

PUBLIC = ("/", "/search?q=massage", "/c/massage")
VERSION_SECONDS = 0.2  # CACHE_VERSION_TTL: the version memo runs out quickly, so the test reaches the database
PAGE_SECONDS = 2  # PAGE_CACHE_TTL: a stored page's time runs out within the test


@pytest.fixture
def private_server():
    with PrivateServer.running("away") as server:
        yield server


@pytest.fixture
def away_app(private_server, tmp_path):
    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    uri = private_server.create_database("away")
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://" + uri[len("postgresql://") :],
            "UPLOAD_ROOT": str(tmp_path),
            "PAGE_CACHE_ENABLED": True,
            "PAGE_CACHE_TTL": PAGE_SECONDS,
            "CACHE_VERSION_TTL": VERSION_SECONDS,
        },
    )
    with app.app_context():
        upgrade()
        db.session.execute(text("CREATE TABLE away_notes (id serial PRIMARY KEY, number int NOT NULL)"))
        db.session.add(User(email="away-customer@example.com", name="Ada Away", role=Role.CUSTOMER))
        db.session.commit()
        db.session.remove()

    probe = Blueprint("away_probe", __name__)

    @probe.post("/_probe/note")
    def add_note():
        db.session.execute(text("INSERT INTO away_notes (number) VALUES (:n)"), {"n": int(request.form["n"])})
        return "noted", 201

    csrf.exempt(probe)
    app.register_blueprint(probe)
    app.admin_uri = uri
    yield app
    with app.app_context():
        db.engine.dispose()
    for name, value in saved.items():
        setattr(limiter, name, value)


def anonymous(app) -> IsolatedClient:
    return IsolatedClient(app, app.response_class, use_cookies=False)


def assert_the_503_page(response) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert "Traceback" not in response.get_data(as_text=True)


def test_public_pages_are_served_while_the_database_is_away_and_nothing_else_is_applied(private_server, away_app):
    app = away_app
    visitor = anonymous(app)
    customer = Browser(IsolatedClient(app, app.response_class, use_cookies=True))
    with app.app_context():
        customer.sign_in_as(db.session.query(User).filter_by(email="away-customer@example.com").one())
    assert customer.get("/bookings").status_code == 200
    # Stored last, just before the pause: the checks below must come within PAGE_SECONDS of it
    # (a busy machine once spent longer than that signing the customer in between).
    for path in PUBLIC:
        assert visitor.get(path).status_code == 200, path
        assert visitor.get(path).headers["X-Page-Cache"] == "hit", path

    private_server.pause()
    try:
        time.sleep(VERSION_SECONDS + 0.1)  # the version memo ran out: the next read meets the stopped server
        for path in PUBLIC:
            response = visitor.get(path)
            assert (response.status_code, response.headers["X-Page-Cache"]) == (200, "hit"), path

        time.sleep(PAGE_SECONDS + 0.1)  # every stored page's time ran out: rendering again fails
        for path in PUBLIC:
            response = visitor.get(path)
            assert (response.status_code, response.headers["X-Page-Cache"]) == (200, "stale"), path
            assert "<html" in response.get_data(as_text=True)

        assert_the_503_page(visitor.get("/search?q=facial"))  # never stored: nothing to send
        page = customer.get("/bookings")
        assert_the_503_page(page)
        assert "unavailable" in page.get_data(as_text=True).lower()
        assert_the_503_page(visitor.post("/_probe/note", data={"n": "1"}))
    finally:
        private_server.resume()

    with psycopg.connect(app.admin_uri, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM away_notes").fetchone() == (0,)  # the refused POST left nothing
    assert visitor.post("/_probe/note", data={"n": "2"}).status_code == 201
    for path in PUBLIC:
        response = visitor.get(path)
        assert (response.status_code, response.headers["X-Page-Cache"]) == (200, "miss"), path
    assert customer.get("/bookings").status_code == 200
