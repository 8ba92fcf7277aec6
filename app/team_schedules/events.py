"""In-process events of team schedules (blinker signals).

``calendar_events_wanted`` carries a question up the layers: calendar sync (here, below
booking) asks which bookings a member has, and the booking domain answers in plain values, so
this package never reads booking's tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

signals = Namespace()
calendar_events_wanted = signals.signal(
    "calendar-events-wanted",
    doc="Fires when calendar sync writes a team member's bookings into their own calendar "
    "(``calendar_sync.sync_connection``). The sender is ``calendar_sync``; receivers get ``member_id``, "
    "``start`` and ``end`` and answer the member's live bookings meeting that span as a list of ``BookedTime``.",
)


@dataclass(frozen=True)
class BookedTime:
    """One live booking of a member, as their calendar shows it."""

    booking_id: int
    starts_at: datetime
    ends_at: datetime
    summary: str
