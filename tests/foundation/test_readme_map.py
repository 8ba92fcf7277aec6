"""The README's "Where things are" is the map of the code: it names every package under app/ and
search/ and every top-level folder, and names no package that does not exist."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Where things are"
NOT_PACKAGES = {"translations", "__pycache__"}


def map_text() -> str:
    readme = (ROOT / "README.md").read_text()
    assert SECTION + "\n" in readme, f'README.md has no "{SECTION}" section'
    section = readme.split(SECTION + "\n", 1)[1]
    following = re.search(r"^## ", section, re.MULTILINE)
    return section[: following.start()] if following else section


def named_folders(text: str) -> set[str]:
    """Every folder the map names in backticks (`app/booking/`, `search/`, `.ci/run` gives `.ci/`)."""
    folders = set()
    for path in re.findall(r"`([\w.\-/]+)`", text):
        parts = path.split("/")
        if len(parts) > 1:  # a folder (`tests/`) or a path through one (`.ci/run`, `app/platform/jobs.py`)
            folders.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1))
    return folders


def packages(top: str) -> set[str]:
    """Every folder under ``top`` (``top`` included) holding Python files, as "top/.../"."""
    found = set()
    for source in (ROOT / top).rglob("*.py"):
        folder = source.parent.relative_to(ROOT)
        if not NOT_PACKAGES & set(folder.parts):
            found.add(folder.as_posix() + "/")
    return found


def ignored(name: str) -> bool:
    patterns = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text().splitlines()]
    return any(pattern and fnmatch.fnmatch(name, pattern) for pattern in patterns if not pattern.startswith("#"))


def top_level_folders() -> set[str]:
    return {
        entry.name + "/"
        for entry in ROOT.iterdir()
        if entry.is_dir() and not entry.name.startswith(".") and not ignored(entry.name)
    }


def test_the_map_names_every_package():
    named = named_folders(map_text())
    missing = sorted((packages("app") | packages("search")) - named)
    assert not missing, f'README.md, "{SECTION}", does not name {", ".join(missing)}: add a line saying what each holds'


def test_the_map_names_no_package_that_does_not_exist():
    named = named_folders(map_text())
    extra = sorted(f for f in named if f.split("/")[0] in ("app", "search") and not (ROOT / f).is_dir())
    assert not extra, f'README.md, "{SECTION}", names {", ".join(extra)}, which do not exist: remove or fix them'


def test_the_map_names_every_top_level_folder():
    named = named_folders(map_text())
    missing = sorted(top_level_folders() - named)
    assert not missing, f'README.md, "{SECTION}", does not name the folders {", ".join(missing)}'


def test_the_check_itself_sees_a_missing_and_an_extra_package():
    text = "- `app/`: the app. `app/booking/`: bookings. `app/later/`: later. `search/`: search."
    named = named_folders(text)
    assert "app/later/" in named and not (ROOT / "app" / "later").is_dir()
    assert "app/payments/" in packages("app") - named
    assert "app/translations/" not in packages("app")
