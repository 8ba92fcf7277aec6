"""Which rollup rows a period reads: its whole calendar months from the monthly tables, and the
days at its edges (before the first whole month, after the last) from the daily ones.

A year is then twelve-odd monthly rows per member and service plus at most two partial months
of days, not 365 days of rows; a week inside one month reads only days. Both kinds of row are
sums of the same bookings (app/analytics/rollup.py keeps the months from the days), so the
report is the same either way: tests/analytics/test_monthly.py checks it against the bookings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


def _month_after(month: date) -> date:
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year, month.month + 1, 1)


@dataclass(frozen=True)
class Pieces:
    """A period [first, after) as day ranges and one range of whole months, all [from, to)."""

    days: tuple[tuple[date, date], ...]
    months: tuple[date, date] | None


def split(first: date, after: date) -> Pieces:
    """The whole months inside [first, after) and the days around them."""
    start = first if first.day == 1 else _month_after(first.replace(day=1))
    end = after.replace(day=1)
    if start >= end:
        return Pieces(((first, after),) if first < after else (), None)
    edges = tuple((lo, hi) for lo, hi in ((first, start), (end, after)) if lo < hi)
    return Pieces(edges, (start, end))


def union(day_select: str, month_select: str, spans: Sequence[tuple[str, date, date]]) -> tuple[str, dict]:
    """One SQL ``UNION ALL`` over the spans' pieces, and its parameters.

    ``day_select`` is a SELECT on a daily table that ends in a WHERE clause; ``month_select`` the
    same on its monthly table; each may use ``{span}``, which becomes the span's label (a
    constant chosen by the caller, never user input). The day range is added as ``day >= ...
    AND day < ...``, the month range as ``month >= ... AND month < ...``."""
    parts: list[str] = []
    params: dict[str, date] = {}
    for label, first, after in spans:
        assert label.isidentifier(), label
        pieces = split(first, after)
        ranges = [("day", day_select, lo, hi) for lo, hi in pieces.days]
        if pieces.months:
            ranges.append(("month", month_select, *pieces.months))
        for column, select, lo, hi in ranges:
            n = len(params) // 2
            params[f"lo{n}"], params[f"hi{n}"] = lo, hi
            tagged = select.replace("{span}", "'" + label + "'")
            parts.append(f"{tagged} AND {column} >= :lo{n} AND {column} < :hi{n}")
    if not parts:  # an empty period: a query that finds nothing, of the same shape
        parts.append(day_select.replace("{span}", "'none'") + " AND false")
    return " UNION ALL ".join(f"({part})" for part in parts), params
