"""In-process events of a venue's working time (blinker signals, as Flask's own).

``times_opened`` fires when a venue's or a team member's working time grew (opening hours
added, a closure, time off, a schedule exception or a time block removed): new times may be
free. The sender is the reason; receivers get ``venue_id`` and ``days`` (the venue-local
dates that may have new times, or None for "any day", as when weekly hours change).
Receivers run inside the sender's transaction and enqueue jobs (the waitlist's offers,
app/waitlist/offers.py), so nothing here knows who listens. It lives beside the venues
because hours, schedules and time blocks all fire it, and they sit below booking.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from blinker import Namespace

signals = Namespace()
times_opened = signals.signal("times-opened", doc="A venue's working time grew: new times may be free.")
# An admin decided a listing (sender: the action, ``approve``, ``reject``, ``suspend`` or
# ``reinstate``); receivers get ``venue`` and ``reason``. The owner's email listens to it
# (app/notifications/listings.py), which says too what payouts still need.
listing_decided = signals.signal(
    "listing-decided", doc="An admin approved, rejected, suspended or reinstated a listing."
)

# An owner submitted a listing for review (sender: ``submit``); receivers get ``venue``. The
# admins' notices listen (app/notifications/activity.py).
listing_submitted = signals.signal("listing-submitted", doc="An owner submitted a listing for approval.")


def announce_opened(reason: str, venue_id: int, days: Iterable[date] | None = None) -> None:
    """Fire ``times_opened`` for new hours at ``venue_id`` on ``days`` (None: any day)."""
    times_opened.send(str(reason), venue_id=venue_id, days=tuple(sorted(set(days))) if days is not None else None)
