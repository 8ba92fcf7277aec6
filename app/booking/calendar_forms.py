"""Input for the provider's calendar (app/booking/views/calendar.py): the view query, time blocks and
cancellations. Wall-clock times are read in the venue's time zone and turned into UTC here."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from datetime import date as Date
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, TimeInput

from app.platform.timefmt import day_words, venue_zone
from app.venues.hours import MINUTES_PER_DAY, format_minute, parse_minute

VIEWS = ("day", "week")
WEEKDAY_LABELS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
FIRST_DAY, LAST_DAY = Date(2000, 1, 1), Date(2199, 12, 31)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class CalendarQuery:
    """What the calendar shows: a day or the week around ``day``, optionally one member or service."""

    view: str
    day: Date
    member_id: int | None = None
    service_id: int | None = None

    @property
    def first_day(self) -> Date:
        return self.day if self.view == "day" else self.day - timedelta(days=self.day.weekday())

    @property
    def days(self) -> int:
        return 1 if self.view == "day" else 7

    def args(self, **changes: object) -> dict[str, str]:
        """URL query arguments, with ``changes`` applied (view=, day=, member_id=, service_id=)."""
        query = replace(self, **changes)
        args = {"view": query.view, "date": query.day.isoformat()}
        if query.member_id is not None:
            args["member"] = str(query.member_id)
        if query.service_id is not None:
            args["service"] = str(query.service_id)
        return args

    def shifted(self, steps: int) -> CalendarQuery:
        """The previous (-1) or next (+1) day or week, kept inside the dates the calendar shows."""
        day = self.day + timedelta(days=steps * self.days)
        return replace(self, day=min(max(day, FIRST_DAY), LAST_DAY))


def _pick_id(raw: str | None, allowed: Collection[int], message: str) -> int | None:
    if raw in (None, "", "all"):
        return None
    if raw.isascii() and raw.isdigit() and int(raw) in allowed:
        return int(raw)
    raise ValueError(message)


def parse_calendar_query(
    args: Mapping[str, str], *, today: Date, member_ids: Collection[int], service_ids: Collection[int]
) -> CalendarQuery:
    """The calendar's query string, or ValueError with a message a person understands."""
    view = args.get("view") or "day"
    if view not in VIEWS:
        raise ValueError(_("Choose the day or the week view."))
    raw_day = (args.get("date") or "").strip()
    day = today
    if raw_day:
        if not _DATE_RE.fullmatch(raw_day):
            raise ValueError(_("Give the date as YYYY-MM-DD, like 2026-03-14."))
        try:
            day = Date.fromisoformat(raw_day)
        except ValueError:
            raise ValueError(_("%(raw_day)s is not a date in the calendar.", raw_day=raw_day)) from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(
                _("Choose a date between %(first)s and %(last)s.", first=FIRST_DAY.year, last=LAST_DAY.year)
            )
    return CalendarQuery(
        view=view,
        day=day,
        member_id=_pick_id(args.get("member"), member_ids, _("That team member isn't part of your venue.")),
        service_id=_pick_id(args.get("service"), service_ids, _("That service isn't one of your venue's.")),
    )


def local_to_utc(day: Date, minute: int, tz: ZoneInfo) -> datetime:
    """``minute`` past local midnight of ``day`` (1440: the next midnight) as UTC.

    A wall-clock time the clocks skip (spring forward) raises ValueError; a time that happens
    twice (fall back) means its first occurrence.
    """
    if minute == MINUTES_PER_DAY:
        day, minute = day + timedelta(days=1), 0
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    aware = naive.replace(tzinfo=tz)
    if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValueError(
            _(
                "%(minute)s doesn't exist on %(day)s in %(tz_key)s: the clocks go forward then.",
                minute=format_minute(minute),
                day=day_words(day, "d MMM yyyy"),
                tz_key=tz.key,
            )
        )
    return aware.astimezone(UTC)


class TimeBlockForm(FlaskForm):
    """Block time for the whole venue or one team member, in the venue's local time."""

    date = DateField(_l("Date"), validators=[InputRequired(message=_l("Choose the date."))])
    start = StringField(
        _l("From"), validators=[InputRequired(message=_l("Enter the start time, like 13:00."))], widget=TimeInput()
    )
    end = StringField(
        _l("Until"), validators=[InputRequired(message=_l("Enter the end time, like 14:00."))], widget=TimeInput()
    )
    team_member_id = SelectField(_l("Who"), choices=[SelectChoice("", "Whole venue")], default="")
    reason = StringField(
        _l("Reason"), validators=[Optional(), Length(max=200, message=_l("Keep the reason under 200 characters."))]
    )
    # A weekly repeat (app/booking/time_blocks.py): the weekdays (Monday = 0) and the last day.
    repeat_days = SelectMultipleField(
        _l("Repeat every"),
        choices=[SelectChoice(str(n), label) for n, label in enumerate(WEEKDAY_LABELS)],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[Optional()],
    )
    repeat_until = DateField(_l("Repeat until"), validators=[Optional()])

    @property
    def weekdays(self) -> list[int]:
        return sorted({int(d) for d in self.repeat_days.data or []})

    def set_team(self, team: Collection) -> None:
        self.team_member_id.choices = [SelectChoice("", "Whole venue")] + [
            SelectChoice(str(m.id), m.name) for m in team
        ]

    @property
    def member_id(self) -> int | None:
        return int(self.team_member_id.data) if self.team_member_id.data else None

    def utc_range(self, tz_name: str) -> tuple[datetime, datetime] | None:
        """The block as UTC (start, end), or None with the reason added to the fields' errors."""
        try:
            opens = parse_minute(self.start.data)
        except ValueError as exc:
            self.start.errors = [*self.start.errors, str(exc)]
            return None
        try:
            closes = parse_minute(self.end.data, allow_midnight_end=True) or MINUTES_PER_DAY  # "until 00:00"
        except ValueError as exc:
            self.end.errors = [*self.end.errors, str(exc)]
            return None
        if closes <= opens:
            self.end.errors = [*self.end.errors, "The end must be after the start."]
            return None
        if not FIRST_DAY <= self.date.data <= LAST_DAY:
            self.date.errors = [*self.date.errors, f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}."]
            return None
        tz = venue_zone(tz_name)
        try:
            starts_at = local_to_utc(self.date.data, opens, tz)
            ends_at = local_to_utc(self.date.data, closes, tz)
        except ValueError as exc:
            self.form_errors.append(str(exc))
            return None
        if ends_at <= starts_at:  # e.g. 01:00-01:30 on a fall-back night read as its first occurrence
            self.end.errors = [*self.end.errors, "The end must be after the start."]
            return None
        return starts_at, ends_at


class CancelForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the customer"),
        validators=[
            DataRequired(message=_l("Give the customer a reason for the cancellation.")),
            Length(max=1000, message=_l("Keep the reason under 1,000 characters.")),
        ],
    )
