"""The tests are laid out like app/, and a long module says why it is one.

Each package of app/ has its folder under tests/ holding the tests of the code it mainly
exercises, so the tests of a change are found where the change is. A folder of tests/ that is no
package of app/ is one of the few named below, each with its reason.

CONTRIBUTING.md keeps modules under about 400 lines; one over 500 says at the top of its
docstring why it is one module, in a sentence with the words "on purpose"
(app/notifications/catalogue.py: "One module on purpose, near 500 lines: ...").
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"

# Folders of tests/ that are no package of app/.
NOT_APP_PACKAGES = {
    "foundation": "the whole-house checks: layers, page modules, templates, translations, signals",
    "search": "the top-level search/ package beside app/",
}

LONG = 500


def app_packages() -> set[str]:
    return {path.parent.name for path in (ROOT / "app").glob("*/__init__.py")}


def test_every_package_of_app_has_a_folder_of_tests():
    missing = {name for name in app_packages() if not any((TESTS / name).rglob("test_*.py"))}
    assert not missing, f"add tests/<package>/ with the tests of these packages of app/: {sorted(missing)}"


def test_every_folder_of_tests_is_a_package_of_app_or_says_why_not():
    folders = {path.name for path in TESTS.iterdir() if path.is_dir() and path.name != "__pycache__"}
    strays = folders - app_packages() - set(NOT_APP_PACKAGES)
    assert not strays, f"move these tests to the folder of the app/ package they exercise: {sorted(strays)}"
    assert set(NOT_APP_PACKAGES) <= folders, "an exception names a folder that is gone: take it off the list"
    without_init = sorted(name for name in folders if not (TESTS / name / "__init__.py").exists())
    assert not without_init, f"each folder of tests/ is a package (an __init__.py): {without_init}"


def test_no_test_module_sits_loose_in_tests():
    loose = sorted(path.name for path in TESTS.glob("test_*.py"))
    assert not loose, f"move these into the folder of what they exercise (or tests/foundation/): {loose}"


def long_modules() -> dict[str, str | None]:
    """Each module of app/ and search/ over LONG lines, with its docstring."""
    found = {}
    for path in [*(ROOT / "app").rglob("*.py"), *(ROOT / "search").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > LONG:
            found[path.relative_to(ROOT).as_posix()] = ast.get_docstring(ast.parse(source))
    return found


def test_a_module_over_500_lines_says_why_it_is_one():
    unexplained = sorted(name for name, docstring in long_modules().items() if "on purpose" not in (docstring or ""))
    assert not unexplained, (
        f"split these modules, or say in their docstring why each is one module, "
        f'in a sentence with "on purpose": {unexplained}'
    )
