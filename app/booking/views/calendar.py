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
from datetime import UTC, datetime, timedelta

from flask import Response, abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from app.audit import service as audit
from app.booking import arrival, lifecycle, requests
from app.booking.calendar_forms import CalendarQuery, CancelForm, TimeBlockForm
from app.booking.calendar_view import who_comes
from app.booking.ics import calendar as ics_calendar
from app.booking.models import Booking
from app.booking.time_blocks import add_time_block, remove_time_block
from app.checkout.requests import decline_request as decline_request_and_refund
from app.checkout.venue_cancellations import cancel_and_refund
from app.messages import service as messages
from app.platform import cache_versions
from app.platform.cache_versions import user_namespace
from app.platform.errors import DomainError, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import moment_label, venue_zone
from app.venues.models import Venue
from app.web.blueprints import calendar_feed as bp_feed
from app.web.blueprints import dashboard as bp
from app.web.calendar_page import (
    CANCELLED,
    IN_GRID,
    B,
    _booking_page,
    _calendar_page,
    _query_or_today,
    _read_query,
    find_bookings,
    get_venue_booking,
)
from app.web.form_ids import prefix_ids
from app.web.guards import EVERYONE, FRONT_DESK, venue_required
from app.web.private_cache import private_page
from app.web.rendering import add_toast, after_change, is_htmx, render_page, toast_if_htmx
from app.web.unit_of_work import on_refusal

FEED_PAST, FEED_AHEAD = timedelta(days=30), timedelta(days=365)
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


# -- commands -----------------------------------------------------------------------------------


def set_feed_token(venue: Venue, *, actor_id: int, revoke: bool = False) -> str | None:
    """A new secret for the calendar feed (the old link stops working), or none at all."""
    venue.calendar_token = None if revoke else secrets.token_urlsafe(32)
    audit.record(
        "venue.calendar_feed_revoked" if revoke else "venue.calendar_feed_created",
        actor_id=actor_id,
        about=("venue", venue.id),
    )
    return venue.calendar_token


# -- the calendar page ----------------------------------------------------------------------------


def calendar_namespaces(venue: Venue) -> list[str]:
    """A cached calendar follows the person (role, account), the venue's bookings and blocks, and
    its public data (team, services, hours). Looked up inside ``venue_required``: a copy is served
    only after this request's own access check, so a member removed a moment ago never sees one."""
    return [user_namespace(current_user.id), cache_versions.venue_times(venue.id), cache_versions.PUBLIC]


@bp.get("/calendar")
@venue_required(roles=EVERYONE)
@private_page(calendar_namespaces)
def calendar(venue: Venue):
    try:
        query = _read_query(venue, request.args)
    except ValueError as exc:
        abort(400, str(exc))
    return _calendar_page(venue, query)


def _calendar_changed(venue: Venue, query: CalendarQuery, message: str) -> Response:
    """After a change: the calendar block and a toast for HTMX, else a flash and a redirect."""
    target = url_for("venues_dashboard.calendar", **query.args())
    if is_htmx():
        response = add_toast(_calendar_page(venue, query), message)
        response.headers["HX-Push-Url"] = target
        return response
    flash(message, "success")
    return redirect(target)


@bp.post("/calendar/blocks")
@venue_required(roles=FRONT_DESK)
def add_block(venue: Venue):
    form = TimeBlockForm()
    form.set_team(venue.team)
    query = _query_or_today(venue, request.form)
    span = form.utc_range(venue.timezone) if form.validate_on_submit() else None
    if span is None:
        return _block_form_again(venue, query, form)

    def refused(error: DomainError) -> Response:  # the repeat rule: the form goes back with the reason
        form.repeat_until.errors = [*form.repeat_until.errors, error.message]
        return _block_form_again(venue, query, form)

    on_refusal(refused, kinds=ValidationFailed)
    block = add_time_block(
        venue,
        member_id=form.member_id,
        starts_at=span[0],
        ends_at=span[1],
        reason=form.reason.data or "",
        repeat_weekdays=form.weekdays,
        repeat_until=form.repeat_until.data,
    )
    clashes = find_bookings(venue, block.starts_at, block.ends_at, (B.HELD, B.CONFIRMED), member_id=form.member_id)
    message = _("The time is blocked: customers can't book it.")
    if block.repeat_until is not None:
        message = _(
            "The time is blocked every week until %(until)s: customers can't book it.", until=block.repeat_until
        )
    if clashes:
        message += " " + ngettext(
            "%(num)d existing booking in it still stands.", "%(num)d existing bookings in it still stand.", len(clashes)
        )
    return _calendar_changed(venue, replace(query, day=form.date.data), message)


def _block_form_again(venue: Venue, query: CalendarQuery, form: TimeBlockForm) -> Response:
    """The block form with its errors, 422: for HTMX only the form goes back (into the calendar's
    "New" dialog when it was sent from there: templates/booking/calendar/_new_dialog.html)."""
    if is_htmx():
        box = "new-block-form" if request.form.get("in_dialog") == "1" else "block-form"
        if box == "new-block-form":
            prefix_ids(form, "new-")
        response = _calendar_page(venue, query, block="block_form", status=422, block_form=form, block_box=box)
        response.headers.update({"HX-Retarget": f"#{box}", "HX-Reswap": "outerHTML"})
        return response
    return _calendar_page(venue, query, block=None, status=422, block_form=form)


@bp.post("/calendar/blocks/<int:block_id>/delete")
@venue_required(roles=FRONT_DESK)
def delete_block(venue: Venue, block_id: int):
    remove_time_block(venue, block_id)
    return _calendar_changed(
        venue, _query_or_today(venue, request.form), _("The block is removed: the time is bookable again.")
    )


# -- one booking ----------------------------------------------------------------------------------


@bp.get("/bookings/<int:booking_id>")
@venue_required(roles=EVERYONE)
def booking_details(venue: Venue, booking_id: int):
    booking = get_venue_booking(venue, booking_id)
    messages.mark_read(booking, current_user._get_current_object(), now=datetime.now(UTC))  # the customer's
    return _booking_page(venue, booking)


def _act(venue: Venue, booking_id: int, command: Callable[[Booking], object], message: str) -> Response:
    """Run ``command`` on the booking; a refusal shows its message with 409/422, nothing changed."""
    booking = get_venue_booking(venue, booking_id, for_update=True)
    on_refusal(lambda error: _booking_page(venue, booking, error=error.message))
    command(booking)
    target = url_for("venues_dashboard.booking_details", booking_id=booking.id)
    return after_change(message, lambda: _booking_page(venue, booking), target)


@bp.post("/bookings/<int:booking_id>/complete")
@venue_required(roles=EVERYONE)
def complete_booking(venue: Venue, booking_id: int):
    return _act(
        venue, booking_id, lambda b: lifecycle.mark(b, "complete", actor=current_user), _("Marked as completed.")
    )


@bp.post("/bookings/<int:booking_id>/no-show")
@venue_required(roles=EVERYONE)
def no_show_booking(venue: Venue, booking_id: int):
    return _act(
        venue, booking_id, lambda b: lifecycle.mark(b, "no_show", actor=current_user), _("Marked as a no-show.")
    )


@bp.post("/bookings/<int:booking_id>/stage")
@venue_required(roles=EVERYONE)
def set_booking_stage(venue: Venue, booking_id: int):
    """Booked, arrived or started (app/booking/arrival.py), from the calendar's card (``back`` is
    "calendar": the calendar it was posted from comes back) or the booking's page. A stage we
    don't know is refused (422), a booking without a stage too (409), nothing changed."""
    booking = get_venue_booking(venue, booking_id, for_update=True)
    stage = request.form.get("stage", "")
    query = _query_or_today(venue, request.form) if request.form.get("back") == "calendar" else None
    if query is not None:
        on_refusal(lambda error: toast_if_htmx(_calendar_page(venue, query), error.message, "danger"))
    else:
        on_refusal(lambda error: _booking_page(venue, booking, error=error.message))
    message = _stage_message(booking, stage, arrival.set_stage(booking, stage, actor_id=current_user.id))
    if query is not None:
        return _calendar_changed(venue, query, message)
    target = url_for("venues_dashboard.booking_details", booking_id=booking.id)
    return after_change(message, lambda: _booking_page(venue, booking), target)


def _stage_message(booking: Booking, stage: str, changed: bool) -> str:
    """The toast: what changed, or that it was so already (nothing written then)."""
    who = who_comes(booking)
    if stage == arrival.ARRIVED:
        return _("%(name)s has arrived.", name=who) if changed else _("%(name)s has already arrived.", name=who)
    if stage == arrival.STARTED:
        if changed:
            return _("%(name)s's appointment has started.", name=who)
        return _("%(name)s's appointment has already started.", name=who)
    return _("%(name)s is back to booked.", name=who) if changed else _("%(name)s is booked already.", name=who)


@bp.post("/bookings/<int:booking_id>/cancel")
@venue_required(roles=FRONT_DESK)
def cancel_booking(venue: Venue, booking_id: int):
    form = CancelForm()
    if not form.validate_on_submit():
        booking = get_venue_booking(venue, booking_id)
        return _booking_page(venue, booking, status=422, cancel_form=form)

    def cancel(booking: Booking) -> None:
        reason = form.reason.data
        cancel_and_refund(
            booking, actor=current_user, reason=reason, refund_reason=f"Cancelled by the venue ({booking.reference})"
        )

    return _act(
        venue,
        booking_id,
        cancel,
        _("The booking is cancelled. We've emailed the customer, who gets the full price back."),
    )


# -- requests to book (app/booking/requests.py) ----------------------------------------------------


@bp.get("/requests")
@venue_required(roles=FRONT_DESK)
def booking_requests(venue: Venue):
    """The venue's requests waiting for an answer, the one running out first first."""
    tz = venue_zone(venue)
    rows = [
        {
            "booking": b,
            "when": moment_label(b.starts_at, tz),
            "due": moment_label(b.request_expires_at, tz) if b.request_expires_at else "",
            "total": format_money(b.total_minor, b.currency),
        }
        for b in requests.pending_for_venue(venue.id)
    ]
    return render_page("booking/calendar/requests.html", venue=venue, rows=rows, timezone=tz.key)


@bp.post("/bookings/<int:booking_id>/accept")
@venue_required(roles=FRONT_DESK)
def accept_request(venue: Venue, booking_id: int):
    return _act(
        venue,
        booking_id,
        lambda b: requests.accept(b, actor=current_user),
        _("Request accepted. We've emailed the customer that the booking is confirmed."),
    )


@bp.post("/bookings/<int:booking_id>/decline")
@venue_required(roles=FRONT_DESK)
def decline_request(venue: Venue, booking_id: int):
    return _act(
        venue,
        booking_id,
        lambda b: decline_request_and_refund(b, actor=current_user),
        _("Request declined. We've emailed the customer, who gets the full price back."),
    )


# -- the private calendar feed --------------------------------------------------------------------


def _feed_changed(venue: Venue, message: str) -> Response:
    return after_change(
        message,
        lambda: _calendar_page(venue, _query_or_today(venue, request.form), block="feed_panel"),
        url_for("venues_dashboard.calendar", _anchor="feed-panel"),
    )


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
