"""The module map in docs/architecture.md names every package of app/, each once, as "name/" at the
start of its line, and names no package that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## The module map"
NOT_PACKAGES = {"translations", "__pycache__"}


def map_block() -> str:
    """The first code block of the module map section: the tree of app/."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert SECTION + "\n" in page, f'docs/architecture.md has no "{SECTION}" section'
    section = page.split(SECTION + "\n", 1)[1]
    block = re.search(r"^```\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    assert block, f'"{SECTION}" has no code block'
    return block.group(1)


def app_packages() -> set[str]:
    """The folders right under app/ that hold Python files."""
    return {
        folder.name
        for folder in (ROOT / "app").iterdir()
        if folder.is_dir() and folder.name not in NOT_PACKAGES and any(folder.rglob("*.py"))
    }


def named(block: str) -> list[str]:
    """The packages the tree names: an indented "name/" opening a line."""
    return re.findall(r"^  ([a-z_]+)/", block, re.MULTILINE)


def test_the_map_names_every_package_of_app_once():
    names = named(map_block())
    missing = sorted(app_packages() - set(names))
    assert not missing, f"docs/architecture.md's module map does not name {missing}: add a line each"
    twice = sorted({name for name in names if names.count(name) > 1})
    assert not twice, f"docs/architecture.md's module map names {twice} more than once"


def test_the_map_names_no_package_that_does_not_exist():
    extra = sorted(set(named(map_block())) - app_packages())
    assert not extra, f"docs/architecture.md's module map names {extra}, which are not packages of app/"


def test_the_map_places_search_beside_app():
    assert re.search(r"^search/ ", map_block(), re.MULTILINE), "the map names search/ beside app/"


def test_the_check_sees_a_missing_and_an_extra_package():
    block = "app/\n  booking/   bookings\n  later/     not yet\n                   booking/ in a description\n"
    assert named(block) == ["booking", "later"]
    assert "payments" in app_packages() - set(named(block))
    assert "later" not in app_packages()
