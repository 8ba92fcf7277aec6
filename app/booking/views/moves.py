"""Rescheduling pages: the customer's /bookings/<reference>/reschedule (a month of free days,
a day's free times, who and "Move", or "Pay £X to move" when the time costs more now), the
move's top-up page (/bookings/<reference>/top-ups/<id>: waiting, moved or why not), the
provider's move (the calendar's drag and its "Move" dialog, and the booking panel's form) and
the venue's rescheduling policy page.

The rules live in app/checkout/reschedule.py; these routes load (404), parse (400/422) and call
``move_booking``; the request commits once (app/web/unit_of_work.py).
"""

from __future__ import annotations

import calendar as month_grid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from app.booking.availability import busy_window, get_busy, max_advance_days, service_spec
from app.booking.calendar_forms import local_to_utc
from app.booking.forms import BadInput, format_instant, parse_day, parse_instant
from app.booking.holds import booked_choice
from app.booking.lifecycle import shares_a_visit
from app.booking.models import Booking, TopUp, TopUpStatus
from app.booking.presenting import booking_row
from app.checkout import move_policy, reschedule, top_ups
from app.checkout.visit_moves import visit_move_days, visit_move_starts
from app.ops.errors import http_status
from app.payments.models import Payment, PaymentStatus
from app.platform import timefmt
from app.platform.errors import DomainError
from app.platform.extensions import db
from app.platform.money import format_money
from app.slot_engine import Slot
from app.venues.hours import parse_minute
from app.venues.models import Venue
from app.web.blueprints import booking as bp
from app.web.blueprints import dashboard as dashboard_bp
from app.web.booking_page import day_slots, month_calendar, picked_in_url
from app.web.calendar_page import _booking_page, _calendar_page, _query_or_today, get_venue_booking
from app.web.guards import FRONT_DESK, venue_required
from app.web.loaders import child_row, own_booking
from app.web.rendering import add_toast, after_change, is_htmx, render_page, toast_if_htmx
from app.web.unit_of_work import on_refusal
from app.web.visit_page import visit_calendar

# -- the customer's page ----------------------------------------------------------------------------


def _member_names(booking: Booking) -> dict[int, str]:
    return {m.id: m.name for m in booking.venue.team}


def build_reschedule_page(
    booking: Booking, *, month: date | None, day: date | None, start: datetime | None, now: datetime
) -> dict[str, Any]:
    """The customer's picker: every free time of the service, this booking left out."""
    service, venue = booking.service, booking.venue
    zone = timefmt.venue_zone(venue)
    eligibility = move_policy.customer_eligibility(booking, now)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(days=max_advance_days(service))).astimezone(zone).date()
    if start is not None:
        day = start.astimezone(zone).date()
    month = month or (day or booking.starts_at.astimezone(zone).date()).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    shown = [max(month, today), month_end, *([day] if day else [])]
    window = busy_window(min(shown), (max(shown) - min(shown)).days + 1)

    def link(**args: Any) -> str:
        return url_for("booking.reschedule_booking", reference=booking.reference, **args)

    in_visit = shares_a_visit(booking)  # the whole visit moves with it (app/checkout/visit_moves.py)
    if in_visit:
        slots, day_message = _visit_slots(booking, day, today=today, last_day=last_day, now=now)
        first, last = max(month, today), min(month_end, last_day)
        fits = visit_move_days(booking, first, (last - first).days + 1, now=now) if first <= last else {}
        calendar = visit_calendar(month, today=today, last_day=last_day, selected=day, fits=fits, link=link)
    else:
        choice = booked_choice(booking)  # a move keeps the length booked, its add-ons' minutes too
        busy = get_busy(venue.id, service_spec(service, choice=choice), *window, excluding_booking_id=booking.id)
        slots, day_message = day_slots(service, day, today=today, last_day=last_day, now=now, busy=busy, choice=choice)
        slots = [s for s in slots if s.remaining >= booking.quantity and s.start != booking.starts_at]
        calendar = month_calendar(
            service, month, today=today, last_day=last_day, selected=day, now=now, link=link, busy=busy, choice=choice
        )
    if day and not slots and not day_message:
        day_message = _("No other free times that day. Try another day.")
    slot: Slot | None = next((s for s in slots if s.start == start), None) if start else None

    names = _member_names(booking)
    same_currency = service.currency == booking.currency
    difference = reschedule.price_difference(booking, service) if same_currency and not in_visit else 0
    return {
        "booking": booking_row(booking),
        "eligibility": eligibility,
        "policy": move_policy.describe_reschedule_policy(move_policy.get_policy(venue.id)),
        "timezone": zone.key,
        "calendar": calendar,
        "visit": in_visit,
        "day": day.isoformat() if day else None,
        "day_label": timefmt.day_words(day, timefmt.LONG_DAY) if day else None,
        "day_message": day_message,
        "slots": [
            {
                "time": timefmt.clock_label(s.start, zone),
                "url": link(month=month.strftime("%Y-%m"), day=day.isoformat(), start=format_instant(s.start)),
                "selected": s.start == start,
            }
            for s in slots
        ]
        if day
        else [],
        "choice": {
            "label": timefmt.span_label(slot.start, slot.end, zone),
            "starts_at": format_instant(slot.start),
            # a visit's treatments keep their team members (the venue can change them)
            "members": [] if in_visit else [{"id": i, "name": names[i]} for i in slot.team_member_ids if i in names],
            "current_member": booking.team_member_id,
        }
        if slot
        else None,
        "start_missing": start is not None and slot is None,
        "price": format_money(booking.total_minor, booking.currency),
        # A dearer time is paid before it is taken: the page says how much before the customer confirms.
        "top_up": {"minor": difference, "amount": format_money(difference, booking.currency)}
        if difference > 0
        else None,
        "pending_move": _pending_row(booking),
        "error": None,
    }


def _visit_slots(
    booking: Booking, day: date | None, *, today: date, last_day: date, now: datetime
) -> tuple[list[Slot], str | None]:
    """The new times of ``booking`` on ``day`` at which its whole visit fits, as slots as long as
    the booking (a visit keeps its team members: none to choose), and what to say when none."""
    if day is None:
        return [], None
    if not today <= day <= last_day:
        return [], _("Choose a day from today to %(day)s.", day=timefmt.day_words(last_day, timefmt.LONG_DAY))
    length = booking.ends_at - booking.starts_at
    starts = [s for s in visit_move_starts(booking, day, now=now) if s > now]
    if not starts:
        return [], _("No times that day at which your whole visit fits. Try another day.")
    return [Slot(start=s, end=s + length, remaining=1, team_member_ids=()) for s in starts], None


def _pending_row(booking: Booking) -> dict[str, Any] | None:
    pending = top_ups.get_pending_top_up(booking.id)
    if pending is None:
        return None
    return {"url": url_for("booking.top_up_status", reference=booking.reference, top_up_id=pending.id)}


@bp.route("/bookings/<reference>/reschedule", methods=["GET", "POST"])
@login_required
@own_booking  # another customer's booking is not found (404)
def reschedule_booking(booking: Booking) -> Response:
    now = datetime.now(UTC)
    if request.method == "GET":
        month, day, start = picked_in_url()
        page = build_reschedule_page(booking, month=month, day=day, start=start, now=now)
        fragment = None if request.headers.get("HX-History-Restore-Request") else "picker"
        return render_page("booking/reschedule.html", fragment, **page)

    on_refusal(lambda error: _refused(booking, error.message, http_status(error), now))
    try:
        new_start = parse_instant(request.form.get("starts_at", ""))
        member_id = _parse_member(request.form.get("team_member_id", ""))
    except BadInput as exc:
        return _refused(booking, str(exc), 422, now)
    if "top_up_minor" in request.form:  # "Pay £X to move", the difference confirmed
        expected = top_ups.validate_expected(request.form["top_up_minor"])
        return _start_top_up(booking, new_start, member_id, expected, now)
    result = reschedule.move_booking(booking, new_start, member_id, by=current_user, now=now)
    when = timefmt.venue_span_label(result.booking.starts_at, result.booking.ends_at, result.booking.venue.timezone)
    message = _("Moved to %(when)s. We've emailed you the new time and calendar entry.", when=when)
    if result.refunded_minor:
        message += " " + _(
            "%(amount)s is on its way back to your card.",
            amount=format_money(result.refunded_minor, result.booking.currency),
        )
    flash(message, "success")
    target = url_for(".booking_detail", reference=result.booking.reference)
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _start_top_up(booking: Booking, new_start: datetime, member_id: int | None, expected: int, now: datetime):
    """ "Pay £X to move": hold the new time, start the top-up, send the customer to pay."""
    _, payment = top_ups.start_top_up(booking, new_start, member_id, by=current_user, expected_minor=expected, now=now)
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = payment.checkout_url
        return response
    return redirect(payment.checkout_url, 303)


def _refused(booking: Booking, message: str, status: int, now: datetime) -> Response:
    """The page again with why, nothing changed; for HTMX the picker and a toast."""
    page = build_reschedule_page(booking, month=None, day=None, start=None, now=now)
    page["error"] = message
    response = render_page("booking/reschedule.html", "picker", status=status, **page)
    return toast_if_htmx(response, message, "danger")


def _parse_member(raw: str) -> int | None:
    raw = (raw or "").strip()
    if raw in ("", "any"):
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise BadInput(_("Choose a team member from the list, or anyone available."))
    return int(raw)


# -- a move's top-up ------------------------------------------------------------------------------------


def build_top_up_page(booking: Booking, top_up: TopUp, now: datetime, *, returned_paid: bool = False) -> dict[str, Any]:

    zone = timefmt.venue_zone(booking.venue)
    payment = db.session.get(Payment, top_up.payment_id) if top_up.payment_id else None
    paying = payment is not None and payment.status == PaymentStatus.OPEN and payment.expires_at > now
    # Back from the gateway's success page, or the payment is under way: wait for the settling
    # (the page never moves anything itself).
    settling = (
        top_up.status == TopUpStatus.PENDING
        and payment is not None
        and (
            payment.status in (PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED)
            or (returned_paid and payment.status == PaymentStatus.OPEN)
        )
    )
    return {
        "booking": booking_row(booking),
        "top_up": {
            "id": top_up.id,
            "status": top_up.status,
            "amount": format_money(top_up.amount_minor, top_up.currency),
            "to_when": f"{timefmt.moment_label(top_up.to_starts_at, zone)} ({zone.key})",
            "from_when": f"{timefmt.moment_label(top_up.from_starts_at, zone)} ({zone.key})",
            "outcome": top_ups.describe_outcome(top_up),
            "pay_url": payment.checkout_url if paying and top_up.status == TopUpStatus.PENDING else None,
            "settling": settling,
            "status_url": url_for(
                ".top_up_status", reference=booking.reference, top_up_id=top_up.id, **({"paid": 1} if settling else {})
            ),
            "keep_url": url_for(".keep_my_time", reference=booking.reference, top_up_id=top_up.id),
        },
    }


@bp.get("/bookings/<reference>/top-ups/<int:top_up_id>")
@login_required
@own_booking  # another customer's booking: 404
@child_row(TopUp, of="booking")  # another booking's top-up: 404
def top_up_status(booking: Booking, top_up: TopUp) -> Response:
    """Where a move's top-up stands; polls (HTMX) while the payment is being settled."""
    returned_paid = request.args.get("paid") == "1"  # a hint for the display only, never trusted for money
    page = build_top_up_page(booking, top_up, datetime.now(UTC), returned_paid=returned_paid)
    response = render_page("booking/top_up.html", "top_up_status", **page)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/bookings/<reference>/top-ups/<int:top_up_id>/keep")
@login_required
@own_booking
@child_row(TopUp, of="booking")
def keep_my_time(booking: Booking, top_up: TopUp) -> Response:
    """ "Keep my time": the held new time goes, nothing is charged, the booking stays."""

    def refused(error: DomainError) -> Response:
        page = build_top_up_page(booking, top_up, datetime.now(UTC))
        page["error"] = error.message
        response = render_page("booking/top_up.html", "top_up_status", **page)
        return toast_if_htmx(response, error.message, "danger")

    on_refusal(refused)
    released = top_ups.give_up(top_up, customer=current_user)
    if released:
        flash(_("You kept your time: the new time was let go and nothing was charged."), "success")
    else:
        flash(_("This move was already settled; see where it stands below."), "info")
    return redirect(url_for(".top_up_status", reference=booking.reference, top_up_id=top_up.id), 303)


# -- the provider's move ----------------------------------------------------------------------------


def _parse_provider_move(venue: Venue, form: Any) -> tuple[datetime, int | None]:
    """The new local date and time (venue's zone) and team member from the form, or BadInput."""
    try:
        day = parse_day(form.get("new_date", ""))
    except BadInput:
        raise BadInput(_("Choose the new date, like 2026-11-26.")) from None
    try:
        minute = parse_minute(form.get("new_time", ""))
    except ValueError:
        raise BadInput(_("Enter the new time as HH:MM, like 14:30.")) from None
    try:
        starts_at = local_to_utc(day, minute, timefmt.venue_zone(venue.timezone))
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    return starts_at, _parse_member(form.get("new_member", ""))


@dashboard_bp.post("/bookings/<int:booking_id>/move")
@venue_required(roles=FRONT_DESK)
def move_venue_booking(venue: Venue, booking_id: int) -> Response:
    """Drag and drop, the calendar's "Move" dialog, or the booking panel's form."""
    booking = get_venue_booking(venue, booking_id)  # another venue's booking: 404
    from_panel = request.form.get("return") == "booking"
    query = _query_or_today(venue, request.form)

    def refused(message: str, status: int) -> Response:
        if from_panel:
            return _booking_page(venue, booking, status=status, error=message)
        if is_htmx():
            return add_toast(_calendar_page(venue, query, status=status), message, "danger")
        flash(message, "danger")
        return _calendar_page(venue, query, block=None, status=status)

    on_refusal(lambda error: refused(error.message, http_status(error)))
    try:
        new_start, member_id = _parse_provider_move(venue, request.form)
    except BadInput as exc:
        return refused(str(exc), 422)
    result = reschedule.move_booking(booking, new_start, member_id, by=current_user, as_venue=True)
    moved = result.booking
    when = timefmt.venue_span_label(moved.starts_at, moved.ends_at, venue.timezone)
    message = _(
        "Moved %(reference)s to %(when)s. We've emailed %(customer)s the new time.",
        reference=moved.reference,
        when=when,
        customer=moved.customer.name,
    )
    if from_panel:
        target = url_for("venues_dashboard.booking_details", booking_id=moved.id)
        return after_change(message, lambda: _booking_page(venue, moved), target, 303)
    return after_change(
        message, lambda: _calendar_page(venue, query), url_for("venues_dashboard.calendar", **query.args()), 303
    )


# -- the venue's policy -----------------------------------------------------------------------------


class ReschedulePolicyForm(FlaskForm):
    until_hours = IntegerField(
        _l("Customers can move a booking until this many hours before it starts"),
        validators=[
            InputRequired(message=_l("Enter a number of hours (0 means until it starts).")),
            NumberRange(min=0, max=720, message=_l("Choose between 0 and 720 hours (30 days).")),
        ],
    )
    max_moves = IntegerField(
        _l("How many times a customer can move one booking"),
        validators=[
            InputRequired(message=_l("Enter a number of moves (0 turns online changes off).")),
            NumberRange(min=0, max=10, message=_l("Choose between 0 and 10 moves.")),
        ],
    )


@dashboard_bp.route("/rescheduling", methods=["GET", "POST"])
@venue_required
def reschedule_policy(venue: Venue) -> Response:
    policy = move_policy.get_policy(venue.id)
    form = ReschedulePolicyForm(obj=policy if request.method == "GET" else None)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            move_policy.set_policy(
                venue, until_hours=form.until_hours.data, max_moves=form.max_moves.data, actor=current_user
            )
            flash(
                _("Saved: %(policy)s", policy=move_policy.describe_reschedule_policy(move_policy.get_policy(venue.id))),
                "success",
            )
            return redirect(url_for("venues_dashboard.reschedule_policy"), 303)
        status = 422
    return render_page(
        "booking/reschedule_policy.html",
        status=status,
        venue=venue,
        form=form,
        summary=move_policy.describe_reschedule_policy(policy),
    )
