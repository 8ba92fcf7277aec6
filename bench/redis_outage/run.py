"""What a Redis outage costs a page: the median time of public pages with Redis up, and with
REDIS_URL pointing at a closed port, in one process (the Flask test client, no network).

    .venv/bin/python bench/redis_outage/run.py [--requests 40]

With --no-page-cache every page is rendered, so what is measured is the other caches
(search results, facets) and Redis's own cost. Needs a Redis at TEST_REDIS_URL (default
redis://127.0.0.1:6379/0) and PostgreSQL at
DATABASE_URL; it makes a database of its own and drops it after. Each page is asked
--requests times after two warm-up requests; the page cache is on, as in production.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flask_migrate import upgrade

from app import create_app
from tests.database import create_fresh_database, drop_database, server_url

PAGES = ("/", "/search", "/search?q=massage", "/c/massage")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def medians(database_url: str, redis_url: str, requests: int, page_cache: bool) -> dict[str, float]:
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}-",
            "PAGE_CACHE_ENABLED": page_cache,
            "CACHE_VERSION_TTL": 1.0,
            "RATELIMIT_KEY_PREFIX": "bench-",
        },
    )
    client = app.test_client(use_cookies=False)
    found = {}
    for path in PAGES:
        for _ in range(2):
            assert client.get(path).status_code == 200
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - started)
        found[path] = statistics.median(times) * 1000
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--no-page-cache", action="store_true", help="render every page (search results and facets still cached)"
    )
    args = parser.parse_args()
    base = server_url()
    name = f"cozywish_bench_redis_{os.getpid()}"
    url = create_fresh_database(base, name)
    try:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
        redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
        # Alternate rounds, so a machine getting busier or quieter weighs on both alike.
        rounds = [
            (
                medians(url, redis_url, args.requests, not args.no_page_cache),
                medians(url, f"redis://127.0.0.1:{closed_port()}/0", args.requests, not args.no_page_cache),
            )
            for _ in range(args.rounds)
        ]
        up = {path: statistics.median(r[0][path] for r in rounds) for path in PAGES}
        down = {path: statistics.median(r[1][path] for r in rounds) for path in PAGES}
    finally:
        drop_database(base, name)
    print(f"{'page':<22}{'Redis up ms':>12}{'Redis down ms':>15}{'ratio':>8}")
    for path in PAGES:
        print(f"{path:<22}{up[path]:>12.2f}{down[path]:>15.2f}{down[path] / up[path]:>8.2f}")


if __name__ == "__main__":
    main()
