"""Available and booked minutes, by team member and by weekday and hour: plain arithmetic on
local wall-clock minutes (no database here).

A team member is available when the slot engine would offer their time: inside the venue's
opening hours of the weekday, and inside their own working ranges when they have a pattern
(app/slot_engine/engine.MemberSchedule), on a day the venue is not closed, less their time off
and the time blocks (the venue's and their own). Minutes are counted on the wall clock, so a
day when the clocks change counts its hours as they read (documented in docs/analytics.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.slot_engine.engine import MemberSchedule

Interval = tuple[int, int]  # minutes since local midnight, [start, end)
DAY = 1440


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    found = []
    for a_start, a_end in a:
        for b_start, b_end in b:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                found.append((start, end))
    return merge(found)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def subtract(base: Sequence[Interval], cuts: Iterable[Interval]) -> list[Interval]:
    left = list(base)
    for cut_start, cut_end in merge(cuts):
        pieces = []
        for start, end in left:
            if cut_end <= start or cut_start >= end:
                pieces.append((start, end))
                continue
            if start < cut_start:
                pieces.append((start, cut_start))
            if cut_end < end:
                pieces.append((cut_end, end))
        left = pieces
    return left


def local_pieces(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[date, Interval]]:
    """An aware span as (local date, minutes) pieces, one per local day it touches."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    pieces = []
    day = local_start.date()
    while day <= local_end.date():
        first = local_start.hour * 60 + local_start.minute if day == local_start.date() else 0
        last = local_end.hour * 60 + local_end.minute if day == local_end.date() else DAY
        if first < last:
            pieces.append((day, (first, last)))
        day += timedelta(days=1)
    return pieces


def add_by_hour(grid: dict[tuple[int, int], int], weekday: int, interval: Interval) -> None:
    """Add an interval's minutes to ``grid[(weekday, hour)]``."""
    start, end = interval
    while start < end:
        hour_end = min(end, (start // 60 + 1) * 60)
        grid[(weekday, start // 60)] += hour_end - start
        start = hour_end


class Available:
    """Available minutes per member and per (weekday, hour), over some local days."""

    def __init__(self) -> None:
        self.by_member: dict[int, int] = defaultdict(int)
        self.by_hour: dict[tuple[int, int], int] = defaultdict(int)


def available_minutes(
    days: Iterable[date],
    zone: ZoneInfo,
    hours: Mapping[int, Sequence[Interval]],
    closures: Sequence[tuple[date, date]],
    members: Sequence[int],
    schedules: Mapping[int, MemberSchedule],
    blocks: Iterable[tuple[int | None, datetime, datetime]],
) -> Available:
    """``members`` (team member ids; [0] for a venue without a team, who works the opening
    hours), ``blocks`` as (member id or None for the whole venue, start, end)."""
    cuts: dict[tuple[date, int | None], list[Interval]] = defaultdict(list)
    for member, start, end in blocks:
        for day, interval in local_pieces(start, end, zone):
            cuts[(day, member)].append(interval)
    for member, schedule in schedules.items():
        for start, end in schedule.time_off:
            for day, interval in local_pieces(start, end, zone):
                cuts[(day, member)].append(interval)
    # Most days repeat their weekday's shape: count the days of each (member, shape) first, then
    # add each shape's minutes once, times its days.
    shapes: dict[tuple, tuple[int, dict[tuple[int, int], int]]] = {}
    days_of: dict[tuple[int, tuple], int] = defaultdict(int)
    for day in days:
        if any(first <= day <= last for first, last in closures):
            continue
        weekday = day.weekday()
        venue_cuts = cuts.get((day, None), [])
        for member in members:
            schedule = schedules.get(member)
            own = schedule.ranges_on(day) if schedule is not None else None
            key = (weekday, None if own is None else tuple(own), (*venue_cuts, *cuts.get((day, member), [])))
            if key not in shapes:
                shapes[key] = _shape(weekday, hours, own, key[2])
            days_of[(member, key)] += 1
    found = Available()
    for (member, key), count in days_of.items():
        minutes, by_hour = shapes[key]
        found.by_member[member] += minutes * count
        for cell, value in by_hour.items():
            found.by_hour[cell] += value * count
    return found


def _shape(
    weekday: int, hours: Mapping[int, Sequence[Interval]], own: Sequence[Interval] | None, cuts: Sequence[Interval]
) -> tuple[int, dict[tuple[int, int], int]]:
    """One day's available minutes and their (weekday, hour) cells: the opening hours, within the
    member's own ranges if they have any, less the day's cuts."""
    open_ranges = merge(hours.get(weekday, ()))
    working = open_ranges if own is None else intersect(merge(own), open_ranges)
    working = subtract(working, cuts)
    by_hour: dict[tuple[int, int], int] = defaultdict(int)
    for interval in working:
        add_by_hour(by_hour, weekday, interval)
    return sum(end - start for start, end in working), dict(by_hour)


def ratio(booked: int, available: int) -> float | None:
    """Booked over available, None when nothing was available."""
    return booked / available if available else None


class Occupied:
    """A row of booked against available minutes, and so an occupancy (a team member, an hour
    of the week, a room)."""

    booked_minutes: int
    available_minutes: int

    @property
    def occupancy(self) -> float | None:
        return ratio(self.booked_minutes, self.available_minutes)
