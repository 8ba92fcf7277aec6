"""The period a report covers, and the one before it of equal length. Plain values in and out:
the page reads the URL's ``preset``/``from``/``to`` and hands them here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed

PRESETS = ("7", "30", "90")
DEFAULT_PRESET = "30"
MAX_DAYS = 366
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    first: date  # the first day, in the venue's local time (UTC for the marketplace)
    after: date  # the day after the last one
    preset: str | None  # "7", "30", "90", or None for a chosen range

    @property
    def days(self) -> int:
        return (self.after - self.first).days

    @property
    def last(self) -> date:
        return self.after - timedelta(days=1)

    def previous(self) -> Period:
        """The period of equal length that ends where this one starts."""
        return Period(self.first - timedelta(days=self.days), self.first, self.preset)

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


def choose(preset: str | None, start: str | None, end: str | None, *, today: date) -> Period:
    """The period the URL asks for: a preset (last 7, 30 or 90 days, today included) or a custom
    ``start``..``end`` (both ISO dates, both included). Refuses what makes no sense with a message."""
    if start or end:
        try:
            first = date.fromisoformat((start or "").strip())
            last = date.fromisoformat((end or "").strip())
        except ValueError:
            raise ValidationFailed(_("Give both dates as YYYY-MM-DD, for example 2026-11-01.")) from None
        if last < first:
            raise ValidationFailed(_("The end date is before the start date."))
        if first < EARLIEST or last > today + timedelta(days=365):
            raise ValidationFailed(_("Choose dates between 2000 and a year from today."))
        if (last - first).days + 1 > MAX_DAYS:
            raise ValidationFailed(_("Choose at most %(days)s days.", days=MAX_DAYS))
        return Period(first, last + timedelta(days=1), None)
    chosen = preset or DEFAULT_PRESET
    if chosen not in PRESETS:
        raise ValidationFailed(_("The period is the last 7, 30 or 90 days, or dates you choose."))
    days = int(chosen)
    return Period(today - timedelta(days=days - 1), today + timedelta(days=1), chosen)
