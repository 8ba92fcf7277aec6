"""The whole journey under load: Locust (bench/journey/locustfile.py) against the app under
gunicorn as the Dockerfile starts it, with Redis and a job worker; writes docs/benchmarks.md.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.journey.run

1. Seeds ``cozywish_bench_journey`` with the page benchmark's seeder (400 venues from the
   search generator, the showcase venue with 2,000 bookings, its owner) plus ``--customers``
   accounts of its own, one per simulated customer.
2. Measures the signed-in pages' uncached render cost (My bookings, cart, the week calendar)
   with one warm worker, beside the cached copy's (``X-Private-Cache: hit``).
3. Starts ``gunicorn --config python:app.ops.gunicorn_hooks --workers 3 wsgi:app`` and
   ``flask jobs worker`` (which confirms the Demo gateway's payments), on Redis database 12,
   both with ``PROMETHEUS_MULTIPROC_DIR`` as the Dockerfile sets it; then an unmeasured
   ``--warmup-seconds`` run at the first step's load.
4. Steps the load: one headless Locust run per ``--users`` count (``--seconds`` each), with
   fresh customer accounts each step, until two steps in a row do not hold. Per step: each
   endpoint's p50/p95/p99 and failures, complete booking journeys a second (orders paid
   during the step, counted in the database once the job worker has confirmed them), the jobs
   the job worker ran by task (``cozywish_job_runs_total``), CPU of the gunicorn workers, the
   job worker, PostgreSQL and Locust (from /proc through psutil), and the connections of the
   database in pg_stat_activity (peak, and peak active). The largest step with p99 <= 500 ms
   on every endpoint and no failure is the rate the machine holds.
5. Runs the last step's load once more (the last step that did not hold, or the largest) with
   ``py-spy record`` on the busiest gunicorn worker, and summarises where it spent its time.

Settings: production's except what production refuses for this test: it never runs the Demo
gateway (app/ops/production.py), so the servers run ``COZYWISH_ENV=development`` with what
production sets that matters to speed (no debug, log level WARNING, Redis cache, the page
caches on, no auto-seeding); cookies are not ``Secure`` so Locust's cookie jar works over http.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import psutil
import psycopg
import requests
from prometheus_client import CollectorRegistry, multiprocess
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from app import create_app
from app.accounts.hashing import hash_password
from app.accounts.models import Role, User
from app.platform.extensions import db
from bench.benchmarks_doc import archive, history_of, replace_section, section_bounds, set_row
from bench.pages import seed as seeding
from bench.pages.report import git_commit
from tests.database import libpq

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
DATABASE = "cozywish_bench_journey"
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of the journey's own, emptied first
HEADING = "## Whole journey under load"
P99_MS, TARGET_JOURNEYS = 500.0, 10.0
TARGET_CPU_PER_JOURNEY = 0.20  # seconds of server CPU (issue 46, item 1)
SERVER_PARTS = ("gunicorn workers", "job worker", "PostgreSQL")
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
SEARCHES = [
    "q=massage&near=London&radius=10",
    "q=massage&near=London&radius=10&price=2500-5000&rating=4",
    "q=facial&near=London&radius=25",
    "q=nails&near=London&radius=10&open_now=1",
    "q=spa&near=London&radius=25&rating=4",
    "near=London&radius=5",
]


@dataclass
class Step:
    users: int
    seconds: float
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    probe_ms: float = 0.0  # the machine's speed just before the step (cpu_probe): the floor
    endpoints: list[dict] = field(default_factory=list)  # name, count, failures, p50, p95, p99
    requests: int = 0
    failures: int = 0
    journeys_paid: int = 0  # orders paid during the step (the database's count)
    journeys_reported: int = 0  # "journey paid" events (the card accepted; confirmation is the job's)
    journeys_lost: int = 0
    cancelled: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # cores busy on average
    connections_peak: int = 0
    connections_active_peak: int = 0
    unconfirmed: int = 0  # paid by card during the step but not confirmed when counted
    failure_samples: list[str] = field(default_factory=list)
    jobs: dict[str, int] = field(default_factory=dict)  # jobs run during the step (and its drain), by task

    @property
    def journeys_per_second(self) -> float:
        return self.journeys_paid / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_per_journey(self) -> float:
        """Seconds of server CPU (gunicorn workers, job worker, PostgreSQL; not Locust) per complete
        journey: everything the step's visitors and staff cost too is charged to the journeys."""
        cores = sum(self.cpu.get(k, 0.0) for k in SERVER_PARTS)
        return cores / self.journeys_per_second if self.journeys_per_second else float("inf")

    @property
    def worst_p99(self) -> float:
        return max((e["p99"] for e in self.endpoints), default=0.0)

    @property
    def held(self) -> bool:
        return self.failures == 0 and self.requests > 0 and all(e["p99"] <= P99_MS for e in self.endpoints)


# -- seeding -------------------------------------------------------------------------------------


def seed_all(customers: int) -> tuple[seeding.Seeded, dict]:
    seeded = seeding.seed(database=DATABASE)
    dsn = libpq(make_url(seeded.url))
    emails = [f"journey-{n}@bench.example" for n in range(customers)]
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": seeded.url})
    with app.app_context():
        shared = hash_password(seeded.password)
        rows = [
            {
                "email": email,
                "name": f"Journey Customer {n}",
                "role": Role.CUSTOMER,
                "password_hash": shared,
                "email_verified_at": datetime.now(UTC),
            }
            for n, email in enumerate(emails)
        ]
        db.session.execute(insert(User), rows)  # the model's defaults (session token) per row
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(dsn, autocommit=True) as conn:
        bookable: dict[str, list[str]] = {}
        for slug, service_id in conn.execute(
            "SELECT v.slug, s.id FROM venues v JOIN services s ON s.venue_id = v.id"
            " WHERE v.status = 'approved' AND s.is_active ORDER BY v.id, s.position, s.id"
        ):
            bookable.setdefault(slug, []).append(f"/venues/{slug}/book/{service_id}")
        conn.execute("ANALYZE users")
    today = datetime.now(UTC).date()
    plan = {
        "password": seeded.password,
        "customers": emails,
        "provider": seeded.provider_email,
        "category": seeded.category_slug,
        "calendar_day": seeded.calendar_day,
        "searches": SEARCHES,
        "bookable": bookable,
        "first_day": (today + timedelta(days=2)).isoformat(),
        "days": 28,
    }
    return seeded, plan


# -- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(seeded: seeding.Seeded, base: str, metrics_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "COZYWISH_", "TEST_DATABASE", "REDIS_URL", "ELASTICSEARCH_URL", "STRIPE_"))
    }
    env.update(
        COZYWISH_ENV="development",  # production refuses the Demo gateway (see the module's note)
        FLASK_DEBUG="0",
        LOG_LEVEL="WARNING",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=seeded.url,
        REDIS_URL=REDIS_URL,
        BASE_URL=base,  # the Demo gateway's page is on this server
        FORCE_HTTPS="0",
        UPLOAD_ROOT=seeded.upload_root,
        MAIL_BACKEND="console",
        TOTP_ENCRYPTION_KEY=seeding.TOTP_KEY,
        PAYOUTS_COLLECT_BEFORE_ENABLED="true",  # generated venues have no payout account
        SIGNIN_IP_LIMIT="100000 per minute",  # every simulated customer signs in from 127.0.0.1
        DEMO_GATEWAY_SECRET=secrets.token_hex(32),
        PYTHONPATH=str(ROOT),
        # As the Dockerfile sets it: the workers' and the job worker's metrics in one directory,
        # which is also where the runner counts the jobs each step ran (jobs_run).
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    return env


def jobs_run(metrics_dir: Path) -> dict[str, int]:
    """Jobs the job worker has run so far, by task, from the metrics files it shares with the web."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(metrics_dir))
    counts: dict[str, int] = {}
    for metric in registry.collect():
        if metric.name == "cozywish_job_runs":
            for sample in metric.samples:
                if sample.name == "cozywish_job_runs_total":
                    task = sample.labels["task"]
                    counts[task] = counts.get(task, 0) + int(sample.value)
    return counts


def start_web(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    # The Dockerfile's CMD, on loopback.
    command = [
        sys.executable, "-m", "gunicorn", "--config", "python:app.ops.gunicorn_hooks", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "wsgi:app",
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code in (200, 503):
                return process
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop(process)
    raise SystemExit(f"gunicorn did not answer; see {log}")


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group we started: gunicorn's master and workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# -- the signed-in pages' render cost ------------------------------------------------------------


def sign_in(base: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/account/sign-in", timeout=30)
    answer = browser.post(
        f"{base}/account/sign-in",
        data={"csrf_token": CSRF.search(page.text).group(1), "email": email, "password": password},
        allow_redirects=True,
        timeout=30,
    )
    answer.raise_for_status()
    return browser


def render_costs(base: str, seeded: seeding.Seeded, samples: int) -> list[dict]:
    """Each signed-in page timed uncached (a query string of its own: a key no copy has) and
    cached (the same URL again), alternating, on a server with one warm worker."""
    customer = sign_in(base, seeded.customer_email, seeded.password)
    provider = sign_in(base, seeded.provider_email, seeded.password)
    # Signing in is a change of the browser's own: its next pages are rendered fresh for
    # CACHE_VERSION_TTL + 1 s (app/web/private_cache.py, read your own writes). Timed at once,
    # every "cached" sample of the first pages was a render (the run of 2026-11-27 15:22).
    time.sleep(3.0)
    week = f"/provider/calendar?view=week&date={seeded.calendar_day}"
    pages = [("My bookings", customer, "/bookings"), ("Cart", customer, "/cart"), ("Week calendar", provider, week)]
    results = []
    for name, browser, path in pages:
        for _ in range(5):  # warm: the worker has rendered this page before
            browser.get(f"{base}{path}", timeout=30)
        uncached, cached, statuses = [], [], set()
        for n in range(samples):
            joiner = "&" if "?" in path else "?"
            t = time.perf_counter()
            miss = browser.get(f"{base}{path}{joiner}bench={n}", timeout=30)
            uncached.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            hit = browser.get(f"{base}{path}", timeout=30)
            cached.append((time.perf_counter() - t) * 1000)
            statuses.add((miss.headers.get("X-Private-Cache", "-"), hit.headers.get("X-Private-Cache", "-")))
        results.append(
            {
                "page": name,
                "path": path,
                "uncached_p50": statistics.median(uncached),
                "uncached_p95": percentile(uncached, 0.95),
                "cached_p50": statistics.median(cached),
                "cached_p95": percentile(cached, 0.95),
                "cache_headers": sorted(statuses),
                "load": os.getloadavg()[0],
            }
        )
        print(f"  {name}: uncached p50 {results[-1]['uncached_p50']:.1f} ms, cached {results[-1]['cached_p50']:.1f} ms")
    return results


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# -- sampling CPU and connections ----------------------------------------------------------------


class Sampler(threading.Thread):
    """CPU seconds of each group of processes over the step, and pg_stat_activity's counts."""

    def __init__(self, web: subprocess.Popen, worker: subprocess.Popen, dsn: str, database: str) -> None:
        super().__init__(daemon=True)
        self.web, self.worker, self.dsn, self.database = web, worker, dsn, database
        self.stopping = threading.Event()
        self.peak = self.active_peak = 0

    def groups(self) -> dict[str, list[psutil.Process]]:
        def tree(pid: int) -> list[psutil.Process]:
            try:
                root = psutil.Process(pid)
                return [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return []

        postgres = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("postgres")]
        found = {"gunicorn workers": tree(self.web.pid), "job worker": tree(self.worker.pid), "PostgreSQL": postgres}
        return found

    @staticmethod
    def cpu(processes: list[psutil.Process]) -> dict[int, float]:
        seconds = {}
        for p in processes:
            try:
                t = p.cpu_times()
                seconds[p.pid] = t.user + t.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return seconds

    def begin(self) -> None:
        self.started = time.monotonic()
        self.first = {name: self.cpu(ps) for name, ps in self.groups().items()}
        self.start()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stopping.wait(0.5):
                total, active = conn.execute(
                    "SELECT count(*), count(*) FILTER (WHERE state = 'active') FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.database,),
                ).fetchone()
                self.peak, self.active_peak = max(self.peak, total), max(self.active_peak, active)

    def finish(self) -> dict[str, float]:
        self.stopping.set()
        self.join(timeout=5)
        elapsed = time.monotonic() - self.started
        used = {}
        for name, ps in self.groups().items():
            now = self.cpu(ps)
            before = self.first.get(name, {})
            used[name] = sum(now[pid] - before.get(pid, 0.0) for pid in now) / elapsed
        return used


# -- one step ------------------------------------------------------------------------------------


def cpu_probe() -> float:
    """Milliseconds one core takes for a fixed piece of pure Python (the best of 5), just before a
    step: the floor the step's figures are read against. This host's speed varies through the
    day (the same race's floor p50 was 16 ms at one hour and 30 ms two hours later)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for n in range(1_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best * 1000


def run_step(
    args, base: str, users: int, offset: int, plan_path: Path, out: Path, web, worker, dsn, metrics_dir: Path
) -> Step:
    step = Step(users=users, seconds=args.seconds)
    prefix = out / f"step-{users}"
    env = {
        **os.environ,
        "JOURNEY_PLAN": str(plan_path),
        "JOURNEY_ACCOUNT_OFFSET": str(offset),
        "JOURNEY_STAFF": str(args.staff),
    }
    step.probe_ms = cpu_probe()
    sampler = Sampler(web, worker, dsn, DATABASE)
    jobs_before = jobs_run(metrics_dir)
    started_at = datetime.now(UTC)
    sampler.begin()
    locust = subprocess.Popen(
        [
            sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
            "--host", base, "-u", str(users), "-r", str(args.spawn_rate), "--run-time", f"{args.seconds}s",
            "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING",
        ],
        env=env, cwd=ROOT, stdout=(out / f"step-{users}.log").open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust.wait(timeout=args.seconds + 120)
    ended_at = datetime.now(UTC)
    step.cpu = sampler.finish()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # Locust, now waited for
    step.cpu["Locust"] = (
        children.ru_utime + children.ru_stime - children_before.ru_utime - children_before.ru_stime
    ) / (time.monotonic() - sampler.started)
    step.connections_peak, step.connections_active_peak = sampler.peak, sampler.active_peak
    step.load = os.getloadavg()
    read_stats(step, prefix)
    step.journeys_paid, step.unconfirmed = count_paid(dsn, started_at, ended_at)  # waits for the queue
    after = jobs_run(metrics_dir)
    step.jobs = {task: n - jobs_before.get(task, 0) for task, n in after.items() if n > jobs_before.get(task, 0)}
    return step


def read_stats(step: Step, prefix: Path) -> None:
    with Path(f"{prefix}_stats.csv").open() as f:
        for row in csv.DictReader(f):
            name, kind = row["Name"], row["Type"]
            count, failures = int(row["Request Count"]), int(row["Failure Count"])
            if kind == "JOURNEY":
                if name == "journey paid":
                    step.journeys_reported = count
                elif name == "journey lost":
                    step.journeys_lost = count
                elif name == "journey cancelled":
                    step.cancelled = count
                continue
            if name == "Aggregated":
                step.requests, step.failures = count, failures
                continue
            step.endpoints.append(
                {
                    "name": f"{kind} {name}",
                    "count": count,
                    "failures": failures,
                    "p50": float(row["50%"] or 0),
                    "p95": float(row["95%"] or 0),
                    "p99": float(row["99%"] or 0),
                }
            )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with failures.open() as f:
            step.failure_samples = [
                f"{r['Method']} {r['Name']}: {r['Error'][:160]} ({r['Occurrences']})" for r in csv.DictReader(f)
            ][:5]
    # The journey events carry no requests: the aggregate counted them; take them back out.
    journey_events = step.journeys_reported + step.journeys_lost + step.cancelled
    step.requests -= journey_events


def count_paid(dsn: str, started: datetime, ended: datetime) -> tuple[int, int]:
    """Orders made during the step whose payment was confirmed, once the job queue is drained
    (at most 60 s), and those still waiting."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND scheduled_at IS NULL"
            ).fetchone()[0]
            if not waiting:
                break
            time.sleep(1)
        paid, unconfirmed = conn.execute(
            "SELECT count(*) FILTER (WHERE paid_at IS NOT NULL),"
            " count(*) FILTER (WHERE paid_at IS NULL AND status = 'pending_payment')"
            " FROM orders WHERE created_at BETWEEN %s AND %s",
            (started, ended),
        ).fetchone()
    return paid, unconfirmed


# -- profiling -----------------------------------------------------------------------------------


def profile_worker(web: subprocess.Popen, seconds: int, out: Path) -> dict:
    """py-spy record of one gunicorn worker (raw collapsed stacks) and a dump, summarised."""
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    workers = psutil.Process(web.pid).children()
    if not workers:
        return {"error": "no worker"}
    target = max(workers, key=lambda p: p.cpu_times().user)
    raw = out / "py-spy.txt"
    record = subprocess.run(
        [pyspy, "record", "--pid", str(target.pid), "--duration", str(seconds), "--rate", "100",
         "--format", "raw", "--output", str(raw), "--nonblocking"],
        capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    dump = subprocess.run([pyspy, "dump", "--pid", str(target.pid)], capture_output=True, text=True, timeout=60)
    if record.returncode != 0 or not raw.exists():
        return {"error": (record.stderr or record.stdout).strip()[-500:], "dump": dump.stdout[-2000:]}
    return {"pid": target.pid, "file": str(raw), **summarise(raw), "dump": dump.stdout[-3000:]}


def summarise(raw: Path, top: int = 15) -> dict:
    """Where the samples went: own time by function (the leaf frame), and inclusive time of the
    app's own functions and of a few known costs (SQL execution, templates, password hashing)."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        if any(f.startswith("SyncWorker.wait ") for f in frames):
            idle += n  # waiting for a connection: not busy
        leaf = re.sub(r"\s*\(.*?:\d+\)$", "", frames[-1]) + " " + _where(frames[-1])
        own[leaf] = own.get(leaf, 0) + n
        seen = set()
        for frame in frames:
            key = _label(frame)
            if key and key not in seen:
                seen.add(key)
                inclusive[key] = inclusive.get(key, 0) + n
    share = lambda d: [(k, round(100 * v / total, 1)) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]]  # noqa: E731
    return {
        "samples": total,
        "idle": round(100 * idle / total, 1) if total else 0.0,
        "own": share(own),
        "inclusive": share(inclusive),
    }


def _where(frame: str) -> str:
    found = re.search(r"\((.*?):\d+\)$", frame)
    return f"({found.group(1)})" if found else ""


def _ours(frame: str) -> bool:
    """A frame of the app's own code (py-spy names files from their import root: app/..., search/...)."""
    return bool(re.search(r"\((?:app|search)/[^:]*:\d+\)$", frame))


KNOWN = {
    "do_execute": "SQL: cursor.execute (waiting on PostgreSQL)",
    "_compile_w_cache": "SQL: compiling statements",
    "render_template": "templates: render_template",
    "check_password_hash": "password hashing",
    "verify_password": "password hashing",
    "_process_row": "SQL: building rows",
}


def _label(frame: str) -> str | None:
    function = frame.split(" (", 1)[0]
    if function in KNOWN:
        return KNOWN[function]
    if _ours(frame):
        return f"{function} {_where(frame)}"
    return None


# -- the report ----------------------------------------------------------------------------------


def report(result: dict) -> str:
    steps = [Step(**{**s, "load": tuple(s["load"])}) for s in result["steps"]]
    held = [s for s in steps if s.held]
    best = max(held, key=lambda s: s.journeys_per_second) if held else None
    lines = [
        HEADING,
        "",
        f"Run {result['when']}, commit {result['commit']}, `python -m bench.journey.run` "
        f"({len(steps)} steps of {steps[0].seconds:.0f} s; Locust {result['locust']}). "
        "The app under `gunicorn --config python:app.ops.gunicorn_hooks "
        f"--workers {result.get('workers', 3)} wsgi:app` with Redis and "
        "`flask jobs worker` (which confirms the Demo gateway's payments), on the page benchmark's seeded "
        f"database plus {result['customers']} customer accounts. Users: anonymous visitors (home, search with "
        "filters, a venue page, a booking page; weight 2), customers (weight 3; each a distinct account signed "
        "in once: search, a venue, the day's free times, a time, add to cart, cart, check out, order page, pay "
        "with the Demo gateway, My bookings, one booking in five cancelled) and "
        f"{result['staff']} venue staff (the day and week calendars, a booking's detail). Think time 0.5-1.5 s. "
        "A complete booking journey is an order paid and confirmed by the job worker during the step. "
        "Production settings except that production refuses the Demo gateway: `COZYWISH_ENV=development` "
        "with debug off, log level WARNING, Redis, the page caches on, metrics kept for several processes "
        "(`PROMETHEUS_MULTIPROC_DIR`). "
        + (
            f"Before the first step, {result['warmup_seconds']} s of the same load, not measured."
            if result.get("warmup_seconds")
            else "No warm-up: the first step meets a freshly started server."
        ),
        "",
        f"Machine: {os.cpu_count()} CPUs; the load average (1 min) is beside each step, and it is"
        " the load generator's, the job worker's and PostgreSQL's as much as the web's. The CPU probe is"
        " the floor: the best of five timings of one fixed loop of pure Python on one core just before"
        " the step (`cpu_probe`); this host's speed varies through the day, so compare runs by it.",
        "",
        "| users | CPU probe | load (1 min) | requests | failures | worst endpoint p99 | journeys/s (paid) "
        "| lost races | cancelled | CPU: web / jobs / PG / Locust (cores) | server CPU per journey "
        "| DB connections peak (active) | held |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in steps:
        worst = max(s.endpoints, key=lambda e: e["p99"]) if s.endpoints else {"name": "-", "p99": 0}
        cpu = " / ".join(f"{s.cpu.get(k, 0):.2f}" for k in ("gunicorn workers", "job worker", "PostgreSQL", "Locust"))
        lines.append(
            f"| {s.users} | {s.probe_ms:.0f} ms | {s.load[0]:.1f} | {s.requests} | {s.failures} | "
            f"{worst['p99']:.0f} ms ({worst['name']}) | {s.journeys_per_second:.2f} ({s.journeys_paid}"
            f"{f', {s.unconfirmed} unconfirmed' if s.unconfirmed else ''}) | {s.journeys_lost} | {s.cancelled} | "
            f"{cpu} | {s.server_cpu_per_journey:.3f} s | {s.connections_peak} ({s.connections_active_peak}) "
            f"| {'yes' if s.held else 'no'} |"
        )
    lines.append("")
    if best:
        verdict = "met" if best.journeys_per_second >= TARGET_JOURNEYS else "missed"
        lines.append(
            f"**Held**: {best.users} users, {best.journeys_per_second:.2f} complete booking journeys a second with "
            f"p99 <= {P99_MS:.0f} ms on every endpoint and no failure (target {TARGET_JOURNEYS:.0f}/s: **{verdict}**); "
            f"at that step the database had {best.connections_peak} connections open at the peak, "
            f"{best.connections_active_peak} of them active. Server CPU per complete journey (web, job worker "
            f"and PostgreSQL over the journeys paid, the visitors' and staff's requests included): "
            f"{best.server_cpu_per_journey:.3f} s (target <= {TARGET_CPU_PER_JOURNEY:.2f} s: "
            f"**{'met' if best.server_cpu_per_journey <= TARGET_CPU_PER_JOURNEY else 'missed'}**)."
        )
    else:
        lines.append(f"**No step held** p99 <= {P99_MS:.0f} ms with no failure.")
    lines.append("")
    shown = best or steps[-1]
    lines += [
        f"Per endpoint at {shown.users} users (ms):",
        "",
        "| endpoint | requests | failures | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|",
    ]
    for e in sorted(shown.endpoints, key=lambda e: -e["p99"]):
        lines.append(
            f"| {e['name']} | {e['count']} | {e['failures']} | {e['p50']:.0f} | {e['p95']:.0f} | {e['p99']:.0f} |"
        )
    if shown.jobs:
        per = shown.journeys_paid or 1
        lines += [
            "",
            f"Jobs the job worker ran at {shown.users} users, during the step and while its queue drained "
            f"(from `cozywish_job_runs_total`), against its {shown.journeys_paid} complete journeys:",
            "",
            "| task | jobs | per journey |",
            "|---|---|---|",
        ]
        for task, n in sorted(shown.jobs.items(), key=lambda kv: -kv[1]):
            lines.append(f"| `{task}` | {n} | {n / per:.2f} |")
        total = sum(shown.jobs.values())
        lines.append(f"| all | {total} | {total / per:.2f} |")
    for s in steps:
        for sample in s.failure_samples:
            lines.append(f"\nFailure at {s.users} users: {sample}")
    lines += [
        "",
        "### Signed-in pages: uncached render cost",
        "",
        "One warm gunicorn worker, the same session: each page with a query string of its own (a key no "
        "copy has: rendered) against the same URL again (the private page copy), alternating. Wall time over "
        "loopback, so each includes about a millisecond of HTTP.",
        "",
        "| page | uncached p50 / p95 | cached copy p50 / p95 | X-Private-Cache (uncached, cached) | load |",
        "|---|---|---|---|---|",
    ]
    for r in result["render_costs"]:
        headers = ", ".join(f"{a}/{b}" for a, b in r["cache_headers"])
        lines.append(
            f"| {r['page']} | {r['uncached_p50']:.1f} / {r['uncached_p95']:.1f} ms | "
            f"{r['cached_p50']:.1f} / {r['cached_p95']:.1f} ms | {headers} | {r['load']:.1f} |"
        )
    profile = result.get("profile") or {}
    lines += ["", "### What saturates first: py-spy on a gunicorn worker", ""]
    if profile.get("error"):
        lines.append(f"py-spy could not record: `{profile['error']}`.")
    elif profile:
        lines.append(
            f"`py-spy record --format raw` of the busiest worker for {result['profile_seconds']} s at "
            f"{result['profile_users']} users: {profile['samples']} samples, {profile.get('idle', 0)}% of them waiting "
            "for a connection (idle). Inclusive share of the samples:"
        )
        lines += ["", "| where | share |", "|---|---|"]
        lines += [f"| {k} | {v}% |" for k, v in profile["inclusive"]]
        lines += ["", "Own time (leaf frame):", "", "| function | share |", "|---|---|"]
        lines += [f"| `{k}` | {v}% |" for k, v in profile["own"][:10]]
    if result.get("reading"):
        lines += ["", result["reading"].strip()]
    return "\n".join(lines) + "\n"


def headline(result: dict) -> str:
    steps = [Step(**{**s, "load": tuple(s["load"])}) for s in result["steps"]]
    held = [s for s in steps if s.held]
    if not held:
        return "no step held p99 <= 500 ms with 0 errors"
    best = max(held, key=lambda s: s.journeys_per_second)
    return (
        f"{best.journeys_per_second:.2f} complete booking journeys/s held at {best.users} users "
        f"(p99 <= 500 ms, 0 errors; target 10/s); server CPU per journey {best.server_cpu_per_journey:.3f} s "
        f"(target {TARGET_CPU_PER_JOURNEY:.2f}); DB connections peak {best.connections_peak}"
    )


def write(result: dict, output: Path) -> None:
    text = output.read_text()
    bounds = section_bounds(text, HEADING)
    if bounds and f"Run {result['when']}" not in text[bounds[0] : bounds[1]]:  # not this run again
        old = text[bounds[0] : bounds[1]]
        archive(
            history_of(output),
            HEADING,
            ["### Run of " + old.split("Run ", 1)[1].split(",", 1)[0] + "\n" + old.split("\n", 1)[1]],
        )
    text = replace_section(text, HEADING, report(result))
    text = set_row(
        text,
        "bench/journey",
        [
            "[Whole journey under load](#whole-journey-under-load): `bench/journey`, Locust, stepped",
            f"{result['when']}, commit {result['commit']}",
            headline(result),
            f"{os.cpu_count()} CPUs; load average {result['steps'][0]['load'][0]:.1f}-"
            f"{max(s['load'][0] for s in result['steps']):.1f} (1 min)",
        ],
    )
    output.write_text(text)


# -- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[6, 10, 15, 20, 30, 40], help="Locust users per step")
    parser.add_argument("--seconds", type=int, default=60, help="length of each step")
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (the Dockerfile's count)")
    parser.add_argument("--staff", type=int, default=2)
    parser.add_argument("--customers", type=int, default=600, help="customer accounts seeded for the steps")
    parser.add_argument("--render-samples", type=int, default=30)
    parser.add_argument("--profile-seconds", type=int, default=20)
    parser.add_argument("--keep-going", action="store_true", help="run every step, even past two that failed")
    parser.add_argument("--warmup-seconds", type=int, default=30, help="an unmeasured run before the first step")
    parser.add_argument("--reading", type=Path, help="a hand-written reading of the profile to include")
    parser.add_argument(
        "--reuse", type=Path, help="seed once and save what was seeded here; later runs reuse it (its bookings grow)"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--render-from", type=Path, help="write the report again from a --json file")
    args = parser.parse_args(argv)
    if args.render_from:
        result = json.loads(args.render_from.read_text())
        if args.reading:
            result["reading"] = args.reading.read_text()
        write(result, args.output)
        return

    out = Path(tempfile.mkdtemp(prefix="bench-journey-"))
    print(f"[journey] logs and Locust files in {out}")
    if args.reuse and args.reuse.exists():  # the database an earlier run seeded (--reuse)
        saved = json.loads(args.reuse.read_text())
        seeded, plan = seeding.Seeded(**saved["seeded"]), saved["plan"]
    else:
        seeded, plan = seed_all(args.customers)
        if args.reuse:
            args.reuse.write_text(json.dumps({"seeded": asdict(seeded), "plan": plan}))
    plan_path = out / "plan.json"
    plan_path.write_text(json.dumps(plan))
    dsn = libpq(make_url(seeded.url))
    flush_redis()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = out / "metrics"
    metrics_dir.mkdir()
    env = server_env(seeded, base, metrics_dir)
    result: dict = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "customers": args.customers,
        "staff": args.staff,
        "locust": version("locust"),
        "steps": [],
        "profile_seconds": args.profile_seconds,
        "warmup_seconds": args.warmup_seconds,
        "workers": args.workers,
    }

    print("[journey] the signed-in pages' render cost, one warm worker")
    web = start_web(env, port, 1, out / "web-1.log")
    try:
        result["render_costs"] = render_costs(base, seeded, args.render_samples)
    finally:
        stop(web)
    flush_redis()
    web = start_web(env, port, args.workers, out / "web.log")
    worker = start_worker(env, out / "worker.log")
    try:
        offset = 0
        if args.warmup_seconds and args.users:
            # Unmeasured: the first step then meets workers that have served traffic, as a deployed
            # server's have (a freshly started server is what the checkout race measures).
            users = args.users[0]
            print(f"[journey] warm-up: {users} users for {args.warmup_seconds} s, not measured")
            warming = out / "warm-up"
            warming.mkdir()
            run_step(argparse.Namespace(**{**vars(args), "seconds": args.warmup_seconds}), base, users, offset,
                     plan_path, warming, web, worker, dsn, metrics_dir)  # fmt: skip
            offset += users
        missed = 0
        for users in args.users:
            if offset + users > len(plan["customers"]):
                print(f"[journey] out of customer accounts at {users} users; seed more with --customers")
                break
            print(f"[journey] step: {users} users for {args.seconds} s (load {os.getloadavg()[0]:.1f})")
            step = run_step(args, base, users, offset, plan_path, out, web, worker, dsn, metrics_dir)
            offset += users  # every step signs in accounts no earlier step used
            result["steps"].append(asdict(step))
            print(
                f"  {step.requests} requests, {step.failures} failures, worst p99 {step.worst_p99:.0f} ms, "
                f"journeys/s {step.journeys_per_second:.2f} ({step.journeys_paid} paid, {step.journeys_lost} lost), "
                f"CPU { ({k: round(v, 2) for k, v in step.cpu.items()}) } "
                f"({step.server_cpu_per_journey:.3f} s a journey), connections {step.connections_peak} "
                f"({step.connections_active_peak} active), load {step.load[0]:.1f}, held {step.held}"
            )
            missed = 0 if step.held else missed + 1
            if missed == 2 and not args.keep_going:
                break  # two steps in a row did not hold: the machine is past what it holds
        if args.profile_seconds and result["steps"] and offset + result["steps"][-1]["users"] <= len(plan["customers"]):
            # One more run at the last step's load (the first that did not hold, or the largest),
            # with py-spy on the busiest worker from a few seconds in: measured apart, so the
            # sampler's own cost touches none of the steps above.
            users = result["steps"][-1]["users"]
            print(f"[journey] profiling one worker at {users} users")
            holder: dict = {}
            timer = threading.Timer(10, lambda: holder.update(profile_worker(web, args.profile_seconds, out)))
            timer.start()
            profiling = out / "profiling"
            profiling.mkdir()
            run_step(argparse.Namespace(**{**vars(args), "seconds": args.profile_seconds + 20}), base, users, offset,
                     plan_path, profiling, web, worker, dsn, metrics_dir)  # fmt: skip
            timer.join(timeout=args.profile_seconds + 90)
            result["profile"], result["profile_users"] = holder, users
    finally:
        stop(web)
        stop(worker)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    if args.reading:
        result["reading"] = args.reading.read_text()
    write(result, args.output)
    print(f"[journey] {headline(result)}; written to {args.output}")


if __name__ == "__main__":
    main()
