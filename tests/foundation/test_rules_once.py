"""Each rule once: a held booking is built in one place, and a venue's zone is worked out in one.

- ``Booking(...)`` is called in app/ only by ``app/booking/holds.py`` (``hold_booking``: the
  hold's columns, its price and terms, the end plus the service's buffer); models, seed data
  and tests aside.
- ``<end> + timedelta(minutes=<x>.buffer_minutes)`` (the end-plus-buffer rule) is written only there.
- ``ZoneInfo(...)`` is called in app/ only by ``app/platform/timefmt.py`` (``venue_zone``: a venue's or
  a name's zone, UTC for an empty or unknown name) and the pure slot engine (``app/slot_engine``,
  which takes zone names and may import no app module); the one exception is the time zone
  validator, which must tell an unknown name apart rather than fall back to UTC.
- Only ``app/platform/timefmt.py`` catches ``ZoneInfoNotFoundError`` to fall back (the validator aside).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

BOOKING_BUILDERS = {"app/booking/holds.py"}
ZONE_MAKERS = {"app/platform/timefmt.py"}
ZONE_ENGINE = "app/slot_engine/"
# The venue time zone validator (a form's "is this a real zone?"), not a zone lookup.
ZONE_EXCEPTIONS = {"app/venues/hours.py": "is_valid_timezone"}


@cache  # parsed once for the module's tests, which only read the trees
def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        name = path.relative_to(APP.parent).as_posix()
        if path.name == "models.py" or "/seed" in name:
            continue
        found.append((name, ast.parse(path.read_text(encoding="utf-8"), filename=name)))
    return found


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _called_name(n) == name]


def _enclosing_functions(tree: ast.Module, node: ast.AST) -> set[str]:
    names = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and any(n is node for n in ast.walk(fn)):
            names.add(fn.name)
    return names


def test_only_the_hold_builder_constructs_a_booking():
    builders = {name for name, tree in _modules() if _calls(tree, "Booking")}
    assert builders == BOOKING_BUILDERS


def test_the_end_plus_buffer_rule_is_written_once():
    def is_buffer(node: ast.AST) -> bool:
        return (
            isinstance(node, ast.Call)
            and _called_name(node) == "timedelta"
            and any(isinstance(kw.value, ast.Attribute) and kw.value.attr == "buffer_minutes" for kw in node.keywords)
        )

    def adds_buffer(tree: ast.Module) -> bool:
        return any(
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and is_buffer(n.right) for n in ast.walk(tree)
        )

    assert {name for name, tree in _modules() if adds_buffer(tree)} == BOOKING_BUILDERS


def test_zone_info_is_made_only_by_timefmt_and_the_slot_engine():
    stray = []
    for name, tree in _modules():
        if name in ZONE_MAKERS or name.startswith(ZONE_ENGINE):
            continue
        for call in _calls(tree, "ZoneInfo"):
            allowed = ZONE_EXCEPTIONS.get(name)
            if allowed is None or allowed not in _enclosing_functions(tree, call):
                stray.append(f"{name}:{call.lineno}")
    assert stray == []


def test_only_timefmt_falls_back_from_an_unknown_zone():
    def catches(tree: ast.Module) -> bool:
        return any(
            isinstance(n, ast.ExceptHandler) and n.type is not None and "ZoneInfoNotFoundError" in ast.unparse(n.type)
            for n in ast.walk(tree)
        )

    catching = {name for name, tree in _modules() if catches(tree)}
    assert catching == ZONE_MAKERS | set(ZONE_EXCEPTIONS)
