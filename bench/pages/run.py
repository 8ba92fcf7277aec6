"""Page benchmark: the real app under gunicorn as the Dockerfile starts it, against a bare Flask
"hello" floor under the identical command, driven by wrk; writes docs/benchmarks.md.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.pages.run

1. Installs ``wrk`` with apt-get when it is missing.
2. Seeds a fresh database (``bench.pages.seed``): 400 generated venues and a showcase venue at
   realistic size.
3. Counts each page's SQL statements in-process (the Flask test client and a SQLAlchemy
   ``before_cursor_execute`` listener), once cold and once warm.
4. Starts ``gunicorn --bind 127.0.0.1:PORT --workers 3 wsgi:app`` (``COZYWISH_ENV=production``,
   a random ``SECRET_KEY``, the seeded ``DATABASE_URL``, a Redis database of its own as
   ``REDIS_URL``, and ``FORCE_HTTPS=0`` as docker-compose.yml sets for plain http on
   localhost) and ``bench.pages.hello:app`` under the same flags on another port.
5. Signs in through HTTP before each signed-in page, follows the redirect once as a browser does
   (the welcome message is shown, the session gets its CSRF secret), and passes that cookie to
   wrk (a page's rounds stay within the minute the cookie's "last seen" is good for).
6. For each page: floor, page, floor, page (``wrk -t2 -c32 -d{duration}s --latency``), after
   a short unmeasured warm-up; traffic goes to 127.0.0.1 only and every run is bounded. The
   pages are asked as a browser asks them, ``Accept-Encoding: gzip, deflate, br``, so they go
   out in Brotli (``--accept-encoding identity``: uncompressed, as runs before 2026-11-29 were
   measured); the floor's five bytes are never compressed.

The report gives, per page, req/s (mean of its rounds), p50 (mean of the rounds), p99 (the
worse round), the ratio of the page's req/s to the floor's in the same run, and SQL statements.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench.pages import calendar_week
from bench.pages import seed as seeding
from bench.pages.report import git_commit, write_report
from bench.pages.wrk import USER_AGENT, WrkResult, ensure_wrk, run_wrk

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
REDIS_DB = 13  # a Redis database of the benchmark's own, emptied before each run
TARGET_VENUE_RATIO, TARGET_VENUE_P99_MS = 0.40, 150.0
TARGET_PUBLIC_RATIO, TARGET_SIGNED_IN_RATIO = 0.25, 0.15
HTMX_SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}
BROWSER_ENCODINGS = "gzip, deflate, br"  # what Chromium and Python's requests (Locust) send


@dataclass
class Page:
    name: str
    path: str
    role: str | None = None  # None: anonymous; else "customer", "provider", "admin"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.role is None


def pages(s: seeding.Seeded) -> list[Page]:
    venue = f"/venues/{s.venue_slug}"
    book = f"{venue}/book/{s.service_id}"
    return [
        Page("Venue page", venue),
        Page("Home", "/"),
        Page("Search: text", "/search?q=massage"),
        Page(
            "Search: text + geo + facets",
            "/search?q=massage&near=London&radius=10&price=2500-5000&rating=4",
        ),
        Page("Category page", f"/c/{s.category_slug}"),
        Page("Booking page", book),
        Page("Booking: day's slots (fragment)", f"{book}?day={s.slot_day}", headers=HTMX_SLOTS),
        Page("Cart", "/cart", "customer"),
        Page("Checkout (order page)", f"/orders/{s.order_id}", "customer"),
        Page("My bookings", "/bookings", "customer"),
        Page("My bookings: past (500)", "/bookings?tab=past", "customer"),
        Page("Provider calendar (week)", f"/provider/calendar?view=week&date={s.calendar_day}", "provider"),
        Page("Admin approval queue", "/admin/venues", "admin"),
    ]


# -- servers --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


def server_env(s: seeding.Seeded, *, with_redis: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("FLASK_", "COZYWISH_", "TEST_DATABASE", "REDIS_URL", "ELASTICSEARCH_URL"))
    }
    env.update(
        COZYWISH_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=s.url,
        FORCE_HTTPS="0",  # plain http on loopback, as docker-compose.yml runs it without a TLS proxy
        UPLOAD_ROOT=s.upload_root,
        MAIL_BACKEND="console",
        # What production refuses to start without (no Stripe call is made by the pages measured).
        BASE_URL="https://cozywish.example",
        STRIPE_SECRET_KEY="sk_test_bench_pages",  # noqa: S106  (a placeholder, never sent)
        STRIPE_WEBHOOK_SECRET="whsec_bench_pages",  # noqa: S106
        TOTP_ENCRYPTION_KEY=seeding.TOTP_KEY,
    )
    if with_redis:  # as docker-compose.yml runs it; without, each worker caches in its own memory
        env["REDIS_URL"] = REDIS_URL
    return env


def gunicorn_command(port: int, app: str) -> list[str]:
    # The Dockerfile's CMD, on loopback:
    # gunicorn --config python:app.ops.gunicorn_hooks --bind 0.0.0.0:8000 --workers 3 wsgi:app
    return [
        sys.executable, "-m", "gunicorn", "--config", "python:app.ops.gunicorn_hooks", "--bind", f"127.0.0.1:{port}",
        "--workers", "3", app,
    ]  # fmt: skip


def start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}; see its log")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # gunicorn's master and its workers, started by us
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# -- signing in over HTTP -------------------------------------------------------------------------

SESSION_RE = re.compile(r"cozywish_session=([^;]+)")
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie after signing in through the real form (Secure cookies are read from
    the headers: a cookie jar would not send them back over plain http)."""
    page = requests.get(f"{base}/account/sign-in", headers={"User-Agent": USER_AGENT}, timeout=10)
    cookie = SESSION_RE.search(page.headers.get("Set-Cookie", "")).group(1)
    token = CSRF_RE.search(page.text).group(1)
    answer = requests.post(
        f"{base}/account/sign-in",
        data={"email": email, "password": password, "remember": "y", "csrf_token": token},
        headers={"User-Agent": USER_AGENT, "Cookie": f"cozywish_session={cookie}", "Referer": f"{base}/"},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 302:
        raise SystemExit(f"signing in as {email} answered {answer.status_code}")
    cookie = SESSION_RE.search(answer.headers["Set-Cookie"]).group(1)
    if answer.headers["Location"].endswith("/account/two-factor"):  # administrators: the code step
        import pyotp

        headers = {"User-Agent": USER_AGENT, "Cookie": f"cozywish_session={cookie}", "Referer": f"{base}/"}
        step = requests.get(f"{base}/account/two-factor", headers=headers, timeout=10)
        if fresh := SESSION_RE.search(step.headers.get("Set-Cookie", "")):  # the step's CSRF token is in it
            headers["Cookie"] = f"cozywish_session={fresh.group(1)}"
        answer = requests.post(
            f"{base}/account/two-factor",
            data={
                "code": pyotp.TOTP(seeding.ADMIN_TOTP_SECRET).now(),
                "csrf_token": CSRF_RE.search(step.text).group(1),
            },
            headers=headers,
            allow_redirects=False,
            timeout=10,
        )
        if answer.status_code != 302:
            raise SystemExit(f"the code step for {email} answered {answer.status_code}")
        cookie = SESSION_RE.search(answer.headers["Set-Cookie"]).group(1)
    # Follow the redirect once, as a browser does: the landing page shows the "welcome" message
    # (which then leaves the session) and gives the session its CSRF secret. wrk replays one
    # cookie, so without this every measured request would still carry both.
    landing = requests.get(
        answer.headers["Location"]
        if answer.headers["Location"].startswith("http")
        else base + answer.headers["Location"],
        headers={"User-Agent": USER_AGENT, "Cookie": f"cozywish_session={cookie}"},
        allow_redirects=False,
        timeout=10,
    )
    if landing.status_code != 200:
        raise SystemExit(f"the page after signing in as {email} answered {landing.status_code}")
    if fresh := SESSION_RE.search(landing.headers.get("Set-Cookie", "")):
        cookie = fresh.group(1)
    return f"cozywish_session={cookie}"


# -- SQL statements per page ----------------------------------------------------------------------


def count_statements(s: seeding.Seeded, page_list: list[Page], *, with_redis: bool) -> dict[str, tuple[int, int]]:
    """(cold, warm) statement counts per page: its first request, then the next (one process
    asks for the pages in order, so a page's cold count may profit from what those above cached)."""
    from sqlalchemy import event, select

    from app import create_app
    from app.accounts.models import User
    from app.platform.extensions import db
    from config import sqlalchemy_url

    env = server_env(s, with_redis=with_redis)
    redis_url = env.get("REDIS_URL")
    # config.py read the environment when it was imported: give the server's settings directly.
    app = create_app(
        "production",
        overrides={
            "SECRET_KEY": env["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(env["DATABASE_URL"]),
            "REDIS_URL": redis_url,
            "CACHE_TYPE": "RedisCache" if redis_url else "SimpleCache",
            "CACHE_REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
            "FORCE_HTTPS": False,
            "UPLOAD_ROOT": env["UPLOAD_ROOT"],
            "MAIL_BACKEND": "console",
            **{key: env[key] for key in ("BASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")},
            "TOTP_ENCRYPTION_KEY": env["TOTP_ENCRYPTION_KEY"],
        },
    )
    counts: dict[str, tuple[int, int]] = {}
    statements: list[str] = []
    with app.app_context():
        users = {
            role: db.session.scalar(select(User).where(User.email == email))
            for role, email in (
                ("customer", s.customer_email),
                ("provider", s.provider_email),
                ("admin", s.admin_email),
            )
        }
        from app.accounts.sessions import start_session

        for user in users.values():  # a server-side session each, as signing in through the form opens
            start_session(user, ip="127.0.0.1", user_agent=USER_AGENT, remember=True)
        db.session.commit()
        ids = {role: user.get_id() for role, user in users.items()}
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    for page in page_list:
        client = app.test_client()
        if page.role:
            with client.session_transaction() as session:
                session.update({"_user_id": ids[page.role], "_fresh": True, "remember": True})
                session["last_seen"] = time.time()
                session["csrf_token"] = secrets.token_hex(20)  # a browser's session has seen a page
        found = []
        for _ in range(2):
            statements.clear()
            response = client.get(page.path, headers={"User-Agent": USER_AGENT, **page.headers})
            if response.status_code != 200:
                raise SystemExit(f"{page.name} ({page.path}) answered {response.status_code} in-process")
            found.append(len(statements))
        counts[page.name] = (found[0], found[1])
    return counts


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class PageResult:
    page: Page
    rounds: list[WrkResult]
    floors: list[WrkResult]

    @property
    def rps(self) -> float:
        return sum(r.rps for r in self.rounds) / len(self.rounds)

    @property
    def floor_rps(self) -> float:
        return sum(r.rps for r in self.floors) / len(self.floors)

    @property
    def ratio(self) -> float:
        return self.rps / self.floor_rps if self.floor_rps else 0.0

    @property
    def p50(self) -> float:
        return sum(r.p50_ms for r in self.rounds) / len(self.rounds)

    @property
    def p99(self) -> float:
        return max(r.p99_ms for r in self.rounds)

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)


def target_of(page: Page) -> str:
    if page.name == "Venue page":
        return f"≥ {TARGET_VENUE_RATIO:.2f}, p99 ≤ {TARGET_VENUE_P99_MS:.0f} ms"
    return f"≥ {TARGET_PUBLIC_RATIO if page.public else TARGET_SIGNED_IN_RATIO:.2f}"


def meets(result: PageResult) -> bool:
    page = result.page
    if result.errors:
        return False
    if page.name == "Venue page":
        return result.ratio >= TARGET_VENUE_RATIO and result.p99 <= TARGET_VENUE_P99_MS
    return result.ratio >= (TARGET_PUBLIC_RATIO if page.public else TARGET_SIGNED_IN_RATIO)


def profile(server: subprocess.Popen, folder: Path, name: str, seconds: float) -> subprocess.Popen:
    """py-spy sampling gunicorn's workers (the master's children) for one round, as collapsed
    stacks in ``folder`` (read them with ``py-spy``'s own tools or any flame graph viewer)."""
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    command = ["py-spy", "record", "--format", "raw", "--rate", "200", "--subprocesses", "--nonblocking"]
    command += ["--duration", str(int(seconds)), "--pid", str(server.pid), "--output", str(folder / f"{slug}.txt")]
    py_spy = Path(sys.executable).with_name("py-spy")
    if py_spy.exists():
        command[0] = str(py_spy)
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="Latest run", help="the report's subsection for this run")
    parser.add_argument(
        "--scale", type=int, default=1, help="seed this many times the data (bench/pages/seed.py); use with --output"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each wrk round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per page, each after a floor round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds of load before a page")
    parser.add_argument("--only", nargs="*", help="run only pages whose name contains one of these")
    parser.add_argument(
        "--accept-encoding",
        default=BROWSER_ENCODINGS,
        help=f"the pages' Accept-Encoding (default {BROWSER_ENCODINGS!r}, as browsers and bench/journey's Locust "
        "send it: pages go out in Brotli; 'identity' measures them uncompressed, as runs before 2026-11-29 did)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--profile",
        type=Path,
        help="also sample the app's workers with py-spy during each page's first round (collapsed stacks here)",
    )
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    wrk = ensure_wrk(log)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    commit = git_commit()  # the code the servers load now (edits made during the run don't count)
    load_start = tuple(round(x, 2) for x in os.getloadavg())
    seeded = seeding.seed(log=log, scale=args.scale)
    page_list = [p for p in pages(seeded) if not args.only or any(o.lower() in p.name.lower() for o in args.only)]
    with_redis = redis_available()
    if not with_redis:
        log(f"[setup] no Redis at {REDIS_URL}: the servers cache in each worker's memory")
    statements = count_statements(seeded, page_list, with_redis=with_redis)
    log("[sql] " + ", ".join(f"{name}: {cold}/{warm}" for name, (cold, warm) in statements.items()))

    if with_redis:
        flush_redis()
    env = server_env(seeded, with_redis=with_redis)
    logs = Path(seeded.upload_root).parent / f"bench-pages-{os.getpid()}"
    logs.mkdir(exist_ok=True)
    app_port, floor_port = free_port(), free_port()
    # As the image runs it: the workers' metrics shared through files (app/platform/metrics.py), here in
    # a directory of the app's own (the floor writes none).
    app_env = dict(env, PROMETHEUS_MULTIPROC_DIR=str(logs / "metrics"))
    app_server = start(gunicorn_command(app_port, "wsgi:app"), app_env, logs / "app.log")
    floor_server = start(gunicorn_command(floor_port, "bench.pages.hello:app"), env, logs / "floor.log")
    results: list[PageResult] = []
    try:
        base, floor = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{floor_port}/"
        wait_until_up(base + "/healthz", app_server)
        wait_until_up(floor, floor_server)
        emails = {"customer": seeded.customer_email, "provider": seeded.provider_email, "admin": seeded.admin_email}
        for page in page_list:
            headers = {"Accept-Encoding": args.accept_encoding, **page.headers}
            if page.role:
                # Signed in again for each page: a browser sends back the cookie that notes its
                # visit once a minute (app/ops/session.py, LAST_SEEN_EVERY); wrk replays one
                # cookie, which after a minute would have every request note the visit again.
                # A page's rounds take well under a minute.
                headers["Cookie"] = sign_in(base, emails[page.role], seeded.password)
            check = requests.get(
                base + page.path, headers={"User-Agent": USER_AGENT, **headers}, allow_redirects=False, timeout=30
            )
            if check.status_code != 200:
                raise SystemExit(f"{page.name} ({page.path}) answered {check.status_code} over HTTP")
            if args.warmup:
                run_wrk(wrk, base + page.path, seconds=args.warmup, connections=args.connections, headers=headers)
            rounds, floors = [], []
            for n in range(args.rounds):
                floors.append(run_wrk(wrk, floor, seconds=args.seconds, connections=args.connections, headers={}))
                sampler = profile(app_server, args.profile, page.name, args.seconds) if args.profile and not n else None
                rounds.append(
                    run_wrk(wrk, base + page.path, seconds=args.seconds, connections=args.connections, headers=headers)
                )
                if sampler is not None:
                    sampler.wait(timeout=args.seconds + 30)
            result = PageResult(page, rounds, floors)
            results.append(result)
            log(
                f"[wrk] {page.name}: {result.rps:.1f} req/s, floor {result.floor_rps:.0f}, ratio {result.ratio:.3f}, "
                f"p50 {result.p50:.0f} ms, p99 {result.p99:.0f} ms, errors {result.errors}"
            )
    finally:
        stop(app_server)
        stop(floor_server)
        shutil.rmtree(seeded.upload_root, ignore_errors=True)  # the photos' files; the database stays
    run = {
        "started": started,
        "commit": commit,
        "cpus": os.cpu_count(),
        "load_start": load_start,
        "load_end": tuple(round(x, 2) for x in os.getloadavg()),
        "connections": args.connections,
        "accept_encoding": args.accept_encoding,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "seed_seconds": seeded.seconds,
        "cache": "Redis" if with_redis else "each worker's memory (no Redis)",
        "counts": ", ".join(f"{n:,} {t}" for t, n in seeded.counts.items()),
        "rows": [
            {
                "name": r.page.name,
                "path": r.page.path,
                "public": r.page.public,
                "rps": r.rps,
                "floor_rps": r.floor_rps,
                "ratio": r.ratio,
                "target": target_of(r.page),
                "p50": r.p50,
                "p99": r.p99,
                "sql": statements[r.page.name],
                "errors": r.errors,
                "met": meets(r),
            }
            for r in results
        ],
    }
    write_report(args.output, args.label, run)
    log(f"wrote {args.output} ({args.label}); server logs in {logs}")
    # The week grid of a busy week, uncached and in-process (its own section: bench/pages/calendar_week.py).
    if not args.only or any(o.lower() in "calendar week grid" for o in args.only):
        calendar_week.run(label=args.label, output=args.output, log=log)
    if args.json:
        args.json.write_text(json.dumps(run, indent=2, default=str))


if __name__ == "__main__":
    main()
