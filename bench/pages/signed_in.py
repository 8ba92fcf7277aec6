"""What a signed-in request costs in-process (issue 46, item 2), on the page benchmark's database
(``bench/pages/seed.py``: its customer has 500 past bookings and some upcoming):

- the fixed cost of every signed-in request, per role (a customer, a venue's owner, a member of
  its staff): the session cookie opened, the user loaded, the idle check and the provider area's
  access check, CPU of this thread in a request context of the app built as production builds it,
  on a warm worker (the rows remembered: app/platform/remembered.py). Target: <= 1 ms together.
- My bookings and the cart uncached (a query string of their own each time, so the private page
  copy never answers) and from the private copy, CPU per request through the Flask test client,
  with the SQL statements one sends. Target: My bookings <= 8 ms uncached.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.pages.signed_in

Seeds ``cozywish_bench_pages`` afresh (about 10 s). Writes "Signed-in request cost" and its row
of "Latest figures" in docs/benchmarks.md (``--no-doc`` prints only).
"""

from __future__ import annotations

import gc
import re
import secrets
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_login import current_user
from sqlalchemy import event, select

from app.accounts.models import User
from app.accounts.sessions import start_session
from app.ops.session import enforce_idle_timeout
from app.platform.extensions import db
from app.venues.models import StaffRole, Venue
from app.web.guards import current_access
from bench import benchmarks_doc
from bench.pages import seed as seeding
from bench.pages.calendar_week import make_app, percentile
from bench.pages.report import load_average, machine_cell, run_sentence, runner_parser, save_json, start_record
from tests.venues.staff_world import make_staff

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
HEADING = "## Signed-in request cost"
HOST = "https://cozywish.example"  # the production app's cookies are Secure: the client speaks https
TARGET_FIXED_MS, TARGET_MY_BOOKINGS_MS = 1.0, 8.0
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def staff_login(seeded: seeding.Seeded) -> str:
    """A receptionist of the showcase venue (the seed has none): their email."""
    owner = db.session.scalar(select(User).where(User.email == seeded.provider_email))
    venue = db.session.scalar(select(Venue).where(Venue.owner_id == owner.id))

    def make_user(**fields) -> User:
        user = User(email="bench-receptionist@example.com", email_verified_at=datetime.now(UTC), **fields)
        db.session.add(user)
        db.session.flush()
        return user

    receptionist = make_staff(make_user, venue, StaffRole.RECEPTIONIST, name="Rita Reception")
    db.session.commit()
    return receptionist.email


def signed_in_client(app, email: str):
    """A test client whose session names a live session row of ``email``, as after signing in."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        start_session(user, ip="127.0.0.1", user_agent="bench", remember=True)
        identity = user.get_id()  # before the commit: after it, reading it would reload the row in a
        db.session.commit()  # transaction of its own (once ended by a ROLLBACK, which dropped prepared statements)
    client = app.test_client()
    with client.session_transaction(base_url=HOST) as session:
        session.update({"_user_id": identity, "_fresh": True, "remember": True})
        session["last_seen"] = time.time()
        session["csrf_token"] = secrets.token_hex(20)
    return client


def fixed_cost(app, email: str, *, samples: int) -> dict[str, float]:
    """CPU of opening the session, loading the user, the idle check and the access check."""
    client = signed_in_client(app, email)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="cozywish.example").value
    headers = {"Cookie": f"{app.config['SESSION_COOKIE_NAME']}={cookie}", "User-Agent": "bench"}

    def once() -> None:
        with app.test_request_context("/bookings", base_url=HOST, headers=headers):
            if not current_user.is_authenticated:
                raise SystemExit(f"{email}: the session did not load")
            enforce_idle_timeout()
            current_access()
            db.session.remove()

    for _ in range(200):
        once()
    cpu = []
    for _ in range(samples):
        started = time.thread_time()
        once()
        cpu.append((time.thread_time() - started) * 1000)
    return {"p50": statistics.median(cpu), "p95": percentile(cpu, 0.95)}


def page_cost(app, email: str, path: str, *, samples: int) -> dict[str, Any]:
    """CPU per request of ``path`` rendered (a query string of its own) and from the private copy."""
    client = signed_in_client(app, email)
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    joiner = "&" if "?" in path else "?"
    for n in range(20):
        client.get(f"{path}{joiner}warm={n}", base_url=HOST)
        client.get(path, base_url=HOST)
    rendered, copied, caches = [], [], set()
    for n in range(samples):
        statements.clear()
        started = time.thread_time()
        response = client.get(f"{path}{joiner}bench={n}", base_url=HOST)
        rendered.append((time.thread_time() - started) * 1000)
        sent = len(statements)
        started = time.thread_time()
        hit = client.get(path, base_url=HOST)
        copied.append((time.thread_time() - started) * 1000)
        if response.status_code != 200 or hit.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code} / {hit.status_code}")
        caches.add((response.headers.get("X-Private-Cache", "-"), hit.headers.get("X-Private-Cache", "-")))
    return {
        "p50": statistics.median(rendered),
        "p95": percentile(rendered, 0.95),
        "copy_p50": statistics.median(copied),
        "copy_p95": percentile(copied, 0.95),
        "statements": sent,
        "cache": sorted(f"{a}/{b}" for a, b in caches),
    }


def render(run: dict[str, Any]) -> str:
    fixed_met = all(r["p95"] <= TARGET_FIXED_MS for r in run["fixed"].values())
    mine = run["pages"]["My bookings"]
    lines = [
        HEADING,
        "",
        "Written by `bench/pages/signed_in.py` (`python -m bench.pages.signed_in`; see its docstring). In-process, the",
        "app built as production builds it, one warm worker (no HTTP server: the request's own cost), on the page",
        "benchmark's seeded database. CPU of this thread, in ms. Targets (issue 46, item 2): the session, user and",
        "access checks of a signed-in request <= 1 ms together; My bookings <= 8 ms uncached.",
        "",
        f"### {run['label']}",
        "",
        run_sentence(run) + f" {run['samples']} samples each.",
        "",
        "| a signed-in request's fixed cost | CPU p50 / p95 | target <= 1 ms |",
        "|---|---:|---|",
    ]
    for role, r in run["fixed"].items():
        lines.append(
            f"| {role} | {r['p50']:.2f} / {r['p95']:.2f} | {'met' if r['p95'] <= TARGET_FIXED_MS else 'not met'} |"
        )
    lines += [
        "",
        "| page | rendered CPU p50 / p95 | private copy CPU p50 / p95 | SQL statements (rendered) | X-Private-Cache |",
        "|---|---:|---:|---:|---|",
    ]
    for name, r in run["pages"].items():
        lines.append(
            f"| {name} | {r['p50']:.2f} / {r['p95']:.2f} | {r['copy_p50']:.2f} / {r['copy_p95']:.2f} "
            f"| {r['statements']} | {', '.join(r['cache'])} |"
        )
    lines += [
        "",
        f"Fixed cost: {'met' if fixed_met else 'not met'}. My bookings uncached p95 {mine['p95']:.2f} ms "
        f"(target 8: {'met' if mine['p95'] <= TARGET_MY_BOOKINGS_MS else 'not met'}).",
        "",
    ]
    return "\n".join(lines)


def summary(run: dict[str, Any]) -> list[str]:
    worst_fixed = max(r["p95"] for r in run["fixed"].values())
    mine = run["pages"]["My bookings"]
    return [
        "[Signed-in request cost](#signed-in-request-cost): `bench/pages/signed_in.py`, in-process CPU",
        f"{run['started']} UTC, commit {run['commit']}: [{run['label']}]({benchmarks_doc.anchor(run['label'])})",
        f"session, user and access checks p95 <= {worst_fixed:.2f} ms for every role (target 1 ms); My bookings "
        f"uncached p50 {mine['p50']:.1f} / p95 {mine['p95']:.1f} ms (target 8), its private copy p50 "
        f"{mine['copy_p50']:.2f} ms",
        machine_cell(run),
    ]


def write_report(path: Path, run: dict[str, Any]) -> None:
    benchmarks_doc.write_run(path, HEADING, run["label"], render(run), "bench/pages/signed_in.py", summary(run))


def run(*, label: str, samples: int, output: Path | None, log=print) -> dict[str, Any]:
    result = start_record(label)
    seeded = seeding.seed(log=log)
    app = make_app(seeded.url, seeded.upload_root)
    with app.app_context():
        receptionist = staff_login(seeded)
    gc.freeze()  # as a gunicorn worker does once warm (app/ops/gunicorn_hooks.py)
    roles = {"customer": seeded.customer_email, "venue owner": seeded.provider_email, "receptionist": receptionist}
    fixed = {role: fixed_cost(app, email, samples=samples) for role, email in roles.items()}
    pages = {
        "My bookings": page_cost(app, seeded.customer_email, "/bookings", samples=samples),
        "My bookings, past": page_cost(app, seeded.customer_email, "/bookings?tab=past", samples=samples),
        "Cart": page_cost(app, seeded.customer_email, "/cart", samples=samples),
    }
    result.update(load_end=load_average(), samples=samples, fixed=fixed, pages=pages)
    for role, r in fixed.items():
        log(f"[signed in] fixed cost, {role}: CPU p50 {r['p50']:.2f} / p95 {r['p95']:.2f} ms")
    for name, r in pages.items():
        log(
            f"[signed in] {name}: rendered CPU p50 {r['p50']:.2f} / p95 {r['p95']:.2f} ms, {r['statements']} "
            f"statements; private copy p50 {r['copy_p50']:.2f} ms; {r['cache']}"
        )
    if output is not None:
        write_report(output, result)
        log(f"[signed in] wrote {output} ({label})")
    return result


def main(argv: list[str] | None = None) -> None:
    parser = runner_parser(__doc__, OUTPUT)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args(argv)
    save_json(args.json, run(label=args.label, samples=args.samples, output=None if args.no_doc else args.output))


if __name__ == "__main__":
    main()
