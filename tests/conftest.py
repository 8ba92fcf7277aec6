"""Test harness: real PostgreSQL, schema from the migrations, each test in a rolled-back transaction."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import create_app
from app.platform import cache_versions
from app.platform.extensions import cache, db, limiter
from app.web.page_cache import forget_local
from tests.database import create_fresh_database, drop_database, server_url

pytest_plugins = ["tests.factories"]


@pytest.fixture(scope="session")
def database_url():
    base = server_url()
    # One database per test process, so parallel runs (xdist, two developers) never collide.
    name = f"cozywish_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
    url = create_fresh_database(base, name)
    yield url
    drop_database(base, name)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_ROOT": str(tmp_path_factory.mktemp("uploads")),
            # Plain static URLs (js/app.js, not js/app.<hash>.js) whether or not static/dist is
            # built; tests/web/test_static_files.py tests the built files on their own.
            "STATIC_DIST": str(tmp_path_factory.mktemp("no-static-build")),
        },
    )
    with app.app_context():
        upgrade()
    # Every test client gives each request its own application context, as production does: a
    # request that fails rolls its own session back (app/web/unit_of_work.py), never the test's.
    app.test_client_class = IsolatedClient
    return app


class BoundSession(FlaskSession):
    """Flask-SQLAlchemy picks engines itself; in tests every query must use the test connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


def _last_job_id(app) -> int | None:
    with app.app_context():
        try:
            return db.session.scalar(text("SELECT coalesce(max(id), 0) FROM procrastinate_jobs"))
        except SQLAlchemyError:  # a test that stops or empties the server: nothing to compare
            return None
        finally:
            db.session.remove()


def _forget_jobs_after(app, last_job: int | None) -> None:
    """Drop the jobs a committing test's real commits left queued (a venue it made enqueues its
    search reindex, an order its emails): the tests after it count the queue."""
    if last_job is None:
        return
    with app.app_context():
        try:
            db.session.execute(text("DELETE FROM procrastinate_jobs WHERE id > :id"), {"id": last_job})
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
        finally:
            db.session.remove()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside one outer transaction that is rolled back at the end.

    Commits in the code under test only release savepoints. Tests marked ``committing``
    skip this and clean up after themselves.
    """
    if request.node.get_closest_marker("committing"):
        last_job = _last_job_id(app)
        yield
        _forget_jobs_after(app, last_job)
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            with session_on(connection):
                yield
        finally:
            outer.rollback()
            connection.close()


@contextmanager
def session_on(connection) -> Iterator[None]:
    """``db.session`` bound to ``connection`` inside its transaction (a commit releases a
    savepoint), the application's own session back afterwards."""
    original = db.session
    db.session = db._make_scoped_session(
        {"class_": BoundSession, "bind": connection, "join_transaction_mode": "create_savepoint"}
    )
    try:
        yield
    finally:
        db.session.remove()
        db.session = original


@pytest.fixture(autouse=True)
def _fresh_limits_and_mail(app):
    limiter.reset()
    app.extensions["mailman"].outbox = []


@pytest.fixture
def page_cache(app, monkeypatch):
    """The page cache on, versions memoised as in production (the test suite turns both off)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_ENABLED", True)
    monkeypatch.setitem(app.config, "CACHE_VERSION_TTL", 60)
    cache.clear()
    cache_versions.forget()
    forget_local()
    yield
    cache.clear()
    cache_versions.forget()
    forget_local()


@pytest.fixture
def ctx(app):
    """An application context for service-level tests."""
    with app.test_request_context():
        yield


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as in production.

    The ``_transaction`` fixture keeps an application context pushed for the whole test, and
    Flask reuses a pushed context for requests: ``g`` (where Flask-Login caches the user) and
    ``db.session`` would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    return IsolatedClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def outbox(app):
    """Emails delivered so far (after jobs ran)."""
    return app.extensions["mailman"].outbox


@pytest.fixture
def run_jobs(app):
    """Run every queued job in-process, on the test's connection."""
    from app.platform.jobs import run_pending_jobs

    def run() -> list[str]:
        with app.app_context():
            done = run_pending_jobs()
            db.session.commit()  # keep the jobs' finished state, as `flask jobs run-once` does
            return done

    return run


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str = "/") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Browser:
    """A test client that fills in CSRF tokens like a browser would, and signs in as anyone."""

    def __init__(self, client):
        self.client = client

    @classmethod
    def own(cls, app, user=None) -> Browser:
        """A browser with a cookie jar of its own (another device), signed in as ``user`` if given."""
        browser = cls(IsolatedClient(app, app.response_class, use_cookies=True))
        if user is not None:
            browser.sign_in_as(user)
        return browser

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", csrf_token(self.client))
        return self.client.post(path, data=data, **kwargs)

    def sign_in_as(self, user) -> None:
        """Sign in without the form: open a server-side session row, then set the cookie."""
        from datetime import UTC, datetime

        from app.accounts.sessions import start_session

        with self.client.application.app_context():
            start_session(user, ip="127.0.0.1", user_agent="pytest", remember=False)
            db.session.commit()
        with self.client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["last_seen"] = datetime.now(UTC).timestamp()

    def sign_out(self) -> None:
        with self.client.session_transaction() as session:
            session.clear()


@pytest.fixture
def web(client):
    return Browser(client)


# -- the Stripe Checkout fake (tests/payments/stripe_fakes.py) --------------------------------------


@pytest.fixture(scope="module")
def fake_server():
    """The Stripe Checkout fake served over real HTTP, once per test module: (fake, url). A
    module with another fake (Connect, saved cards) defines its own ``fake_server``."""
    from tests.payments.stripe_fakes import CheckoutFake, ThreadedServer

    fake = CheckoutFake()
    with ThreadedServer(fake.wsgi_app()) as server:
        yield fake, server.url


@pytest.fixture
def fake(fake_server):
    """The Checkout fake, emptied for this test."""
    fake, _ = fake_server
    fake.reset()
    return fake
