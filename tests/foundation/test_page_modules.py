"""Page modules follow one scheme: a module that defines routes is a domain's ``views.py`` or lives
in its ``views/`` package; it takes its blueprint from ``app/web/blueprints.py``, the one module
that defines blueprints; and it imports services and helpers, never another page module (imports
inside functions included), so pages share code through modules that are not pages."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from app.platform.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = "app.web.blueprints"
# A route, a hook or a template helper on a blueprint: @bp.get(...), @admin_bp.route(...),
# bp.add_url_rule(...), bp.add_app_template_filter(...).
ROUTE = re.compile(r"(@\w+\.(get|post|put|patch|delete|route)\(|\.add_url_rule\(|\.add_app_template_\w+\()")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    return {module_name(path): path for path in (ROOT / "app").rglob("*.py")}


def page_modules() -> dict[str, Path]:
    return {name: path for name, path in sources().items() if ROUTE.search(path.read_text())}


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """Every module of ours that ``path`` imports, at the top or inside functions: ``from a.b import c``
    counts as ``a.b.c`` when that is a module, else as ``a.b``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in known:
                    found.add(full)
                elif node.module in known:
                    found.add(node.module)
    return found


def test_the_scheme_finds_the_pages():
    pages = page_modules()
    assert len(pages) > 30, sorted(pages)
    assert "app.booking.views.book" in pages
    assert BLUEPRINTS not in pages


def test_every_page_module_is_a_views_module():
    misnamed = sorted(name for name in page_modules() if not (name.endswith(".views") or ".views." in name))
    assert not misnamed, f"these modules define routes but are not views.py or in views/: {misnamed}"


def test_no_page_module_imports_another():
    pages = page_modules()
    known = set(sources())
    crossings = sorted(
        f"{name} imports {other}"
        for name, path in pages.items()
        for other in imported_modules(path, known)
        if other in pages and other != name
    )
    assert not crossings, "move what pages share into a module that is not a page:\n" + "\n".join(crossings)


def test_blueprints_are_defined_only_in_the_blueprints_module():
    defining = sorted(
        name
        for name, path in sources().items()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == "Blueprint" or getattr(node.func, "attr", None) == "Blueprint")
    )
    assert set(defining) == {BLUEPRINTS}, f"Blueprint(...) outside {BLUEPRINTS}: {defining}"


def test_every_page_module_takes_its_blueprint_from_the_blueprints_module():
    known = set(sources())
    without = sorted(name for name, path in page_modules().items() if BLUEPRINTS not in imported_modules(path, known))
    assert not without, without


def test_create_app_registers_every_blueprint(app):
    from app.web import blueprints

    assert set(blueprints.ALL) <= set(app.blueprints.values())
    assert len(set(blueprints.ALL)) == len(app.blueprints)


# -- one unit of work per request (app/web/unit_of_work.py) ------------------------------------------

# Web-layer modules that are not pages but run inside a page's request: held to the same rule.
WEB_HELPERS = ("app.web", "app.api")
# The two places that do commit or roll back, and why: the request's unit of work itself, and
# the database-fault guard that drops a dead connection's session.
UNIT_OF_WORK = {"app.web.unit_of_work", "app.web.db_faults"}


def _caught(handler: ast.ExceptHandler, module) -> list[type]:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    found = []
    for name in names:
        value = module
        for part in ast.unparse(name).split("."):
            value = getattr(value, part, None) if value is not module else vars(module).get(part)
        if isinstance(value, type):
            found.append(value)
    return found


def unit_of_work_breaches(name: str, path: Path) -> list[str]:
    module = importlib.import_module(name)
    breaches = []
    for node in ast.walk(ast.parse(path.read_text())):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if call and node.func.attr in ("commit", "rollback") and ast.unparse(node.func.value).endswith("session"):
            breaches.append(f"{where}: {node.func.attr}()")
        if isinstance(node, ast.ExceptHandler) and any(issubclass(kind, DomainError) for kind in _caught(node, module)):
            breaches.append(f"{where}: except {ast.unparse(node.type)}")
    return breaches


def test_pages_neither_commit_nor_roll_back_nor_catch_a_refusal():
    """The request commits once after the view and rolls back on any error; a refusal reaches the
    app's handler (``on_refusal`` names the view's own page for it)."""
    pages = page_modules()
    modules = {
        name: path
        for name, path in sources().items()
        if name in pages or (".".join(name.split(".")[:2]) in WEB_HELPERS and name not in UNIT_OF_WORK)
    }
    breaches = [breach for name, path in sorted(modules.items()) for breach in unit_of_work_breaches(name, path)]
    assert not breaches, f"{len(breaches)} in page modules:\n" + "\n".join(breaches)
