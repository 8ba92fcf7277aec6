"""The search-to-booking funnel, counted without personal data.

Searches, venue views, cart adds and checkouts are counted by the web process in memory
(``count``), per UTC day and step, and written as a few UPSERTs at most every
``ANALYTICS_FLUSH_SECONDS`` (``flush_due``/``flush``): a cached venue or search page then pays a
dictionary increment, not a database round trip. What a process holds when it stops unflushed
is lost (at most that many seconds of counts); counts are statistics, not records.
Paid orders are counted in the paying transaction (``count_paid``: one UPSERT, rarely).

Search texts that found nothing are kept the same way, normalized (lower case, single spaces,
at most 100 characters), with their count, and forgotten after ``ANALYTICS_SEARCH_DAYS``.
Nothing stored names a person, a session or an address (docs/privacy.md).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.analytics.models import FUNNEL_STEPS
from app.platform.extensions import db
from app.platform.jobs import job

MAX_QUERY = 100

_lock = threading.Lock()
_steps: Counter[tuple[date, str]] = Counter()
_zero: Counter[tuple[date, str]] = Counter()
_last_flush = [time.monotonic()]

_UPSERT_STEP = text(
    "INSERT INTO analytics_funnel_days (day, step, count) VALUES (:day, :step, :count) "
    "ON CONFLICT (day, step) DO UPDATE SET count = analytics_funnel_days.count + EXCLUDED.count"
)
_UPSERT_ZERO = text(
    "INSERT INTO analytics_zero_searches (day, query, count) VALUES (:day, :query, :count) "
    "ON CONFLICT (day, query) DO UPDATE SET count = analytics_zero_searches.count + EXCLUDED.count"
)


def normalize(query: str) -> str:
    """A search text as it is counted: lower case, single spaces, at most 100 characters."""
    return " ".join(query.lower().split())[:MAX_QUERY].strip()


def count(step: str, *, now: datetime | None = None) -> None:
    if step not in FUNNEL_STEPS:
        raise ValueError(f"unknown funnel step: {step}")
    day = (now or datetime.now(UTC)).date()
    with _lock:
        _steps[(day, step)] += 1


def count_zero_search(query: str, *, now: datetime | None = None) -> None:
    normalized = normalize(query)
    if not normalized:
        return
    day = (now or datetime.now(UTC)).date()
    with _lock:
        _zero[(day, normalized)] += 1


def pending() -> tuple[dict[tuple[date, str], int], dict[tuple[date, str], int]]:
    """What this process counted and has not written yet (for tests and the flush)."""
    with _lock:
        return dict(_steps), dict(_zero)


def flush_due(every_seconds: float) -> bool:
    return time.monotonic() - _last_flush[0] >= every_seconds


def take() -> tuple[dict[tuple[date, str], int], dict[tuple[date, str], int]]:
    """Empty the counters, returning what they held."""
    with _lock:
        steps, zero = dict(_steps), dict(_zero)
        _steps.clear()
        _zero.clear()
        _last_flush[0] = time.monotonic()
    return steps, zero


def give_back(steps: dict[tuple[date, str], int], zero: dict[tuple[date, str], int]) -> None:
    """Put counts back after a failed write; the next flush tries again."""
    with _lock:
        _steps.update(steps)
        _zero.update(zero)


def write(connection: Connection, steps: dict, zero: dict) -> None:
    """The counts as UPSERTs on ``connection`` (one executemany per table); the caller commits."""
    if steps:
        connection.execute(
            _UPSERT_STEP, [{"day": day, "step": step, "count": n} for (day, step), n in sorted(steps.items())]
        )
    if zero:
        connection.execute(
            _UPSERT_ZERO, [{"day": day, "query": query, "count": n} for (day, query), n in sorted(zero.items())]
        )


def flush(connection: Connection) -> None:
    """Write and empty this process's counts on ``connection``; on failure they are kept."""
    steps, zero = take()
    try:
        write(connection, steps, zero)
    except Exception:
        give_back(steps, zero)
        raise


def count_paid(orders: int = 1, *, now: datetime | None = None) -> None:
    """A paid order, counted in the caller's transaction."""
    day = (now or datetime.now(UTC)).date()
    db.session.execute(_UPSERT_STEP, {"day": day, "step": "paid", "count": orders})


def forget_old_searches(keep_days: int, *, today: date | None = None) -> int:
    """Drop zero-result search texts older than ``keep_days``; how many rows went."""
    first_kept = (today or datetime.now(UTC).date()) - timedelta(days=keep_days)
    result = db.session.execute(text("DELETE FROM analytics_zero_searches WHERE day < :day"), {"day": first_kept})
    return result.rowcount or 0


@job(name="analytics.forget_old_searches")
def forget_old_searches_job(timestamp: int | None = None) -> None:
    forget_old_searches(current_app.config["ANALYTICS_SEARCH_DAYS"])
    db.session.commit()
