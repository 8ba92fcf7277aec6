"""Who works when, for the provider's calendar: one line per team member and day, in words (the
week's "Who works" heads) and as minute ranges (the grid shades the times a member is off)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import String, cast, null, union_all

from app.platform.extensions import db
from app.platform.timefmt import venue_zone
from app.team_schedules.models import TIME_OFF_LABELS, TimeOff, TimeOffKind
from app.team_schedules.service import schedule_selects, schedules_from_rows
from app.venues.hours import MINUTES_PER_DAY, format_minute
from app.venues.models import Venue

Ranges = tuple[tuple[int, int], ...]  # local wall-clock minutes of one day, [start, end)


@dataclass(frozen=True)
class WorkingLine:
    member_id: int
    name: str
    label: str  # "09:00–13:00, 14:00–18:00", "Off", "Venue closed"
    working: bool
    hours: Ranges = ()  # when they work, inside the venue's opening hours (time off not taken out)
    away: Ranges = ()  # part-day time off within those hours
    reason: str = ""  # why they don't work at all that day: "Off", "Holiday", "Venue closed"


def _label(ranges) -> str:
    return ", ".join(f"{format_minute(o)}–{format_minute(c)}" for o, c in sorted(ranges))


def _intersect(first: Sequence[tuple[int, int]], second: Sequence[tuple[int, int]]) -> Ranges:
    """The minutes in both lists of ranges, merged and in order."""
    found = sorted((max(a, c), min(b, d)) for a, b in first for c, d in second if max(a, c) < min(b, d))
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _minutes_on(moment: datetime, day: date) -> int:
    """Wall-clock minutes since ``day``'s midnight (local ``moment``), clipped to the day."""
    if moment.date() != day:
        return 0 if moment.date() < day else MINUTES_PER_DAY
    return moment.hour * 60 + moment.minute


def venue_hours_on(venue: Venue, day: date) -> tuple[Ranges, str]:
    """The venue's opening ranges on ``day`` and, when there are none, why ("Venue closed")."""
    if any(c.starts_on <= day <= c.ends_on for c in venue.closures):
        return (), _("Venue closed")
    ranges = _intersect(
        [(h.opens_minute, h.closes_minute) for h in venue.opening_hours if h.weekday == day.weekday()],
        [(0, MINUTES_PER_DAY)],
    )
    return ranges, "" if ranges else _("Venue closed")


def working_week(
    venue: Venue, first_day: date, days: int = 7, *, member_id: int | None = None
) -> dict[date, list[WorkingLine]]:
    """Each day's working hours of each team member (or the one asked for): their own, or the
    venue's when they have none, with part-day time off noted. One query for the whole week."""
    team = [m for m in venue.team if member_id in (None, m.id)]
    if not team:
        return {}
    zone = venue_zone(venue)
    start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)
    # The schedules' statement, with each whole-day time off's kind (a holiday, sickness) beside it.
    weekly, exceptions, time_off = schedule_selects([m.id for m in team], start, end)
    no_kind = cast(null(), String).label("off_kind")
    rows = db.session.execute(
        union_all(weekly.add_columns(no_kind), exceptions.add_columns(no_kind), time_off.add_columns(TimeOff.kind))
    ).all()
    schedules = schedules_from_rows(tuple(row)[:9] for row in rows)
    whole_days = [(row[1], row[3], row[4], row[9]) for row in rows if row[0] == "o" and row[3] is not None]
    week: dict[date, list[WorkingLine]] = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        opening, closed = venue_hours_on(venue, day)
        closure = any(c.starts_on <= day <= c.ends_on for c in venue.closures)
        lines = []
        for member in team:
            schedule = schedules.get(member.id)
            own = schedule.ranges_on(day) if schedule is not None else None
            ranges = own if own is not None else opening
            if closure:
                lines.append(WorkingLine(member.id, member.name, _("Venue closed"), False, reason=closed))
                continue
            hours = _intersect(ranges, opening)
            label = _label(ranges) or _("Off")
            away_at = [
                (s.astimezone(zone), e.astimezone(zone))
                for s, e in (schedule.time_off if schedule is not None else ())
                if s.astimezone(zone).date() <= day <= e.astimezone(zone).date()
            ]
            away = _intersect([(_minutes_on(s, day), _minutes_on(e, day)) for s, e in away_at], hours)
            if ranges and away_at:
                part = _("part of the day")
                when = ", ".join(f"{s:%H:%M}–{e:%H:%M}" if s.date() == e.date() == day else part for s, e in away_at)
                label += " · " + _("time off %(when)s", when=when)
            reason = ""
            if not hours:
                kind = next((k for m, a, b, k in whole_days if m == member.id and a <= day <= b), None)
                if kind in (TimeOffKind.HOLIDAY, TimeOffKind.SICKNESS):
                    reason = str(TIME_OFF_LABELS[TimeOffKind(kind)])
                else:
                    reason = closed or _("Off")  # the venue doesn't open that weekday, or their day off
            lines.append(WorkingLine(member.id, member.name, label, bool(ranges), hours, away, reason))
        week[day] = lines
    return week
