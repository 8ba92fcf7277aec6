"""In-process events of venues (blinker signals, as Flask's own): a venue's working time grew,
and its listing was submitted or decided.

``times_opened`` lives beside the venues because hours, schedules and time blocks all fire it,
and they sit below booking; receivers run inside the sender's transaction and enqueue jobs, so
nothing here knows who listens.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from blinker import Namespace

signals = Namespace()
times_opened = signals.signal(
    "times-opened",
    doc="Fires when a venue's or a team member's working time grew, so new times may be free (opening hours added; "
    "a closure, time off, a schedule exception or a time block removed; a team member's weeks changed). The sender "
    "is the reason; receivers get ``venue_id`` and ``days`` (the venue-local dates that may have new times, or None "
    "for any day, as when weekly hours change).",
)
listing_decided = signals.signal(
    "listing-decided",
    doc="Fires when an admin decides a listing (``approval.transition``). The sender is the action (``approve``, "
    "``reject``, ``suspend`` or ``reinstate``); receivers get ``venue`` and ``reason``.",
)
listing_submitted = signals.signal(
    "listing-submitted",
    doc="Fires when an owner submits a listing for review (``approval.transition``). The sender is ``submit``; "
    "receivers get ``venue``.",
)


def announce_opened(reason: str, venue_id: int, days: Iterable[date] | None = None) -> None:
    """Fire ``times_opened`` for new hours at ``venue_id`` on ``days`` (None: any day)."""
    times_opened.send(str(reason), venue_id=venue_id, days=tuple(sorted(set(days))) if days is not None else None)
