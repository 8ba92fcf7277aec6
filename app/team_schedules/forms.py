"""Forms of a team member's schedule page: exceptions by date, time off, and reading times."""

from __future__ import annotations

import re
from datetime import date, datetime, time

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from app.platform.timefmt import venue_zone
from app.team_schedules.models import TIME_OFF_LABELS
from app.venues.hours import MINUTES_PER_DAY, Range, parse_minute

_RANGE_SPLIT = re.compile(r"\s*[,;]\s*")
_RANGE_DASH = re.compile(r"\s*(?:-|–|—|to)\s*")


def parse_ranges(text: str) -> list[Range]:
    """'10:00-14:00, 15:00–18:00' -> two ranges. Raises ValueError with a message."""
    ranges = []
    for part in filter(None, _RANGE_SPLIT.split((text or "").strip())):
        pieces = _RANGE_DASH.split(part)
        if len(pieces) != 2:
            raise ValueError(_("“%(part)s” is not a range of times; write it like 10:00–14:00.", part=part))
        opens, closes = parse_minute(pieces[0]), parse_minute(pieces[1], allow_midnight_end=True)
        if closes <= opens:
            raise ValueError(_("“%(part)s” ends before it starts. A range ends by 24:00.", part=part))
        ranges.append(Range(opens, closes))
    return ranges


class ExceptionForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired("Enter the date.")])
    off = BooleanField(_l("Off all day"))
    hours = StringField(
        _l("Hours that day"), validators=[Optional(), Length(max=100, message=_l("Use at most 100 characters."))]
    )
    note = StringField(
        _l("Note (only you see it)"),
        validators=[Optional(), Length(max=200, message=_l("Use at most 200 characters."))],
    )

    def ranges(self) -> list[Range] | None:
        """The date's ranges ([] for off), or None with a message on ``hours``."""
        if self.off.data:
            return []
        if not (self.hours.data or "").strip():
            self.hours.errors = [*self.hours.errors, "Enter the hours that day, or tick “Off all day”."]
            return None
        try:
            return parse_ranges(self.hours.data)
        except ValueError as exc:
            self.hours.errors = [*self.hours.errors, str(exc)]
            return None


class TimeOffForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in TIME_OFF_LABELS.items()])
    starts_on = DateField(_l("First day"), validators=[InputRequired("Enter the first day of the time off.")])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    from_time = StringField(_l("From (optional)"), validators=[Optional(), Length(max=5)])
    until_time = StringField(_l("Until (optional)"), validators=[Optional(), Length(max=5)])
    reason = StringField(
        _l("Reason (only you see it)"),
        validators=[Optional(), Length(max=200, message=_l("Use at most 200 characters."))],
    )

    def span(self, tz: str) -> dict | None:
        """``days=(first, last)`` for whole days, or ``times=(start, end)`` (aware) when a time is
        given; None with messages on the fields."""
        first = self.starts_on.data
        last = self.ends_on.data or first
        if last < first:
            self.ends_on.errors = [*self.ends_on.errors, "The last day can't be before the first day."]
            return None
        if not (self.from_time.data or "").strip() and not (self.until_time.data or "").strip():
            return {"days": (first, last)}
        try:
            opens = parse_minute(self.from_time.data) if (self.from_time.data or "").strip() else 0
        except ValueError as exc:
            self.from_time.errors = [*self.from_time.errors, str(exc)]
            return None
        try:
            closes = (
                parse_minute(self.until_time.data, allow_midnight_end=True)
                if (self.until_time.data or "").strip()
                else MINUTES_PER_DAY
            )
        except ValueError as exc:
            self.until_time.errors = [*self.until_time.errors, str(exc)]
            return None
        start, end = _local(first, opens, tz), _local(last, closes, tz)
        if end <= start:
            self.until_time.errors = [*self.until_time.errors, "The time off must end after it starts."]
            return None
        return {"times": (start, end)}


def _local(day: date, minute: int, tz: str) -> datetime:
    if minute >= MINUTES_PER_DAY:
        return datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), tzinfo=venue_zone(tz))
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=venue_zone(tz))
