"""Time every analytics report at scale: p50 and p95 from one run, written to docs/benchmarks.md.

Builds a database of its own (``cozywish_bench_analytics`` on the server of DATABASE_URL):
a busy venue with 50,000 bookings and 5,000 clients over about 500 days, and more venues until
the marketplace holds 1,000,000 bookings (INSERT ... SELECT generate_series; the rollup
trigger is off during the bulk load, then ``rollup.rebuild_all`` counts every day once, timed).
Then it times, each in a fresh session as a request would read them:

- the venue report (last 7, 30, 90 days and a chosen year) for the owner, and for a
  practitioner (their own figures), at the busy venue;
- the marketplace report (last 30, 90 days and a chosen year);
- the rollup job after a minute's worth of changes (300 bookings changed).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.analytics.run [--bookings 1000000] [--samples 30] [--reuse]

The goal (issue 34) is p95 <= 100 ms per report. The machine is shared: compare within a run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from app.analytics import rollup
from app.analytics.market_reports import market_report
from app.analytics.periods import Period
from app.analytics.venue_reports import venue_report
from app.platform.extensions import db
from app.venues.models import Venue
from bench import benchmarks_doc
from bench.availability.generate import TIMEZONE, build_venue, fresh_database, make_app
from tests.database import server_url

DATABASE = "cozywish_bench_analytics"
BIG_VENUE_BOOKINGS = 50_000
BIG_VENUE_CLIENTS = 5_000
OTHER_VENUE_CLIENTS = 1_000
OTHER_VENUES = 49
REVIEWS = 2_000
HEADING = "## Analytics reports (`bench/analytics`)"
GOAL_MS = 100.0

BULK_BOOKINGS = """
INSERT INTO bookings (reference, order_id, client_id, channel, venue_id, service_id, team_member_id, status,
    starts_at, ends_at, blocks_until, quantity, unit_price_minor, currency, cancel_free_hours, refund_minor,
    online_minor, created_at, cancelled_at)
SELECT 'V' || :venue || '-' || g, :order0 + (g - 1) / 10, :client0 + (g * 7919) % :clients,
    CASE WHEN g % 5 = 0 THEN 'desk' ELSE 'online' END, :venue,
    (CAST(:services AS int[]))[1 + g % cardinality(CAST(:services AS int[]))],
    (CAST(:members AS int[]))[1 + (g - 1) % 5],
    CASE WHEN start > now() THEN 'confirmed' WHEN g % 23 = 0 THEN 'no_show'
         WHEN g % 11 = 0 THEN 'cancelled_by_customer' ELSE 'completed' END,
    start, start + interval '30 minutes', start + interval '30 minutes', 1, 4000 + (g % 10) * 500, 'GBP', 24,
    CASE WHEN g % 11 = 0 THEN 2000 ELSE 0 END,
    CASE WHEN g % 5 = 0 THEN 0 ELSE 4000 + (g % 10) * 500 END,
    start - make_interval(hours => g % 200),
    CASE WHEN g % 11 = 0 THEN start - make_interval(hours => g % 48) END
FROM (
    SELECT g, ((CAST(:first_day AS date) + ((g - 1) / 5 / 18)) + time '09:00'
               + ((g - 1) / 5 % 18) * interval '30 minutes') AT TIME ZONE :zone AS start
    FROM generate_series(1, :n) g
) s
"""


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _load_venue(venue_id: int, bookings: int, clients: int, today) -> None:
    session = db.session
    client0 = (
        session.execute(
            text(
                "INSERT INTO venue_clients (venue_id, name) SELECT :venue, 'Client ' || g FROM generate_series(1, :n) g"
                " RETURNING id"
            ),
            {"venue": venue_id, "n": clients},
        )
        .scalars()
        .all()[0]
    )
    order0 = (
        session.execute(
            text(
                "INSERT INTO orders (status, currency, total_minor, hold_expires_at, paid_at, created_at)"
                " SELECT 'paid', 'GBP', 60000, now(), now(), now() FROM generate_series(1, :n) RETURNING id"
            ),
            {"n": (bookings + 9) // 10},
        )
        .scalars()
        .all()[0]
    )
    venue = session.get(Venue, venue_id)
    services = [s.id for s in venue.services if s.capacity == 1]
    members = [m.id for m in venue.team]
    days = bookings / 5 / 18
    session.execute(
        text(BULK_BOOKINGS),
        {
            "venue": venue_id,
            "order0": order0,
            "client0": client0,
            "clients": clients,
            "services": services,
            "members": members,
            "first_day": today - timedelta(days=int(days * 0.9)),
            "zone": TIMEZONE,
            "n": bookings,
        },
    )
    session.commit()


def build(total_bookings: int) -> dict:
    """The venues and bookings; returns what the timings need."""
    today = datetime.now(UTC).date()
    big = build_venue(1, bookings=False)
    others = [build_venue(100 + n, bookings=False) for n in range(OTHER_VENUES)]
    db.session.execute(text("ALTER TABLE bookings DISABLE TRIGGER analytics_mark_booking"))
    db.session.commit()
    _load_venue(big.venue_id, BIG_VENUE_BOOKINGS, BIG_VENUE_CLIENTS, today)
    rest = max(total_bookings - BIG_VENUE_BOOKINGS, 0)
    for n, other in enumerate(others):
        share = rest // OTHER_VENUES + (1 if n < rest % OTHER_VENUES else 0)
        if share:
            _load_venue(other.venue_id, share, OTHER_VENUE_CLIENTS, today)
    db.session.execute(
        text(
            "INSERT INTO users (email, name, role, session_token) SELECT 'c' || g || '@bench.example', 'Customer',"
            " 'customer', md5(g::text) FROM generate_series(1, :n) g"
        ),
        {"n": REVIEWS},
    )
    db.session.execute(
        text(
            "INSERT INTO reviews (booking_id, venue_id, customer_id, rating, body, status, created_at)"
            " SELECT b.id, b.venue_id, u.id, 1 + b.id % 5, 'A lovely visit, we will be back.', 'published',"
            " b.starts_at + interval '1 day' FROM"
            " (SELECT id, venue_id, starts_at, row_number() OVER (ORDER BY id) AS rn FROM bookings"
            "  WHERE venue_id = :venue AND status = 'completed' ORDER BY id LIMIT :n) b"
            " JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM users WHERE email LIKE 'c%@bench.example') u"
            " USING (rn)"
        ),
        {"venue": big.venue_id, "n": REVIEWS},
    )
    db.session.execute(text("ALTER TABLE bookings ENABLE TRIGGER analytics_mark_booking"))
    db.session.commit()
    rebuild_s, days = rebuild()
    practitioner = db.session.get(Venue, big.venue_id).team[0].id
    return {"venue_id": big.venue_id, "member_id": practitioner, "rebuild_s": rebuild_s, "rebuilt_days": days}


def rebuild() -> tuple[float, int]:
    """Statistics first (the recount's plans need them), then every day recounted, timed."""
    _vacuum()
    started = time.perf_counter()
    days = rollup.rebuild_all()
    db.session.commit()
    rebuild_s = time.perf_counter() - started
    _vacuum()
    return rebuild_s, days


def _vacuum() -> None:
    """VACUUM ANALYZE, as autovacuum would after a load (index-only scans need the visibility map)."""
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        connection.execute(text("VACUUM ANALYZE"))
    finally:
        connection.close()


def measure(action: Callable[[], object], samples: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        action()
        db.session.remove()
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return times


def run(args: argparse.Namespace) -> dict:
    load_start = os.getloadavg()
    if args.reuse:
        from sqlalchemy.engine import make_url

        app = make_app(make_url(server_url()).set(database=args.database).render_as_string(hide_password=False))
        with app.app_context():
            venue_id = db.session.execute(
                text("SELECT venue_id FROM bookings GROUP BY venue_id ORDER BY count(*) DESC LIMIT 1")
            ).scalar_one()
            member = db.session.get(Venue, venue_id).team[0].id
            world = {"venue_id": venue_id, "member_id": member, "rebuild_s": None, "rebuilt_days": None}
            if not db.session.execute(text("SELECT count(*) FROM analytics_venue_days")).scalar_one():
                world["rebuild_s"], world["rebuilt_days"] = rebuild()  # an earlier run stopped before it
    else:
        started = time.perf_counter()
        _url, app = fresh_database(args.database)
        with app.app_context():
            world = build(args.bookings)
        world["build_s"] = time.perf_counter() - started
    rows = []
    with app.app_context():
        total = db.session.execute(text("SELECT count(*) FROM bookings")).scalar_one()
        venue_total = db.session.execute(
            text("SELECT count(*) FROM bookings WHERE venue_id = :v"), {"v": world["venue_id"]}
        ).scalar_one()
        zone_today = datetime.now(UTC).date()
        periods = {
            "last 7 days": Period(zone_today - timedelta(days=6), zone_today + timedelta(days=1), "7"),
            "last 30 days": Period(zone_today - timedelta(days=29), zone_today + timedelta(days=1), "30"),
            "last 90 days": Period(zone_today - timedelta(days=89), zone_today + timedelta(days=1), "90"),
            "a chosen year": Period(zone_today - timedelta(days=365), zone_today + timedelta(days=1), None),
        }

        def record(name: str, times: list[float]) -> None:
            row = {
                "name": name,
                "p50": statistics.median(times),
                "p95": percentile(times, 0.95),
                "n": len(times),
            }
            rows.append(row)
            print(f"{name:<52} p50 {row['p50']:8.2f} ms  p95 {row['p95']:8.2f} ms  n={row['n']}", flush=True)

        for label, period in periods.items():

            def owner(period: Period = period) -> None:
                venue_report(db.session.get(Venue, world["venue_id"]), period)

            record(f"Venue report, owner, {label}", measure(owner, args.samples, args.warmup))
        for label in ("last 30 days", "a chosen year"):

            def practitioner(period: Period = periods[label]) -> None:
                venue_report(
                    db.session.get(Venue, world["venue_id"]), period, member_id=world["member_id"], with_revenue=False
                )

            record(f"Venue report, practitioner, {label}", measure(practitioner, args.samples, args.warmup))
        for label in ("last 30 days", "last 90 days", "a chosen year"):

            def market(period: Period = periods[label]) -> None:
                market_report(period)

            record(f"Marketplace report, {label}", measure(market, args.samples, args.warmup))

        def a_minute_of_changes() -> None:
            db.session.execute(
                text(
                    "UPDATE bookings SET refund_minor = refund_minor + 1 WHERE id IN"
                    " (SELECT id FROM bookings TABLESAMPLE SYSTEM (0.1) LIMIT 300)"
                )
            )
            db.session.commit()
            started = time.perf_counter()
            rollup.refresh()
            db.session.commit()
            refresh_times.append((time.perf_counter() - started) * 1000)

        refresh_times: list[float] = []
        for _ in range(max(args.samples // 3, 5)):
            a_minute_of_changes()
            db.session.remove()
        record("Rollup job after 300 changed bookings", refresh_times)
    return {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": _commit(),
        "cpus": os.cpu_count(),
        "load_start": ", ".join(f"{v:.2f}" for v in load_start),
        "load_end": ", ".join(f"{v:.2f}" for v in os.getloadavg()),
        "bookings": total,
        "venue_bookings": venue_total,
        "rows": rows,
        **world,
    }


def _commit() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()


def write_report(path: Path, report: dict) -> None:
    met = [r for r in report["rows"] if not r["name"].startswith("Rollup") and r["p95"] <= GOAL_MS]
    reports = [r for r in report["rows"] if not r["name"].startswith("Rollup")]
    lines = [
        HEADING,
        "",
        "What it measures: each analytics report (app/analytics) in-process, a fresh database session per",
        "sample, at a venue with 50,000 bookings and 5,000 clients in a marketplace of 1,000,000 bookings;",
        "and the rollup job's time after a minute's worth of changes. Goal (issue 34): p95 <= 100 ms per report.",
        "Run: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.analytics.run`.",
        "",
        f"### {report['started']} UTC, commit {report['commit']}",
        "",
        f"{report['bookings']:,} bookings ({report['venue_bookings']:,} at the timed venue); {report['cpus']} CPUs;"
        f" load average (1, 5, 15 min) {report['load_start']} at the start, {report['load_end']} at the end."
        + benchmarks_doc.quiet_or_not(
            tuple(float(v) for v in report["load_start"].split(", ")),
            tuple(float(v) for v in report["load_end"].split(", ")),
            report["cpus"],
        ),
        "",
    ]
    if report.get("rebuild_s") is not None:
        lines += [
            f"Full rollup rebuild after the bulk load: {report['rebuilt_days']:,} venue days recounted in"
            f" {report['rebuild_s']:.1f} s (once; the job's own work is the last row).",
            "",
        ]
    lines += ["| shape | p50 ms | p95 ms | samples | goal met |", "|---|---|---|---|---|"]
    for r in report["rows"]:
        goal = "—" if r["name"].startswith("Rollup") else ("yes" if r["p95"] <= GOAL_MS else "no")
        lines.append(f"| {r['name']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['n']} | {goal} |")
    text_ = path.read_text() if path.exists() else benchmarks_doc.NEW_DOC
    text_ = benchmarks_doc.replace_section(text_, HEADING, "\n".join(lines) + "\n")
    worst = max((r["p95"] for r in reports), default=0.0)
    row = [
        f"[Analytics reports]({benchmarks_doc.anchor(HEADING)}): `bench/analytics`",
        f"{report['started']} UTC, commit {report['commit']}",
        f"{len(met)} of {len(reports)} reports p95 <= 100 ms; worst p95 {worst:.0f} ms",
        f"{report['cpus']} CPUs, shared; load {report['load_start']} -> {report['load_end']}",
    ]
    path.write_text(benchmarks_doc.set_row(text_, "bench/analytics", row))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--bookings", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="time the database an earlier run built")
    parser.add_argument("--doc", default="docs/benchmarks.md", help="where to write the results ('' for nowhere)")
    args = parser.parse_args(argv)
    report = run(args)
    if args.doc:
        write_report(Path(args.doc), report)


if __name__ == "__main__":
    main()
