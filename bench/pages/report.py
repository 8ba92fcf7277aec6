"""The page benchmark's section of docs/benchmarks.md: one subsection per labelled run under
"Pages under load", everything else in the file left as it is."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HEADING = "## Pages under load"


def git_commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def render(label: str, run: dict[str, Any]) -> str:
    lines = [
        f"### {label}",
        "",
        f"{run['started']} UTC, commit {run['commit']}, {run['cpus']} CPUs; load average (1, 5, 15 min) "
        f"{run['load_start']} at the start and {run['load_end']} at the end. "
        f"wrk -t2 -c{run['connections']} -d{run['seconds']:g}s per round, {run['rounds']} rounds per page "
        f"interleaved with the floor (floor, page, floor, page). Cache: {run['cache']}. "
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
    "Written by `bench/pages/run.py` (`python -m bench.pages.run --label NAME`; see `bench/README.md`);",
    "each run replaces the subsection of the same label. The app runs under gunicorn exactly as the",
    "Dockerfile starts it (3 workers, production settings, Redis cache) on the seeded database; the floor",
    "is a bare Flask app under the identical gunicorn command. req/s is the mean of a page's rounds, p50",
    "their mean, p99 the worse round; ratio = page req/s ÷ floor req/s in the same run. SQL counts the",
    "statements one request sends, in-process, in table order in one process: the page's first request",
    "(cold: only what the pages above it cached, such as venues' next free times) and its second (warm).",
    "Targets (issue 10): venue page ≥ 0.40 of the floor and p99 ≤ 150 ms at 32 connections; other",
    "public pages ≥ 0.25; signed-in pages ≥ 0.15.",
    "",
]


def write_report(path: Path, label: str, run: dict[str, Any]) -> None:
    """Put this run under HEADING, replacing an earlier run of the same label; the rest stays."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = render(label, run)
    start = text.find(HEADING + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + "\n".join(INTRO) + "\n" + section
        path.write_text(text)
        return
    following = re.search(r"^## ", text[start + len(HEADING) :], re.MULTILINE)
    end = start + len(HEADING) + following.start() if following else len(text)
    body = text[start:end]
    runs = re.split(r"^(?=### )", body, flags=re.MULTILINE)[1:]
    kept = [r.rstrip("\n") + "\n" for r in runs if not r.startswith(f"### {label}\n")]
    new_body = "\n".join(INTRO) + "\n" + "\n".join([*kept, section])
    path.write_text(text[:start] + new_body.rstrip("\n") + "\n" + ("\n" + text[end:] if end < len(text) else ""))
