"""The page benchmark's section of docs/benchmarks.md: the latest run, as a subsection named by
its label under "Pages under load", and its row of the "Latest figures" table; everything else in
the file is left as it is. The runs it displaces move to docs/benchmarks-history.md."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import benchmarks_doc

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Pages under load"


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def load_average() -> tuple[float, ...]:
    return tuple(round(x, 2) for x in os.getloadavg())


def start_record(label: str) -> dict[str, Any]:
    """The fields an in-process runner's record begins with: the run, the code, the machine and
    its load now. The runner sets ``load_end`` when it is done."""
    return {
        "label": label,
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "load_start": load_average(),
    }


def run_sentence(run: dict[str, Any]) -> str:
    """A run's first sentence in its section: when, which code, the machine, how busy it was."""
    return (
        f"{run['started']} UTC, commit {run['commit']}, {run['cpus']} CPUs; load average (1, 5, 15 min) "
        f"{run['load_start']} at the start and {run['load_end']} at the end."
        f"{benchmarks_doc.quiet_or_not(run['load_start'], run['load_end'], run['cpus'])}"
    )


def machine_cell(run: dict[str, Any], also: str = "") -> str:
    """The run's cell of the "Latest figures" table that says on what it ran."""
    return (
        f"{run['cpus']} CPUs{also}; load average (1, 5, 15 min) {run['load_start']} at the start, "
        f"{run['load_end']} at the end"
    )


def runner_parser(doc: str, output: Path) -> argparse.ArgumentParser:
    """The options every in-process runner takes; each adds its own counts."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--label", default="Latest run", help="the report's subsection for this run")
    parser.add_argument("--output", type=Path, default=output, help="the benchmarks document to write")
    parser.add_argument("--no-doc", action="store_true", help="print the figures only")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser


def save_json(path: Path | None, run: dict[str, Any]) -> None:
    if path is not None:
        path.write_text(json.dumps(run, indent=2, default=str))


def render(label: str, run: dict[str, Any]) -> str:
    lines = [
        f"### {label}",
        "",
        f"{run['started']} UTC, commit {run['commit']}, {run['cpus']} CPUs; load average (1, 5, 15 min) "
        f"{run['load_start']} at the start and {run['load_end']} at the end. "
        f"wrk -t2 -c{run['connections']} -d{run['seconds']:g}s per round, {run['rounds']} rounds per page "
        f"interleaved with the floor (floor, page, floor, page); the pages asked with "
        f"`Accept-Encoding: {run.get('accept_encoding', 'identity')}`. Cache: {run['cache']}. "
        f"Seeded in {run['seed_seconds']:.0f} s: "
        f"{run['counts']}.",
        "",
        "| page | req/s | floor req/s | ratio | target | p50 ms | p99 ms | SQL (cold / warm) | errors | met |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---|",
    ]
    for row in run["rows"]:
        lines.append(
            f"| {row['name']} | {row['rps']:.1f} | {row['floor_rps']:.0f} | {row['ratio']:.3f} | {row['target']} "
            f"| {row['p50']:.0f} | {row['p99']:.0f} | {row['sql'][0]} / {row['sql'][1]} | {row['errors']} "
            f"| {'yes' if row['met'] else 'no'} |"
        )
    lines.append("")
    return "\n".join(lines)


INTRO = [
    HEADING,
    "",
    "Written by `bench/pages/run.py` (`python -m bench.pages.run --label NAME`; see `bench/README.md`).",
    "A run replaces the one below; unless it has the same label, that one moves to the top of this",
    "section in [benchmarks-history.md](benchmarks-history.md#pages-under-load). The app runs under",
    "gunicorn exactly as the Dockerfile starts it (3 workers, production settings, Redis cache) on the",
    "seeded database; the floor is a bare Flask app under the identical gunicorn command. req/s is the",
    "mean of a page's rounds, p50 their mean, p99 the worse round; ratio = page req/s ÷ floor req/s in",
    "the same run. SQL counts the statements one request sends, in-process, in table order in one",
    "process: the page's first request (cold: only what the pages above it cached, such as venues' next",
    "free times) and its second (warm). Targets (issue 10): venue page ≥ 0.40 of the floor and p99",
    "≤ 150 ms at 32 connections; other public pages ≥ 0.25; signed-in pages ≥ 0.15.",
    "",
]


def summary(label: str, run: dict[str, Any]) -> list[str]:
    """This run's row of the "Latest figures" table in docs/benchmarks.md."""
    rows = run["rows"]
    venue = next((row for row in rows if row["name"] == "Venue page"), None)
    others = [row for row in rows if row is not venue]
    # A row says whether its page is public; a row saved before it did says so by its target.
    public = [row["ratio"] for row in others if row.get("public", "0.15" not in row["target"])]
    signed_in = [row["ratio"] for row in others if not row.get("public", "0.15" not in row["target"])]
    figures = [f"{sum(bool(row['met']) for row in rows)} of {len(rows)} pages met their target"]
    if venue:
        figures.append(f"venue page {venue['ratio']:.3f} of the floor, p99 {venue['p99']:.0f} ms")
    for name, ratios in (("other public pages" if venue else "public pages", public), ("signed-in pages", signed_in)):
        if ratios:
            figures.append(f"{name} {_span(ratios, '.3f')}")
    if rows:
        figures.append(f"p99 {_span([row['p99'] for row in rows], '.0f')} ms")
    return [
        "[Pages under load](#pages-under-load): `bench/pages`, ratios to a floor measured in the same run",
        f"{run['started']} UTC, commit {run['commit']}: [{label}]({benchmarks_doc.anchor(label)})",
        "; ".join(figures),
        f"{run['cpus']} CPUs; load average (1, 5, 15 min) {run['load_start']} at the start, {run['load_end']} "
        f"at the end; cache: {run['cache']}; wrk -c{run['connections']}, {run['rounds']} rounds of "
        f"{run['seconds']:g} s per page; Accept-Encoding: {run.get('accept_encoding', 'identity')}",
    ]


def _span(values: list[float], spec: str) -> str:
    low, high = format(min(values), spec), format(max(values), spec)
    return low if low == high else f"{low}–{high}"


def write_report(path: Path, label: str, run: dict[str, Any]) -> None:
    """Put this run under HEADING and in its table row; the run it replaces, unless it has the
    same label, moves to the top of the same section of the history file. The rest stays."""
    text = path.read_text() if path.exists() else benchmarks_doc.NEW_DOC
    section = render(label, run)
    bounds = benchmarks_doc.section_bounds(text, HEADING)
    body = text[bounds[0] : bounds[1]] if bounds else ""
    runs = re.split(r"^(?=### )", body, flags=re.MULTILINE)[1:]
    earlier = [r for r in runs if not r.startswith(f"### {label}\n")][::-1]  # the history is newest first
    benchmarks_doc.archive(benchmarks_doc.history_of(path), HEADING, earlier)
    text = benchmarks_doc.replace_section(text, HEADING, "\n".join(INTRO) + "\n" + section)
    path.write_text(benchmarks_doc.set_row(text, "bench/pages", summary(label, run)))
