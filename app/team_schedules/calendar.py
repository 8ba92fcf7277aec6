"""Who works when, for the provider's calendar week view: one line per team member and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _

from app.platform.timefmt import venue_zone
from app.team_schedules.service import load_schedules
from app.venues.hours import format_minute
from app.venues.models import Venue


@dataclass(frozen=True)
class WorkingLine:
    member_id: int
    name: str
    label: str  # "09:00–13:00, 14:00–18:00", "Off", "Venue closed"
    working: bool


def _label(ranges) -> str:
    return ", ".join(f"{format_minute(o)}–{format_minute(c)}" for o, c in sorted(ranges))


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
    schedules = load_schedules([m.id for m in team], start, end)
    opening: dict[int, list[tuple[int, int]]] = {}
    for h in venue.opening_hours:
        opening.setdefault(h.weekday, []).append((h.opens_minute, h.closes_minute))
    closed = [(c.starts_on, c.ends_on) for c in venue.closures]
    week: dict[date, list[WorkingLine]] = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        lines = []
        for member in team:
            schedule = schedules.get(member.id)
            ranges = schedule.ranges_on(day) if schedule is not None else None
            if ranges is None:
                ranges = opening.get(day.weekday(), [])
            if any(a <= day <= b for a, b in closed):
                lines.append(WorkingLine(member.id, member.name, _("Venue closed"), False))
                continue
            label = _label(ranges) or _("Off")
            away = [
                (s.astimezone(zone), e.astimezone(zone))
                for s, e in (schedule.time_off if schedule is not None else ())
                if s.astimezone(zone).date() <= day <= e.astimezone(zone).date()
            ]
            if ranges and away:
                part = _("part of the day")
                when = ", ".join(f"{s:%H:%M}–{e:%H:%M}" if s.date() == e.date() == day else part for s, e in away)
                label += " · " + _("time off %(when)s", when=when)
            lines.append(WorkingLine(member.id, member.name, label, bool(ranges)))
        week[day] = lines
    return week
