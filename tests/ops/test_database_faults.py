"""Fault test: connections killed with pg_terminate_backend (what a PostgreSQL restart, a
failover or a pooler does to them) between requests and in the middle of one.

Safe requests (GET) answer 200 every time: a connection that died in the pool is replaced at
checkout (app/platform/connection_check.py), one that dies while the request runs makes the request
run once more on a fresh one. A POST after connections died in the pool is applied as usual;
a POST that meets a dead connection gets the 503 page, not the 500 page; and the session's
teardown, whose ROLLBACK meets a closed connection, lets nothing escape the app.
"""

from __future__ import annotations

import logging

import psycopg
import pytest
from flask import request
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.platform.connection_check import closed_by_server
from app.platform.cursors import Cursor
from app.platform.extensions import db
from tests.conftest import CSRF_RE, IsolatedClient

pytestmark = pytest.mark.committing  # a real pool on real connections: no test transaction

PAGES = ("/", "/search", "/search?q=massage", "/account/sign-in", "/c/massage")
QUERYING_PAGES = ("/", "/search", "/search?q=massage", "/c/massage")  # their views query after the hooks


@pytest.fixture
def fault_app(database_url, tmp_path):

    from app.platform.extensions import limiter

    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_ROOT": str(tmp_path)})
    app.kills = []  # (hook, killed pid) in the order they happened
    yield app
    with app.app_context():
        db.engine.dispose()
    for name, value in saved.items():
        setattr(limiter, name, value)


def admin_conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def terminate(database_url: str, pid: int | None = None) -> int:
    """End one backend (or every other one on this database) and wait until it is gone."""
    where = "pid = %(pid)s" if pid else "datname = current_database() AND pid <> pg_backend_pid()"
    with psycopg.connect(admin_conninfo(database_url), autocommit=True) as conn:
        rows = conn.execute(f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE {where}", {"pid": pid})
        return sum(1 for (ended,) in rows if ended)


def kill_own_connection(app, database_url: str, hook: str) -> None:
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert terminate(database_url, pid) == 1
    app.kills.append((hook, request.method, request.path))


def test_gets_answer_200_when_connections_die_between_requests(fault_app, database_url):
    client = IsolatedClient(fault_app, fault_app.response_class, use_cookies=False)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    for _round in range(3):
        terminate(database_url)  # every pooled connection of the app is now dead
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)


def test_a_post_after_connections_died_in_the_pool_is_answered_as_usual(fault_app, database_url):
    browser = IsolatedClient(fault_app, fault_app.response_class, use_cookies=True)
    token = CSRF_RE.search(browser.get("/account/sign-in").get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "email": "nobody@example.com", "password": "not the password"}
    for _round in range(3):
        assert terminate(database_url) >= 1  # the pooled connection the form's page used is dead
        response = browser.post("/account/sign-in", data=form)
        assert response.status_code == 401, response.status_code  # a wrong password, not a 503


def test_a_live_pooled_connection_is_handed_out_without_a_round_trip(fault_app, monkeypatch):
    with fault_app.app_context():
        engine = db.engine
        engine.connect().close()  # one connection in the pool
        sent: list[str] = []
        execute, command = Cursor.execute, psycopg.Connection._exec_command

        def counted_execute(self, query, *args, **kwargs):
            sent.append(str(query))
            return execute(self, query, *args, **kwargs)

        def counted_command(self, query, *args, **kwargs):
            sent.append(str(query))
            return command(self, query, *args, **kwargs)

        monkeypatch.setattr(Cursor, "execute", counted_execute)
        monkeypatch.setattr(psycopg.Connection, "_exec_command", counted_command)
        with engine.connect() as connection:
            assert sent == []  # no ping: the checkout only looked at the socket
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
        assert sent and all("SELECT 1" in q or "BEGIN" in q or "ROLLBACK" in q for q in sent)


def test_the_check_tells_a_connection_the_server_closed(database_url):
    conninfo = admin_conninfo(database_url)
    with psycopg.connect(conninfo) as connection:
        pid = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        connection.rollback()
        assert not closed_by_server(connection)
        assert terminate(database_url, pid) == 1
        assert closed_by_server(connection)


def test_a_get_whose_connection_dies_mid_request_runs_again_on_a_fresh_one(fault_app, database_url, caplog):
    runs = []

    @fault_app.before_request
    def kill_once_per_request():
        runs.append(request.full_path.rstrip("?"))
        if runs.count(request.full_path.rstrip("?")) == 1:  # the first run of each page only
            kill_own_connection(fault_app, database_url, "before_request")

    client = IsolatedClient(fault_app, fault_app.response_class, use_cookies=False)
    with caplog.at_level(logging.WARNING, logger="app.web.db_faults"):
        codes = {path: client.get(path).status_code for path in QUERYING_PAGES}

    assert codes == dict.fromkeys(QUERYING_PAGES, 200)
    assert sorted(runs) == sorted(QUERYING_PAGES * 2)  # each page ran twice: killed, then again
    assert len(fault_app.kills) == len(QUERYING_PAGES)
    assert sum("running it again" in r.getMessage() for r in caplog.records) == len(QUERYING_PAGES)


def test_a_post_whose_connection_dies_gets_the_503_page_not_a_500(fault_app, database_url):
    @fault_app.before_request
    def kill_on_post():
        if request.method == "POST":
            kill_own_connection(fault_app, database_url, "before_request")

    browser = IsolatedClient(fault_app, fault_app.response_class, use_cookies=True)
    token = CSRF_RE.search(browser.get("/account/sign-in").get_data(as_text=True)).group(1)
    response = browser.post(
        "/account/sign-in", data={"csrf_token": token, "email": "someone@example.com", "password": "whatever it is"}
    )

    assert response.status_code == 503
    assert "Retry-After" in response.headers  # ours, or the rate limiter's on a limited route
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert fault_app.kills == [("before_request", "POST", "/account/sign-in")]
    assert browser.get("/account/sign-in").status_code == 200  # and the next request is served


def test_a_connection_that_dies_after_the_view_escapes_neither_the_response_nor_the_teardown(fault_app, database_url):
    @fault_app.after_request
    def kill_after_the_view(response):
        if request.path == "/search":
            kill_own_connection(fault_app, database_url, "after_request")
        return response

    client = IsolatedClient(fault_app, fault_app.response_class, use_cookies=False)
    # The teardown's ROLLBACK meets the closed connection: the test client would raise it.
    for _ in range(3):
        assert client.get("/search").status_code == 200
        assert client.get("/").status_code == 200
    assert len(fault_app.kills) == 3
