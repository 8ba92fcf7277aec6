"""What the provider's booking calendar shows (app/booking/views/calendar.py): bookings and time
blocks as events in the venue's local time (laid out on the day and week grids by
``calendar_grid``), and the labels around them, with the rooms
and equipment each booking holds ("Treatment room 2", read for all of a page's bookings at once).
A booking's card also says what is paid and due, where it was booked, its client's first visit,
notes and intake answers (``card_facts``: a fixed number of statements for the page), and its
colour: its status, or a confirmed booking's stage (app/booking/arrival.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from app.booking import arrival, lifecycle
from app.booking.calendar_forms import CalendarQuery
from app.booking.models import (
    Booking,
    BookingIntakeAnswer,
    BookingResource,
    BookingStatus,
    Order,
    OrderChannel,
    TimeBlock,
)
from app.booking.presenting import booked_service
from app.booking.requests import PENDING
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.platform.sqlutil import in_ids
from app.platform.timefmt import LONG_DAY, day_words
from app.platform.urls import absolute_url
from app.venues.models import Resource, Venue
from app.venues.resources import unit_label

B = BookingStatus
STATUS_LABELS = {
    **lifecycle.STATUS_LABELS,
    B.HELD: _l("Awaiting payment"),
    B.CANCELLED_BY_CUSTOMER: _l("Cancelled by the customer"),
    B.CANCELLED_BY_VENUE: _l("Cancelled by you"),
}
# A booking card's colour (static/css/calendar.css, "cards"), in the legend's order and words: a
# confirmed booking's stage (app/booking/arrival.py), or a request still waiting, or its status.
TONE_LABELS = {
    B.HELD: _l("Awaiting payment"),
    "pending": _l("Pending request"),
    **arrival.STAGE_LABELS,
    B.COMPLETED: _l("Completed"),
    B.NO_SHOW: _l("No-show"),
}
# Where a booking was made, as its card's icon says it (Booking.channel, then Order.channel).
CHANNEL_LABELS = {
    "online": _l("Booked online"),
    "desk": _l("Booked at the desk"),
    "site": _l("Booked on your website"),
}


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
    stage: str = ""  # a confirmed booking's "booked", "arrived" or "started" (app/booking/arrival.py)
    can_stage: bool = False  # the desk may set its stage (confirmed, not a request still waiting)
    tone: str = ""  # its colour: a key of TONE_LABELS
    tone_label: str = ""  # the colour in words, as the legend says it
    price: str = ""  # "£60"
    payment: str = ""  # "£20 paid · £40 due" (nothing while a hold waits for payment)
    channel: str = ""  # a key of CHANNEL_LABELS
    new_client: bool = False  # the client's first visit to the venue
    has_notes: bool = False  # the venue keeps notes on the client (app/clients/)
    has_intake: bool = False  # the client answered the service's intake questions
    row: int = 1
    span: int = 1
    lane: int = 1


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
        .where(in_ids(BookingResource.booking_id, booking_ids))
        .order_by(BookingResource.booking_id, Resource.position, Resource.id, BookingResource.unit)
    )
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.booking_id, []).append(unit_label(row.name, row.unit, row.quantity))
    return found


@dataclass(frozen=True)
class PageFacts:
    """What a page's booking cards share, found once for all of them (``card_facts``: a fixed
    number of statements however many bookings): the units of rooms and equipment each holds
    (``booking_rooms``); sets of booking ids: made on the venue's own website, a client's first
    visit, with intake answers, a client with notes; the cards' words, translated once
    (``card_words``); and their links (``id_urls``). A week of 300 cards asked gettext about 3,700
    times and url_for 600 times before (issue 45, item 8; docs/front-desk.md)."""

    words: dict[str, Any]
    booking_url: Callable[[int], str]
    client_url: Callable[[int], str]
    rooms: dict[int, list[str]] = field(default_factory=dict)
    site: frozenset[int] = frozenset()
    first_visits: frozenset[int] = frozenset()
    intake: frozenset[int] = frozenset()
    notes: frozenset[int] = frozenset()


def id_urls(endpoint: str, key: str) -> Callable[[int], str]:
    """``url_for(endpoint, **{key: id})`` for any id, with one call of url_for for the page."""
    marker = "987654321"
    head, tail = url_for(endpoint, **{key: int(marker)}).split(marker)
    return lambda id_: f"{head}{id_}{tail}"


# Another booking of the same client, in card_facts' "first visit" test: made once, as an alias
# builds each column's expression anew the first time it is asked (a tenth of the facts' cost).
EARLIER = aliased(Booking)


def card_facts(bookings: list[Booking], *, with_notes: Iterable[int] = ()) -> PageFacts:
    """The facts of these bookings' cards in two statements (none without bookings): their rooms,
    and for each its order's channel, whether its client answered intake questions, and whether
    it is the client's first visit: no confirmed or completed booking of the same client at the
    venue starts earlier (the other treatments of the same order are the same visit). The caller
    names the bookings whose client has notes (``with_notes``: the client book is a layer above)."""
    ids = [b.id for b in bookings]
    shared = {
        "words": card_words(),
        "booking_url": id_urls("venues_dashboard.booking_details", "booking_id"),
        "client_url": id_urls("venues_dashboard.client_card", "client_id"),
    }
    if not ids:
        return PageFacts(**shared)
    been_before = (
        select(EARLIER.id)
        .where(
            EARLIER.client_id == Booking.client_id,
            EARLIER.venue_id == Booking.venue_id,
            EARLIER.order_id != Booking.order_id,
            EARLIER.status.in_((B.CONFIRMED, B.COMPLETED)),
            EARLIER.starts_at < Booking.starts_at,
        )
        .exists()
    )
    answered = select(BookingIntakeAnswer.id).where(BookingIntakeAnswer.booking_id == Booking.id).exists()
    rows = db.session.execute(
        select(
            Booking.id,
            Order.channel,
            answered.label("answered"),
            and_(Booking.client_id.is_not(None), ~been_before).label("first"),
        )
        .join(Order, Order.id == Booking.order_id)
        .where(in_ids(Booking.id, ids))
    ).all()
    return PageFacts(
        **shared,
        rooms=booking_rooms(ids),
        site=frozenset(r.id for r in rows if r.channel == OrderChannel.VENUE_SITE),
        first_visits=frozenset(r.id for r in rows if r.first),
        intake=frozenset(r.id for r in rows if r.answered),
        notes=frozenset(with_notes),
    )


def card_words() -> dict[str, Any]:
    """The words every booking card of a page shares, translated once for the page rather than
    once a card. Those with a ``%(...)s`` are filled in later (the template's ``|format``)."""
    return {
        "status": {key: str(label) for key, label in STATUS_LABELS.items()},
        "tone": {key: str(label) for key, label in TONE_LABELS.items()},
        "moving": _("Held for a move, awaiting payment"),
        "paid": _("%(amount)s paid"),
        "due": _("%(amount)s due"),
        **{key: str(label) for key, label in CHANNEL_LABELS.items()},
        "new_client": _("New client"),
        "notes": _("Client notes"),
        "intake": _("Intake answers"),
        "pending": _("Pending request"),
        "rooms": _("Rooms and equipment:"),
        "processing": _("Processing %(time)s"),
        "move": _("Move"),
        "client_card": _("Client card: %(name)s"),
        "stage": _("Stage: %(stage)s"),
        "change_stage": _("Stage of %(booking)s: %(stage)s. Change it"),
    }


def money_words(booking: Booking, words: dict[str, Any]) -> tuple[str, str]:
    """A card's price and what is paid and due: ("£60", "£20 paid · £40 due"); "£60 paid" when
    paid in full online, "£60 due" when all of it is due at the venue. Nothing is paid or due yet
    while a hold waits for payment; a free booking says neither. ``words``: ``card_words()``."""
    if not booking.total_minor:
        return "", ""
    locale = format_locale()  # once, not once an amount
    price = format_money(booking.total_minor, booking.currency, locale=locale, whole_units=True)
    if booking.status == B.HELD:
        return price, ""
    paid, due = booking.paid_minor, booking.at_venue_minor
    parts = []
    if paid > 0:
        parts.append(words["paid"] % {"amount": format_money(paid, booking.currency, locale=locale, whole_units=True)})
    if due > 0:
        parts.append(words["due"] % {"amount": format_money(due, booking.currency, locale=locale, whole_units=True)})
    return price, " · ".join(parts)


def booking_tone(booking: Booking) -> str:
    """The card's colour: a confirmed booking's stage, or "pending" while its request waits, else its status."""
    if booking.status == B.CONFIRMED:
        return "pending" if booking.request_state == PENDING else arrival.stage_of(booking)
    return booking.status


def _channel(booking: Booking, facts: PageFacts) -> str:
    if booking.channel == "desk":
        return "desk"
    return "site" if booking.id in facts.site else "online"


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


def _booking_event(booking: Booking, tz: ZoneInfo, facts: PageFacts) -> CalendarEvent:
    """A booking's card. ``facts``: ``card_facts``' answer for the page (its words and links, the
    cards' rooms and flags)."""
    words = facts.words
    status_label = (
        words["moving"]
        if booking.moves_booking_id is not None and booking.status == B.HELD
        else words["status"][booking.status]
    )
    tone = booking_tone(booking)
    price, payment = money_words(booking, words)
    return _event(
        "booking",
        booking,
        tz,
        title=booked_service(booking),  # "Massage (90 min)": the option booked
        rooms=", ".join(facts.rooms.get(booking.id, [])),
        processing=processing_label(booking, tz),
        customer=who_comes(booking),
        quantity=booking.quantity,
        status=booking.status,
        # A move's hold (app/checkout/top_ups.py): the customer is paying the difference for this time.
        status_label=status_label,
        url=facts.booking_url(booking.id),
        checked_in=booking.checked_in_at is not None,
        # Once its treatment has started it stays where it is.
        movable=booking.status == B.CONFIRMED and booking.starts_at > datetime.now(UTC) and booking.started_at is None,
        client_url=facts.client_url(booking.client_id) if booking.client_id else "",
        desk=booking.channel == "desk",
        pending_request=booking.status == B.CONFIRMED and booking.request_state == PENDING,
        stage=arrival.stage_of(booking) if booking.status == B.CONFIRMED else "",
        can_stage=arrival.has_stage(booking),
        tone=tone,
        tone_label=status_label if tone == B.HELD else words["tone"].get(tone, status_label),
        price=price,
        payment=payment,
        channel=_channel(booking, facts),
        new_client=booking.id in facts.first_visits,
        has_notes=booking.id in facts.notes,
        has_intake=booking.id in facts.intake,
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


def _period_label(query: CalendarQuery) -> str:
    if query.view == "day":
        return day_words(query.day, LONG_DAY)
    last = query.first_day + timedelta(days=6)
    return f"{day_words(query.first_day, 'd MMM')} – {day_words(last, 'd MMM yyyy')}"


def feed_url(venue: Venue) -> str | None:
    if not venue.calendar_token:
        return None
    return absolute_url("calendar_feed.feed", token=venue.calendar_token)
