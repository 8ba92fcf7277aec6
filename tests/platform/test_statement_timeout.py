"""statement_timeout and lock_timeout: each pooled connection carries the settings, and a web
request whose statement runs past one (or waits for a lock past the other) gets the 503 page with
its message (not the 500 page, not a second run). The same for such a fault after the view (an
after_request hook, a request_finished receiver): 503, or the view's answer if it had committed."""

from __future__ import annotations

import psycopg
import pytest
from flask import Blueprint, request, request_finished, session
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import create_app
from app.platform import db_timeouts
from app.platform.extensions import db
from tests.database import libpq

pytestmark = pytest.mark.committing  # the app's own pool and connections: no test transaction

SLOW_RUNS: list[str] = []


def slow_app(database_url, tmp_path, **overrides):
    from app.platform.extensions import limiter

    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    app = create_app(
        "testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "UPLOAD_ROOT": str(tmp_path), **overrides}
    )
    probe = Blueprint("timeout_probe", __name__)

    @probe.get("/_probe/timeout")
    def show_timeout():
        return db.session.execute(text("SHOW statement_timeout")).scalar_one()

    @probe.get("/_probe/lock-timeout")
    def show_lock_timeout():
        return db.session.execute(text("SHOW lock_timeout")).scalar_one()

    @probe.route("/_probe/locked", methods=["GET", "POST"])
    def locked():
        SLOW_RUNS.append("run")
        db.session.execute(text("SELECT pg_advisory_xact_lock(424242)"))  # held by the test
        return "finished"

    @probe.route("/_probe/slow", methods=["GET", "POST"])
    def slow():
        SLOW_RUNS.append("run")
        db.session.execute(text("SELECT pg_sleep(2)"))
        return "finished"

    app.register_blueprint(probe)
    return app, saved


@pytest.fixture
def make_app(database_url, tmp_path):
    from app.platform.extensions import limiter

    made = []

    def make(**overrides):
        app, saved = slow_app(database_url, tmp_path, **overrides)
        made.append((app, saved))
        return app

    yield make
    for app, saved in made:
        with app.app_context():
            # The hooked probes' table (_hooked_app) is this test database's only stray: a schema
            # test on the same database (tests/foundation/test_models_match_migrations.py) would see it.
            db.session.execute(text("DROP TABLE IF EXISTS after_probe"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        for name, value in saved.items():
            setattr(limiter, name, value)


def test_a_request_connection_has_the_setting(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=1234)
    response = app.test_client().get("/_probe/timeout")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "1234ms"


def test_zero_means_no_limit(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=0)
    assert app.test_client().get("/_probe/timeout").get_data(as_text=True) == "0"


def test_the_worker_switches_to_its_own_setting(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=1234, JOBS_STATEMENT_TIMEOUT_MS=600000)
    with app.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "1234ms"
        db.session.remove()
    db_timeouts.use_jobs_timeout(app)  # what `flask jobs worker` does first
    with app.app_context():
        assert db.session.execute(text("SHOW statement_timeout")).scalar_one() == "10min"
        db.session.remove()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_statement_over_the_limit_answers_503_with_the_message(make_app, method):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=50, WTF_CSRF_ENABLED=False)
    SLOW_RUNS.clear()
    response = app.test_client().open("/_probe/slow", method=method)
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "took too long" in body
    assert "finished" not in body
    assert response.headers["Retry-After"]
    assert SLOW_RUNS == ["run"]  # cancelled, not a lost connection: not run a second time
    # the connection went back to the pool healthy: the next request uses it
    assert app.test_client().get("/_probe/timeout").get_data(as_text=True) == "50ms"


def test_the_message_in_spanish(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=50)
    response = app.test_client().get("/_probe/slow", headers={"Accept-Language": "es"})
    assert response.status_code == 503
    assert "tardaba demasiado" in response.get_data(as_text=True)


# -- the same faults after the view: an after_request hook, a request_finished receiver ---------


def _hooked_app(make_app, database_url, *, where: str, fault: str, commit: bool):
    """An app whose /_probe/after view (optionally) commits a row, then meets ``fault`` in ``where``."""
    app = make_app(DB_STATEMENT_TIMEOUT_MS=100, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS after_probe (id serial PRIMARY KEY, note text)"))
        db.session.execute(text("TRUNCATE after_probe"))
        db.session.commit()

    @app.route("/_probe/after", methods=["GET", "POST"])
    def after_view():
        if commit:
            db.session.execute(text("INSERT INTO after_probe (note) VALUES ('done')"))
            db.session.commit()
        return "the view's answer"

    def meet_the_fault() -> None:
        if request.path != "/_probe/after":
            return
        if fault == "statement_timeout":
            db.session.execute(text("SELECT pg_sleep(2)"))
        else:  # a lock held by another connection, waited for past lock_timeout
            db.session.execute(text("SET LOCAL lock_timeout = '50ms'"))
            db.session.execute(text("SELECT pg_advisory_xact_lock(4242)"))

    if where == "after_request":

        @app.after_request
        def hook(response):
            meet_the_fault()
            return response

    else:

        def receiver(_sender, **_extra):
            meet_the_fault()

        request_finished.connect(receiver, app)
        app.probe_receiver = receiver  # blinker holds receivers weakly
    return app


def _rows(app) -> int:
    with app.app_context():
        count = db.session.execute(text("SELECT count(*) FROM after_probe")).scalar_one()
        db.session.remove()
        return count


@pytest.fixture
def holder(database_url):
    """Another connection holding the advisory lock the lock-timeout probes wait for."""
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(4242)")
        yield conn
        conn.execute("SELECT pg_advisory_unlock(4242)")


@pytest.mark.parametrize("where", ["after_request", "request_finished"])
@pytest.mark.parametrize("fault", ["statement_timeout", "lock_timeout"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_timeout_after_an_uncommitted_view_answers_503_not_500(make_app, database_url, holder, where, fault, method):
    app = _hooked_app(make_app, database_url, where=where, fault=fault, commit=False)
    response = app.test_client().open("/_probe/after", method=method)
    body = response.get_data(as_text=True)
    assert response.status_code == 503, body[:300]
    assert "took too long" in body
    assert "the view's answer" not in body
    assert response.headers["Retry-After"]
    # the connection is healthy again: the next request on the pool is served
    assert app.test_client().get("/_probe/timeout").status_code == 200


@pytest.mark.parametrize("where", ["after_request", "request_finished"])
@pytest.mark.parametrize("fault", ["statement_timeout", "lock_timeout"])
def test_a_timeout_after_a_committed_view_sends_the_views_answer(make_app, database_url, holder, where, fault):
    app = _hooked_app(make_app, database_url, where=where, fault=fault, commit=True)
    response = app.test_client().post("/_probe/after")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "the view's answer"
    assert _rows(app) == 1  # done once, and the user was told it was done (no invitation to retry)


def test_a_view_that_committed_keeps_its_session_cookie(make_app, database_url, holder):
    app = _hooked_app(make_app, database_url, where="after_request", fault="lock_timeout", commit=True)

    @app.post("/_probe/after-with-session")
    def with_session():
        session["probe"] = "kept"
        db.session.execute(text("INSERT INTO after_probe (note) VALUES ('done')"))
        db.session.commit()
        return "saved"

    @app.after_request
    def fault_here_too(response):
        if request.path == "/_probe/after-with-session":
            db.session.execute(text("SET LOCAL lock_timeout = '50ms'"))
            db.session.execute(text("SELECT pg_advisory_xact_lock(4242)"))
        return response

    @app.get("/_probe/read-session")
    def read_session():
        return session.get("probe", "missing")

    client = app.test_client()
    assert client.post("/_probe/after-with-session").status_code == 200
    assert client.get("/_probe/read-session").get_data(as_text=True) == "kept"
    assert _rows(app) == 1


def test_the_lock_timeout_is_set_and_the_worker_has_its_own(make_app):
    app = make_app(DB_LOCK_TIMEOUT_MS=5000, JOBS_LOCK_TIMEOUT_MS=0)
    assert app.test_client().get("/_probe/lock-timeout").get_data(as_text=True) == "5s"
    db_timeouts.use_jobs_timeout(app)
    with app.app_context():
        assert db.session.execute(text("SHOW lock_timeout")).scalar_one() == "0"
        db.session.remove()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_waiting_for_a_lock_past_the_limit_answers_503_with_retry_after(make_app, database_url, method):
    app = make_app(DB_LOCK_TIMEOUT_MS=100, DB_STATEMENT_TIMEOUT_MS=0, WTF_CSRF_ENABLED=False)
    SLOW_RUNS.clear()
    with psycopg.connect(libpq(make_url(database_url)), autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(424242)")
        response = app.test_client().open("/_probe/locked", method=method)
        holder.execute("SELECT pg_advisory_unlock(424242)")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "took too long" in body and "finished" not in body
    assert response.headers["Retry-After"]
    assert SLOW_RUNS == ["run"]  # LockNotAvailable is not a lost connection: not run a second time
    # Without the holder the same request finishes, on the connection that went back healthy.
    assert app.test_client().open("/_probe/locked", method=method).get_data(as_text=True) == "finished"


def _prepared_after_distinct_statements(app, count: int) -> int:
    """Run ``count`` distinct statements six times each on one connection (psycopg prepares a
    statement on its fifth run); how many the server then holds prepared for that connection."""
    with app.app_context():
        for _round in range(6):
            for n in range(count):
                db.session.execute(text(f"SELECT {n} AS statement_{n}")).scalar_one()
        held = db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
        db.session.commit()
        db.session.remove()
    return held


def test_a_connection_keeps_more_prepared_statements_than_psycopgs_100(make_app):
    # A journey alone runs about 140 distinct statements: with psycopg's default room for 100,
    # the least recently used were dropped before their fifth run and planned afresh each time.
    assert _prepared_after_distinct_statements(make_app(), 150) >= 150


def test_the_room_for_prepared_statements_is_a_setting(make_app):
    # Room for 120 of 150 statements run in turn: each is dropped before its fifth run, as at 100.
    assert _prepared_after_distinct_statements(make_app(DB_PREPARED_STATEMENTS=120), 150) == 0
