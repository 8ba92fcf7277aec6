"""Notification pages: the customer's preferences (/account/notifications), the venue's
reminder times (/provider/reminders), the one-tap link in reminders (/r/<token>), the
admins' SMS log (/admin/sms), and the notification centre (/notifications; opening a notice,
/notifications/<id>/open, marks it read) with the navigation bell's unread count
(/notifications/count, polled: docs/notifications-centre.md).

The one-tap link routes, it never shows or changes anything by itself: the token names one
booking, and only that booking's customer, signed in, reaches its page (which has Cancel and
Reschedule). Signed out, they sign in first and come back to it; signed in as someone else,
they get a 403 that names nothing. So a forwarded or leaked link exposes no booking.
"""

from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.booking.models import Booking
from app.notifications import centre as notices
from app.notifications import preferences
from app.notifications.models import SmsMessage
from app.notifications.reminders import (
    OFFSET_CHOICES_HOURS,
    get_reminder_offsets,
    offset_label,
    parse_offset_hours,
    read_link_token,
    set_reminder_offsets,
)
from app.platform.extensions import db
from app.venues.models import Venue
from app.venues.service import set_invitations
from app.web.blueprints import admin as admin_bp
from app.web.blueprints import notifications as bp
from app.web.guards import venue_required
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.unit_of_work import on_refusal

# -- the customer's preferences ---------------------------------------------------------------


def _render_preferences(
    *, status: int = 200, choices=None, number: str | None = None, error: str | None = None, number_error: bool = False
):
    user = current_user._get_current_object()
    saved_number = preferences.get_sms_number(user.id)
    return render_page(
        "notifications/preferences.html",
        "preferences",
        status=status,
        kinds=preferences.kinds_for(user),
        email_only=preferences.EMAIL_ONLY,
        channels=preferences.CHANNELS,
        choices=choices or preferences.get_choices(user),
        number=number if number is not None else preferences.display_number(saved_number),
        has_number=saved_number is not None,
        error=error,
        number_error=number_error,
    )


def _choices_from_form() -> dict[str, dict[str, bool]]:
    return {
        kind: {channel: request.form.get(f"{kind}-{channel}") == "on" for channel in preferences.CHANNELS}
        for kind in preferences.kinds_for(current_user)
    }


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings() -> Response:
    if request.method == "GET":
        return _render_preferences()
    choices = _choices_from_form()
    number = request.form.get("sms_number", "")
    on_refusal(
        lambda refusal: _render_preferences(
            choices=choices,
            number=number,
            error=refusal.message,
            number_error=isinstance(refusal, preferences.NumberInvalid),
        )
    )
    changed = preferences.save_preferences(current_user._get_current_object(), choices, sms_number=number)
    message = _("Your notification choices are saved.") if changed else _("Nothing changed.")
    if is_htmx():
        return add_toast(_render_preferences(), message)
    flash(message, "success")
    return redirect(url_for(".settings"), 303)


# -- the venue's reminder times ---------------------------------------------------------------


def _render_offsets(
    venue: Venue,
    *,
    status: int = 200,
    chosen: list[int] | None = None,
    error: str | None = None,
    block: str | None = "offsets",
    invitations: dict | None = None,
):
    current = chosen if chosen is not None else [m // 60 for m in get_reminder_offsets(venue.id)]
    return render_page(
        "notifications/venue_reminders.html",
        block,
        status=status,
        venue=venue,
        options=[(h, offset_label(h * 60), h in current) for h in OFFSET_CHOICES_HOURS],
        current=[offset_label(h * 60) for h in sorted(current, reverse=True)],
        error=error,
        invitations=invitations
        or {"birthday": venue.birthday_messages, "win_back": venue.win_back_months or "", "error": None},
    )


@bp.post("/provider/reminders/invitations")
@venue_required
def venue_invitations(venue: Venue) -> Response:
    """Birthday messages and win-back (issue 47, item 6; the weeks of a rebooking nudge are set
    per service). A number that isn't one, or out of range: 422, nothing changed."""
    birthday = request.form.get("birthday_messages") == "y"
    raw = (request.form.get("win_back_months") or "").strip()
    shown = {"birthday": birthday, "win_back": raw[:10], "error": None}

    def refused(message: str) -> Response:
        shown["error"] = message
        return _render_offsets(venue, status=422, block="invitations" if is_htmx() else None, invitations=shown)

    if raw and not (raw.isdecimal() and len(raw) <= 3):
        return refused(_("Win back after 2 to 24 months, or leave it empty."))
    on_refusal(lambda refusal: refused(refusal.message))
    set_invitations(venue, birthday_messages=birthday, win_back_months=int(raw) if raw else None)
    message = _("Invitations back saved.")
    if is_htmx():
        return add_toast(_render_offsets(venue, block="invitations"), message)
    flash(message, "success")
    return redirect(url_for(".venue_reminders"), 303)


@bp.route("/provider/reminders", methods=["GET", "POST"])
@venue_required
def venue_reminders(venue: Venue) -> Response:
    if request.method == "GET":
        return _render_offsets(venue)
    values = request.form.getlist("offset")
    chosen = [int(v) for v in values if v.isdecimal() and len(v) <= 3 and int(v) in OFFSET_CHOICES_HOURS]
    on_refusal(lambda refusal: _render_offsets(venue, chosen=chosen, error=refusal.message))
    replanned = set_reminder_offsets(venue.id, parse_offset_hours(values))
    message = ngettext(
        "Reminder times saved; %(num)d upcoming booking re-planned.",
        "Reminder times saved; %(num)d upcoming bookings re-planned.",
        replanned,
    )
    if is_htmx():
        return add_toast(_render_offsets(venue), message)
    flash(message, "success")
    return redirect(url_for(".venue_reminders"), 303)


# -- the one-tap link -------------------------------------------------------------------------


@bp.get("/r/<token>")
def booking_link(token: str) -> Response:
    if len(token) > 200:
        return _link_problem(_("This link isn't valid. Sign in and open My bookings instead."), 400)
    on_refusal(lambda refusal: _link_problem(refusal.message, 400))  # expired or altered
    booking = db.session.get(Booking, read_link_token(token))
    if booking is None:
        abort(404)
    target = url_for("booking.booking_detail", reference=booking.reference)
    if not current_user.is_authenticated:
        flash(_("Sign in to manage your booking."), "info")
        return redirect(url_for("accounts.sign_in", next=target), 303)
    if booking.customer_id != current_user.id:
        abort(403)
    return redirect(target, 303)


def _link_problem(message: str, status: int) -> Response:
    return render_page("notifications/link_problem.html", status=status, message=message)


# -- the admins' SMS log ----------------------------------------------------------------------


@admin_bp.get("/sms")
@role_required("admin")
def sms_log() -> str:
    messages = db.session.scalars(select(SmsMessage).order_by(SmsMessage.id.desc()).limit(100)).all()
    return render_template("notifications/sms_log.html", messages=messages)


# -- the notification centre ------------------------------------------------------------------

CURSOR_DIGITS = 12


def _cursor(value: str | None) -> int | None:
    """A page cursor or count from the query string: digits only, else a 400 that says so."""
    if value is None or value == "":
        return None
    if not value.isdecimal() or len(value) > CURSOR_DIGITS:
        abort(400, _("That page link isn't valid. Open your notifications again."))
    return int(value)


def _render_centre(*, status: int = 200) -> Response:
    user_id = current_user.id
    page = notices.list_notices(user_id, before=_cursor(request.args.get("before")))
    response = render_page(
        "notifications/centre.html",
        "notices",
        status=status,
        page=page,
        unread=notices.unread_count(user_id),
        before=request.args.get("before"),
    )
    response.headers["Cache-Control"] = "private, no-store"
    if is_htmx():  # the bell follows at once, without waiting for its next poll
        bell = render_template("notifications/_bell.html", count=notices.unread_count(user_id), oob=True)
        response.set_data(response.get_data(as_text=True) + bell)
    return response


@bp.get("/notifications")
@login_required
def centre() -> Response:
    return _render_centre()


@bp.get("/notifications/count")
def unread_count() -> Response:
    """The navigation bell with the unread count, polled by the page (``hx-trigger``).

    Signed out (or the session ended): 286, which tells htmx to stop polling. ``shown`` is the
    count the page shows: when it hasn't changed the answer is 204 and the page keeps what it
    has (nothing swapped, nothing re-announced to a screen reader)."""
    if not current_user.is_authenticated:
        return make_response("", 286)
    count = notices.unread_count(current_user.id)
    shown = request.args.get("shown")
    if shown is not None and shown == str(count):
        response = make_response("", 204)
    else:
        response = make_response(render_template("notifications/_bell.html", count=count))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/notifications/<int:notice_id>/open")
@login_required
def open_notice(notice_id: int) -> Response:
    """Opening a notice from the centre: it is marked read, then its link opens. A GET that
    changes only the signed-in person's own notice, and the same way each time (marked read
    once; again is harmless), so a link can do it: no form, nothing another site could make
    worse than opening the notice. Another person's notice: NotFound, a 404."""
    notice = notices.mark_read(notice_id, current_user.id)
    response = redirect(notice.link, 303)  # a path on this site (the notices table's link_local)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/notifications/<int:notice_id>/read")
@login_required
def mark_read(notice_id: int) -> Response:
    notices.mark_read(notice_id, current_user.id)  # another person's: NotFound, a 404
    if is_htmx():
        return add_toast(_render_centre(), _("Marked as read."))
    flash(_("Marked as read."), "success")
    return redirect(url_for(".centre"), 303)


@bp.post("/notifications/read-all")
@login_required
def mark_all_read() -> Response:
    marked = notices.mark_all_read(current_user.id)
    message = (
        ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", marked)
        if marked
        else _("Nothing was unread.")
    )
    if is_htmx():
        return add_toast(_render_centre(), message)
    flash(message, "success")
    return redirect(url_for(".centre"), 303)


@bp.app_context_processor
def _poll_seconds() -> dict:
    return {"notifications_poll_seconds": int(current_app.config.get("NOTIFICATIONS_POLL_SECONDS", 30))}
