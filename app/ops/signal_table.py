"""The table of named signals in docs/architecture.md, made from the code: every blinker signal a
domain declares (in the ``signals`` namespace of its ``events.py``), what it says of itself (its
``doc``: when it fires, its sender and its arguments) and who receives it once ``create_app()``
has wired every domain. ``flask docs signals`` writes the table; a test fails when the page and
the code differ (tests/foundation/test_signals.py)."""

from __future__ import annotations

import re
import sys
import weakref
from pathlib import Path

from blinker import NamedSignal, Namespace

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"
START, END = "<!-- signals: made by `flask docs signals` -->", "<!-- end of signals -->"


def declared() -> list[tuple[str, str, NamedSignal]]:
    """(module, attribute, signal) for every signal in a loaded module's ``signals`` namespace."""
    found = {}
    for module_name, module in sorted(sys.modules.items()):
        namespace = getattr(module, "signals", None)
        if not module_name.startswith(("app.", "search.")) or not isinstance(namespace, Namespace):
            continue
        for attribute, value in vars(module).items():
            # the module's own namespace holds it: a signal imported from elsewhere is not declared here
            if isinstance(value, NamedSignal) and namespace.get(value.name) is value:
                found[id(value)] = (module_name, attribute, value)
    return sorted(found.values(), key=lambda row: (row[0], row[1]))


def receivers(signal: NamedSignal) -> list[str]:
    """Every receiver connected to ``signal``, as "module.function", sorted."""
    names = []
    for ref in signal.receivers.values():
        receiver = ref() if isinstance(ref, weakref.ref) else ref
        if receiver is not None:  # a receiver already collected, whose weak reference is dead
            names.append(f"{receiver.__module__}.{receiver.__qualname__}")
    return sorted(names)


def short(module_name: str) -> str:
    """A module's name as the table shows it: ``app.booking.events`` is ``booking.events``."""
    return module_name.removeprefix("app.")


def table() -> str:
    rows = ["| signal | declared in | when it fires, its sender, what receivers get | receivers |", "|---|---|---|---|"]
    for module_name, attribute, signal in declared():
        doc = " ".join((signal.__doc__ or "").split()).replace("``", "`").replace("|", "\\|")
        listening = "<br>".join(f"`{short(name)}`" for name in receivers(signal)) or "none"
        rows.append(f"| `{attribute}` | `{short(module_name)}` | {doc} | {listening} |")
    return "\n".join(rows)


def page_with_table(page: str) -> str:
    """``page`` with the text between the markers replaced by today's table."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(page):
        raise ValueError(f"docs/architecture.md has no {START} ... {END} block")
    return pattern.sub(lambda _m: f"{START}\n{table()}\n{END}", page)


def write() -> bool:
    """Rewrite the table in docs/architecture.md; True when it changed."""
    page = DOC.read_text()
    updated = page_with_table(page)
    if updated != page:
        DOC.write_text(updated)
    return updated != page
