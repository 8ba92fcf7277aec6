"""What a Redis outage costs a page: public pages timed with a Redis of the bench's own up, and
after that Redis is killed, in one process (the Flask test client, no network).

    .venv/bin/python -m bench.redis_outage.run [--requests 60] [--rounds 8] [--no-page-cache]

The bench starts its own ``redis-server`` on a free port (nothing kept on disk) and alternates
rounds: Redis up, then the same server killed (a real outage: the port is closed), then
started again, and so on (up, down, up, down...), so a machine getting busier or quieter weighs
on both sides alike. Each round makes a fresh app, warms each page twice and times it
``--requests`` times. Reported per page: the median over every timed request of each side, and
the median of the per-round ratios (down round / the up round before it), which is what to
quote on a noisy machine; with the load average before and after. With --no-page-cache every
page is rendered, so what is measured is the other caches (search results, facets) and Redis's
own cost. Needs PostgreSQL at DATABASE_URL (or the embedded one): it makes a database of its
own and drops it after. ``--doc`` writes the result to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flask_migrate import upgrade

from app import create_app
from bench import benchmarks_doc
from tests.database import create_fresh_database, drop_database, server_url

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Redis outage"
PAGES = ("/", "/search", "/search?q=massage", "/c/massage")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A redis-server of the bench's own, on loopback, keeping nothing on disk."""

    def __init__(self, port: int) -> None:
        self.port, self.process = port, None
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


def timings(database_url: str, redis_url: str, requests: int, page_cache: bool) -> dict[str, list[float]]:
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
            times.append((time.perf_counter() - started) * 1000)
        found[path] = times
    return found


def run(args: argparse.Namespace) -> dict:
    base = server_url()
    name = f"cozywish_bench_redis_{os.getpid()}"
    url = create_fresh_database(base, name)
    redis = Redis(free_port())
    redis_url = f"redis://127.0.0.1:{redis.port}/0"
    load_before = os.getloadavg()
    rounds: list[tuple[dict, dict]] = []
    try:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
        for number in range(args.rounds):
            redis.start()
            up = timings(url, redis_url, args.requests, not args.no_page_cache)
            redis.kill()  # the outage: the same URL, nobody listening
            down = timings(url, redis_url, args.requests, not args.no_page_cache)
            rounds.append((up, down))
            print(f"round {number + 1}/{args.rounds} done", flush=True)
    finally:
        redis.kill()
        drop_database(base, name)
    load_after = os.getloadavg()
    pages = {}
    for path in PAGES:
        up_all = [t for r in rounds for t in r[0][path]]
        down_all = [t for r in rounds for t in r[1][path]]
        ratios = [statistics.median(r[1][path]) / statistics.median(r[0][path]) for r in rounds]
        pages[path] = {
            "up": statistics.median(up_all),
            "down": statistics.median(down_all),
            "ratio": statistics.median(ratios),
            "ratio_range": (min(ratios), max(ratios)),
        }
    return {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "pages": pages,
        "load": (load_before, load_after),
        "rounds": args.rounds,
        "requests": args.requests,
        "page_cache": not args.no_page_cache,
    }


def table(result: dict) -> list[str]:
    lines = [f"{'page':<22}{'Redis up ms':>12}{'Redis down ms':>15}{'ratio':>8}{'per-round ratios':>20}"]
    for path, row in result["pages"].items():
        low, high = row["ratio_range"]
        lines.append(
            f"{path:<22}{row['up']:>12.2f}{row['down']:>15.2f}{row['ratio']:>8.2f}{f'{low:.2f}-{high:.2f}':>20}"
        )
    return lines


def write_doc(results: list[dict], commit: str) -> None:
    intro = [
        HEADING,
        "",
        "`python -m bench.redis_outage.run` starts a `redis-server` of its own on a free port and",
        "alternates rounds with it up and killed (up, down, up, down...); each round makes a fresh app",
        'and times each public page (home, search, a search for "massage", a category) in one process',
        "(the test client). Per page: the median of every timed request on each side, and the median",
        "of the per-round ratios (a down round against the up round just before it), the figure to",
        "quote on a shared machine. Issue 33 measured 2.6-2.8x on home and search over HTTP with Redis",
        "down before the cache kept pages in memory during an outage and stopped trying Redis for 30 s",
        'after a failure (`docs/operations.md`, "Redis"); the goal is at most 1.2x.',
        "",
    ]
    body = []
    for result in results:
        (b1, b5, _b15), (a1, a5, _a15) = result["load"]
        mode = "page cache on" if result["page_cache"] else "every page rendered (`--no-page-cache`)"
        body += [
            f"Run {result['started']} UTC, commit {commit}, {mode}: {result['rounds']} rounds of "
            f"{result['requests']} requests a page a side; load average (1/5 min) {b1:.2f}/{b5:.2f} before, "
            f"{a1:.2f}/{a5:.2f} after.",
            "",
            "```",
            *table(result),
            "```",
            "",
        ]
    text = DOC.read_text() if DOC.exists() else benchmarks_doc.NEW_DOC
    text = benchmarks_doc.replace_section(text, HEADING, "\n".join(intro + body))
    worst = {
        ("cached" if r["page_cache"] else "rendered"): max(p["ratio"] for p in r["pages"].values()) for r in results
    }
    loads = [r["load"][0][0] for r in results] + [r["load"][1][0] for r in results]
    cells = [
        f"[Redis outage]({benchmarks_doc.anchor(HEADING)}): `bench/redis_outage`, public pages with a Redis of "
        "the bench's own up and killed, alternating rounds, in one process (test client)",
        f"{results[0]['started']} UTC, commit {commit}",
        "worst page's median per-round down/up ratio: "
        + ", ".join(f"{kind} {ratio:.2f}" for kind, ratio in worst.items()),
        f"2 CPUs shared; load average {min(loads):.1f}-{max(loads):.1f} (1 min)",
    ]
    DOC.write_text(benchmarks_doc.set_row(text, "bench/redis_outage", cells))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument(
        "--no-page-cache", action="store_true", help="render every page (search results and facets still cached)"
    )
    parser.add_argument("--both", action="store_true", help="run with the page cache on, then with it off")
    parser.add_argument("--doc", action="store_true", help="write the result to docs/benchmarks.md")
    args = parser.parse_args(argv)
    results = []
    for no_cache in [False, True] if args.both else [args.no_page_cache]:
        args.no_page_cache = no_cache
        result = run(args)
        print("\n".join(table(result)))
        print(f"load average before {result['load'][0]}, after {result['load'][1]}")
        results.append(result)
    if args.doc:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        write_doc(results, commit)


if __name__ == "__main__":
    main()
