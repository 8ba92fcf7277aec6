"""Prices as owners type them in forms ("45", "45.50", "£1,045.00") and as the forms show them
again: the service form, its options and add-ons tables (app/venues/catalog_forms.py,
app/venues/addon_table.py)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import gettext as _

MAX_PRICE_MINOR = 100_000_000  # 1,000,000.00 in major units; well inside the integer column
_NUMBER_RE = re.compile(r"(\d+)(?:\.(\d*))?|\.(\d+)")


def parse_price(text: str | None) -> int:
    """A price typed in major units ("45", "45.5", "1,045.00") as minor units; ValueError says why not."""
    raw = (text or "").strip().lstrip("£€$").strip().replace(",", "")
    if not raw:
        raise ValueError(_("Enter the price, like 45.00 (0 for free)."))
    if raw.startswith("-"):
        raise ValueError(_("The price can't be negative."))
    match = _NUMBER_RE.fullmatch(raw)
    if not match:
        raise ValueError(_("Enter the price as a number, like 45.00."))
    decimals = match.group(2) or match.group(3) or ""
    if len(decimals) > 2:
        raise ValueError(_("Use at most two decimal places, like 45.50."))
    minor = int(Decimal(raw) * 100)
    if minor > MAX_PRICE_MINOR:
        raise ValueError(_("Enter a price under 1,000,000."))
    return minor


def format_price_input(minor: int) -> str:
    """Minor units as the text the price field shows when editing: 4550 -> "45.50"."""
    return f"{Decimal(minor) / 100:.2f}"
