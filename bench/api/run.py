"""API search benchmark: p50 and p95 of ``GET /api/v1/venues`` against the same search called in
process (``parse_search`` + ``search.backend.search``, what the route itself calls), on the search
benchmark's generated corpus; writes its section of docs/benchmarks.md.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.api.run --size 100000 --rounds 300

The API is called through the app's WSGI interface in the same process (Werkzeug's test
client: routing, token-less auth, the rate-limit count, webargs validation, the schema dump,
the JSON encoding and the ETag), so the ratio is the API layer's own cost over the search.
Each round draws one query shape (text; text + 10 km around a city; category + price; distance
sort) with a varied input, and times both ways back to back, in turn which goes first. The
search result cache is off (``CACHE_TYPE = NullCache``) so every call searches. The corpus is
``bench.search.generate``'s (reused when it is already there, ``cozywish_bench_<size>``; ``--keep``
leaves it for the next run, which then starts in seconds).

The API's rate limit is counted as in production (``--rate-limit redis``, the default: Redis at
``--redis``; ``postgres``: the ``rate_counters`` table, as without Redis; ``off``: not counted,
as the runs before branch `api100k` did), with a limit high enough that no call is refused.
The machine is shared: the load average is recorded at the start and at the end of the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import request

from app import create_app
from app.discovery.params import parse_search
from bench import benchmarks_doc
from bench.search import generate
from search.backend import search
from tests.database import drop_database, server_url

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
HEADING = "## API search (`bench/api`)"
WARM_UP = 20


def shapes(rng: random.Random) -> dict[str, str]:
    word = rng.choice(generate.text_queries())
    city = rng.choice(generate.CITIES)
    spec = rng.choice(generate.CATEGORY_SPECS)
    return rng.choice(
        [
            {"q": word},
            {"q": word, "lat": f"{city.lat:.4f}", "lng": f"{city.lng:.4f}", "radius": "10"},
            {"category": spec.slug, "price_max": str(rng.choice((40, 60, 90)))},
            {"lat": f"{city.lat:.4f}", "lng": f"{city.lng:.4f}", "radius": "25", "sort": "distance"},
        ]
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


BENCH_LIMIT = "1000000 per minute"  # counted, never reached


def limit_overrides(rate_limit: str, redis_url: str) -> dict[str, object]:
    if rate_limit == "off":
        return {"RATELIMIT_ENABLED": False}
    limits = {"API_ANONYMOUS_RATE_LIMIT": BENCH_LIMIT, "API_TOKEN_RATE_LIMIT": BENCH_LIMIT}
    return {**limits, "REDIS_URL": redis_url if rate_limit == "redis" else None}


def run(
    size: int, rounds: int, seed: int, rate_limit: str = "redis", redis_url: str = "redis://127.0.0.1:6379/0"
) -> dict:
    load_before = os.getloadavg()
    build = generate.ensure_database(server_url(), size, reuse=True, free_time=False)
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": build.url,
            "UPLOAD_ROOT": tempfile.mkdtemp(prefix="bench-api-"),
            "CACHE_TYPE": "NullCache",
            **limit_overrides(rate_limit, redis_url),
        },
    )
    client = app.test_client()
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {"api": [], "in_process": []}
    totals = {"api": 0, "in_process": 0}

    def in_process(params: dict[str, str]) -> int:
        with app.test_request_context("/search?" + urlencode(params)):
            result = search(parse_search(request.args).query)
            return result.total

    def over_api(params: dict[str, str]) -> int:
        response = client.get("/api/v1/venues?" + urlencode(params), headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert (rate_limit == "off") != ("RateLimit" in response.headers), rate_limit  # counted when asked
        return response.get_json()["total"]

    for n in range(WARM_UP + rounds):
        params = shapes(rng)
        order = [("api", over_api), ("in_process", in_process)]
        if n % 2:
            order.reverse()
        found = {}
        for name, call in order:
            started = time.perf_counter()
            found[name] = call(params)
            elapsed = (time.perf_counter() - started) * 1000
            if n >= WARM_UP:
                timings[name].append(elapsed)
                totals[name] += found[name]
        assert found["api"] == found["in_process"], params  # the same search, the same answer
    summary = {
        name: {"p50": statistics.median(values), "p95": percentile(values, 0.95)} for name, values in timings.items()
    }
    return {
        "size": size,
        "rounds": rounds,
        "built": build.built,
        "summary": summary,
        "ratio_p95": summary["api"]["p95"] / summary["in_process"]["p95"],
        "ratio_p50": summary["api"]["p50"] / summary["in_process"]["p50"],
        "load_before": load_before,
        "load": os.getloadavg(),
        "rate_limit": rate_limit,
    }


def write(results: dict, note: str) -> None:
    s = results["summary"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    before = ", ".join(f"{x:.2f}" for x in results["load_before"])
    load = ", ".join(f"{x:.2f}" for x in results["load"])
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, load {before} at the start, {load} at the end"
    limits = {"redis": "counted in Redis", "postgres": "counted in PostgreSQL", "off": "off"}[results["rate_limit"]]
    section = f"""{HEADING}

Run {when} on {machine}: {results["size"]:,} venues, {results["rounds"]} rounds after {WARM_UP} warm-up,
search result cache off, the API's rate limit {limits}. {note}

| way | p50 ms | p95 ms |
|---|---|---|
| in process (`parse_search` + `search.backend.search`) | {s["in_process"]["p50"]:.1f} | {s["in_process"]["p95"]:.1f} |
| API (`GET /api/v1/venues`, WSGI in process) | {s["api"]["p50"]:.1f} | {s["api"]["p95"]:.1f} |

API / in process: p95 {results["ratio_p95"]:.2f}x, p50 {results["ratio_p50"]:.2f}x (the issue's bound: 1.2x at 100k).
"""
    text = OUTPUT.read_text() if OUTPUT.exists() else benchmarks_doc.NEW_DOC
    text = benchmarks_doc.replace_section(text, HEADING, section)
    cells = [
        f"[`bench/api`]({benchmarks_doc.anchor(HEADING)})",
        when,
        f"{results['size']:,} venues: API p95 {s['api']['p95']:.1f} ms vs {s['in_process']['p95']:.1f} ms in process "
        f"({results['ratio_p95']:.2f}x)",
        f"{machine}; {note}",
    ]
    text = benchmarks_doc.set_row(text, "bench/api", cells)
    OUTPUT.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--note", default="")
    parser.add_argument("--rate-limit", choices=("redis", "postgres", "off"), default="redis")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --rate-limit redis")
    parser.add_argument("--no-write", action="store_true", help="print the results, leave docs/benchmarks.md alone")
    parser.add_argument("--keep", action="store_true", help="keep the corpus database for the next run")
    args = parser.parse_args()
    results = run(args.size, args.rounds, args.seed, args.rate_limit, args.redis)
    print(results)
    if not args.no_write:
        write(results, args.note)
    if not args.keep:
        drop_database(server_url(), generate.database_name(args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
