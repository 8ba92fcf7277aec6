"""A Redis outage costs one failed connection per process per CACHE_REDIS_RETRY_SECONDS (and
RATE_LIMIT_REDIS_RETRY_SECONDS), not one per call: after a failure the cache and the rate
limits leave Redis alone (a circuit breaker), the cache keeps pages in process memory and the
limits are counted in PostgreSQL, exactly. Redis here is a closed port; every attempt to reach
it is counted at the socket level."""

from __future__ import annotations

import pytest
import redis.connection

from app.platform.cache_backend import ResilientRedisCache
from app.platform.extensions import cache, limiter
from app.platform.rate_limits import CozyWishStorage
from tests.conftest import CSRF_RE, IsolatedClient
from tests.ops.test_redis_down import (  # noqa: F401  (fixtures)
    PAGES,
    closed_port,
    indexed_corpus,
    keep_limiter_storage,
    make_redis_app,
)


@pytest.fixture
def connection_attempts(monkeypatch):
    attempts: list[str] = []
    real_connect = redis.connection.Connection._connect

    def counting_connect(self):
        attempts.append(f"{self.host}:{self.port}")
        return real_connect(self)

    monkeypatch.setattr(redis.connection.Connection, "_connect", counting_connect)
    return attempts


def test_with_redis_down_pages_come_from_memory_and_only_the_first_call_tries_redis(
    make_redis_app,  # noqa: F811
    indexed_corpus,  # noqa: F811
    connection_attempts,
):
    app = make_redis_app(f"redis://127.0.0.1:{closed_port()}/0")
    client = IsolatedClient(app, app.response_class, use_cookies=False)

    first = client.get(PAGES[0])
    assert first.status_code == 200
    tried = len(connection_attempts)
    assert tried >= 1  # the first call found Redis down (redis-py's own retries included)

    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        again = client.get(path)
        assert again.status_code == 200, path
        assert again.headers["X-Page-Cache"] == "hit", path  # kept in this process's memory meanwhile
        assert again.get_data() == response.get_data()
    assert len(connection_attempts) == tried  # the breaker is open: nothing more tried

    with app.app_context():
        backend = cache.cache
        assert isinstance(backend, ResilientRedisCache)
        assert backend.retry_seconds == 30.0
        assert backend.is_down
        backend._down_until = 0.0  # the 30 s are over
    assert client.get("/search?q=lotus").status_code == 200  # a page not seen yet
    assert len(connection_attempts) > tried  # tried again once the period ended...
    retried = len(connection_attempts)
    assert client.get("/search?q=rooms").status_code == 200
    assert len(connection_attempts) == retried  # ...and left alone again after failing


def test_with_redis_down_sign_in_limits_are_counted_in_postgresql_after_one_try(
    make_redis_app,  # noqa: F811
    connection_attempts,
):
    app = make_redis_app(f"redis://127.0.0.1:{closed_port()}/0")  # SIGNIN_IP_LIMIT "3 per minute"
    with app.app_context():
        storage = limiter.storage
        assert isinstance(storage, CozyWishStorage) and storage.redis() is not None
    browser = IsolatedClient(app, app.response_class, use_cookies=True)
    token = CSRF_RE.search(browser.get("/account/sign-in").get_data(as_text=True)).group(1)
    before = len(connection_attempts)

    codes = []
    for n in range(5):
        form = {"csrf_token": token, "email": f"someone-{n}@example.com", "password": "not the password at all"}
        codes.append(browser.post("/account/sign-in", data=form).status_code)
        if n == 0:
            after_first = len(connection_attempts)

    assert codes == [401, 401, 401, 429, 429]  # exact, though Redis is down
    assert after_first > before  # the first hit tried Redis...
    assert len(connection_attempts) == after_first  # ...and no later one did
    assert storage.redis_errors == 1
    with app.app_context():
        assert storage.counters().get(next(iter(_keys(app)))) == 5


def _keys(app) -> list[str]:
    from sqlalchemy import text

    from app.platform.extensions import db

    prefix = storage_prefix = f"{app.config['RATELIMIT_KEY_PREFIX']}LIMITS:"
    rows = db.session.execute(
        text("SELECT key FROM rate_counters WHERE key LIKE :p"), {"p": storage_prefix + "%"}
    ).scalars()
    return [key.removeprefix(prefix) for key in rows]
