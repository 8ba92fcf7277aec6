"""The provider's booking calendar: day and week views, actions on bookings, time blocks,
and the private iCal feed (routes on the venues_dashboard blueprint; the feed, which needs no
sign-in and lives outside /provider, on its own small blueprint).

A provider only ever sees their own venue: the venue comes from ``venue_required`` and every
booking or block is looked up inside it, so another venue's ids are simply not found (404).
What the views show is built in ``calendar_view``; blocks are found, added and removed in ``time_blocks``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import cache_versions, timefmt
from app.admin import audit
from app.booking import lifecycle
from app.booking.calendar_forms import CalendarQuery, CancelForm, TimeBlockForm, parse_calendar_query
from app.booking.calendar_view import (
    STATUS_LABELS,
    _block_event,
    _booking_event,
    _period_label,
    _time_label,
    build_day,
    build_week,
    feed_url,
)
from app.booking.deposits import booking_paid_label
from app.booking.ics import calendar as ics_calendar
from app.booking.models import Booking, BookingStatus
from app.booking.policy import describe_fees
from app.booking.time_blocks import add_time_block, find_time_blocks, remove_time_block
from app.errors import DomainError
from app.extensions import db
from app.money import format_money
from app.ops.errors import http_status
from app.private_cache import follows, private_page, user_namespace, valid_until
from app.rendering import add_toast, is_htmx, render_page
from app.schedules.calendar import working_week
from app.timefmt import LONG_DAY, day_words
from app.venues.dashboard import venue_required
from app.venues.models import Venue
from app.web.blueprints import calendar_feed as bp_feed
from app.web.blueprints import dashboard as bp

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
}
FEED_PAST, FEED_AHEAD = timedelta(days=30), timedelta(days=365)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


# -- queries ------------------------------------------------------------------------------------


def get_venue_booking(venue: Venue, booking_id: int, *, for_update: bool = False) -> Booking:
    """One of the venue's bookings, or 404 (another venue's booking is not found, not forbidden)."""
    query = select(Booking).where(Booking.id == booking_id, Booking.venue_id == venue.id)
    booking = db.session.scalar(query.with_for_update() if for_update else query)
    if booking is None:
        abort(404)
    return booking


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
        .options(selectinload(Booking.customer), selectinload(Booking.service), selectinload(Booking.team_member))
        .order_by(Booking.starts_at, Booking.id)
    )
    if member_id is not None:
        query = query.where(Booking.team_member_id == member_id)
    if service_id is not None:
        query = query.where(Booking.service_id == service_id)
    return list(db.session.scalars(query))


# -- commands -----------------------------------------------------------------------------------


def set_feed_token(venue: Venue, *, actor_id: int, revoke: bool = False) -> str | None:
    """A new secret for the calendar feed (the old link stops working), or none at all."""
    venue.calendar_token = None if revoke else secrets.token_urlsafe(32)
    audit.record(
        "venue.calendar_feed_revoked" if revoke else "venue.calendar_feed_created",
        actor_id=actor_id,
        subject_type="venue",
        subject_id=venue.id,
    )
    return venue.calendar_token


# -- the calendar page ----------------------------------------------------------------------------


def _today(venue: Venue) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(venue.timezone)).date()


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)


def _read_query(venue: Venue, args: Any) -> CalendarQuery:
    return parse_calendar_query(
        args, today=_today(venue), member_ids={m.id for m in venue.team}, service_ids={s.id for s in venue.services}
    )


def _query_or_today(venue: Venue, args: Any) -> CalendarQuery:
    """The calendar a form was posted from (hidden fields), or today's day view."""
    try:
        return _read_query(venue, args)
    except ValueError:
        return CalendarQuery("day", _today(venue))


def _calendar_page(
    venue: Venue, query: CalendarQuery, *, block: str | None = "calendar", status: int = 200, **extra: Any
) -> Response:
    tz = ZoneInfo(venue.timezone)
    start = _local_midnight(query.first_day, tz)
    end = _local_midnight(query.first_day + timedelta(days=query.days), tz)
    filters = {"member_id": query.member_id, "service_id": query.service_id}
    follows(cache_versions.venue_times(venue.id))  # the venue itself, whatever the namespaces guessed
    bookings = find_bookings(venue, start, end, IN_GRID, **filters)
    blocks = find_time_blocks(venue, start, end, member_id=query.member_id)
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
        day=build_day(venue, query, bookings, blocks, tz) if query.view == "day" else None,
        week=build_week(query, bookings, blocks, tz, today) if query.view == "week" else None,
        working=working_week(venue, query.first_day, member_id=query.member_id) if query.view == "week" else None,
        cancelled=[_booking_event(b, tz) for b in find_bookings(venue, start, end, CANCELLED, **filters)],
        blocks=[_block_event(t, tz) for t in blocks],
        members={m.id: m.name for m in venue.team},
        block_form=form,
        feed_url=url,
        webcal_url="webcal://" + url.split("://", 1)[1] if url else None,
        **extra,
    )


def get_own_venue_id(owner_id: int) -> int | None:
    """The id of the provider's venue, remembered per process (a venue keeps its owner)."""
    known: dict[int, int] = current_app.extensions.setdefault("calendar_owner_venues", {})
    if owner_id not in known:
        venue_id = db.session.scalar(select(Venue.id).where(Venue.owner_id == owner_id))
        if venue_id is None:
            return None
        known[owner_id] = venue_id
    return known[owner_id]


def calendar_namespaces() -> list[str]:
    """A cached calendar follows the provider (role, account), the venue's bookings and blocks,
    and its public data (team, services, hours): outside ``venue_required``, so a copy is served
    without loading the venue; only a session that passed the check ever stored one."""
    venue_id = get_own_venue_id(current_user.id)
    venue_times = [cache_versions.venue_times(venue_id)] if venue_id is not None else []
    return [user_namespace(current_user.id), *venue_times, cache_versions.PUBLIC]


@bp.get("/calendar")
@private_page(calendar_namespaces)
@venue_required
def calendar(venue: Venue):
    try:
        query = _read_query(venue, request.args)
    except ValueError as exc:
        abort(400, str(exc))
    return _calendar_page(venue, query)


def _calendar_changed(venue: Venue, query: CalendarQuery, message: str) -> Response:
    """After a commit: the calendar block and a toast for HTMX, else a flash and a redirect."""
    target = url_for("venues_dashboard.calendar", **query.args())
    if is_htmx():
        response = add_toast(_calendar_page(venue, query), message)
        response.headers["HX-Push-Url"] = target
        return response
    flash(message, "success")
    return redirect(target)


@bp.post("/calendar/blocks")
@venue_required
def add_block(venue: Venue):
    form = TimeBlockForm()
    form.set_team(venue.team)
    query = _query_or_today(venue, request.form)
    span = form.utc_range(venue.timezone) if form.validate_on_submit() else None
    if span is None:
        if is_htmx():  # only the form goes back, with its errors
            response = _calendar_page(venue, query, block="block_form", status=422, block_form=form)
            response.headers.update({"HX-Retarget": "#block-form", "HX-Reswap": "outerHTML"})
            return response
        return _calendar_page(venue, query, block=None, status=422, block_form=form)
    block = add_time_block(
        venue, member_id=form.member_id, starts_at=span[0], ends_at=span[1], reason=form.reason.data or ""
    )
    clashes = find_bookings(venue, block.starts_at, block.ends_at, (B.HELD, B.CONFIRMED), member_id=form.member_id)
    db.session.commit()
    message = _("The time is blocked: customers can't book it.")
    if clashes:
        message += " " + ngettext(
            "%(num)d existing booking in it still stands.", "%(num)d existing bookings in it still stand.", len(clashes)
        )
    return _calendar_changed(venue, replace(query, day=form.date.data), message)


@bp.post("/calendar/blocks/<int:block_id>/delete")
@venue_required
def delete_block(venue: Venue, block_id: int):
    remove_time_block(venue, block_id)
    db.session.commit()
    return _calendar_changed(
        venue, _query_or_today(venue, request.form), _("The block is removed: the time is bookable again.")
    )


# -- one booking ----------------------------------------------------------------------------------


def booking_fee_lines(booking: Booking) -> list[str]:
    """The booking's no-show or late-cancellation fees, and whether the saved card paid them."""
    from app.payments.fees import describe_fee, get_fees  # fees are payments'; read late

    return [describe_fee(fee) for fee in get_fees(booking.id)]


def _booking_page(
    venue: Venue, booking: Booking, *, status: int = 200, error: str = "", cancel_form: CancelForm | None = None
) -> Response:
    tz = ZoneInfo(venue.timezone)
    starts, ends = booking.starts_at.astimezone(tz), booking.ends_at.astimezone(tz)
    confirmed, started = booking.status == B.CONFIRMED, datetime.now(UTC) >= booking.starts_at
    history = [
        {
            "when": timefmt.moment_label(entry.created_at, tz),
            "label": HISTORY_LABELS.get(entry.action, entry.action),
            "actor": entry.actor.name if entry.actor else "CozyWish",
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
        policy=describe_fees(booking.cancel_free_hours, booking.cancel_late_fee_percent, booking.no_show_fee_percent),
        payment=booking_paid_label(booking),
        fees=booking_fee_lines(booking),
        can_mark=confirmed and started,
        mark_later=confirmed and not started,
        can_cancel=confirmed,
        can_move=confirmed and not started,
        move_date=starts.date().isoformat(),
        move_time=starts.strftime("%H:%M"),
        history=history,
        error=error,
        cancel_form=cancel_form or CancelForm(formdata=None),
        calendar_args=CalendarQuery("day", starts.date()).args(),
    )


@bp.get("/bookings/<int:booking_id>")
@venue_required
def booking_details(venue: Venue, booking_id: int):
    return _booking_page(venue, get_venue_booking(venue, booking_id))


def _act(venue: Venue, booking_id: int, command: Callable[[Booking], object], message: str) -> Response:
    """Run ``command`` on the booking; a refusal shows its message with 409/422, nothing changed."""
    booking = get_venue_booking(venue, booking_id, for_update=True)
    try:
        command(booking)
    except DomainError as exc:
        db.session.rollback()
        return _booking_page(venue, get_venue_booking(venue, booking_id), status=http_status(exc), error=exc.message)
    db.session.commit()
    if is_htmx():
        return add_toast(_booking_page(venue, booking), message)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.booking_details", booking_id=booking.id))


@bp.post("/bookings/<int:booking_id>/complete")
@venue_required
def complete_booking(venue: Venue, booking_id: int):
    return _act(
        venue, booking_id, lambda b: lifecycle.mark(b, "complete", actor=current_user), _("Marked as completed.")
    )


@bp.post("/bookings/<int:booking_id>/no-show")
@venue_required
def no_show_booking(venue: Venue, booking_id: int):
    return _act(
        venue, booking_id, lambda b: lifecycle.mark(b, "no_show", actor=current_user), _("Marked as a no-show.")
    )


@bp.post("/bookings/<int:booking_id>/cancel")
@venue_required
def cancel_booking(venue: Venue, booking_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        booking = get_venue_booking(venue, booking_id)
        return _booking_page(venue, booking, status=422, cancel_form=form)

    def cancel_and_refund(booking: Booking) -> None:
        from app.payments.service import refund_booking

        refund = lifecycle.cancel_by_venue(booking, actor=current_user, reason=form.reason.data)
        refund_booking(booking, refund, reason=f"Cancelled by the venue ({booking.reference})")  # a job pays it back

    return _act(
        venue,
        booking_id,
        cancel_and_refund,
        _("The booking is cancelled. We've emailed the customer, who gets the full price back."),
    )


# -- the private calendar feed --------------------------------------------------------------------


def _feed_changed(venue: Venue, message: str) -> Response:
    db.session.commit()
    if is_htmx():
        return add_toast(_calendar_page(venue, _query_or_today(venue, request.form), block="feed_panel"), message)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.calendar", _anchor="feed-panel"))


@bp.post("/calendar/feed")
@venue_required
def rotate_calendar_feed(venue: Venue):
    had_one = venue.calendar_token is not None
    set_feed_token(venue, actor_id=current_user.id)
    if had_one:
        return _feed_changed(
            venue, _("Here is a new feed link. The old one no longer works: update your calendar app.")
        )
    return _feed_changed(venue, _("Your private calendar feed is ready. Add the link to your calendar app."))


@bp.post("/calendar/feed/revoke")
@venue_required
def revoke_calendar_feed(venue: Venue):
    set_feed_token(venue, actor_id=current_user.id, revoke=True)
    return _feed_changed(venue, _("The calendar feed is turned off. Its link no longer works."))


@bp_feed.get("/calendar/<token>.ics")
def feed(token: str):
    """Anyone holding the secret link reads the venue's bookings; no sign-in (calendar apps can't)."""
    venue = (
        db.session.scalar(select(Venue).where(Venue.calendar_token == token)) if _TOKEN_RE.fullmatch(token) else None
    )
    if venue is None or not hmac.compare_digest(venue.calendar_token or "", token):
        abort(404)
    now = datetime.now(UTC)
    bookings = find_bookings(venue, now - FEED_PAST, now + FEED_AHEAD, IN_GRID + CANCELLED, now=now)
    recent = [b for b in bookings if b.status not in CANCELLED or (b.cancelled_at or now) >= now - FEED_PAST]
    body = ics_calendar(recent, name=f"{venue.name} · CozyWish bookings", for_provider=True, feed=True)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
