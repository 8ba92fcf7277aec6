"""Visits and groups: several treatments one after another, for one guest or several side by side.

A guest's treatments run back to back: each starts when the one before it ends, its buffer
included. Every guest of a group starts at the same time. A start is offered when every
treatment is free at its own start (``SlotInputs.free_starts`` with ``only``) and the team
members can be shared out: guests having the same treatment at the same time sit together (one
"sitting": as many places, as many people, and a room the service shares between them taken
once), and no team member is given two treatments that meet.

What is not counted jointly here, the database refuses at checkout: two different services of
one group that need the same room at once (each is offered on its own count of rooms).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import combinations
from typing import Any

from app.slot_engine.engine import Rules, ServiceSpec, Slot, SlotInputs

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _instant(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True)
class Part:
    """One treatment of a visit: its service (as long as it is booked), its booking rules, and
    the team member chosen for it (None: anyone free)."""

    service: ServiceSpec
    rules: Rules = field(default_factory=Rules)
    team_member_id: int | None = None


@dataclass(frozen=True)
class Placed:
    """A treatment of a found start: the guest (0-based), its part, its slot, and the team member
    it was given (None: the service needs nobody in particular)."""

    guest: int
    part: Part
    slot: Slot
    team_member_id: int | None


class _Group:
    """Each guest's treatments, each distinct part's busy intervals indexed once for every day.
    Parts are numbered once (``kinds``): equal parts of two guests are one kind. A sitting is a
    kind at a fixed offset from the visit's start, with the guests having it then; each sitting's
    starts for a whole day are asked in one question (the first treatment's, shifted)."""

    def __init__(self, guests: Sequence[Sequence[Part]], inputs: Mapping[str, Any]) -> None:
        busy = list(inputs["busy"])  # read once for every part
        numbers: dict[Part, int] = {}
        kinds_of = [[numbers.setdefault(p, len(numbers)) for p in parts] for parts in guests]
        self.kinds = list(numbers)
        # The part with the largest team is indexed first; the others take its team members'
        # intervals and rooms from that index (``_BusyIndex.build(like=...)``), not reading them again.
        widest = max(self.kinds, key=lambda p: len(p.service.team_member_ids))
        built: dict[Part, tuple[SlotInputs, Any, tuple[int, int, int]]] = {}
        first = None
        for part in [widest, *(p for p in self.kinds if p is not widest)]:
            asked = SlotInputs(**{**inputs, "busy": busy, "service": part.service, "rules": part.rules})
            index = asked.index(like=first)
            first = first or index
            built[part] = (asked, index, asked.limits())
        self.asked = [built[part] for part in self.kinds]
        lengths = [(p.service.duration + p.service.buffer) // _MICROSECOND for p in self.kinds]
        sittings: dict[tuple[int, int], list[int]] = {}  # (kind, offset from the start) -> guests
        for guest, kinds in enumerate(kinds_of):
            offset = 0
            for kind in kinds:
                sittings.setdefault((kind, offset), []).append(guest)
                offset += lengths[kind]
        self.lead = kinds_of[0][0]
        self.sittings = [(kind, offset, lengths[kind], guests) for (kind, offset), guests in sittings.items()]
        self.sittings.sort(key=lambda sitting: sitting[1])

    def _free(self, kind: int, starts: list[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        """start -> (places left, free team members) of part ``kind`` for each of ``starts`` that
        is free, asked once per local day they fall on."""
        asked, index, limits = self.asked[kind]
        by_day: dict[date, list[int]] = {}
        for at in starts:
            by_day.setdefault(_instant(at).astimezone(asked.zone).date(), []).append(at)
        found = {}
        for day, ats in by_day.items():
            if not asked.closed(day):
                found.update(
                    (at, (left, members)) for at, left, members in asked.free_starts(day, index, limits, only=ats)
                )
        return found

    def starts(self, day: date, *, first_only: bool = False) -> list[tuple[Placed, ...]]:
        """Each start on local ``day`` (on the first guest's first treatment's step) at which the
        whole group fits, with every treatment placed."""
        asked, index, limits = self.asked[self.lead]
        if asked.closed(day):
            return []
        leads = {at: (left, members) for at, left, members in asked.free_starts(day, index, limits)}
        candidates = sorted(leads)
        free = {
            (kind, offset): leads
            if (kind, offset) == (self.lead, 0)
            else self._free(kind, [s + offset for s in candidates])
            for kind, offset, _, _ in self.sittings
        }
        found = []
        for start in candidates:
            placed = self._place(start, free)
            if placed is not None:
                found.append(placed)
                if first_only:
                    break
        return found

    def _place(self, start: int, free: dict) -> tuple[Placed, ...] | None:
        """Every treatment of the group starting at ``start``, given team members; None if it can't
        be. ``free``: each sitting's free starts (``_free``)."""
        plan = []
        for kind, offset, length, guests in self.sittings:
            at = start + offset
            here = free[(kind, offset)].get(at)
            if here is None or here[0] < len(guests):
                return None  # too few places (team, capacity or rooms) for the sitting
            remaining, members = here
            part = self.kinds[kind]
            if part.team_member_id is not None:
                if len(guests) > 1 or part.team_member_id not in members:
                    return None
                members = (part.team_member_id,)
            plan.append((part, at, at + length, guests, remaining, members))
        given = _share_out(plan, 0, [])
        if given is None:
            return None
        placed = []
        for (part, at, _, guests, remaining, members), people in zip(plan, given, strict=True):
            slot = Slot(_instant(at), _instant(at) + part.service.duration, remaining, members)
            for guest, person in zip(guests, people or [None] * len(guests), strict=True):
                placed.append(Placed(guest, part, slot, person))
        return tuple(sorted(placed, key=lambda p: (p.guest, p.slot.start)))


def _share_out(plan: list, i: int, given: list) -> list | None:
    """Team members for sittings ``i`` onwards: as many as each has guests, from its free ones,
    none given two sittings that meet (a small search: at most 6 guests, 4 treatments, 5 people).
    A sitting of a service without a team gets ``None`` (nobody in particular)."""
    if i == len(plan):
        return given
    part, at, until, guests, _, members = plan[i]
    if not part.service.team_member_ids:
        return _share_out(plan, i + 1, [*given, None])
    taken = {
        person
        for (_, other_at, other_until, _, _, _), people in zip(plan, given, strict=False)
        if people and other_at < until and at < other_until
        for person in people
    }
    for people in combinations([m for m in members if m not in taken], len(guests)):
        result = _share_out(plan, i + 1, [*given, list(people)])
        if result is not None:
            return result
    return None


def group_starts(*, day: date, guests: Sequence[Sequence[Part]], **inputs: Any) -> list[tuple[Placed, ...]]:
    """A visit of one guest or a group (``guests``: each one's treatments, in order) on local
    ``day``: every start time at which it fits, each with every treatment placed. ``inputs``: as
    ``SlotInputs`` names them, without ``service`` and ``rules``."""
    return _Group(guests, inputs).starts(day)


def group_days(*, first_day: date, days: int, guests: Sequence[Sequence[Part]], **inputs: Any) -> dict[date, bool]:
    """For a visit's calendar: whether each day in the window has a start at which it fits."""
    group = _Group(guests, inputs)
    return {day: bool(group.starts(day, first_only=True)) for day in _days(first_day, days)}


def visit_starts(*, day: date, parts: Sequence[Part], **inputs: Any) -> list[tuple[Slot, ...]]:
    """One guest's treatments back to back (``parts``, in order) on local ``day``: every start
    time, on the first treatment's step, at which each treatment is free when the one before it
    ends (its buffer included), with each treatment's slot."""
    return [tuple(p.slot for p in placed) for placed in group_starts(day=day, guests=[parts], **inputs)]


def visit_days(*, first_day: date, days: int, parts: Sequence[Part], **inputs: Any) -> dict[date, bool]:
    """For a visit's calendar: whether each day in the window has a start at which it fits."""
    return group_days(first_day=first_day, days=days, guests=[parts], **inputs)


def _days(first_day: date, days: int) -> Iterator[date]:
    return (first_day + timedelta(days=offset) for offset in range(days))
