"""The provider calendar's grids (docs/front-desk.md, "The week grid"): the day's columns, one per
team member (and "Unassigned"), and the week's seven days on one time axis, each split into a
column per member; events (app/booking/calendar_view.py) placed in 15-minute rows and
side-by-side lanes, and each column's off time (app/team_schedules/calendar.py) shaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.booking.calendar_forms import CalendarQuery
from app.booking.calendar_view import CalendarEvent, PageFacts, _block_event, _booking_event, card_facts
from app.booking.models import Booking, TimeBlock
from app.platform.timefmt import day_words
from app.team_schedules.calendar import Ranges, WorkingLine, venue_hours_on
from app.venues.hours import MINUTES_PER_DAY, format_minute
from app.venues.models import Venue

FALLBACK_HOURS = (8 * 60, 20 * 60)
ROW_MINUTES = 15
MAX_LANES = 6  # side-by-side places in one column; static/css/calendar.css has classes up to this


@dataclass
class OffTime:
    """A stretch of a column when its team member doesn't work (or the venue is closed), shaded."""

    row: int
    span: int
    label: str  # "Outside working hours 18:00–20:00", "Holiday", "Venue closed"


@dataclass
class DayColumn:
    key: str
    name: str
    events: list[CalendarEvent]
    lanes: int = 1
    member_id: int | None = None
    off: list[OffTime] = field(default_factory=list)
    hours: str = ""  # who works when, under the name in the week's heads: "09:00–13:00", "Off"
    working: bool = True

    @property
    def off_text(self) -> str:
        """What the shading says, for screen readers: "Outside working hours 08:00–09:00; Holiday"."""
        return "; ".join(o.label for o in self.off)


def _minute_of(moment: datetime, day: date) -> int:
    """Wall-clock minutes since ``day``'s midnight, clipped to the day."""
    if moment.date() != day:
        return 0 if moment.date() < day else MINUTES_PER_DAY
    return moment.hour * 60 + moment.minute


def _grid_bounds(venue: Venue, day: date, events: list[CalendarEvent]) -> tuple[int, int]:
    """Earliest opening to latest closing that weekday, widened to fit every event, in whole hours."""
    return _span_bounds(venue, {day: events})


def _span_bounds(venue: Venue, events_by_day: dict[date, list[CalendarEvent]]) -> tuple[int, int]:
    """Earliest opening to latest closing over these days, widened to fit every event (clipped to
    its day), in whole hours; 08:00-20:00 when the venue opens on none of them."""
    weekdays = {day.weekday() for day in events_by_day}
    ranges = [(h.opens_minute, h.closes_minute) for h in venue.opening_hours if h.weekday in weekdays]
    opens = min((r[0] for r in ranges), default=FALLBACK_HOURS[0])
    closes = max((r[1] for r in ranges), default=FALLBACK_HOURS[1])
    for day, events in events_by_day.items():
        for event in events:
            opens = min(opens, _minute_of(event.starts, day))
            closes = max(closes, _minute_of(event.ends, day))
    return opens // 60 * 60, min(-(-closes // 60) * 60, MINUTES_PER_DAY)


def _on_day(event: CalendarEvent, day: date) -> bool:
    """Does the event show on ``day`` (local)? One across midnight shows on both days, clipped."""
    if not event.starts.date() <= day <= event.ends.date():
        return False
    return _minute_of(event.starts, day) < _minute_of(event.ends, day)


def _place(column: DayColumn, day: date, first_minute: int) -> None:
    """Rows from the times; overlapping events go side by side in lanes (greedy, by start)."""
    lane_ends: list[int] = []
    for event in sorted(column.events, key=lambda e: (e.starts, e.ends, e.kind)):
        start, end = _minute_of(event.starts, day), _minute_of(event.ends, day)
        event.row = (start - first_minute) // ROW_MINUTES + 1
        event.span = max(1, -(-(end - first_minute) // ROW_MINUTES) + 1 - event.row)
        lane = next((i for i, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        lane_ends[lane] = max(lane_ends[lane], end)
        event.lane = min(lane, MAX_LANES - 1) + 1
    column.lanes = min(max(len(lane_ends), 1), MAX_LANES)


def _span_words(start: int, end: int) -> str:
    return f"{format_minute(start)}–{format_minute(end)}"


def _off_times(
    hours: Ranges, away: Ranges, reason: str, first: int, last: int, *, venue: bool = False
) -> list[OffTime]:
    """The shaded stretches of one column of the grid [first, last): all of it, with ``reason``,
    when there are no ``hours``; else the minutes outside them and the time off (``away``) inside.
    Only whole 15-minute rows are shaded: a quarter partly worked stays clear."""
    if not hours:
        spans = [(first, last, "")]
    else:
        spans, cursor = [], first
        for start, end in (*hours, (last, last)):
            if min(start, last) > cursor:
                spans.append((cursor, min(start, last), "venue" if venue else "member"))
            cursor = max(cursor, end)
        spans += [(start, end, "away") for start, end in away]
    found = []
    for start, end, kind in sorted(spans):
        start, end = max(start, first), min(end, last)
        row = -(-(start - first) // ROW_MINUTES) + 1
        span = (end - first) // ROW_MINUTES + 1 - row
        if span <= 0:
            continue
        time = _span_words(start, end)
        if kind == "member":
            label = _("Outside working hours %(time)s", time=time)
        elif kind == "venue":
            label = _("Outside opening hours %(time)s", time=time)
        elif kind == "away":
            label = _("Time off %(time)s", time=time)
        else:
            label = reason
        found.append(OffTime(row, span, label))
    return found


def _shade(
    venue: Venue,
    columns: list[DayColumn],
    day: date,
    working: dict[date, list[WorkingLine]] | None,
    first: int,
    last: int,
) -> None:
    """Each column's off time that day: the member's (app/team_schedules/calendar.py), or, for
    "Unassigned", the venue's closed times. Nothing when ``working`` isn't given."""
    if working is None:
        return
    lines = {line.member_id: line for line in working.get(day, [])}
    for column in columns:
        line = lines.get(column.member_id) if column.member_id is not None else None
        if line is not None:
            column.off = _off_times(line.hours, line.away, line.reason, first, last)
            column.hours, column.working = line.label, line.working
        elif column.member_id is None:
            hours, reason = venue_hours_on(venue, day)
            column.off = _off_times(hours, (), reason, first, last, venue=True)


def build_day(
    venue: Venue,
    query: CalendarQuery,
    bookings: list[Booking],
    blocks: list[TimeBlock],
    tz: ZoneInfo,
    facts: PageFacts | None = None,
    working: dict[date, list[WorkingLine]] | None = None,
) -> dict[str, Any]:
    """One column per team member (or the one asked for) plus "Unassigned", and the hour labels;
    with ``working`` (app/team_schedules/calendar.py), each column's off time shaded."""
    team = [m for m in venue.team if query.member_id in (None, m.id)]
    columns = [DayColumn(str(m.id), m.name, [], member_id=m.id) for m in team]
    if query.member_id is None:
        columns.append(DayColumn("unassigned", _("Unassigned"), []))
    facts = facts or card_facts(bookings)
    _fill(columns, [_booking_event(b, tz, facts) for b in bookings], [_block_event(t, tz) for t in blocks])
    first, last = _grid_bounds(venue, query.day, [e for c in columns for e in c.events])
    for column in columns:
        _place(column, query.day, first)
    _shade(venue, columns, query.day, working, first, last)
    return {
        "columns": columns,
        "hours": _hour_labels(first, last),
        "rows": (last - first) // ROW_MINUTES,
        "first_minute": first,
    }


def _fill(columns: list[DayColumn], bookings: list[CalendarEvent], blocks: list[CalendarEvent]) -> None:
    """Bookings into their team member's column ("Unassigned" when theirs isn't shown); a block
    into its member's column, or into every column when it holds the whole venue, each column
    but the first getting a copy (an event's row and lane are its column's). The events given
    are this day's own: none is in another day's columns."""
    by_key = {c.key: c for c in columns}
    fallback = by_key.get("unassigned")
    for event in bookings:
        column = by_key.get(str(event.member_id), fallback)
        if column is not None:
            column.events.append(event)
    for event in blocks:
        targets = columns if event.member_id is None else [by_key.get(str(event.member_id))]
        for n, column in enumerate(filter(None, targets)):
            column.events.append(replace(event) if n else event)


def _by_day(events: list[CalendarEvent], days: list[date]) -> dict[date, list[CalendarEvent]]:
    """Each day's events, in one pass: an event across midnight on each of its days (a copy on
    the second), none on a day it only touches at midnight."""
    found: dict[date, list[CalendarEvent]] = {day: [] for day in days}
    for event in events:
        day, copies = max(event.starts.date(), days[0]), 0
        while day <= min(event.ends.date(), days[-1]):
            if _on_day(event, day):
                found[day].append(replace(event) if copies else event)
                copies += 1
            day += timedelta(days=1)
    return found


def _hour_labels(first: int, last: int) -> list[tuple[int, str]]:
    return [((m - first) // ROW_MINUTES + 1, f"{m // 60:02d}:00") for m in range(first, last, 60)]


def build_week(
    venue: Venue,
    query: CalendarQuery,
    bookings: list[Booking],
    blocks: list[TimeBlock],
    tz: ZoneInfo,
    today: date,
    facts: PageFacts | None = None,
    working: dict[date, list[WorkingLine]] | None = None,
) -> dict[str, Any]:
    """Seven days on one time axis (docs/front-desk.md, "The week grid"): each day split into a
    column per team member (one column when a member is asked for), plus "Unassigned" when the week
    has a booking without a shown member (or the venue has no team). An event across midnight
    shows on both days, clipped to each. With ``working``, each member-day's off time is shaded."""
    team = [m for m in venue.team if query.member_id in (None, m.id)]
    shown = {m.id for m in team}
    facts = facts or card_facts(bookings)
    booked = [_booking_event(b, tz, facts) for b in bookings]
    blocked = [_block_event(t, tz) for t in blocks]
    keys = [(str(m.id), m.name, m.id) for m in team]
    if query.member_id is None and (not team or any(e.member_id not in shown for e in booked)):
        keys.append(("unassigned", _("Unassigned"), None))
    dates = [query.first_day + timedelta(days=offset) for offset in range(7)]
    booked_on, blocked_on = _by_day(booked, dates), _by_day(blocked, dates)
    days = []
    for day in dates:
        columns = [DayColumn(key, name, [], member_id=member) for key, name, member in keys]
        _fill(columns, booked_on[day], blocked_on[day])
        days.append(
            {
                "day": day,
                "label": day_words(day, "EEE d MMM"),
                "is_today": day == today,
                "args": query.args(view="day", day=day),
                "columns": columns,
            }
        )
    first, last = _span_bounds(venue, {d["day"]: [e for c in d["columns"] for e in c.events] for d in days})
    for d in days:
        for column in d["columns"]:
            _place(column, d["day"], first)
        _shade(venue, d["columns"], d["day"], working, first, last)
    return {
        "days": days,
        "hours": _hour_labels(first, last),
        "rows": (last - first) // ROW_MINUTES,
        "first_minute": first,
        "per_day": len(keys),
    }
