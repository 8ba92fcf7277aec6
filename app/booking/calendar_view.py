"""What the provider's booking calendar shows (app/booking/views/calendar.py): bookings and time
blocks as events in the venue's local time, the day view's columns (one per team member, with
rows and side-by-side lanes), the week view's days, and the labels around them, with the rooms
and equipment each booking holds ("Treatment room 2", read for all of a page's bookings at once).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.booking import lifecycle
from app.booking.calendar_forms import CalendarQuery
from app.booking.models import Booking, BookingResource, BookingStatus, TimeBlock
from app.booking.presenting import booked_service
from app.booking.requests import PENDING
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.timefmt import LONG_DAY, day_words
from app.platform.urls import absolute_url
from app.venues.hours import MINUTES_PER_DAY
from app.venues.models import Resource, Venue
from app.venues.resources import unit_label

B = BookingStatus
STATUS_LABELS = {
    **lifecycle.STATUS_LABELS,
    B.HELD: _l("Awaiting payment"),
    B.CANCELLED_BY_CUSTOMER: _l("Cancelled by the customer"),
    B.CANCELLED_BY_VENUE: _l("Cancelled by you"),
}
FALLBACK_HOURS = (8 * 60, 20 * 60)
ROW_MINUTES = 15
MAX_LANES = 6  # side-by-side places in one column; static/css/calendar.css has classes up to this


# -- what the templates show ----------------------------------------------------------------------


@dataclass
class CalendarEvent:
    """A booking or a time block, placed in the venue's local time."""

    kind: str  # "booking" or "block"
    id: int
    starts: datetime  # local
    ends: datetime  # local
    title: str
    time_label: str
    member_id: int | None = None
    customer: str = ""
    quantity: int = 0
    status: str = ""
    status_label: str = ""
    url: str = ""
    checked_in: bool = False  # arrived at the front desk (app/booking/views/check_in.py)
    movable: bool = False  # confirmed and not started: it can be dragged or moved (app/checkout/reschedule.py)
    repeats: str = ""  # a repeating block's rule, in words ("Every Tue until 12 Jan 2027")
    client_url: str = ""  # the venue's client card (app/clients/), when the booking names its client
    desk: bool = False  # booked at the front desk
    pending_request: bool = False  # a request-to-book still waiting for the venue's answer
    rooms: str = ""  # the rooms and equipment it holds: "Treatment room 2, Steamer"
    processing: str = ""  # its processing gap, when the team member is free: "10:30–11:00"
    row: int = 1
    span: int = 1
    lane: int = 1


@dataclass
class DayColumn:
    key: str
    name: str
    events: list[CalendarEvent]
    lanes: int = 1


def _time_label(starts: datetime, ends: datetime) -> str:
    """ "09:00–10:00"; with zone abbreviations on a day the clocks change (local datetimes in)."""
    return timefmt.time_span_label(starts, ends, starts.tzinfo)


def _event(kind: str, item: Booking | TimeBlock, tz: ZoneInfo, **fields: Any) -> CalendarEvent:
    """A booking or a block on the calendar, its times on the venue's clock."""
    starts, ends = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
    return CalendarEvent(
        kind=kind,
        id=item.id,
        starts=starts,
        ends=ends,
        time_label=_time_label(starts, ends),
        member_id=item.team_member_id,
        **fields,
    )


def booking_rooms(booking_ids: list[int]) -> dict[int, list[str]]:
    """booking id -> the units it holds, by name ("Treatment room 2"; "Double room" when there is
    one), in one statement for all of a page's bookings (none when there are no bookings)."""
    if not booking_ids:
        return {}
    rows = db.session.execute(
        select(BookingResource.booking_id, BookingResource.unit, Resource.name, Resource.quantity)
        .join(Resource, Resource.id == BookingResource.resource_id)
        .where(BookingResource.booking_id.in_(booking_ids))
        .order_by(BookingResource.booking_id, Resource.position, Resource.id, BookingResource.unit)
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.booking_id, []).append(unit_label(row.name, row.unit, row.quantity))
    return found


def who_comes(booking: Booking) -> str:
    """Who the booking is for: its customer, a walk-in's client (app/clients/: no account), or a
    guest of a group visit the customer booked for (app/booking/visits.py): "Ben (guest of Ana Costa)"."""
    booker = booking.customer.name if booking.customer else getattr(getattr(booking, "client", None), "name", "")
    if booking.guest is not None and booking.guest > 1:
        guest = booking.guest_name or _("Guest %(num)d", num=booking.guest)
        return _("%(guest)s (guest of %(customer)s)", guest=guest, customer=booker)
    return booker


def processing_label(booking: Booking, tz: ZoneInfo) -> str:
    """ "10:30–11:00": a booking's processing gap on the venue's clock (app/venues/processing.py), or ""."""
    if booking.gap_starts_at is None or booking.gap_ends_at is None:
        return ""
    return _time_label(booking.gap_starts_at.astimezone(tz), booking.gap_ends_at.astimezone(tz))


def _booking_event(booking: Booking, tz: ZoneInfo, rooms: dict[int, list[str]] | None = None) -> CalendarEvent:
    return _event(
        "booking",
        booking,
        tz,
        title=booked_service(booking),  # "Massage (90 min)": the option booked
        rooms=", ".join((rooms or {}).get(booking.id, [])),
        processing=processing_label(booking, tz),
        customer=who_comes(booking),
        quantity=booking.quantity,
        status=booking.status,
        # A move's hold (app/checkout/top_ups.py): the customer is paying the difference for this time.
        status_label=_("Held for a move, awaiting payment")
        if booking.moves_booking_id is not None and booking.status == B.HELD
        else STATUS_LABELS[booking.status],
        url=url_for("venues_dashboard.booking_details", booking_id=booking.id),
        checked_in=booking.checked_in_at is not None,
        movable=booking.status == B.CONFIRMED and booking.starts_at > datetime.now(UTC),
        client_url=url_for("venues_dashboard.client_card", client_id=booking.client_id) if booking.client_id else "",
        desk=booking.channel == "desk",
        pending_request=booking.status == B.CONFIRMED and booking.request_state == PENDING,
    )


def _block_event(block: TimeBlock, tz: ZoneInfo) -> CalendarEvent:
    return _event(
        "block",
        block,
        tz,
        title=block.reason or _("Blocked"),
        status_label=_("Blocked"),
        repeats=_repeat_words(block),
    )


def _repeat_words(block: Any) -> str:
    """ "Every Tue, Thu until 12 Jan 2027" for a repeating block, else ""."""
    mask, until = getattr(block, "repeat_weekdays", None), getattr(block, "repeat_until", None)
    if not mask or until is None:
        return ""
    monday = date(2024, 1, 1)
    days = ", ".join(timefmt.day_words(monday + timedelta(days=n), "EEE") for n in range(7) if mask & (1 << n))
    return _("Every %(days)s until %(until)s", days=days, until=timefmt.day_words(until, "d MMM yyyy"))


def _minute_of(moment: datetime, day: date) -> int:
    """Wall-clock minutes since ``day``'s midnight, clipped to the day."""
    if moment.date() != day:
        return 0 if moment.date() < day else MINUTES_PER_DAY
    return moment.hour * 60 + moment.minute


def _grid_bounds(venue: Venue, day: date, events: list[CalendarEvent]) -> tuple[int, int]:
    """Earliest opening to latest closing that weekday, widened to fit every event, in whole hours."""
    ranges = [(h.opens_minute, h.closes_minute) for h in venue.opening_hours if h.weekday == day.weekday()]
    opens = min((r[0] for r in ranges), default=FALLBACK_HOURS[0])
    closes = max((r[1] for r in ranges), default=FALLBACK_HOURS[1])
    for event in events:
        opens = min(opens, _minute_of(event.starts, day))
        closes = max(closes, _minute_of(event.ends, day))
    return opens // 60 * 60, min(-(-closes // 60) * 60, MINUTES_PER_DAY)


def _place(column: DayColumn, day: date, first_minute: int) -> None:
    """Rows from the times; overlapping events go side by side in lanes (greedy, by start)."""
    lane_ends: list[int] = []
    for event in sorted(column.events, key=lambda e: (e.starts, e.ends, e.kind)):
        start, end = _minute_of(event.starts, day), _minute_of(event.ends, day)
        event.row = (start - first_minute) // ROW_MINUTES + 1
        event.span = max(1, -(-(end - first_minute) // ROW_MINUTES) + 1 - event.row)
        lane = next((i for i, lane_end in enumerate(lane_ends) if lane_end <= start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        lane_ends[lane] = max(lane_ends[lane], end)
        event.lane = min(lane, MAX_LANES - 1) + 1
    column.lanes = min(max(len(lane_ends), 1), MAX_LANES)


def build_day(
    venue: Venue,
    query: CalendarQuery,
    bookings: list[Booking],
    blocks: list[TimeBlock],
    tz: ZoneInfo,
    rooms: dict[int, list[str]] | None = None,
) -> dict[str, Any]:
    """One column per team member (or the one asked for) plus "Unassigned", and the hour labels."""
    team = [m for m in venue.team if query.member_id in (None, m.id)]
    columns = [DayColumn(str(m.id), m.name, []) for m in team]
    if query.member_id is None:
        columns.append(DayColumn("unassigned", _("Unassigned"), []))
    by_key = {c.key: c for c in columns}
    fallback = by_key.get("unassigned")
    for booking in bookings:
        column = by_key.get(str(booking.team_member_id), fallback)
        if column is not None:
            column.events.append(_booking_event(booking, tz, rooms))
    for block in blocks:
        event = _block_event(block, tz)
        targets = columns if block.team_member_id is None else [by_key.get(str(block.team_member_id))]
        for column in filter(None, targets):
            column.events.append(replace(event))
    first, last = _grid_bounds(venue, query.day, [e for c in columns for e in c.events])
    for column in columns:
        _place(column, query.day, first)
    hours = [((m - first) // ROW_MINUTES + 1, f"{m // 60:02d}:00") for m in range(first, last, 60)]
    return {"columns": columns, "hours": hours, "rows": (last - first) // ROW_MINUTES, "first_minute": first}


def build_week(
    query: CalendarQuery,
    bookings: list[Booking],
    blocks: list[TimeBlock],
    tz: ZoneInfo,
    today: date,
    rooms: dict[int, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Seven days, each with its bookings and blocks in time order."""
    events = [_booking_event(b, tz, rooms) for b in bookings] + [_block_event(t, tz) for t in blocks]
    days = []
    for offset in range(7):
        day = query.first_day + timedelta(days=offset)
        items = [e for e in events if e.starts.date() <= day and (e.ends.date() > day or e.starts.date() == day)]
        days.append(
            {
                "day": day,
                "label": day_words(day, "EEE d MMM"),
                "is_today": day == today,
                "args": query.args(view="day", day=day),
                "events": sorted(items, key=lambda e: (e.starts, e.kind)),
            }
        )
    return days


def _period_label(query: CalendarQuery) -> str:
    if query.view == "day":
        return day_words(query.day, LONG_DAY)
    last = query.first_day + timedelta(days=6)
    return f"{day_words(query.first_day, 'd MMM')} – {day_words(last, 'd MMM yyyy')}"


def feed_url(venue: Venue) -> str | None:
    if not venue.calendar_token:
        return None
    return absolute_url("calendar_feed.feed", token=venue.calendar_token)
