"""What the slot engine needs to say whether a venue is free in a window, read as plain rows.

``search.free_time.venues_free_between`` answers "free in this window" from the free time kept
ahead, and asks the engine, with what this module reads, about the venues it can't answer.

The answer comes from the bookings slot engine, so it sees opening hours, closures, bookings,
live holds, time blocks, minimum notice and team assignments exactly as checkout does. A venue
is free when at least one active service has a slot that starts and ends inside the window:
``app.slot_engine.has_slot_within`` asks the engine that question directly. It tries only the
start times inside the window and stops at the first free one, where listing every slot of
each day (``available_slots``, as ``get_slots`` does) built them all: half the time of a
"today near me" search at 100k venues went there.

A search checks a page of candidates at a time, so the venues, their hours, closures, services
and who performs each are read as plain rows in one statement (not as ORM objects, six
statements), and their bookings, blocks and schedules in two more. The time zone, hours and
closures come from the venue's row in the search index (``venue_search``, one row the search
has just read, where ``opening_hours`` holds seven rows a venue spread over a large table):
the candidates are its rows anyway, and "open now" reads the same copy. That copy follows an
edit of the hours or closures when the reindex job runs (seconds); bookings, holds, blocks and
schedules are always read live.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from app.booking.availability import Busyness, busy_window, get_busy_for_teams
from app.platform.extensions import db
from app.slot_engine import ServiceSpec
from app.venues.hours import MINUTES_PER_DAY


def local_days(start: datetime, end: datetime, tz: str) -> list[date]:
    """The local dates (in ``tz``) the window [start, end) touches."""
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date()
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class _Venue:
    id: int
    tz: str
    hours: Mapping[int, Sequence[tuple[int, int]]]
    closures: list[tuple[date, date]]
    services: list[ServiceSpec]  # the active ones, shortest first
    team: list[int]

    def engine_inputs(self, busy: Busyness) -> dict[str, Any]:
        """The slot engine's arguments that describe this venue: its zone, hours and closures,
        and (from ``busy``, as read_busy returns it) its bookings, blocks and team schedules."""
        bookings, blocks, schedules, _needs = busy  # the needs: with_needs(service, busy[3])
        return {
            "tz": self.tz,
            "hours": self.hours,
            "closures": self.closures,
            "busy": bookings,
            "blocks": blocks,
            "schedules": schedules,
        }


def read_busy(venues: Iterable[_Venue], days: Mapping[int, Sequence[date]]) -> dict[int, Busyness]:
    """Each venue's bookings, blocks and team schedules over its local ``days`` (by venue id),
    in two queries for all of them (get_busy_for_teams), not two per service and day."""
    venues = list(venues)
    first = min(day for d in days.values() for day in d)
    last = max(day for d in days.values() for day in d)
    return get_busy_for_teams({v.id: v.team for v in venues}, *busy_window(first, (last - first).days + 1))


# Every active service with who performs it, shortest first: the likeliest to fit a window. Only
# approved venues are in venue_search (a takedown removes its row in its own transaction).
_VENUES_SQL = """
SELECT vs.venue_id AS id, vs.timezone, CAST(vs.week_hours AS text) AS week_hours,
       CAST(vs.closed_days AS text) AS closed_days,
       (SELECT coalesce(json_agg(json_build_array(
                   s.id, s.duration_minutes, s.buffer_minutes, s.capacity,
                   (SELECT coalesce(json_agg(tms.team_member_id), '[]')
                    FROM team_member_services tms JOIN team_members tm ON tm.id = tms.team_member_id
                    WHERE tms.service_id = s.id AND tm.venue_id = vs.venue_id))
               ORDER BY s.duration_minutes, s.position, s.id), '[]')
        FROM services s WHERE s.venue_id = vs.venue_id AND s.is_active) AS services,
       (SELECT coalesce(json_agg(tm.id), '[]') FROM team_members tm WHERE tm.venue_id = vs.venue_id) AS team
FROM venue_search vs
WHERE vs.venue_id = ANY(:ids)
ORDER BY vs.venue_id"""

_RANGE_RE = re.compile(r"[\[(]([^,]*),([^\])]*)[\])]")


@functools.lru_cache(maxsize=4096)
def week_hours_by_day(literal: str) -> Mapping[int, Sequence[tuple[int, int]]]:
    """Opening ranges by weekday from ``venue_search.week_hours`` (local minutes since Monday
    00:00, ``[lo,hi)``; ranges that meet were merged, so one can run past midnight: it is cut
    at each midnight again, as the hours were entered). Read-only and cached: venues share a
    few weekly patterns."""
    hours: dict[int, list[tuple[int, int]]] = {}
    for lo, hi in _RANGE_RE.findall(literal):
        start, end = int(lo), int(hi)
        while start < end:
            day, minute = divmod(start, MINUTES_PER_DAY)
            stop = min(end, (day + 1) * MINUTES_PER_DAY)
            hours.setdefault(day % 7, []).append((minute, stop - day * MINUTES_PER_DAY))
            start = stop
    return MappingProxyType({day: tuple(ranges) for day, ranges in hours.items()})


def closures_of(literal: str) -> list[tuple[date, date]]:
    """Closures as (first day, last day) from ``venue_search.closed_days`` (``[first,after)``)."""
    return [
        (date.fromisoformat(lo), date.fromisoformat(hi) - timedelta(days=1)) for lo, hi in _RANGE_RE.findall(literal)
    ]


def load_venues(ids: list[int]) -> list[_Venue]:
    """What the slot engine needs of each searchable venue among ``ids``, by id."""
    rows = db.session.execute(text(_VENUES_SQL), {"ids": ids})
    venues = []
    for row in rows:
        services = [
            ServiceSpec(
                id=service_id,
                duration=timedelta(minutes=duration),
                buffer=timedelta(minutes=buffer),
                capacity=capacity,
                team_member_ids=frozenset(members),
            )
            for service_id, duration, buffer, capacity, members in row.services
        ]
        hours, closures = week_hours_by_day(row.week_hours), closures_of(row.closed_days)
        venues.append(_Venue(row.id, row.timezone, hours, closures, services, row.team))
    return venues
