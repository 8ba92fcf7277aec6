"""One customer's booking journey in-process, step by step (issue 46, item 1: where each journey's
CPU goes): the steps of ``bench/journey``'s customer (a search with filters, a venue from its
results, a day's free times, a time's form, add to cart, the cart, check out, the order page,
pay, the Demo gateway's page and card, the page after paying, My bookings) through the Flask test
client, then the jobs the payment queued (the settlement, the receipt, the emails) run in-process
as the job worker runs them. Each step's CPU of this thread and its SQL statements; PostgreSQL's
own CPU is not counted (``bench/journey`` measures it under load).

The app is configured as ``bench/journey`` configures its server (the Demo gateway, payouts
collected later, the page caches on, the cache in process memory), on the page benchmark's seeded
database (``bench/pages/seed.py``) plus one account per journey, each signed in once: every
journey is a new customer's, uncached where the load test's is.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.journey.steps

Seeds ``cozywish_bench_pages`` afresh (about 15 s). Writes "Journey steps in-process" and its row of
"Latest figures" in docs/benchmarks.md (``--no-doc`` prints only).
"""

from __future__ import annotations

import gc
import random
import re
import secrets
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from app.accounts.models import Role, User
from app.platform.extensions import db
from app.platform.jobs import run_pending_jobs
from app.venues.models import Service, Venue, VenueStatus
from bench import benchmarks_doc
from bench.journey.run import SEARCHES, cpu_probe
from bench.pages import seed as seeding
from bench.pages.calendar_week import make_app as make_process_app
from bench.pages.report import load_average, machine_cell, run_sentence, runner_parser, save_json, start_record
from bench.pages.signed_in import HOST, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
HEADING = "## Journey steps in-process"
WORKER = "the jobs the payment queued (job worker)"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
VENUE_LINK = re.compile(r'href="(?:https?://[^/"]+)?/venues/([a-z0-9-]+)"')
SLOT_LINK = re.compile(r'href="(/venues/[^"]*start=[^"]+)"')
STARTS_AT = re.compile(r'name="starts_at" value="([^"]+)"')
HTMX_SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}
POST_HEADERS = {"Referer": HOST + "/", "Origin": HOST}  # https: the CSRF check wants the referrer
WARMUP = 5  # journeys before the timed ones: templates compiled, memories filled


def make_app(url: str, upload_root: str):
    """The app as bench/journey's server runs it (run.server_env), the cache in this process."""
    return make_process_app(
        url,
        upload_root,
        "development",  # production refuses the Demo gateway
        DEBUG=False,
        LOG_LEVEL="WARNING",  # as the server's: no access log line a request
        TEMPLATES_AUTO_RELOAD=False,
        MAIL_BACKEND="locmem",  # each email built as for sending, kept in memory (emptied a journey)
        TOTP_ENCRYPTION_KEY=seeding.TOTP_KEY,
        PAYOUTS_COLLECT_BEFORE_ENABLED=True,  # generated venues have no payout account
        DEMO_GATEWAY_SECRET=secrets.token_hex(32),
        STRIPE_SECRET_KEY=None,  # the Demo gateway takes the payments, as in the load test
        STRIPE_WEBHOOK_SECRET=None,
    )


def add_customers(app, count: int) -> list[str]:
    emails = [f"steps-{n}@bench.example" for n in range(count)]
    with app.app_context():
        rows = [
            {"email": e, "name": f"Steps Customer {n}", "role": Role.CUSTOMER, "email_verified_at": datetime.now(UTC)}
            for n, e in enumerate(emails)
        ]
        db.session.execute(insert(User), rows)
        db.session.commit()
    return emails


def bookable_paths(app) -> dict[str, list[str]]:
    """slug -> its services' booking pages, as bench/journey's plan lists them."""
    with app.app_context():
        rows = db.session.execute(
            select(Venue.slug, Service.id)
            .join(Service, Service.venue_id == Venue.id)
            .where(Venue.status == VenueStatus.APPROVED, Service.is_active)
            .order_by(Venue.id, Service.position, Service.id)
        ).all()
    found: dict[str, list[str]] = {}
    for slug, service_id in rows:
        found.setdefault(slug, []).append(f"/venues/{slug}/book/{service_id}")
    return found


class Steps:
    """CPU (ms) and statements of each step, in the order first met."""

    def __init__(self, app) -> None:
        self.cpu: dict[str, list[float]] = {}
        self.statements: dict[str, list[int]] = {}
        self.sent: list[str] = []
        self.timing = False
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *args, **kw: self.sent.append(args[2]))

    def __call__(self, name: str, action: Callable[[], Any]) -> Any:
        self.sent.clear()
        started = time.thread_time()
        result = action()
        spent = (time.thread_time() - started) * 1000
        if self.timing:
            self.cpu.setdefault(name, []).append(spent)
            self.statements.setdefault(name, []).append(len(self.sent))
        return result


def path_of(location: str) -> str:
    return location.removeprefix(HOST)


def journey(app, email: str, bookable: dict[str, list[str]], first_day: date, rng: random.Random, step: Steps) -> bool:
    """One customer's journey; True when it was paid and its jobs ran."""
    client = signed_in_client(app, email)

    def get(path: str, **kwargs: Any):
        return client.get(path, base_url=HOST, **kwargs)

    def post(path: str, data: dict[str, str]):
        return client.post(path, data=data, base_url=HOST, headers=POST_HEADERS)

    def token(page: str) -> str:
        return CSRF.search(page).group(1)

    page = step("search (filters)", lambda: get("/search?" + rng.choice(SEARCHES))).text
    slug = rng.choice([s for s in VENUE_LINK.findall(page) if s in bookable] or sorted(bookable))
    step("venue page", lambda: get(f"/venues/{slug}"))
    book = rng.choice(bookable[slug])
    slot = None
    for _ in range(4):
        day_path = f"{book}?day={first_day + timedelta(days=rng.randrange(28))}"
        found = SLOT_LINK.findall(step("day's free times", lambda p=day_path: get(p, headers=HTMX_SLOTS)).text)
        if found:
            slot = rng.choice(found).replace("&amp;", "&")
            break
    if slot is None:
        return False
    chosen = step("booking page: a time", lambda: get(slot)).text
    starts_at = STARTS_AT.search(chosen)
    if starts_at is None:
        return False
    form = {
        "csrf_token": token(chosen),
        "service_id": book.rsplit("/", 1)[1],
        "starts_at": starts_at.group(1),
        "team_member_id": "",
        "quantity": "1",
    }
    step("add to cart", lambda: post("/cart/items", form))
    cart = step("cart", lambda: get("/cart")).text
    checked_out = step("checkout", lambda: post("/checkout", {"csrf_token": token(cart)}))
    if "/orders/" not in checked_out.headers.get("Location", ""):
        return False
    order = path_of(checked_out.headers["Location"])
    order_page = step("order page", lambda: get(order)).text
    demo = path_of(step("pay (start)", lambda: post(f"{order}/pay", {"csrf_token": token(order_page)})).location)
    demo_page = step("demo gateway page", lambda: get(demo)).text
    card = {"csrf_token": token(demo_page), "card_number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
    after = path_of(step("demo gateway: card", lambda: post(f"{demo}/pay", card)).location)

    def jobs() -> list[str]:
        with app.app_context():
            done = run_pending_jobs()
            db.session.commit()
            return done

    step(WORKER, jobs)
    app.extensions["mailman"].outbox = []
    step("after paying", lambda: get(after))
    step("my bookings", lambda: get("/bookings"))
    return True


def run(*, label: str, journeys: int, output: Path | None, log=print) -> dict[str, Any]:
    result = start_record(label)
    probe = cpu_probe()  # this host's speed, to compare runs of different hosts by
    seeded = seeding.seed(log=log)
    app = make_app(seeded.url, seeded.upload_root)
    emails = add_customers(app, journeys + WARMUP)
    bookable = bookable_paths(app)
    first_day = datetime.now(UTC).date() + timedelta(days=2)  # as bench/journey's plan
    rng = random.Random(46)
    step = Steps(app)
    with app.app_context():
        run_pending_jobs()  # what the seed queued, before any journey
        db.session.commit()
    gc.freeze()  # as a gunicorn worker does once warm (app/ops/gunicorn_hooks.py)
    paid = 0
    for n, email in enumerate(emails):
        step.timing = n >= WARMUP
        if journey(app, email, bookable, first_day, rng, step) and step.timing:
            paid += 1
    if not paid:
        raise SystemExit("no journey was paid")
    steps = {
        name: {
            "count": len(cpu),
            "p50": statistics.median(cpu),
            "mean": statistics.fmean(cpu),
            "statements": statistics.median(step.statements[name]),
            "per_journey": sum(cpu) / paid,
        }
        for name, cpu in step.cpu.items()
    }
    web = sum(s["per_journey"] for name, s in steps.items() if name != WORKER)
    result.update(
        load_end=load_average(),
        cpu_probe_ms=probe,
        journeys=paid,
        steps=steps,
        web_ms=web,
        worker_ms=steps[WORKER]["per_journey"],
    )
    for name, s in steps.items():
        log(
            f"[steps] {name}: CPU p50 {s['p50']:.2f} / mean {s['mean']:.2f} ms, {s['statements']:.0f} statements, "
            f"{s['per_journey']:.2f} ms a journey"
        )
    log(f"[steps] {paid} journeys paid: web {web:.1f} ms, job worker {result['worker_ms']:.1f} ms a journey")
    if output is not None:
        benchmarks_doc.write_run(output, HEADING, label, render(result), "bench/journey/steps.py", summary(result))
        log(f"[steps] wrote {output} ({label})")
    return result


def render(run: dict[str, Any]) -> str:
    lines = [
        HEADING,
        "",
        "Written by `bench/journey/steps.py` (`python -m bench.journey.steps`; see its docstring): one customer's",
        "journey of `bench/journey` in-process, a new account each, then the jobs its payment queued, run as the job",
        "worker runs them. CPU of this thread in ms (the web's and the job worker's Python; PostgreSQL's own CPU is",
        "not counted) and SQL statements per step. Where a journey's CPU goes, not how much a machine holds:",
        "that is `bench/journey`'s.",
        "",
        f"### {run['label']}",
        "",
        run_sentence(run) + " "
        f"CPU probe (`bench/journey/run.py`'s `cpu_probe`) {run['cpu_probe_ms']:.0f} ms. "
        f"{run['journeys']} journeys paid, after {WARMUP} not timed.",
        "",
        "| step | times | CPU p50 | CPU mean | statements (median) | CPU a journey |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in run["steps"].items():
        lines.append(
            f"| {name} | {s['count']} | {s['p50']:.2f} | {s['mean']:.2f} | {s['statements']:.0f} "
            f"| {s['per_journey']:.2f} |"
        )
    lines += [
        "",
        f"A journey: {run['web_ms']:.1f} ms of the web's CPU and {run['worker_ms']:.1f} ms of the job worker's.",
        "",
    ]
    return "\n".join(lines)


def summary(run: dict[str, Any]) -> list[str]:
    costliest = max(run["steps"].items(), key=lambda item: item[1]["per_journey"])
    return [
        "[Journey steps in-process](#journey-steps-in-process): `bench/journey/steps.py`, CPU and statements a step",
        f"{run['started']} UTC, commit {run['commit']}: [{run['label']}]({benchmarks_doc.anchor(run['label'])})",
        f"a journey {run['web_ms']:.1f} ms of web CPU and {run['worker_ms']:.1f} ms of the job worker's "
        f"({run['journeys']} journeys); costliest step: {costliest[0]} {costliest[1]['per_journey']:.1f} ms",
        machine_cell(run, f", CPU probe {run['cpu_probe_ms']:.0f} ms"),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = runner_parser(__doc__, OUTPUT)
    parser.add_argument("--journeys", type=int, default=100)
    args = parser.parse_args(argv)
    save_json(args.json, run(label=args.label, journeys=args.journeys, output=None if args.no_doc else args.output))


if __name__ == "__main__":
    main()
