"""A venue's time blocks: times the provider closes to bookings, for the whole venue or one
team member (used by the provider's calendar, app/booking/views/calendar.py).

Every block is looked up inside the venue, so another venue's ids are simply not found (404).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.booking.models import TimeBlock
from app.errors import NotFound
from app.extensions import db
from app.venues.events import announce_opened
from app.venues.models import Venue


def find_time_blocks(venue: Venue, start: datetime, end: datetime, *, member_id: int | None = None) -> list[TimeBlock]:
    """Blocks overlapping [start, end); for one member, theirs and the whole venue's."""
    query = select(TimeBlock).where(
        TimeBlock.venue_id == venue.id, TimeBlock.starts_at < end, TimeBlock.ends_at > start
    )
    if member_id is not None:
        query = query.where(or_(TimeBlock.team_member_id == member_id, TimeBlock.team_member_id.is_(None)))
    return list(db.session.scalars(query.order_by(TimeBlock.starts_at, TimeBlock.id)))


def add_time_block(
    venue: Venue, *, member_id: int | None, starts_at: datetime, ends_at: datetime, reason: str
) -> TimeBlock:
    if member_id is not None and member_id not in {m.id for m in venue.team}:
        raise NotFound(_("That team member doesn't work at this venue."))
    block = TimeBlock(
        venue_id=venue.id, team_member_id=member_id, starts_at=starts_at, ends_at=ends_at, reason=reason.strip()
    )
    db.session.add(block)
    db.session.flush()
    return block


def remove_time_block(venue: Venue, block_id: int) -> TimeBlock:
    block = db.session.scalar(select(TimeBlock).where(TimeBlock.id == block_id, TimeBlock.venue_id == venue.id))
    if block is None:
        raise NotFound(_("That team member doesn't work at this venue."))
    db.session.delete(block)
    # The blocked span's UTC dates, widened by a day each side for the venue's zone.
    first, last = block.starts_at.date() - timedelta(days=1), block.ends_at.date() + timedelta(days=1)
    announce_opened("time_block_removed", venue.id, [first + timedelta(days=n) for n in range((last - first).days + 1)])
    return block
