"""Pause or close your venue: the owner's page and its four commands (app/venues/closing.py,
docs/pause-and-close.md), on the dashboard blueprint, owner only.

Closing may cancel the future bookings first, as the calendar's Cancel button does
(app/checkout/venue_cancellations.py): refunded in full, the customer and the venue emailed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.checkout.venue_cancellations import cancel_upcoming, count_upcoming
from app.platform.form_fields import text_field
from app.venues import closing as venue_closing
from app.venues.closing import CANCEL, HONOUR, PAUSE_MESSAGE_MAX, REASON_MAX
from app.venues.models import Venue, VenueStatus
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_ONLY, check_confirm_form, check_form, venue_required
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal


class PauseForm(FlaskForm):
    # Empty: paused until the owner reopens it by hand.
    until = DateField(_l("Take bookings again on (optional)"), validators=[Optional()])
    message = text_field(
        _l("A note for customers (optional)"), None, PAUSE_MESSAGE_MAX, _l("Use at most 300 characters.")
    )


class CloseForm(FlaskForm):
    # The choice is checked by the service (one message for a missing or an unknown one).
    future_bookings = RadioField(
        _l("Bookings already made"),
        choices=[SelectChoice(HONOUR, _l("Keep them")), SelectChoice(CANCEL, _l("Cancel them"))],
        validate_choice=False,
    )
    reason = text_field(
        _l("Why, for your customers"), None, REASON_MAX, _l("Use at most 1000 characters."), field=TextAreaField
    )


def _page(
    venue: Venue, *, status: int = 200, error: str = "", pause_form: Any = None, close_form: Any = None
) -> Response:
    now = datetime.now(UTC)
    return render_page(
        "venues/closing.html",
        status=status,
        venue=venue,
        error=error,
        live=venue.status == VenueStatus.APPROVED,
        closed=venue.status == VenueStatus.CLOSED,
        paused=venue_closing.is_paused(venue, now),
        pause_notice=venue_closing.pause_notice(venue, now),
        future_count=count_upcoming(venue.id, now),
        pause_form=pause_form or PauseForm(formdata=None),
        close_form=close_form or CloseForm(formdata=None),
        today=venue_closing.local_today(venue, now).isoformat(),
    )


def _refused(venue: Venue, **forms: Any):
    return lambda error: _page(venue, error=error.message, **forms)


@bp.get("/venue/pause-or-close")
@venue_required(roles=OWNER_ONLY)
def closing(venue: Venue):
    return _page(venue)


@bp.post("/venue/pause")
@venue_required(roles=OWNER_ONLY)
def pause_venue(venue: Venue):
    form = PauseForm()
    on_refusal(_refused(venue, pause_form=form))
    check_form(form)
    venue_closing.pause(venue, actor=current_user, until=form.until.data, message=form.message.data or "")
    flash(venue_closing.pause_notice(venue) or _("Your venue is paused."), "success")
    return redirect(url_for("venues_dashboard.closing"))


@bp.post("/venue/resume")
@venue_required(roles=OWNER_ONLY)
def resume_venue(venue: Venue):
    check_confirm_form()
    on_refusal(_refused(venue))
    venue_closing.resume(venue, actor=current_user)
    flash(_("Your venue is taking bookings again."), "success")
    return redirect(url_for("venues_dashboard.closing"))


@bp.post("/venue/close")
@venue_required(roles=OWNER_ONLY)
def close_venue(venue: Venue):
    form = CloseForm()
    on_refusal(_refused(venue, close_form=form))
    check_form(form)
    choice, reason = form.future_bookings.data or "", (form.reason.data or "").strip()
    venue_closing.check_closable(venue, choice, reason)  # before anything is cancelled
    now = datetime.now(UTC)
    cancelled = 0
    if choice == CANCEL:
        cancelled = cancel_upcoming(
            venue.id, actor=current_user, reason=reason, refund_reason="Cancelled by the venue, closing", now=now
        )
    venue_closing.close(venue, actor=current_user, future_bookings=choice, reason=reason, cancelled=cancelled, now=now)
    if choice == CANCEL:
        flash(
            ngettext(
                "Your venue is closed. %(num)d booking was cancelled, refunded in full, and its customer emailed.",
                "Your venue is closed. %(num)d bookings were cancelled, refunded in full, and their customers emailed.",
                cancelled,
            ),
            "success",
        )
    else:
        flash(_("Your venue is closed. Bookings already made are kept: see them in your calendar."), "success")
    return redirect(url_for("venues_dashboard.closing"))


@bp.post("/venue/reopen")
@venue_required(roles=OWNER_ONLY)
def reopen_venue(venue: Venue):
    check_confirm_form()
    on_refusal(_refused(venue))
    venue_closing.reopen(venue, actor=current_user)
    flash(_("Your venue is sent to our team for review. We'll email you once it is live again."), "success")
    return redirect(url_for("venues_dashboard.closing"))
