"""How cost grows (issue 46, item 5): the same pages on the page benchmark's data at 1x and at 10x
(``bench/pages/seed.py --scale``: ten times the venues, customers, reviews and days of history;
the showcase's week of 300 bookings and its customer's 500 past bookings stay), measured
in-process, CPU of this thread, so that a busy machine changes the figures less than it changes
wrk's.

For each page, as the venue page benchmark's visitors and users ask for it (anonymous, the
customer, the venue's owner), two figures per size:

- **rendered**: a query string of its own each time (so neither the page cache nor the
  private copy answers) and the app cache emptied before each request, so the page is built
  from the database (what the first visit after a change costs), with the SQL statements it
  sends;
- **served**: the same URL again and again (what a warm worker mostly does: page-cache copies,
  the venue page's shared model).

The two sizes live side by side in this process and take turns, round by round, page by page,
so a busy spell on the machine falls on both. The floor is the bare Flask "hello" app
(bench/pages/hello.py) through its own test client in the same process, timed in every round.
A page's ratio is floor CPU / page CPU (as
throughput would be); the target is each page's rendered and served ratios at 10x within 20% of
its 1x ratios, with the same statements.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m bench.pages.growth

Writes "How cost grows" and its row of "Latest figures" in docs/benchmarks.md (``--no-doc``
prints only). Seeds ``cozywish_bench_pages`` and ``cozywish_bench_pages_x10`` afresh (about two
minutes together).
"""

from __future__ import annotations

import gc
import statistics
import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event

from app.platform.extensions import cache, db
from bench import benchmarks_doc
from bench.pages import seed as seeding
from bench.pages.calendar_week import make_app, percentile
from bench.pages.hello import app as hello_app
from bench.pages.report import load_average, machine_cell, run_sentence, runner_parser, save_json, start_record
from bench.pages.signed_in import HOST, signed_in_client

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "benchmarks.md"
HEADING = "## How cost grows: the pages at 10x the data (issue 46, item 5)"
TARGET_DRIFT = 0.20  # 10x ratio within 20% of 1x
HTMX_SLOTS = {"HX-Request": "true", "HX-Target": "booking-slots"}


def pages(s: seeding.Seeded) -> list[tuple[str, str, str | None, dict[str, str]]]:
    """(name, path, who, headers): the five pages issue 46 item 5 names, and the past tab."""
    venue = f"/venues/{s.venue_slug}"
    return [
        ("Venue page", venue, None, {}),
        ("Search: text", "/search?q=massage", None, {}),
        ("Booking page", f"{venue}/book/{s.service_id}", None, {}),
        ("My bookings", "/bookings", "customer", {}),
        ("My bookings: past (500)", "/bookings?tab=past", "customer", {}),
        ("Calendar week (300 bookings)", f"/provider/calendar?view=week&date={s.calendar_day}", "provider", {}),
    ]


def cpu_of(ask, samples: int, before=None) -> list[float]:
    """Thread CPU (ms) of ``ask()`` ``samples`` times; ``before()`` runs untimed before each."""
    times = []
    for _ in range(samples):
        if before is not None:
            before()
        started = time.thread_time()
        ask()
        times.append((time.thread_time() - started) * 1000)
    return times


def floor_ms(samples: int) -> float:
    """The hello app's CPU per request, median of ``samples`` (many: it is a tenth of a ms)."""
    client = hello_app.test_client()
    for _ in range(50):
        client.get("/")
    return statistics.median(cpu_of(lambda: client.get("/"), samples))


class Size:
    """One seeded database and the app on it, with a client per role and a statement counter."""

    def __init__(self, scale: int, log) -> None:
        self.scale = scale
        seeded = seeding.seed(log=log, scale=scale)
        self.seeded, self.counts = seeded, seeded.counts
        self.app = make_app(seeded.url, seeded.upload_root)
        self.clients = {
            None: self.app.test_client(),
            "customer": signed_in_client(self.app, seeded.customer_email),
            "provider": signed_in_client(self.app, seeded.provider_email),
        }
        self.statements: list[str] = []
        with self.app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *a, **k: self.statements.append(a[2]))
        self.fresh = iter(range(10**9))

    def ask(self, path: str, who: str | None, headers: dict[str, str]) -> None:
        response = self.clients[who].get(path, headers=headers, base_url=HOST)
        if response.status_code != 200:
            raise SystemExit(f"x{self.scale} {path} answered {response.status_code}")

    def ask_anew(self, path: str, who: str | None, headers: dict[str, str]) -> None:
        """The page with a query string of its own: no page-cache or private copy answers."""
        self.ask(f"{path}{'&' if '?' in path else '?'}growth={next(self.fresh)}", who, headers)

    def empty_cache(self) -> None:
        with self.app.app_context():
            cache.clear()


def measure(sizes: list[Size], *, samples: int, rounds: int, log) -> dict[int, dict[str, Any]]:
    """Every page at every size, the sizes taking turns round by round (a busy spell on the
    machine falls on both), the floor timed in each round; medians over the rounds' samples."""
    gc.collect()
    gc.freeze()
    found: dict[int, dict[str, Any]] = {size.scale: {"counts": size.counts, "pages": {}} for size in sizes}
    for index, (name, _, who, headers) in enumerate(pages(sizes[0].seeded)):
        path_of = {size.scale: pages(size.seeded)[index][1] for size in sizes}  # ids differ by size
        rendered: dict[int, list[float]] = {size.scale: [] for size in sizes}
        served: dict[int, list[float]] = {size.scale: [] for size in sizes}
        floors: list[float] = []
        sent = {}
        for size in sizes:
            path = path_of[size.scale]
            for _ in range(20):
                size.ask(path, who, headers)
                size.ask_anew(path, who, headers)
            size.empty_cache()
            size.statements.clear()
            size.ask_anew(path, who, headers)
            sent[size.scale] = len(size.statements)
        for _ in range(rounds):
            floors.append(floor_ms(samples * 10))
            for size in sizes:
                path = path_of[size.scale]
                anew, again = partial(size.ask_anew, path, who, headers), partial(size.ask, path, who, headers)
                rendered[size.scale] += cpu_of(anew, samples, before=size.empty_cache)
                served[size.scale] += cpu_of(again, samples * 5)
        floors.append(floor_ms(samples * 10))
        floor = statistics.median(floors)
        for size in sizes:
            row = {
                "statements": sent[size.scale],
                "floor_ms": floor,
                "rendered_p50": statistics.median(rendered[size.scale]),
                "rendered_p95": percentile(rendered[size.scale], 0.95),
                "served_p50": statistics.median(served[size.scale]),
            }
            row["rendered_ratio"] = floor / row["rendered_p50"]
            row["served_ratio"] = floor / row["served_p50"]
            found[size.scale]["pages"][name] = row
            log(
                f"[growth x{size.scale}] {name}: {row['statements']} statements; rendered p50 "
                f"{row['rendered_p50']:.2f} ms (ratio {row['rendered_ratio']:.4f}), served p50 "
                f"{row['served_p50']:.2f} ms (ratio {row['served_ratio']:.3f}); floor {floor:.3f} ms"
            )
    gc.unfreeze()
    return found


def verdicts(one: dict, ten: dict) -> dict[str, dict[str, Any]]:
    found = {}
    for name, small in one["pages"].items():
        large = ten["pages"][name]
        drift = {kind: large[f"{kind}_ratio"] / small[f"{kind}_ratio"] - 1 for kind in ("rendered", "served")}
        found[name] = {
            "drift": drift,
            "same_statements": small["statements"] == large["statements"],
            "met": all(abs(d) <= TARGET_DRIFT for d in drift.values()) and small["statements"] == large["statements"],
        }
    return found


def render(run: dict[str, Any]) -> str:
    one, ten, judged = run["x1"], run["x10"], run["verdicts"]
    met = sum(1 for v in judged.values() if v["met"])
    lines = [
        HEADING,
        "",
        "Written by `bench/pages/growth.py` (`python -m bench.pages.growth`; see its docstring). In-process, the app",
        "built as production builds it, CPU of this thread; the floor is the bare Flask app through its own test",
        "client in the same process; ratio = floor CPU / page CPU. Target (issue 46, item 5): at 10x the data,",
        "each page's ratios within 20% of its 1x ratios and the same SQL statements.",
        "",
        f"### {run['label']}",
        "",
        run_sentence(run) + f" {run['samples']} samples each. Rows: 1x {one['counts']}; 10x {ten['counts']}.",
        "",
        "| page | statements 1x / 10x | rendered p50 ms 1x / 10x | rendered ratio 1x / 10x (drift) "
        "| served p50 ms 1x / 10x | served ratio 1x / 10x (drift) | within 20% |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, small in one["pages"].items():
        large, v = ten["pages"][name], judged[name]
        lines.append(
            f"| {name} | {small['statements']} / {large['statements']} "
            f"| {small['rendered_p50']:.2f} / {large['rendered_p50']:.2f} "
            f"| {small['rendered_ratio']:.3f} / {large['rendered_ratio']:.3f} ({v['drift']['rendered']:+.0%}) "
            f"| {small['served_p50']:.2f} / {large['served_p50']:.2f} "
            f"| {small['served_ratio']:.3f} / {large['served_ratio']:.3f} ({v['drift']['served']:+.0%}) "
            f"| {'met' if v['met'] else 'not met'} |"
        )
    lines += ["", f"{met} of {len(judged)} pages met.", ""]
    return "\n".join(lines)


def summary(run: dict[str, Any]) -> list[str]:
    judged = run["verdicts"]
    worst = max((abs(d) for v in judged.values() for d in v["drift"].values()), default=0.0)
    met = sum(1 for v in judged.values() if v["met"])
    return [
        f"[How cost grows]({benchmarks_doc.anchor(HEADING)}): `bench/pages/growth.py`, in-process CPU at 1x and 10x",
        f"{run['started']} UTC, commit {run['commit']}: [{run['label']}]({benchmarks_doc.anchor(run['label'])})",
        f"{met} of {len(judged)} pages within 20% of their 1x ratio with the same statements (largest drift "
        f"{worst:.0%})",
        machine_cell(run),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = runner_parser(__doc__, OUTPUT)
    parser.add_argument("--samples", type=int, default=20, help="rendered samples per round (served: 5x)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds per page, the two sizes taking turns")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    run = start_record(args.label) | {"samples": args.samples * args.rounds}
    found = measure([Size(1, log), Size(10, log)], samples=args.samples, rounds=args.rounds, log=log)
    run["x1"], run["x10"] = found[1], found[10]
    run["load_end"] = load_average()
    run["verdicts"] = verdicts(run["x1"], run["x10"])
    for name, v in run["verdicts"].items():
        log(
            f"[growth] {name}: drift rendered {v['drift']['rendered']:+.0%}, served {v['drift']['served']:+.0%}, "
            f"statements {'same' if v['same_statements'] else 'differ'}: {'met' if v['met'] else 'not met'}"
        )
    if not args.no_doc:
        benchmarks_doc.write_run(args.output, HEADING, run["label"], render(run), "bench/pages/growth.py", summary(run))
        log(f"[growth] wrote {args.output} ({run['label']})")
    save_json(args.json, run)


if __name__ == "__main__":
    main()
