"""Processing time: a service that is work, then a gap, then work again (a colour: 30 minutes
applying, 30 processing, 15 rinsing and finishing), as Fresha's and Phorest's processing time.

The service keeps when the gap starts (``processing_after_minutes`` from the start) and how long
it lasts (``processing_minutes``). In the gap the client stays (and so does any room the service
needs) but the team member is free: the slot engine offers them to other clients, and the
database's team-member constraint compares only working parts (migration 0074). A booking keeps
its gap as instants (``gap_starts_at``, ``gap_ends_at``), so later edits move nothing booked.

The gap sits inside the service's own length: options change the length of the last part (a
longer colour finishes later), add-ons are added at the end. So every option, and the service's
own length, must run past the gap's end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _

from app.platform.errors import ValidationFailed
from app.venues.models import Service

MAX_AFTER = 600
MAX_PROCESSING = 480
MIN_MINUTES = 5


@dataclass(frozen=True)
class Processing:
    """A gap of ``minutes`` starting ``after`` minutes into the service."""

    after: int
    minutes: int

    @property
    def ends(self) -> int:
        return self.after + self.minutes


def processing_of(service: Service) -> Processing | None:
    """The service's processing gap, or None."""
    if service.processing_after_minutes is None or service.processing_minutes is None:
        return None
    return Processing(service.processing_after_minutes, service.processing_minutes)


def check_processing(processing: Processing | None, lengths: Iterable[int]) -> None:
    """Raise ValidationFailed (field ``processing``) unless the gap makes sense for a service whose
    bookings last ``lengths`` minutes (its own length, each option's)."""
    if processing is None:
        return
    if not MIN_MINUTES <= processing.after <= MAX_AFTER:
        raise ValidationFailed(
            _("Processing starts between %(low)d and %(high)d minutes in.", low=MIN_MINUTES, high=MAX_AFTER),
            field="processing",
        )
    if not MIN_MINUTES <= processing.minutes <= MAX_PROCESSING:
        raise ValidationFailed(
            _("Processing lasts between %(low)d and %(high)d minutes.", low=MIN_MINUTES, high=MAX_PROCESSING),
            field="processing",
        )
    if any(length <= processing.ends for length in lengths):
        raise ValidationFailed(
            _(
                "The service must go on after processing: every length must be over %(num)d minutes.",
                num=processing.ends,
            ),
            field="processing",
        )


def gap_within(service: Service, minutes: int) -> tuple[timedelta, timedelta] | None:
    """The service's gap as (start, end) from a booking's start, for a booking ``minutes`` long;
    None without one, or when it would not end before the booking does (a move of a booking made
    before the gap was set, onto a length that no longer fits it: booked as work throughout)."""
    processing = processing_of(service)
    if processing is None or processing.ends >= minutes:
        return None
    return timedelta(minutes=processing.after), timedelta(minutes=processing.ends)


def booking_gap(service: Service, starts_at: datetime, ends_at: datetime) -> tuple[datetime | None, datetime | None]:
    """The gap of a booking of ``service`` from ``starts_at`` to ``ends_at``, as instants (None,
    None: no gap). Real minutes from the start, like the booking's end: a colour across a clock
    change still processes for 30 minutes."""
    gap = gap_within(service, int((ends_at - starts_at).total_seconds() // 60))
    if gap is None:
        return None, None
    return starts_at + gap[0], starts_at + gap[1]
