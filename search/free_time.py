"""Free time kept ahead: each searchable venue's free start times for the coming days.

"Today", "tomorrow" and "this weekend" ask, of every candidate venue, whether one of its
services has a slot inside a window. Asked of the slot engine at query time, that is three
statements and the engine's work for each batch of candidates. Here the engine's answer is
computed ahead, by the refresh job, for HORIZON_DAYS local days: each service duration's free
starts as runs of ``[first, last + 1)`` minutes since the epoch, one start every slot interval
(``venue_free_starts``, migration 0042). A window search then reads one row per duration.

It is never the only truth. A trigger on every table the slot engine reads appends the venue's
id to ``venue_free_changes`` in the changing transaction; a venue with a change row, without a
row here, with a hold counted as busy that has expired since, computed under other booking
rules, or not covering the window, gets no answer from ``known_free`` and is asked of the slot
engine as before (search.availability). The refresh reads a venue's change rows before its data
and deletes only those: a change committed meanwhile stays, and so does the staleness.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from app.booking.availability import booking_rules, with_needs
from app.platform.extensions import db
from app.platform.jobs import job
from app.slot_engine import Rules, free_start_minutes, has_slot_within
from search.availability import load_venues, local_days, read_busy

log = logging.getLogger(__name__)

HORIZON_DAYS = 10  # local days computed: today and the nine after
RENEW_WITHIN = timedelta(days=8)  # renewed once fewer days than this are left ("this weekend" needs 7)
REFRESH_BATCH = 200  # venues a statement reads and writes at once
REFRESH_BUDGET_SECONDS = 20.0  # a periodic run stops after this; the next minute goes on
_LOCK_CLASS = 74210  # pg_try_advisory_xact_lock(class, venue id): one refresh of a venue at a time
_MINUTE = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rules_key(rules: Rules) -> str:
    """The booking rules a row was computed under: slot interval, minimum notice, maximum advance."""
    return "/".join(str(int(value // _MINUTE)) for value in (rules.slot_interval, rules.min_notice, rules.max_advance))


def runs(minutes: Iterable[int], step: int) -> list[tuple[int, int]]:
    """Sorted start minutes as ``[first, last + 1)`` runs of starts ``step`` minutes apart."""
    found: list[list[int]] = []
    for minute in sorted(set(minutes)):
        if found and minute - found[-1][1] == step:
            found[-1][1] = minute
        else:
            found.append([minute, minute])
    return [(first, last + 1) for first, last in found]


def multirange_literal(ranges: Iterable[tuple[int, int]]) -> str:
    return "{" + ",".join(f"[{lo},{hi})" for lo, hi in ranges) + "}"


@dataclass(frozen=True)
class FreeTime:
    venue_id: int
    covers_until: datetime
    valid_until: datetime | None
    starts: dict[int, list[tuple[int, int]]]  # duration in minutes -> runs


def compute_free_time(venue_ids: Iterable[int], *, now: datetime, rules: Rules) -> list[FreeTime]:
    """The slot engine's free starts of each searchable venue among ``venue_ids``, for the local
    days from today on (HORIZON_DAYS), by service duration."""
    venues = load_venues(sorted(set(venue_ids)))
    if not venues:
        return []
    days = {}
    for venue in venues:
        today = now.astimezone(ZoneInfo(venue.tz)).date()
        days[venue.id] = [today + timedelta(days=n) for n in range(HORIZON_DAYS)]
    busy = read_busy(venues, days)
    step = int(rules.slot_interval // _MINUTE)
    computed = []
    for venue in venues:
        inputs = venue.engine_inputs(busy[venue.id])
        needs = busy[venue.id][3]  # rooms and equipment (issue 44, item 4)
        by_duration: dict[int, list[int]] = {}
        for service in venue.services:
            by_duration.setdefault(int(service.duration // _MINUTE), []).extend(
                free_start_minutes(
                    days=days[venue.id], service=with_needs(service, needs), now=now, rules=rules, **inputs
                )
            )
        zone = ZoneInfo(venue.tz)
        after = days[venue.id][-1] + timedelta(days=1)
        last_midnight = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
        expiring = [b.expires_at for b in inputs["busy"] if b.expires_at is not None and b.expires_at > now]
        computed.append(
            FreeTime(
                venue_id=venue.id,
                covers_until=min(last_midnight, now + rules.max_advance),
                valid_until=min(expiring, default=None),
                starts={d: runs(m, step) for d, m in by_duration.items() if m},
            )
        )
    return computed


def refresh_free_time(venue_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Recompute the free time of ``venue_ids`` (those no other refresh holds); a venue no longer
    searchable loses its row. The caller commits. Returns how many venues were written."""
    now = now or datetime.now(UTC)
    rules = booking_rules()
    ids = db.session.execute(
        text("SELECT id FROM unnest(CAST(:ids AS integer[])) AS id WHERE pg_try_advisory_xact_lock(:lock, id)"),
        {"ids": sorted(set(venue_ids)), "lock": _LOCK_CLASS},
    ).scalars()
    ids = list(ids)
    if not ids:
        return 0
    # The change rows first, then the data: a change committed after this read is not deleted.
    seen = db.session.execute(
        text("SELECT id FROM venue_free_changes WHERE venue_id = ANY(:ids)"), {"ids": ids}
    ).scalars()
    seen = list(seen)
    computed = compute_free_time(ids, now=now, rules=rules)
    if seen:
        db.session.execute(text("DELETE FROM venue_free_changes WHERE id = ANY(:seen)"), {"seen": seen})
    gone = sorted(set(ids) - {free.venue_id for free in computed})
    if gone:
        db.session.execute(text("DELETE FROM venue_free_time WHERE venue_id = ANY(:ids)"), {"ids": gone})
        db.session.execute(text("DELETE FROM venue_free_starts WHERE venue_id = ANY(:ids)"), {"ids": gone})
    if not computed:
        return 0
    written = [free.venue_id for free in computed]
    db.session.execute(
        text(
            """INSERT INTO venue_free_time (venue_id, computed_at, covers_until, valid_until, rules)
SELECT venue_id, :now, covers_until, valid_until, :rules
FROM unnest(CAST(:ids AS integer[]), CAST(:covers AS timestamptz[]), CAST(:valid AS timestamptz[]))
     AS t(venue_id, covers_until, valid_until)
ON CONFLICT (venue_id) DO UPDATE SET computed_at = EXCLUDED.computed_at, covers_until = EXCLUDED.covers_until,
    valid_until = EXCLUDED.valid_until, rules = EXCLUDED.rules"""
        ),
        {
            "ids": written,
            "covers": [free.covers_until for free in computed],
            "valid": [free.valid_until for free in computed],
            "now": now,
            "rules": rules_key(rules),
        },
    )
    db.session.execute(text("DELETE FROM venue_free_starts WHERE venue_id = ANY(:ids)"), {"ids": written})
    rows = [(free.venue_id, d, multirange_literal(r)) for free in computed for d, r in free.starts.items()]
    if rows:
        db.session.execute(
            text(
                """INSERT INTO venue_free_starts (venue_id, duration_minutes, starts)
SELECT venue_id, duration, CAST(starts AS int4multirange)
FROM unnest(CAST(:ids AS integer[]), CAST(:durations AS integer[]), CAST(:starts AS text[]))
     AS t(venue_id, duration, starts)"""
            ),
            {
                "ids": [row[0] for row in rows],
                "durations": [row[1] for row in rows],
                "starts": [row[2] for row in rows],
            },
        )
    return len(written)


def _renew_within(rules: Rules) -> timedelta:
    # Coverage ends at the advance limit when that is nearer: renew daily then, not every run.
    return max(timedelta(0), min(RENEW_WITHIN, rules.max_advance - timedelta(days=1)))


def venues_to_refresh(limit: int, *, now: datetime | None = None) -> list[int]:
    """Venues whose free time is missing or stale: changed, a counted hold expired, booking
    rules changed, or fewer than RENEW_WITHIN days left covered. Changed ones first."""
    now = now or datetime.now(UTC)
    rules = booking_rules()
    return list(
        db.session.execute(
            text(
                """(SELECT venue_id FROM venue_free_changes GROUP BY venue_id ORDER BY min(id) LIMIT :limit)
UNION ALL
(SELECT vs.venue_id FROM venue_search vs
 WHERE NOT EXISTS (SELECT 1 FROM venue_free_time ft WHERE ft.venue_id = vs.venue_id) LIMIT :limit)
UNION ALL
(SELECT venue_id FROM venue_free_time
 WHERE covers_until < :renew OR valid_until <= :now OR rules <> :rules OR computed_at > :now LIMIT :limit)
LIMIT :limit"""
            ),
            {"limit": limit, "now": now, "renew": now + _renew_within(rules), "rules": rules_key(rules)},
        ).scalars()
    )


def refresh_due(*, budget_seconds: float = REFRESH_BUDGET_SECONDS, batch: int = REFRESH_BATCH) -> int:
    """Refresh stale and missing free time a batch at a time, each batch committed, until none
    is left or the budget is spent. Returns how many venues were written."""
    deadline = time.monotonic() + budget_seconds
    written, tried = 0, set()
    while time.monotonic() < deadline:
        ids = venues_to_refresh(batch)
        if not ids or tried.issuperset(ids):
            break  # done, or what is left is being refreshed by another worker
        tried.update(ids)
        written += refresh_free_time(ids)
        db.session.commit()
    return written


def known_free(
    venue_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime, rules: Rules
) -> dict[int, bool]:
    """Whether each venue among ``venue_ids`` whose free time is fresh and covers the window has
    a slot starting and ending inside [start, end); the others are left out (ask the engine)."""
    ids = sorted(set(venue_ids))
    params = free_answer_params(start, end, now=now, rules=rules)
    if not ids or params is None:
        return {}
    sql = f"SELECT asked.venue_id, {free_answer_sql('asked.venue_id')} AS free"
    sql += " FROM unnest(CAST(:ft_ids AS integer[])) AS asked(venue_id)"
    rows = db.session.execute(text(sql), {**params, "ft_ids": ids}).all()
    return {venue_id: free for venue_id, free in rows if free is not None}


def free_answer_params(start: datetime, end: datetime, *, now: datetime, rules: Rules) -> dict[str, Any] | None:
    """The parameters of ``free_answer_sql`` for the window [start, end) asked at ``now``; None
    when no start can be booked inside it (it has passed, or lies past the advance limit)."""
    earliest = max(start, now + rules.min_notice)
    latest = min(end, now + rules.max_advance)
    if earliest >= latest:
        return None
    return {
        "ft_now": now,
        "ft_rules": rules_key(rules),
        "ft_covered": latest,
        "ft_w0": -((_EPOCH - earliest) // _MINUTE),  # the first whole minute at or after
        "ft_w1": (end - _EPOCH) // _MINUTE,  # a service of d minutes starts at ft_w1 - d at the latest
        "ft_advance": (now + rules.max_advance - _EPOCH) // _MINUTE,
        "ft_step": int(rules.slot_interval // _MINUTE),
    }


def free_answer_sql(venue_id: str) -> str:
    """An expression for the kept answer of venue ``venue_id`` (a column or parameter): true or
    false when its free time is fresh and covers the window, NULL otherwise (ask the engine).

    Within a run the starts are first, first + step, ...: the first of them at or after w0 must
    be no later than the run's last start, the window's last start for the duration, and the
    advance limit."""
    return f"""(SELECT EXISTS (
        SELECT 1 FROM venue_free_starts f, unnest(f.starts) AS run
        WHERE f.venue_id = ft.venue_id
          AND upper(f.starts) > :ft_w0 AND lower(f.starts) <= :ft_w1 - f.duration_minutes
          AND lower(run) + (greatest(lower(run), :ft_w0) - lower(run) + :ft_step - 1) / :ft_step * :ft_step
              <= least(upper(run) - 1, :ft_w1 - f.duration_minutes, :ft_advance))
    FROM venue_free_time ft
    WHERE ft.venue_id = {venue_id} AND ft.rules = :ft_rules AND ft.covers_until >= :ft_covered
      AND ft.computed_at <= :ft_now AND (ft.valid_until IS NULL OR ft.valid_until > :ft_now)
      AND NOT EXISTS (SELECT 1 FROM venue_free_changes c WHERE c.venue_id = ft.venue_id))"""


@job(name="search.refresh_free_time")
def refresh_free_time_job(timestamp: int | None = None) -> None:
    written = refresh_due()
    if written:
        log.info("Refreshed the free time of %d venue(s)", written)


def venues_free_between(
    venue_ids: Iterable[int], start: datetime, end: datetime, *, now: datetime | None = None, kept: bool = True
) -> set[int]:
    """Ids of the approved venues among ``venue_ids`` with a bookable slot inside [start, end):
    from the free time kept ahead where it is fresh (search.free_time), from the slot engine
    for the others (for all with ``kept=False``: the caller has read the kept answers)."""
    ids = sorted(set(venue_ids))
    if not ids or end <= start:
        return set()
    now = now or datetime.now(UTC)
    rules = booking_rules()
    known = known_free(ids, start, end, now=now, rules=rules) if kept else {}
    free = {venue_id for venue_id, yes in known.items() if yes}
    unknown = [venue_id for venue_id in ids if venue_id not in known]
    venues = load_venues(unknown) if unknown else []
    if not venues:
        return free
    days = {venue.id: local_days(start, end, venue.tz) for venue in venues}
    busy = read_busy(venues, days)
    for venue in venues:
        inputs = venue.engine_inputs(busy[venue.id])
        if any(
            has_slot_within(
                days=days[venue.id],
                service=with_needs(service, busy[venue.id][3]),  # rooms and equipment (issue 44, item 4)
                now=now,
                rules=rules,
                start=start,
                end=end,
                **inputs,
            )
            for service in venue.services
        ):
            free.add(venue.id)
    return free
