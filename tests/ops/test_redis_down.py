"""Redis is optional at run time: with REDIS_URL pointing at nothing, every page still answers;
the cache carries on in-process, the rate limits in PostgreSQL, and /readyz names the
degradation. (tests/ops/test_redis_outage.py counts what an outage costs in connections.)"""

from __future__ import annotations

import logging
import os
import socket
import uuid

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.models import Role
from app.platform.cache_backend import ResilientRedisCache
from app.platform.extensions import cache, limiter
from search.backend import get_backend
from tests.booking.helpers import make_bookable_venue
from tests.conftest import CSRF_RE, IsolatedClient
from tests.factories import PASSWORD
from tests.search.corpus import build_corpus

REAL_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PAGES = ("/", "/search", "/search?q=massage", "/venues/calm-rooms", "/c/massage", "/sitemap.xml")


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def keep_limiter_storage():
    """The limiter is one object for every app in the process; give the session app its own
    storage back after a test app pointed it at Redis."""
    saved = {name: getattr(limiter, name) for name in ("_storage", "_limiter", "_storage_dead")}
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)


@pytest.fixture
def make_redis_app(database_url, tmp_path, keep_limiter_storage):
    prefix = f"cozywish-test-{uuid.uuid4().hex[:12]}-"

    def make(redis_url: str):
        return create_app(
            "testing",
            overrides={
                "SQLALCHEMY_DATABASE_URI": database_url,
                "UPLOAD_ROOT": str(tmp_path),
                "REDIS_URL": redis_url,
                "CACHE_KEY_PREFIX": prefix,
                "RATELIMIT_KEY_PREFIX": prefix,
                "PAGE_CACHE_ENABLED": True,
                "SIGNIN_IP_LIMIT": "3 per minute",
            },
        )

    make.prefix = prefix
    yield make
    with psycopg.connect(
        make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    ) as conn:
        conn.execute("DELETE FROM rate_counters WHERE key LIKE %s", (f"{prefix}%",))  # counted while Redis was down
    try:  # leave nothing behind on a shared Redis
        client = redis.Redis.from_url(REAL_REDIS, socket_connect_timeout=0.5)
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
    except redis.RedisError:
        pass


@pytest.fixture
def indexed_corpus(ctx, make_user):
    corpus = build_corpus(make_user)
    venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Calm Rooms")  # has a venue page
    get_backend().index([*corpus.ids, venue.id])
    return corpus


def sign_in_form(client) -> dict:
    html = client.get("/account/sign-in").get_data(as_text=True)
    return {"csrf_token": CSRF_RE.search(html).group(1)}


def test_with_redis_down_every_page_answers_and_readyz_names_the_degradation(
    make_redis_app, indexed_corpus, make_user, caplog
):
    app = make_redis_app(f"redis://127.0.0.1:{closed_port()}/0")
    assert app.config["CACHE_TYPE"] == "app.platform.cache_backend.ResilientRedisCache"
    assert app.config["RATELIMIT_STORAGE_URI"] == "cozywish://"  # Redis, else PostgreSQL (app/platform/rate_limits.py)
    assert app.config["RATELIMIT_STORAGE_OPTIONS"]["redis_url"].startswith("redis://")
    client = IsolatedClient(app, app.response_class, use_cookies=False)

    with caplog.at_level(logging.WARNING):
        for path in PAGES:
            for _ in range(2):  # the second time would be a cache hit, if there were a cache
                response = client.get(path)
                assert response.status_code == 200, path
        assert "Lotus Massage Rooms" in client.get("/search?q=massage").get_data(as_text=True)

    with app.app_context():
        backend = cache.cache
        assert isinstance(backend, ResilientRedisCache)
        assert backend.errors >= 1  # counted
    warnings = [r for r in caplog.records if r.name == "app.platform.cache_backend"]
    assert len(warnings) == 1  # logged once, not once per call

    readyz = client.get("/readyz")
    body = readyz.get_json()
    assert readyz.status_code == 200  # still ready: pages answer
    assert body["status"] == "degraded"
    assert body["degraded"] == ["redis"]
    assert body["failing"] == []
    assert body["checks"]["redis"] == {"ok": False, "state": "degraded"}


def test_with_redis_down_sign_in_works_and_is_still_rate_limited_in_postgresql(make_redis_app, make_user):
    app = make_redis_app(f"redis://127.0.0.1:{closed_port()}/0")
    user = make_user(email="redisless@example.com")
    browser = IsolatedClient(app, app.response_class, use_cookies=True)

    signed_in = browser.post(
        "/account/sign-in", data={**sign_in_form(browser), "email": user.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302

    stranger = IsolatedClient(app, app.response_class, use_cookies=True)
    form = {**sign_in_form(stranger), "email": user.email, "password": "not the password at all"}
    codes = [stranger.post("/account/sign-in", data=form).status_code for _ in range(3)]
    assert codes[-1] == 429  # 3 per minute across the four POSTs: counted without Redis
    assert set(codes[:-1]) <= {401}
    assert limiter.storage.redis_errors == 1  # the switch to PostgreSQL is counted, once


@pytest.mark.committing  # writes nothing; the CLI must run in this app's context, not the test's
def test_diagnose_explains_a_degraded_redis(make_redis_app):
    app = make_redis_app(f"redis://127.0.0.1:{closed_port()}/0")
    result = app.test_cli_runner().invoke(args=["diagnose"])
    assert "redis" in result.output
    assert "Is Redis reachable at REDIS_URL?" in result.output


@pytest.fixture
def real_redis():
    try:
        redis.Redis.from_url(REAL_REDIS, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REAL_REDIS}")
    return REAL_REDIS


def test_with_redis_up_pages_are_cached_in_redis_and_readyz_is_ok(make_redis_app, real_redis, indexed_corpus):
    app = make_redis_app(real_redis)
    client = IsolatedClient(app, app.response_class, use_cookies=False)
    for path in PAGES:
        first = client.get(path)
        assert first.status_code == 200, path
        assert first.headers["X-Page-Cache"] == "miss", path
        again = client.get(path)
        assert again.headers["X-Page-Cache"] == "hit", path
        assert again.get_data() == first.get_data()

    stored = redis.Redis.from_url(real_redis).keys(f"{make_redis_app.prefix}page:*")
    assert len(stored) == len(PAGES)

    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["degraded"] == []
    assert body["checks"]["redis"] == {"ok": True}
