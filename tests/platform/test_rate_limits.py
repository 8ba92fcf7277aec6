"""Rate limits hold exactly across processes without Redis: counted in PostgreSQL
(app/platform/rate_limits.py, table rate_counters), never in each process's memory.

On a database of their own: failed sign-ins commit security events, which no other test
should meet."""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app import create_app
from app.platform.extensions import limiter
from app.platform.rate_limits import CozyWishStorage
from tests.conftest import CSRF_RE, IsolatedClient
from tests.platform.limit_driver import drive

pytestmark = pytest.mark.committing  # the counters commit on their own connections

PROCESSES = 3
ATTEMPTS_EACH = 12
LIMIT = 20


@pytest.fixture
def keep_limiter_storage():
    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)


@pytest.fixture(scope="module")
def limits_database():
    """A fresh database for this module, migrated, dropped after."""
    import os

    from flask_migrate import upgrade

    from tests.database import create_fresh_database, drop_database, server_url

    base = server_url()
    name = f"cozywish_limits_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    saved = {attr: getattr(limiter, attr) for attr in ("_storage", "_limiter", "_storage_dead")}
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from app.platform.extensions import db

        db.engine.dispose()
    for attr, value in saved.items():
        setattr(limiter, attr, value)
    yield url
    drop_database(base, name)


@pytest.fixture
def prefix(limits_database):
    prefix = f"test-{uuid.uuid4().hex[:10]}-"
    yield prefix
    conninfo = make_url(limits_database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("DELETE FROM rate_counters WHERE key LIKE %s", (f"%{prefix}%",))


def counters(database_url: str, prefix: str) -> list[tuple]:
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return conn.execute(
            "SELECT key, count, expires_at > window_start FROM rate_counters WHERE key LIKE %s", (f"%{prefix}%",)
        ).fetchall()


def test_without_redis_the_limits_are_counted_in_postgresql(limits_database, prefix, keep_limiter_storage):
    database_url = limits_database
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SIGNIN_IP_LIMIT": "3 per minute",
            "RATELIMIT_KEY_PREFIX": prefix,
        },
    )
    assert app.config["RATELIMIT_STORAGE_URI"] == "cozywish://"
    with app.app_context():
        assert isinstance(limiter.storage, CozyWishStorage)
        assert limiter.storage.redis() is None
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    token = CSRF_RE.search(browser.get("/account/sign-in").get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "email": "nobody@example.com", "password": "not the password at all"}

    codes = [browser.post("/account/sign-in", data=form).status_code for _ in range(4)]

    assert codes == [401, 401, 401, 429]
    rows = counters(database_url, prefix)
    assert len(rows) == 1
    (_key, count, window_ok) = rows[0]
    assert count == 4 and window_ok  # the refused attempt is counted too, as Redis would


def test_one_limit_holds_exactly_across_several_processes(limits_database, prefix):
    database_url = limits_database
    context = multiprocessing.get_context("fork")  # each makes its own app, pools and limiter storage
    results = context.Queue()
    go = f"/tmp/cozywish-limits-go-{prefix}"  # noqa: S108 (a flag file the children poll)
    children = [
        context.Process(
            target=drive, args=(database_url, f"{LIMIT} per 15 minutes", prefix, ATTEMPTS_EACH, go, results)
        )
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    try:
        ready = [results.get(timeout=180) for _ in children]
        assert ready == [("ready", 0)] * PROCESSES
        Path(go).touch()
        codes = Counter(results.get(timeout=180)[1] for _ in range(PROCESSES * ATTEMPTS_EACH))
    finally:
        for child in children:
            child.join(60)
            if child.is_alive():
                child.kill()
        Path(go).unlink(missing_ok=True)

    assert all(child.exitcode == 0 for child in children)
    # Exactly LIMIT attempts got through (and were refused for a wrong password); the rest 429.
    assert codes == Counter({401: LIMIT, 429: PROCESSES * ATTEMPTS_EACH - LIMIT})
    assert [count for _key, count, _ok in counters(database_url, prefix)] == [PROCESSES * ATTEMPTS_EACH]


def test_ended_windows_are_pruned_and_live_ones_kept(limits_database, prefix):
    from app.platform.rate_limits import PostgresCounters, prune_expired

    counters_ = PostgresCounters(limits_database, prefix)
    counters_.incr("live", 3600)
    counters_.incr("ended", 1)
    conninfo = make_url(limits_database).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:  # as if its window had ended two minutes ago
        conn.execute(
            "UPDATE rate_counters SET window_start = window_start - interval '1 hour',"
            " expires_at = now() - interval '2 minutes' WHERE key = %s",
            (f"{prefix}ended",),
        )
    assert counters_.get("ended") == 0  # an ended window counts nothing, even before the prune
    assert prune_expired(limits_database) >= 1
    assert [key for key, _count, _ok in counters(limits_database, prefix)] == [f"{prefix}live"]
    assert counters_.incr("live", 3600) == 2
