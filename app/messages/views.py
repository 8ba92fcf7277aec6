"""Message pages: writing and reporting in a booking's thread, from the customer's booking page
(``booking`` blueprint) and the provider's booking view (``venues_dashboard``), the venue's list
of its conversations (``venues_dashboard``, /provider/messages), and the admins' list of
reported messages (``admin``). The rules live in app.messages.service; who may reach a
thread is ``service.may_read_thread`` (anyone else gets a 404)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.accounts.forms import ConfirmForm
from app.admin.listing import paginate, parse_page
from app.booking.models import Booking
from app.messages import service
from app.messages.models import BookingMessage, Side
from app.platform import timefmt
from app.platform.extensions import db
from app.venues.models import Venue
from app.web.blueprints import admin as admin_bp
from app.web.blueprints import booking as booking_bp
from app.web.blueprints import dashboard as dashboard_bp
from app.web.guards import EVERYONE, get_own_booking, venue_required
from app.web.list_filters import chosen_status
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.thread_page import get_thread_booking, thread_context
from app.web.unit_of_work import on_refusal

# -- the two sides of a thread ------------------------------------------------------------------


def _page_url(booking: Booking, side: Side) -> str:
    if side == Side.CUSTOMER:
        return url_for("booking.booking_detail", reference=booking.reference, _anchor="messages")
    return url_for("venues_dashboard.booking_details", booking_id=booking.id, _anchor="messages")


def _thread(booking: Booking, side: Side, *, status: int = 200, **context) -> Response:
    return render_page(
        "messages/thread.html",
        "thread",
        status=status,
        booking=booking,
        back_url=_page_url(booking, side),
        thread=thread_context(booking, side, **context),
    )


def _done(booking: Booking, side: Side, message: str) -> Response:
    if is_htmx():
        return add_toast(_thread(booking, side), message)
    flash(message, "success")
    return redirect(_page_url(booking, side), 303)


def _post(booking: Booking, side: Side) -> Response:
    body = request.form.get("body", "")
    # A refused message is shown again in the thread, with why; nothing of it is kept.
    on_refusal(lambda refusal: _thread(booking, side, error=refusal.message, body=body[:5000]))
    service.post_message(booking, current_user._get_current_object(), body, now=datetime.now(UTC))
    return _done(booking, side, _("Message sent. We've emailed %(other)s.", other=_other_name(booking, side)))


def _report(booking: Booking, side: Side, message_id: int) -> Response:
    on_refusal(lambda refusal: _thread(booking, side, report_error=(message_id, refusal.message)))
    message = service.find_message(booking, message_id)
    reporter, reason = current_user._get_current_object(), request.form.get("reason")
    service.report_message(message, reporter, reason, now=datetime.now(UTC))
    return _done(booking, side, _("Thank you. The message is reported: our team will look at it."))


def _other_name(booking: Booking, side: Side) -> str:
    return booking.venue.name if side == Side.CUSTOMER else booking.customer.name


@booking_bp.post("/bookings/<reference>/messages")
@login_required
def post_booking_message(reference: str) -> Response:
    booking = get_own_booking(reference)  # someone else's booking is a 404
    return _post(get_thread_booking(booking.id, Side.CUSTOMER), Side.CUSTOMER)


@booking_bp.post("/bookings/<reference>/messages/<int:message_id>/report")
@login_required
def report_booking_message(reference: str, message_id: int) -> Response:
    booking = get_own_booking(reference)
    return _report(get_thread_booking(booking.id, Side.CUSTOMER), Side.CUSTOMER, message_id)


@dashboard_bp.post("/bookings/<int:booking_id>/messages")
@venue_required(roles=EVERYONE)  # a practitioner only on their own bookings (messages.side_of)
def post_venue_message(booking_id: int, venue: Venue) -> Response:
    return _post(get_thread_booking(booking_id, Side.VENUE), Side.VENUE)


@dashboard_bp.post("/bookings/<int:booking_id>/messages/<int:message_id>/report")
@venue_required(roles=EVERYONE)
def report_venue_message(booking_id: int, message_id: int, venue: Venue) -> Response:
    return _report(get_thread_booking(booking_id, Side.VENUE), Side.VENUE, message_id)


# -- the venue's conversations -------------------------------------------------------------------


@dashboard_bp.get("/messages")
@venue_required(roles=EVERYONE)  # a practitioner sees the threads of their own bookings only
def conversations(venue: Venue) -> Response:
    """One row per booking with messages, unread first: each opens the booking's page, whose
    thread marks them read."""
    page = parse_page(request.args.get("page"))  # not a number, or out of range: a 400
    zone = timefmt.venue_zone(venue)
    rows, has_next = service.conversations(venue, current_user._get_current_object(), page=page)
    response = render_page(
        "messages/conversations.html",
        "conversations",
        venue=venue,
        rows=[
            {
                "conversation": row,
                "url": url_for("venues_dashboard.booking_details", booking_id=row.booking_id, _anchor="messages"),
                "when": timefmt.moment_label(row.last_at, zone),
                "visit": timefmt.moment_label(row.starts_at, zone),
            }
            for row in rows
        ],
        page=page,
        has_next=has_next,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- moderation ---------------------------------------------------------------------------------


@admin_bp.get("/messages")
@role_required("admin")
def reported_messages() -> Response:
    return _render_reports()


def _render_reports(*, error: str | None = None, status: int = 200) -> Response:
    status_filter = chosen_status(service.REPORT_FILTERS, "open")
    page = parse_page(request.args.get("page"))
    query = service.reported_query(status_filter.value).options(
        selectinload(BookingMessage.booking).selectinload(Booking.venue),
        selectinload(BookingMessage.booking).selectinload(Booking.customer),
        selectinload(BookingMessage.sender),
    )
    found = paginate(query, page)
    return render_page(
        "admin/messages.html",
        "results",
        status=status,
        reports=found.rows,
        **status_filter.context(),
        **found.paging(),
        form=ConfirmForm(formdata=None),
        error=error,
    )


@admin_bp.post("/messages/<int:message_id>/<any(hide, dismiss):action>")
@role_required("admin")
def moderate_message(message_id: int, action: str) -> Response:
    message = db.session.scalars(
        select(BookingMessage).where(BookingMessage.id == message_id).with_for_update()
    ).one_or_none()
    if message is None:
        abort(404)
    # A refused decision shows the list again with why; nothing of it is kept.
    on_refusal(lambda refusal: _render_reports(error=refusal.message))
    service.moderate(message, action=action, actor=current_user._get_current_object(), now=datetime.now(UTC))
    flash(_("The message is hidden.") if action == "hide" else _("The report is dismissed."), "success")
    return redirect(url_for("admin.reported_messages", status=request.args.get("status", "open")), 303)
