"""The two files the runners write: docs/benchmarks.md and docs/benchmarks-history.md.

benchmarks.md opens with one table, "Latest figures", with a row per benchmark (found by the
benchmark's folder, such as `bench/pages`, named in its first cell), then one `## ` section
per benchmark holding its latest run. A runner replaces its own section and its own row and
leaves the rest of the file as it is. Runs a runner moves out of benchmarks.md go to the top
of the same section of benchmarks-history.md, so the history stays newest first.
"""

from __future__ import annotations

import re
from pathlib import Path

TABLE_HEADING = "## Latest figures"
TABLE_HEAD = [
    "| benchmark | latest run | headline figures | machine and notes |",
    "|---|---|---|---|",
]
NEW_DOC = "# Benchmarks\n\n" + TABLE_HEADING + "\n\n" + "\n".join(TABLE_HEAD) + "\n"
NEW_HISTORY = "# Benchmark history\n\nEarlier runs, newest first. The latest are in [benchmarks.md](benchmarks.md).\n"


def history_of(doc: Path) -> Path:
    """The history file beside a benchmarks file (docs/benchmarks.md -> docs/benchmarks-history.md)."""
    return doc.with_name(f"{doc.stem}-history{doc.suffix}")


def anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.lstrip("#").strip().lower())
    return "#" + text.replace(" ", "-")


def section_bounds(text: str, heading: str) -> tuple[int, int] | None:
    """Where the `## ` section called ``heading`` starts and ends (the next `## ` or the end)."""
    match = re.search(rf"^{re.escape(heading)}\n", text, re.MULTILINE)
    if match is None:
        return None
    following = re.search(r"^## ", text[match.end() :], re.MULTILINE)
    return match.start(), match.end() + following.start() if following else len(text)


def replace_section(text: str, heading: str, section: str) -> str:
    """``text`` with the section called ``heading`` replaced by ``section`` (which starts with
    that heading); a section not there yet is added at the end."""
    section = section.strip("\n") + "\n"
    bounds = section_bounds(text, heading)
    if bounds is None:
        return text.rstrip("\n") + "\n\n" + section
    start, end = bounds
    return text[:start] + section + ("\n" + text[end:] if end < len(text) else "")


def set_row(text: str, folder: str, cells: list[str]) -> str:
    """``text`` with the Latest figures row of ``folder`` (e.g. "bench/pages") set to ``cells``.
    A row not there yet is added at the end of the table, and a missing table under the title."""
    row = "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"
    if section_bounds(text, TABLE_HEADING) is None:
        title, _, rest = text.partition("\n")
        table = "\n".join([TABLE_HEADING, "", *TABLE_HEAD])
        text = f"{title}\n\n{table}\n" + (f"\n{rest.lstrip()}" if rest.strip() else "")
    start, end = section_bounds(text, TABLE_HEADING)
    lines = text[start:end].split("\n")
    table_lines = [i for i, line in enumerate(lines) if line.startswith("|")]
    mine = [i for i in table_lines if f"`{folder}`" in lines[i].split(" | ", 1)[0]]
    if mine:
        lines[mine[0]] = row
    else:
        lines.insert(table_lines[-1] + 1, row)
    return text[:start] + "\n".join(lines) + text[end:]


def archive(history: Path, heading: str, runs: list[str]) -> None:
    """Put ``runs`` (subsections, each starting with its `### ` heading, newest first) at the top
    of the section ``heading`` of the history file, above the runs already there."""
    if not runs:
        return
    text = history.read_text() if history.exists() else NEW_HISTORY
    block = "\n".join(run.strip("\n") + "\n" for run in runs)
    bounds = section_bounds(text, heading)
    if bounds is None:
        text = text.rstrip("\n") + f"\n\n{heading}\n\n{block}"
    else:
        start, end = bounds
        first_run = re.search(r"^### ", text[start:end], re.MULTILINE)
        if first_run:
            at = start + first_run.start()
            text = text[:at] + block + "\n" + text[at:]
        else:  # a section with a note and no runs yet: the runs go after the note
            text = text[:end].rstrip("\n") + "\n\n" + block + ("\n" + text[end:] if end < len(text) else "")
    history.write_text(text.rstrip("\n") + "\n")


def write_run(path: Path, heading: str, label: str, section: str, folder: str, row: list[str]) -> None:
    """Write a runner's ``section`` (its ``### label`` run under ``heading``) and its row of the
    latest figures; the section's other runs move to the top of the history's."""
    text = path.read_text() if path.exists() else NEW_DOC
    bounds = section_bounds(text, heading)
    if bounds:
        body = text[bounds[0] : bounds[1]]
        earlier = [r for r in body.split("\n### ")[1:] if not r.startswith(f"{label}\n")]
        archive(history_of(path), heading, ["### " + r for r in earlier][::-1])
    text = replace_section(text, heading, section)
    path.write_text(set_row(text, folder, row))


def quiet_or_not(load_start: tuple[float, ...], load_end: tuple[float, ...], cpus: int | None) -> str:
    """A sentence on whether the machine was quiet: the 1-minute load at both ends under the
    CPU count (the bench's own processes count too), or not: then the figures are suspect."""
    busiest = max(load_start[0], load_end[0])
    if busiest <= (cpus or 1):
        return f" Quiet enough to judge: the 1-minute load stayed at or under the {cpus} CPUs."
    return f" Not quiet (1-minute load up to {busiest:.2f} on {cpus} CPUs): rerun before judging."
