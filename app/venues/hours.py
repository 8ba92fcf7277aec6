"""Opening hours in a venue's local time: parsing, display and "open now"."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask_babel import gettext as _

from app.platform.timefmt import day_words, venue_zone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # codes (schema.org)


def weekday_name(weekday: int) -> str:
    """Monday=0 ... Sunday=6, in the request's language: "Monday", "lunes"."""
    return day_words(date(2024, 1, 1 + weekday), "EEEE")  # 1 January 2024 was a Monday


MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Range:
    opens: int  # minutes since local midnight
    closes: int  # 1..1440; 1440 is midnight at the end of the day

    @property
    def label(self) -> str:
        return f"{format_minute(self.opens)}–{format_minute(self.closes)}"


def format_minute(minute: int) -> str:
    if minute == MINUTES_PER_DAY:
        return "24:00"
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_minute(text: str, *, allow_midnight_end: bool = False) -> int:
    """'09:30' -> 570. '24:00' only as a closing time. Raises ValueError with a message."""
    text = (text or "").strip()
    try:
        hours_text, minutes_text = text.split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except ValueError:
        raise ValueError(_("“%(text)s” is not a time; use HH:MM, like 09:30.", text=text)) from None
    if allow_midnight_end and hours == 24 and minutes == 0:
        return MINUTES_PER_DAY
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise ValueError(_("“%(text)s” is not a time of day.", text=text))
    return hours * 60 + minutes


def find_overlaps(ranges: Iterable[Range]) -> list[tuple[Range, Range]]:
    ordered = sorted(ranges, key=lambda r: (r.opens, r.closes))
    return [(a, b) for a, b in pairwise(ordered) if b.opens < a.closes]


def is_valid_timezone(name: str) -> bool:
    if not name or name not in available_timezones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_open_at(
    ranges_by_weekday: dict[int, list[Range]], closed_dates: Iterable[tuple[date, date]], moment: datetime, tz: str
) -> bool:
    """Is the venue open at ``moment`` (aware), judged in its own time zone?"""
    local = moment.astimezone(venue_zone(tz))
    today = local.date()
    if any(start <= today <= end for start, end in closed_dates):
        return False
    minute = local.hour * 60 + local.minute
    return any(r.opens <= minute < r.closes for r in ranges_by_weekday.get(local.weekday(), []))
