"""The provider's calendar: reading its query, finding the bookings it shows, and building the
calendar and one booking's page, for the calendar's pages and the provider's move of a booking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.audit import service as audit
from app.booking.arrival import has_stage, stage_of
from app.booking.calendar_forms import CalendarQuery, CancelForm, TimeBlockForm, parse_calendar_query
from app.booking.calendar_grid import build_day, build_week
from app.booking.calendar_view import (
    STATUS_LABELS,
    _block_event,
    _booking_event,
    _period_label,
    _time_label,
    booking_rooms,
    card_facts,
    feed_url,
    processing_label,
)
from app.booking.intake import answers_for_bookings
from app.booking.models import Booking, BookingStatus
from app.booking.policy import describe_booking_rules
from app.booking.requests import PENDING
from app.booking.requests import STATE_LABELS as REQUEST_LABELS
from app.booking.time_blocks import find_time_blocks
from app.messages.models import Side
from app.payments import desk_links
from app.payments.fees import describe_fee, get_fees
from app.platform import cache_versions, timefmt
from app.platform.cache_versions import follows, valid_until
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import LONG_DAY, day_words, venue_zone
from app.team_schedules.calendar import working_week
from app.venues.deposits import PaymentMode, booking_paid_label
from app.venues.models import Venue
from app.web.guards import acting_member_scope, may_open
from app.web.rendering import render_page
from app.web.thread_page import thread_context


def get_venue_booking(venue: Venue, booking_id: int, *, for_update: bool = False) -> Booking:
    """One of the venue's bookings, or 404 (another venue's booking is not found, not forbidden;
    nor is, for a practitioner, another team member's)."""
    query = select(Booking).where(Booking.id == booking_id, Booking.venue_id == venue.id)
    scope = acting_member_scope()
    if scope is not None:
        query = query.where(Booking.team_member_id == scope)
    booking = db.session.scalar(query.with_for_update() if for_update else query)
    if booking is None:
        abort(404)
    return booking


def _query_or_today(venue: Venue, args: Any) -> CalendarQuery:
    """The calendar a form was posted from (hidden fields), or today's day view."""
    try:
        return _read_query(venue, args)
    except ValueError:
        return CalendarQuery("day", _today(venue))


def _calendar_page(
    venue: Venue, query: CalendarQuery, *, block: str | None = "calendar", status: int = 200, **extra: Any
) -> Response:
    scope = acting_member_scope()
    if scope is not None:  # a practitioner sees their own column only, whatever the URL asks
        query = replace(query, member_id=scope)
    tz = venue_zone(venue)
    start = _local_midnight(query.first_day, tz)
    end = _local_midnight(query.first_day + timedelta(days=query.days), tz)
    filters = {"member_id": query.member_id, "service_id": query.service_id}
    follows(cache_versions.venue_times(venue.id))  # the venue itself, whatever the namespaces guessed
    # The grid's bookings and the period's cancelled ones in one read (four statements, not eight).
    found = find_bookings(venue, start, end, IN_GRID + CANCELLED, **filters)
    bookings = [b for b in found if b.status in IN_GRID]
    blocks = find_time_blocks(venue, start, end, member_id=query.member_id)
    # The cards' rooms and flags, in two statements for all (their clients came with the bookings).
    facts = card_facts(bookings, with_notes=[b.id for b in bookings if b.client is not None and b.client.notes.strip()])
    working = working_week(venue, query.first_day, query.days, member_id=query.member_id)  # who is off, shaded
    today, url = _today(venue), feed_url(venue)
    # A cached copy changes by itself when a shown hold ends or the venue's day turns.
    valid_until(min((b.hold_expires_at for b in bookings if b.status == B.HELD and b.hold_expires_at), default=None))
    valid_until(_local_midnight(today + timedelta(days=1), tz))
    form = extra.pop("block_form", None)
    if form is None:
        form = TimeBlockForm(formdata=None, date=query.day)
        form.set_team(venue.team)
    if request.headers.get("HX-History-Restore-Request"):
        block = None  # htmx lost its snapshot and wants the whole page back
    return render_page(
        "booking/calendar/calendar.html",
        block,
        status=status,
        venue=venue,
        query=query,
        today=today,
        period_label=_period_label(query),
        tz_label=f"{venue.timezone} ({timefmt.zone_names_on(query.day, tz)})",
        day=build_day(venue, query, bookings, blocks, tz, facts, working) if query.view == "day" else None,
        week=build_week(venue, query, bookings, blocks, tz, today, facts, working) if query.view == "week" else None,
        cancelled=[_booking_event(b, tz, facts) for b in found if b.status in CANCELLED],
        words=facts.words,  # the cards' shared words, translated once for the page
        blocks=[_block_event(t, tz) for t in blocks],
        members={m.id: m.name for m in venue.team if scope is None or m.id == scope},
        member_scope=scope,
        block_form=form,
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1] if url else None,
        **extra,
    )


def _booking_page(
    venue: Venue, booking: Booking, *, status: int = 200, error: str = "", cancel_form: CancelForm | None = None
) -> Response:
    tz = venue_zone(venue)
    starts, ends = booking.starts_at.astimezone(tz), booking.ends_at.astimezone(tz)
    confirmed, started = booking.status == B.CONFIRMED, datetime.now(UTC) >= booking.starts_at
    history = [
        {
            "when": timefmt.moment_label(entry.created_at, tz),
            "label": history_label(entry.action, booking),
            "actor": entry.actor.name if entry.actor else "CozyWish",
            "actor_role": (entry.data or {}).get("actor_role"),  # as whom a staff member or the owner acted
            "reason": entry.reason,
        }
        for entry in audit.find_entries(subject_type="booking", subject_id=booking.id)
    ]
    return render_page(
        "booking/calendar/booking.html",
        "booking_panel",
        status=status,
        venue=venue,
        booking=booking,
        date_label=day_words(starts.date(), LONG_DAY),
        time_label=f"{_time_label(starts, ends)} ({tz.key})",
        status_label=STATUS_LABELS[booking.status],
        unit_price=format_money(booking.unit_price_minor, booking.currency),
        total_price=format_money(booking.total_minor, booking.currency),
        refund=format_money(booking.refund_minor, booking.currency) if booking.status in CANCELLED else None,
        hold_expires=timefmt.clock_label(booking.hold_expires_at, tz) if booking.hold_expires_at else None,
        cancelled_at=timefmt.moment_label(booking.cancelled_at, tz) if booking.cancelled_at else None,
        policy=describe_booking_rules(booking),
        request_label=REQUEST_LABELS.get(booking.request_state) if booking.request_state else None,
        request_due=timefmt.moment_label(booking.request_expires_at, tz) if booking.request_expires_at else None,
        can_answer=confirmed and booking.request_state == PENDING,
        payment=booking_paid_label(booking),
        fees=booking_fee_lines(booking),
        can_mark=confirmed and started,
        mark_later=confirmed and not started,
        can_cancel=confirmed and may_open("venues_dashboard.cancel_booking"),
        can_move=confirmed and not started and may_open("venues_dashboard.move_venue_booking"),
        move_date=starts.date().isoformat(),
        move_time=starts.strftime("%H:%M"),
        history=history,
        error=error,
        cancel_form=cancel_form or CancelForm(formdata=None),
        calendar_args=CalendarQuery("day", starts.date()).args(),
        thread=thread_context(booking, Side.VENUE),
        intake_answers=answers_for_bookings([booking.id]).get(booking.id, []),
        rooms=booking_rooms([booking.id]).get(booking.id, []),
        processing=processing_label(booking, tz),
        payment_link=_payment_link(booking),
        stage=stage_of(booking) if booking.status == B.CONFIRMED else "",  # booked, arrived or started
        can_stage=has_stage(booking) and may_open("venues_dashboard.set_booking_stage"),
    )


def _payment_link(booking: Booking) -> dict[str, Any] | None:
    """A desk booking's payment link (app/payments/desk_links.py): sent, or paid and how much."""
    if booking.channel != "desk":
        return None
    link = desk_links.describe(booking)
    if link is None:
        return None
    return {"paid": link["paid"], "amount": format_money(link["amount_minor"], booking.currency)}


B = BookingStatus


IN_GRID = (B.HELD, B.CONFIRMED, B.COMPLETED, B.NO_SHOW)


CANCELLED = (B.CANCELLED_BY_CUSTOMER, B.CANCELLED_BY_VENUE)


HISTORY_LABELS = {
    "booking.confirm": _l("Paid and confirmed"),
    "booking.expire": _l("Hold expired unpaid"),
    "booking.release": _l("Hold released unpaid (declined, or the customer changed the order)"),
    "booking.complete": _l("Marked completed"),
    "booking.no_show": _l("Marked no-show"),
    "booking.cancel_by_customer": _l("Cancelled by the customer"),
    "booking.cancel_by_venue": _l("Cancelled by the venue"),
    "booking.reschedule": _l("Moved to another time"),
    "booking.request_accept": _l("Request accepted"),
    "booking.payment_link_sent": _l("Payment link sent to the client"),
    "booking.paid_by_link": _l("Paid online by the payment link"),
    "booking.check_in": _l("Checked in at the front desk"),
    # its stage that day (app/booking/arrival.py)
    "booking.stage_arrived": _l("Marked arrived"),
    "booking.stage_started": _l("Marked started"),
    "booking.stage_booked": _l("Set back to booked"),
}


def history_label(action: str, booking: Booking) -> str:
    """A line of the booking's history in words. Confirming says what it meant for the money:
    paid online, a deposit paid with the rest due at the venue, or (a desk booking, paid at the
    venue) the whole price still due there."""
    if action != "booking.confirm":
        return str(HISTORY_LABELS.get(action, action))
    if booking.payment_mode == PaymentMode.AT_VENUE:
        if not booking.total_minor:
            return _("Confirmed")
        return _("Confirmed, %(amount)s due at the venue", amount=format_money(booking.total_minor, booking.currency))
    if booking.at_venue_minor:
        return _(
            "Paid %(paid)s online and confirmed, %(due)s due at the venue",
            paid=format_money(booking.paid_minor, booking.currency),
            due=format_money(booking.at_venue_minor, booking.currency),
        )
    return str(HISTORY_LABELS[action])


def find_bookings(
    venue: Venue,
    start: datetime,
    end: datetime,
    statuses: tuple[str, ...],
    *,
    member_id: int | None = None,
    service_id: int | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """The venue's bookings in ``statuses`` overlapping [start, end); holds past expiry left out."""
    query = (
        select(Booking)
        .where(
            Booking.venue_id == venue.id,
            Booking.status.in_(statuses),
            Booking.starts_at < end,
            Booking.ends_at > start,
            or_(Booking.status != B.HELD, Booking.hold_expires_at > (now or datetime.now(UTC))),
        )
        .options(
            # Read in the same statement (a week of 300 bookings: a statement each, with 300 ids in
            # an IN list, cost more than the join; docs/front-desk.md, "The week grid"): the
            # customer, each entry's add-ons, and the client book's row (app/clients/models.py
            # makes ``Booking.client``: a walk-in's name, whether the venue keeps notes on them).
            joinedload(Booking.customer),
            joinedload(Booking.addons),
            joinedload(Booking.client),
            selectinload(Booking.service),
            selectinload(Booking.team_member),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    if member_id is not None:
        query = query.where(Booking.team_member_id == member_id)
    if service_id is not None:
        query = query.where(Booking.service_id == service_id)
    return list(db.session.scalars(query).unique())  # unique: a booking with two add-ons is two rows


def _today(venue: Venue) -> date:
    return datetime.now(UTC).astimezone(venue_zone(venue)).date()


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)


def _read_query(venue: Venue, args: Any) -> CalendarQuery:
    return parse_calendar_query(
        args, today=_today(venue), member_ids={m.id for m in venue.team}, service_ids={s.id for s in venue.services}
    )


def booking_fee_lines(booking: Booking) -> list[str]:
    """The booking's no-show or late-cancellation fees, and whether the saved card paid them."""
    return [describe_fee(fee) for fee in get_fees(booking.id)]
