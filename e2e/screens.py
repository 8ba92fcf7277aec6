"""A journey's screens at desktop and phone size (1366x900, 390x844), for people to look at.

Every call checks that nothing makes the page wider than the window at either size. The PNGs,
light and dark, are written to test-results/screens/<area>/ (not kept) only when
``E2E_SCREENSHOTS`` is set (``E2E_SCREENSHOTS=1 make e2e``, as for docs/screenshots/): CI checks,
people look.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

from e2e.conftest import set_theme

ROOT = Path(__file__).resolve().parents[1]
SIZES = ((1366, 900), (390, 844))

# What sticks out on the right, for the message of a failed width check.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")}`).join(", ")"""


def shoot(page: Page, area: str, name: str) -> None:
    folder = ROOT / "test-results" / "screens" if os.environ.get("E2E_SCREENSHOTS") else None
    themes = ("light", "dark") if folder else ("light",)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for theme in themes:
            set_theme(page, theme)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name}, {width} px: the page is {wide} px wide: {page.evaluate(WIDEST)}"
            if folder:
                path = folder / area / f"{name}-{width}-{theme}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(path), full_page=True)
    page.evaluate("() => document.documentElement.setAttribute('data-bs-theme', 'light')")
    page.set_viewport_size({"width": 1366, "height": 900})
