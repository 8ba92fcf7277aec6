"""A venue's time blocks: times the provider closes to bookings, for the whole venue or one
team member (used by the provider's calendar, app/booking/views/calendar.py).

Every block is looked up inside the venue, so another venue's ids are simply not found (404).

A block may repeat weekly (``repeat_weekdays``, a bit mask Monday = 1 ... Sunday = 64) until
``repeat_until`` (a date in the venue's zone, at most a year after the first occurrence). One
row holds the rule: ``OCCURRENCES_SQL`` expands the rows into the occurrences meeting a window,
in the venue's zone (13:00-14:00 stays 13:00-14:00 local across a clock change), and both the
slot engine (app/booking/availability.py, in its one union statement) and the calendar read
blocks through it, so they can't disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import DateTime, Integer, bindparam, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY

from app.booking.models import TimeBlock
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import one_or_not_found
from app.platform.timefmt import venue_zone
from app.venues.events import announce_opened
from app.venues.models import Venue

MAX_REPEAT_DAYS = 366
MAX_BLOCK_SPAN = timedelta(hours=25)  # the calendar form blocks inside one local day (25 h on a DST change)
WEEKDAY_BITS = tuple(1 << n for n in range(7))  # Monday = 1 ... Sunday = 64 (date.weekday() order)

# Every block occurrence of the venues ``:venue_ids`` meeting [:start, :end): single blocks as
# they are, repeating ones expanded day by day (only over the days of the window, so the cost
# follows the window, not the length of the series).
OCCURRENCES_SQL = """
SELECT tb.id AS block_id, tb.team_member_id AS member, tb.venue_id AS number,
       tb.starts_at AS off_from, tb.ends_at AS off_until
  FROM time_blocks tb
 WHERE tb.venue_id = ANY(:venue_ids) AND tb.repeat_until IS NULL
   AND tb.starts_at < :end AND tb.ends_at > :start
UNION ALL
SELECT o.block_id, o.member, o.number, o.off_from, o.off_from + o.length
  FROM (
    SELECT tb.id AS block_id, tb.team_member_id AS member, tb.venue_id AS number,
           tb.ends_at - tb.starts_at AS length,
           (day::date + (tb.starts_at AT TIME ZONE v.timezone)::time) AT TIME ZONE v.timezone AS off_from
      FROM time_blocks tb
      JOIN venues v ON v.id = tb.venue_id
     CROSS JOIN LATERAL generate_series(
           greatest((tb.starts_at AT TIME ZONE v.timezone)::date,
                    (:start AT TIME ZONE v.timezone)::date - 1)::timestamp,
           least(tb.repeat_until, (:end AT TIME ZONE v.timezone)::date + 1)::timestamp,
           interval '1 day') AS day
     WHERE tb.venue_id = ANY(:venue_ids) AND tb.repeat_until IS NOT NULL
       AND tb.starts_at < :end AND tb.repeat_until >= (:start AT TIME ZONE 'UTC')::date - 2
       AND tb.repeat_weekdays & (1 << (extract(isodow FROM day)::int - 1)) <> 0
  ) o
 WHERE o.off_from < :end AND o.off_from + o.length > :start
"""


def occurrences_query(venue_ids: list[int], start: datetime, end: datetime) -> Any:
    """``OCCURRENCES_SQL`` as a subquery (block_id, member, number, off_from, off_until)."""
    return (
        text(OCCURRENCES_SQL)
        .bindparams(
            bindparam("venue_ids", [int(i) for i in venue_ids], type_=ARRAY(Integer)),
            bindparam("start", start, type_=DateTime(timezone=True)),
            bindparam("end", end, type_=DateTime(timezone=True)),
        )
        .columns(
            block_id=Integer,
            member=Integer,
            number=Integer,
            off_from=DateTime(timezone=True),
            off_until=DateTime(timezone=True),
        )
        .subquery("block_occurrences")
    )


@dataclass(frozen=True)
class BlockOccurrence:
    """One occurrence of a block, as the calendar shows it (a single block is its own)."""

    id: int
    team_member_id: int | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    repeat_weekdays: int | None
    repeat_until: date | None


def find_time_blocks(
    venue: Venue, start: datetime, end: datetime, *, member_id: int | None = None
) -> list[BlockOccurrence]:
    """Block occurrences overlapping [start, end); for one member, theirs and the whole venue's."""
    found = occurrences_query([venue.id], start, end)
    query = select(found.c.off_from, found.c.off_until, TimeBlock).join(TimeBlock, TimeBlock.id == found.c.block_id)
    if member_id is not None:
        query = query.where(or_(TimeBlock.team_member_id == member_id, TimeBlock.team_member_id.is_(None)))
    return [
        BlockOccurrence(
            id=block.id,
            team_member_id=block.team_member_id,
            starts_at=off_from,
            ends_at=off_until,
            reason=block.reason,
            repeat_weekdays=block.repeat_weekdays,
            repeat_until=block.repeat_until,
        )
        for off_from, off_until, block in db.session.execute(query.order_by(found.c.off_from, TimeBlock.id))
    ]


def weekday_mask(weekdays: Iterable[int]) -> int:
    """The bit mask of these weekdays (Monday = 0, as ``date.weekday()``)."""
    mask = 0
    for day in weekdays:
        mask |= WEEKDAY_BITS[day]
    return mask


def mask_weekdays(mask: int | None) -> list[int]:
    return [n for n, bit in enumerate(WEEKDAY_BITS) if mask and mask & bit]


def check_repeat(first_day: date, weekdays: list[int], until: date | None) -> tuple[int, date] | None:
    """The repeat rule, checked: (mask, until) or None for a single block; raises ValidationFailed."""
    if not weekdays and until is None:
        return None
    if not weekdays:
        raise ValidationFailed(_("Choose at least one weekday to repeat on."), field="repeat_weekdays")
    if until is None:
        raise ValidationFailed(_("Choose the date the repeat ends (at most a year ahead)."), field="repeat_until")
    if until < first_day:
        raise ValidationFailed(_("The repeat must end on or after the first day."), field="repeat_until")
    if (until - first_day).days > MAX_REPEAT_DAYS:
        raise ValidationFailed(_("A repeat lasts at most a year."), field="repeat_until")
    return weekday_mask(weekdays), until


def add_time_block(
    venue: Venue,
    *,
    member_id: int | None,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    repeat_weekdays: list[int] | None = None,
    repeat_until: date | None = None,
) -> TimeBlock:
    """A block; with ``repeat_weekdays`` (Monday = 0) and ``repeat_until`` a weekly series
    whose first occurrence is ``starts_at``..``ends_at`` (raises ValidationFailed on a bad rule)."""
    if member_id is not None and member_id not in {m.id for m in venue.team}:
        raise NotFound(_("That team member doesn't work at this venue."))
    if ends_at <= starts_at:
        raise ValidationFailed(_("The end must be after the start."), field="ends_at")
    if ends_at - starts_at > MAX_BLOCK_SPAN:
        raise ValidationFailed(_("A block lasts at most a day: repeat it for more."), field="ends_at")
    first_day = starts_at.astimezone(venue_zone(venue)).date()
    rule = check_repeat(first_day, list(repeat_weekdays or []), repeat_until)
    block = TimeBlock(
        venue_id=venue.id,
        team_member_id=member_id,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip(),
        repeat_weekdays=rule[0] if rule else None,
        repeat_until=rule[1] if rule else None,
    )
    db.session.add(block)
    db.session.flush()
    return block


def remove_time_block(venue: Venue, block_id: int) -> TimeBlock:
    block = one_or_not_found(
        select(TimeBlock).where(TimeBlock.id == block_id, TimeBlock.venue_id == venue.id),
        _("That block is not in your calendar."),
    )
    db.session.delete(block)
    # The blocked span's UTC dates (a series: up to its last day), widened by a day each side
    # for the venue's zone.
    last_day = max(block.ends_at.date(), block.repeat_until or block.ends_at.date())
    first, last = block.starts_at.date() - timedelta(days=1), last_day + timedelta(days=1)
    announce_opened("time_block_removed", venue.id, [first + timedelta(days=n) for n in range((last - first).days + 1)])
    return block
