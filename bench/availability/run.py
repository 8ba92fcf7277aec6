"""Time the slot engine on the busy venue of ``generate.py``: p50 and p95 from one run.

Three shapes, each twice: the pure engine (inputs read once beforehand, so only the
computation is timed) and the full path of ``app.booking.availability`` (a fresh session
each time, so the service, venue, hours, team and the window's bookings are read from
PostgreSQL as a request reads them):

- a 30-day calendar of one service (the first treatment, which all five members do);
- one day of that service (the busiest day of the window), as the day's times fragment;
- every one of the 20 services x 30 days;
- with rooms (issue 44, item 4): the same 30-day calendar and day once every treatment needs
  one of 5 treatment rooms and every booking holds its unit (``generate.add_rooms``, undone
  at the end), engine alone and with the reads, against the same shapes without rooms above;
- a couples visit (issue 44, items 6 and 9), with those rooms: two guests, each two treatments
  back to back, side by side, over 30 days (``visits.group_parts`` and
  ``availability.get_group_days``), engine alone and with the reads.

And, in-process through Flask's test client, the booking page's HTMX fragment for one day's
times (``HX-Target: booking-slots``) and the picker fragment with its month calendar.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \\
        .venv/bin/python -m bench.availability.run [--reuse] [--samples 200]
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.booking import availability
from app.booking.models import Booking
from app.booking.visits import Treatment, group_parts
from app.platform.extensions import db
from app.slot_engine import available_slots, bookable_days, group_days
from app.venues.models import Service, TeamMember, Venue
from bench.availability.generate import DATABASE, add_rooms, build_venue, fresh_database, make_app, remove_rooms
from tests.database import server_url

CALENDAR_DAYS = 30
VENUE_LOADS = (
    selectinload(Venue.opening_hours),
    selectinload(Venue.closures),
    selectinload(Venue.team).selectinload(TeamMember.services),
)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(
    run: Callable[[], object], *, samples: int, warmup: int, budget: float, least: int
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of ``samples`` calls (at least ``least`` when ``budget``
    seconds run out). CPU time is this thread's: on a shared machine whose load is above its
    core count, wall-clock time also counts the time the process waited for a core."""
    for _ in range(warmup):
        run()
    wall: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + budget
    while len(wall) < samples and (len(wall) < least or time.perf_counter() < deadline):
        started, started_cpu = time.perf_counter(), time.thread_time()
        run()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def engine_inputs(service: Service, first_day: date, days: int, now: datetime) -> dict:
    """What ``availability`` feeds the engine, read once (works on the code before and after
    the index: ``get_busy`` took the venue then, the venue id and the service spec now)."""
    venue = service.venue
    spec = availability.service_spec(service)
    window = availability.busy_window(first_day, days)
    if "service" in inspect.signature(availability.get_busy).parameters:
        busy, blocks, *schedules = availability.get_busy(venue.id, spec, *window)
    else:
        busy, blocks, *schedules = availability.get_busy(venue, *window)
    if len(schedules) > 1:  # what services need of rooms and equipment, since migration 0072
        spec = availability.with_needs(spec, schedules[1])
    return {
        **({"schedules": schedules[0]} if schedules else {}),  # team schedules, since migration 0020
        "tz": venue.timezone,
        "hours": availability.venue_hours(venue),
        "closures": [(c.starts_on, c.ends_on) for c in venue.closures],
        "service": spec,
        "busy": busy,
        "blocks": blocks,
        "now": now,
        "rules": availability.booking_rules(),
    }


def busiest_day(venue_id: int, first_day: date) -> date:
    day = db.session.scalar(
        select(func.date(Booking.starts_at))
        .where(
            Booking.venue_id == venue_id,
            Booking.starts_at >= first_day + timedelta(days=1),
            Booking.starts_at < first_day + timedelta(days=CALENDAR_DAYS),
        )
        .group_by(func.date(Booking.starts_at))
        .order_by(func.count().desc())
        .limit(1)
    )
    return day or first_day + timedelta(days=3)


def run(args: argparse.Namespace) -> dict:
    url = server_url()
    if args.reuse:
        from sqlalchemy.engine import make_url

        app = make_app(make_url(url).set(database=args.database).render_as_string(hide_password=False))
    else:
        _url, app = fresh_database(args.database)
        with app.app_context():
            build_venue()
    results: dict[str, dict] = {}
    options = {"samples": args.samples, "warmup": args.warmup, "budget": args.budget, "least": args.least}

    def record(name: str, times: tuple[list[float], list[float]]) -> None:
        wall, cpu = times
        results[name] = {
            "p50": statistics.median(wall),
            "p95": percentile(wall, 0.95),
            "cpu_p50": statistics.median(cpu),
            "cpu_p95": percentile(cpu, 0.95),
            "n": len(wall),
            "load": os.getloadavg()[0],
        }
        r = results[name]
        print(
            f"{name:<44} wall p50 {r['p50']:8.2f} p95 {r['p95']:8.2f} | "
            f"cpu p50 {r['cpu_p50']:8.2f} p95 {r['cpu_p95']:8.2f} ms  n={r['n']}  load {r['load']:.1f}"
        )

    with app.app_context():
        venue = db.session.scalars(select(Venue).order_by(Venue.id)).first()
        services = sorted(venue.services, key=lambda s: s.id)
        bookings = db.session.scalar(select(func.count()).select_from(Booking).where(Booking.venue_id == venue.id))
        now = datetime.now(UTC)
        today = now.date()
        day = busiest_day(venue.id, today)
        print(f"venue {venue.id}: {len(services)} services, {len(venue.team)} team members, {bookings} bookings")
        print(f"30 days from {today}; one day: {day}")

        headline = services[0]
        month = engine_inputs(headline, today, CALENDAR_DAYS, now)
        one_day = engine_inputs(headline, day, 1, now)
        every_service = [engine_inputs(s, today, CALENDAR_DAYS, now) for s in services]
        print(f"busy intervals fed to the engine for the headline month: {len(month['busy'])}")

        record(
            "engine: 30-day calendar, one service",
            measure(lambda: bookable_days(first_day=today, days=CALENDAR_DAYS, **month), **options),
        )
        record("engine: one day, one service", measure(lambda: available_slots(day=day, **one_day), **options))
        record(
            "engine: 20 services x 30 days",
            measure(
                lambda: [bookable_days(first_day=today, days=CALENDAR_DAYS, **inputs) for inputs in every_service],
                **options,
            ),
        )
        ids = [s.id for s in services]
        venue_id = venue.id
        db.session.remove()

        def fresh(service_id: int) -> Service:
            db.session.remove()  # a request starts with an empty session
            return db.session.get(Service, service_id)

        record(
            "with DB reads: 30-day calendar, one service",
            measure(lambda: availability.get_bookable_days(fresh(ids[0]), today, CALENDAR_DAYS, now=now), **options),
        )
        record(
            "with DB reads: one day, one service",
            measure(lambda: availability.get_slots(fresh(ids[0]), day, now=now), **options),
        )

        def whole_venue() -> None:
            db.session.remove()
            for service_id in ids:
                availability.get_bookable_days(db.session.get(Service, service_id), today, CALENDAR_DAYS, now=now)

        record("with DB reads: 20 services x 30 days", measure(whole_venue, **options))
        rooms = add_rooms(venue_id)
        try:
            headline = db.session.get(Service, ids[0])
            month_rooms = engine_inputs(headline, today, CALENDAR_DAYS, now)
            day_rooms = engine_inputs(headline, day, 1, now)
            taken = sum(1 for b in month_rooms["busy"] if getattr(b, "resource_id", None) is not None)
            print(f"with rooms: {taken} units taken in the month, needs {getattr(month_rooms['service'], 'needs', ())}")
            record(
                "engine: 30-day calendar, with rooms",
                measure(lambda: bookable_days(first_day=today, days=CALENDAR_DAYS, **month_rooms), **options),
            )
            record("engine: one day, with rooms", measure(lambda: available_slots(day=day, **day_rooms), **options))
            db.session.remove()
            record(
                "with DB reads: 30-day calendar, with rooms",
                measure(
                    lambda: availability.get_bookable_days(fresh(ids[0]), today, CALENDAR_DAYS, now=now), **options
                ),
            )
            record(
                "with DB reads: one day, with rooms",
                measure(lambda: availability.get_slots(fresh(ids[0]), day, now=now), **options),
            )

            # A couple (issue 44, items 6 and 9): two guests, each the headline treatment then the
            # second service, back to back, side by side (a therapist each, a room each); the two
            # services take two people at once for the shape (capacity 2, put back after).
            couple = [Treatment(ids[i], guest=g) for g in (1, 2) for i in (0, 1)]
            capacities = {i: db.session.get(Service, i).capacity for i in ids[:2]}
            for service_id in ids[:2]:
                db.session.get(Service, service_id).capacity = 2
            db.session.commit()

            def couples_month() -> None:
                db.session.remove()
                # As the visit page loads it: its hours, closures and team with their services.
                venue = db.session.get(Venue, venue_id, options=VENUE_LOADS)
                fits = availability.get_group_days(venue, group_parts(venue, couple), today, CALENDAR_DAYS, now=now)
                results.setdefault("couples_days_that_fit", sum(fits.values()))

            try:
                # The engine alone, as the rooms shape above is measured: the visit's inputs read once.
                db.session.remove()
                venue = db.session.get(Venue, venue_id, options=VENUE_LOADS)
                window = availability.busy_window(today, CALENDAR_DAYS)
                visit = availability._group_inputs(venue, group_parts(venue, couple), window, now)
                record(
                    "engine: couples visit 2x2, 30 days",
                    measure(lambda: group_days(first_day=today, days=CALENDAR_DAYS, **visit), **options),
                )
                record("with DB reads: couples visit 2x2, 30 days", measure(couples_month, **options))
            finally:
                db.session.remove()
                for service_id, capacity in capacities.items():
                    db.session.get(Service, service_id).capacity = capacity
                db.session.commit()
        finally:
            db.session.remove()
            remove_rooms(rooms)
        if hasattr(availability, "get_venue_bookable_days"):

            def whole_venue_at_once() -> None:
                db.session.remove()
                availability.get_venue_bookable_days(db.session.get(Venue, venue_id), today, CALENDAR_DAYS, now=now)

            record("with DB reads: 20 x 30 days, one read", measure(whole_venue_at_once, **options))
        slug = venue.slug
        db.session.remove()

    client = app.test_client()
    path = f"/venues/{slug}/book/{ids[0]}?day={day.isoformat()}"
    for target, name in (("booking-slots", "day's times fragment"), ("booking-picker", "picker fragment (month)")):
        headers = {"HX-Request": "true", "HX-Target": target}

        def fragment(headers: dict = headers) -> None:
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.status_code

        record(f"HTTP (test client): {name}", measure(fragment, **options))
    return {
        "results": results,
        "bookings": bookings,
        "busy_month": len(month["busy"]),
        "load_average": os.getloadavg(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--reuse", action="store_true", help="time the database generate.py built")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per shape before stopping early")
    parser.add_argument("--least", type=int, default=20, help="samples per shape even past the budget")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args(argv)
    report = run(args)
    print(f"load average before/after: {report['load_average']}")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)


if __name__ == "__main__":
    main()
