"""Fault test: PostgreSQL restarted (``pg_ctl restart -m fast``) while requests keep coming.

A private server (the embedded PostgreSQL on its own data directory, never the machine's) is
restarted while two threads drive the app: one reads public pages (GET), the other makes
numbered POSTs that each insert one row. Every answer during the restart is a success or the
503 page, never a 500; no POST is applied twice (each number's row is there once at most, and
exactly once when the answer said it was done); after the restart every request succeeds, on
the same app (no restart of it).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import psycopg
import pytest
from flask import Blueprint, request
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.platform.extensions import csrf, db, limiter
from tests.conftest import IsolatedClient
from tests.ops.test_worker_faults import PrivateServer

pytestmark = [pytest.mark.slow, pytest.mark.committing]

PAGES = ("/", "/search", "/search?q=massage", "/account/sign-in", "/c/massage")


@pytest.fixture
def private_server():
    with PrivateServer.running("restart") as server:
        yield server


@pytest.fixture
def restart_app(private_server, tmp_path):
    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    uri = private_server.create_database("restart")
    url = "postgresql+psycopg://" + uri[len("postgresql://") :]
    app = create_app(
        "testing",
        overrides={"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_ROOT": str(tmp_path)},
    )
    with app.app_context():
        upgrade()
        db.session.execute(text("CREATE TABLE restart_notes (id serial PRIMARY KEY, number int NOT NULL)"))
        db.session.commit()
        db.session.remove()

    probe = Blueprint("restart_probe", __name__)

    @probe.post("/_probe/note")
    def add_note():
        db.session.execute(text("INSERT INTO restart_notes (number) VALUES (:n)"), {"n": int(request.form["n"])})
        db.session.commit()
        return "noted", 201

    csrf.exempt(probe)  # a probe without a form; the app's own pages keep their CSRF
    app.register_blueprint(probe)
    app.admin_uri = uri
    yield app
    with app.app_context():
        db.engine.dispose()
    for name, value in saved.items():
        setattr(limiter, name, value)


class Loop(threading.Thread):
    def __init__(self, app, kind: str):
        super().__init__(daemon=True)
        self.client = IsolatedClient(app, app.response_class, use_cookies=False)
        self.kind, self.stop, self.answers = kind, threading.Event(), []
        self.posted: dict[int, int] = {}  # number -> status

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            if self.kind == "get":
                path = PAGES[n % len(PAGES)]
                response = self.client.get(path)
            else:
                path = "/_probe/note"
                response = self.client.post(path, data={"n": str(n)})
                self.posted[n] = response.status_code
            body = response.get_data(as_text=True)
            self.answers.append((time.monotonic(), path, response.status_code, "Traceback" in body))


def test_a_restart_under_requests_costs_no_500_no_double_post_and_heals_itself(private_server, restart_app):
    app = restart_app
    readers, writer = Loop(app, "get"), Loop(app, "post")
    readers.start()
    writer.start()
    time.sleep(2.0)  # warm: pooled connections in use when the server goes
    went = time.monotonic()
    restart_seconds = private_server.restart()
    time.sleep(3.0)  # and well after it
    for loop in (readers, writer):
        loop.stop.set()
        loop.join(timeout=30)
        assert not loop.is_alive()

    answers = readers.answers + writer.answers
    statuses = Counter(status for _t, _p, status, _tb in answers)
    assert len(readers.answers) > 10 and len(writer.answers) > 10, statuses
    assert set(statuses) <= {200, 201, 503}, statuses  # never a 500 (nor anything else)
    assert not any(tb for *_rest, tb in answers)
    during = [a for a in answers if went <= a[0] <= went + restart_seconds + 0.5]
    assert during, "no request was answered while the server restarted: the test proved nothing"

    with psycopg.connect(app.admin_uri, autocommit=True) as conn:
        rows = Counter(n for (n,) in conn.execute("SELECT number FROM restart_notes"))
    assert all(count == 1 for count in rows.values()), [n for n, c in rows.items() if c > 1]  # none twice
    done = {n for n, status in writer.posted.items() if status == 201}
    assert done <= set(rows)  # every POST answered "done" is there
    refused = {n for n, status in writer.posted.items() if status == 503}
    print(
        f"restart took {restart_seconds:.2f} s; answers {dict(statuses)}; 503 POSTs applied {len(refused & set(rows))}"
    )

    # The same app, not restarted, serves everything again.
    client = IsolatedClient(app, app.response_class, use_cookies=False)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    assert client.post("/_probe/note", data={"n": "-1"}).status_code == 201
    with psycopg.connect(app.admin_uri, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM restart_notes WHERE number = -1").fetchone() == (1,)
