"""docs/benchmarks.md opens with the latest figure of every benchmark, and the runners that write
into it keep it that way: each replaces its own section and its own table row, and the page
benchmark moves the run it replaces to the top of docs/benchmarks-history.md."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bench import benchmarks_doc
from bench.journey import steps
from bench.pages import report as pages_report

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"
HISTORY = ROOT / "docs" / "benchmarks-history.md"
PAGES = "## Pages under load"
SEARCH = "## Search (PostgreSQL backend)"


def table_rows(text: str) -> list[str]:
    start, end = benchmarks_doc.section_bounds(text, benchmarks_doc.TABLE_HEADING)
    return [line for line in text[start:end].splitlines() if line.startswith("| ") and "---" not in line][1:]


def section(text: str, heading: str) -> str:
    bounds = benchmarks_doc.section_bounds(text, heading)
    assert bounds, f"no section {heading!r}"
    return text[bounds[0] : bounds[1]]


def headings(text: str) -> set[str]:
    return {benchmarks_doc.anchor(line) for line in text.splitlines() if line.startswith("#")}


@pytest.fixture
def docs(tmp_path):
    shutil.copy(DOC, tmp_path / "benchmarks.md")
    shutil.copy(HISTORY, tmp_path / "benchmarks-history.md")
    return tmp_path / "benchmarks.md", tmp_path / "benchmarks-history.md"


def a_pages_run(commit: str = "abc1234") -> dict:
    row = {"rps": 100.0, "floor_rps": 400.0, "p50": 10.0, "sql": (3, 0), "errors": 0, "path": "/"}
    return {
        "started": "2026-12-01 10:00",
        "commit": commit,
        "cpus": 2,
        "load_start": (0.5, 0.6, 0.7),
        "load_end": (1.0, 0.9, 0.8),
        "connections": 32,
        "seconds": 10.0,
        "rounds": 2,
        "seed_seconds": 5.0,
        "cache": "Redis",
        "counts": "401 venues",
        "rows": [
            {**row, "name": "Venue page", "public": True, "ratio": 0.45, "target": "≥ 0.40, p99 ≤ 150 ms",
             "p99": 30.0, "met": True},
            {**row, "name": "Home", "public": True, "ratio": 0.5, "target": "≥ 0.25", "p99": 20.0, "met": True},
            {**row, "name": "Cart", "public": False, "ratio": 0.1, "target": "≥ 0.15", "p99": 90.0, "met": False},
        ],
    }  # fmt: skip


def test_the_table_has_a_row_for_every_benchmark_in_bench():
    text = DOC.read_text()
    rows = table_rows(text)
    folders = sorted(p.parent.name for p in (ROOT / "bench").glob("*/run.py"))
    assert folders, "no benchmark found under bench/"
    for folder in folders:
        named = [row for row in rows if f"`bench/{folder}`" in row.split(" | ")[0]]
        assert len(named) == 1, f"docs/benchmarks.md: the Latest figures table needs one row for bench/{folder}"
    assert re.findall(r"^## .*", text, re.MULTILINE)[0] == benchmarks_doc.TABLE_HEADING, "the table comes first"


def test_every_link_of_the_table_leads_to_a_heading():
    text = DOC.read_text()
    here, history = headings(text), headings(HISTORY.read_text())
    for row in table_rows(text):
        for target in re.findall(r"\]\(([^)]*)\)", row):
            page, _, fragment = target.partition("#")
            if not fragment:
                continue
            known = {"": here, "benchmarks-history.md": history}[page]
            assert f"#{fragment}" in known, f"the table links to {target}, which is no heading"


def test_the_history_is_linked_from_the_top():
    top = DOC.read_text().split(benchmarks_doc.TABLE_HEADING)[0]
    assert "](benchmarks-history.md)" in top


def test_a_page_run_replaces_the_latest_and_moves_it_to_the_top_of_the_history(docs):
    doc, history = docs
    before, history_before = doc.read_text(), history.read_text()
    old_label = re.search(r"^### (.+)$", section(before, PAGES), re.MULTILINE).group(1)

    pages_report.write_report(doc, "A new run", a_pages_run())

    after, history_after = doc.read_text(), history.read_text()
    runs = re.findall(r"^### (.+)$", section(after, PAGES), re.MULTILINE)
    assert runs == ["A new run"]
    assert re.findall(r"^### (.+)$", section(history_after, PAGES), re.MULTILINE)[:2] == [
        old_label,
        re.search(r"^### (.+)$", section(history_before, PAGES), re.MULTILINE).group(1),
    ]
    row = next(r for r in table_rows(after) if "`bench/pages`" in r)
    assert "2026-12-01 10:00 UTC, commit abc1234: [A new run](#a-new-run)" in row
    assert "2 of 3 pages met their target" in row
    assert "venue page 0.450 of the floor, p99 30 ms" in row
    assert "other public pages 0.500; signed-in pages 0.100; p99 20–90 ms" in row
    # Everything else is as it was: the other rows and every other section.
    assert [r for r in table_rows(after) if "`bench/pages`" not in r] == [
        r for r in table_rows(before) if "`bench/pages`" not in r
    ]
    for heading in (SEARCH, "## Availability", "## Checkout under contention", "## Static files"):
        assert section(after, heading) == section(before, heading)
        if heading != "## Static files":
            assert section(history_after, heading) == section(history_before, heading)


def test_a_page_run_of_the_same_label_replaces_it_and_keeps_no_copy(docs):
    doc, history = docs
    pages_report.write_report(doc, "A new run", a_pages_run("abc1234"))
    history_once = history.read_text()
    pages_report.write_report(doc, "A new run", a_pages_run("def5678"))
    assert history.read_text() == history_once
    assert "commit def5678" in section(doc.read_text(), PAGES)
    assert "commit abc1234" not in doc.read_text()


def test_a_page_run_into_a_new_file_makes_the_table(tmp_path):
    doc = tmp_path / "benchmarks.md"
    pages_report.write_report(doc, "First", a_pages_run())
    text = doc.read_text()
    assert text.startswith("# Benchmarks\n")
    assert len(table_rows(text)) == 1
    assert "### First" in section(text, PAGES)
    assert not (tmp_path / "benchmarks-history.md").exists()


def test_a_search_run_replaces_its_section_and_row_only(docs):
    from bench.search import run as search_run

    doc, history = docs
    before, history_before = doc.read_text(), history.read_text()
    cells = ["[Search (PostgreSQL backend)](#search-postgresql-backend): `bench/search`", "new run", "new", "box"]

    search_run.write_report(doc, f"{SEARCH}\n\n- Run: new.\n", cells)

    after = doc.read_text()
    assert section(after, SEARCH) == f"{SEARCH}\n\n- Run: new.\n\n"
    assert "| new run | new | box |" in next(r for r in table_rows(after) if "`bench/search`" in r)
    top = benchmarks_doc.TABLE_HEADING
    assert after.split(top)[0] == before.split(top)[0]
    assert after[after.index("## Availability") :] == before[before.index("## Availability") :]
    assert history.read_text() == history_before


def test_the_search_row_gives_the_headline_its_growth_and_the_slowest_shape():
    from bench.search import run as search_run
    from bench.search.run import HEADLINE, Timing

    shape_list = search_run.shapes()
    timed = [s for s in shape_list if s.kind != "floor"]
    slow = next(s for s in timed if s.key != HEADLINE)

    def ms(value: float) -> Timing:
        return Timing(samples_ms=[value] * 20)

    def at(size: int) -> dict[str, Timing]:
        times = {s.key: ms(2.0) for s in shape_list}
        times[HEADLINE] = ms(5.0 if size == 10000 else 9.0)
        if size == 100000:
            times[slow.key] = ms(30.0)
        return times

    from datetime import UTC, datetime

    row = search_run.summary(
        sizes=[10000, 100000],
        shape_list=shape_list,
        results={10000: at(10000), 100000: at(100000)},
        http={},
        facts={"CPUs (nproc)": "2", "PostgreSQL": "15.20 (Debian)"},
        started=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        load=((1.0, 1.0, 1.0), (2.0, 2.0, 2.0)),
        commits=("abc1234", "abc1234"),
    )
    headline = next(s.label for s in shape_list if s.key == HEADLINE)
    assert row[1] == "2026-12-01 09:30 UTC, commit abc1234"
    assert row[2].startswith(f"{2 * len(timed) - 2} of {2 * len(timed)} targets met; ")
    assert f"{headline} at 100k: p95 9.0 ms (p50 9.0 ms); 10k → 100k 1.80× (p95)" in row[2]
    assert f"slowest shape at 100k: {slow.label}, p95 30.0 ms" in row[2]
    assert row[3] == "2 CPUs; PostgreSQL 15.20; load average (1 min) 1.0 at the start, 2.0 at the end"


def test_the_journey_steps_run_writes_its_section_and_row_only(docs):
    doc, _history = docs
    before = table_rows(doc.read_text())
    step = {"count": 10, "p50": 9.5, "mean": 10.0, "statements": 7, "per_journey": 10.0}
    run = {
        "label": "Latest run",
        "started": "2026-12-01 10:00",
        "commit": "abc1234",
        "cpus": 2,
        "load_start": (0.5, 0.5, 0.5),
        "load_end": (0.6, 0.5, 0.5),
        "cpu_probe_ms": 24.0,
        "journeys": 10,
        "steps": {"checkout": {**step, "per_journey": 25.0}, steps.WORKER: step},
        "web_ms": 25.0,
        "worker_ms": 10.0,
    }
    benchmarks_doc.write_run(
        doc, steps.HEADING, "Latest run", steps.render(run), "bench/journey/steps.py", steps.summary(run)
    )
    text = doc.read_text()
    rows = table_rows(text)

    def others(found: list[str]) -> list[str]:
        return [row for row in found if "`bench/journey/steps.py`" not in row.split(" | ")[0]]

    mine = [row for row in rows if row not in others(rows)]
    assert len(mine) == 1 and "costliest step: checkout 25.0 ms" in mine[0]
    assert others(rows) == others(before)
    assert "| checkout | 10 | 9.50 | 10.00 | 7 | 25.00 |" in section(text, steps.HEADING)
