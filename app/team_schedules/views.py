"""A team member's schedule page on the provider dashboard (routes on the venues_dashboard
blueprint): the weekly working hours, exceptions by date, time off, and copying the week to
other members; and their calendar sync page (connect a CalDAV calendar, its status, disconnect).

Load (the member inside the provider's own venue, else 404) -> validate (422 with messages) ->
change -> if the change leaves upcoming bookings outside the member's working time, refuse it
(nothing is kept) and answer 409 with those bookings and a "Save anyway" button that sends the
same change with ``confirm=yes``; else the request keeps it. Bookings are never moved or
cancelled here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from app.booking.models import Booking
from app.booking.schedule_conflicts import find_bookings_outside_hours
from app.platform.errors import Conflict
from app.platform.timefmt import day_words, venue_zone
from app.team_schedules.calendar_sync import connect, disconnect, get_connection, status_line, sync_connection
from app.team_schedules.forms import ExceptionForm, TimeOffForm
from app.team_schedules.models import TIME_OFF_LABELS, ConnectionStatus, TimeOff
from app.team_schedules.service import (
    Week,
    add_time_off,
    copy_week,
    get_exceptions,
    get_time_off,
    get_week,
    remove_exception,
    remove_time_off,
    set_exception,
    set_week,
)
from app.venues.approval import STATUS_LABELS
from app.venues.forms import DayHours, edit_rows, read_week, week_from_saved
from app.venues.hours import Range, format_minute, weekday_name
from app.venues.models import TeamMember, Venue
from app.venues.wizard import _onboarding, wizard_context
from app.web.blueprints import dashboard as bp
from app.web.guards import acting_member_scope, venue_required
from app.web.loaders import venue_row
from app.web.rendering import add_toast, is_htmx, render_page
from app.web.unit_of_work import on_refusal, settle

HOURS_MODES = {"venue": "Works the venue's opening hours", "own": "Works these hours"}


def _own_members(venue: Venue, member_ids: list[int]) -> list[TeamMember]:
    """The venue's team members a form names, or 404: another venue's members are not found."""
    team = {m.id: m for m in venue.team}
    if any(i not in team for i in member_ids):
        abort(404)
    return [team[i] for i in member_ids]


def _ranges_label(ranges: list[tuple[int, int]]) -> str:
    return ", ".join(f"{format_minute(opens)}–{format_minute(closes)}" for opens, closes in ranges)


def _date_label(day: date) -> str:
    return day_words(day)


def _time_off_label(off: TimeOff, tz: ZoneInfo) -> str:
    if off.whole_days:
        first, last = _date_label(off.starts_on), _date_label(off.ends_on)
        return first if first == last else f"{first} – {last}"
    starts, ends = off.starts_at.astimezone(tz), off.ends_at.astimezone(tz)
    if starts.date() == ends.date():
        return f"{_date_label(starts.date())}, {starts:%H:%M}–{ends:%H:%M}"
    return f"{_date_label(starts.date())} {starts:%H:%M} – {_date_label(ends.date())} {ends:%H:%M}"


def _conflict_rows(bookings: list[Booking], tz: ZoneInfo, members: dict[int, str]) -> list[dict[str, str]]:
    rows = []
    for b in bookings:
        starts, ends = b.starts_at.astimezone(tz), b.ends_at.astimezone(tz)
        rows.append(
            {
                "date": _date_label(starts.date()),
                "time": f"{starts:%H:%M}–{ends:%H:%M}",
                "customer": b.customer.name,
                "service": b.service.name,
                "member": members.get(b.team_member_id, ""),
                "reference": b.reference,
                "url": url_for("venues_dashboard.booking_details", booking_id=b.id),
            }
        )
    return rows


def _schedule_page(
    venue: Venue,
    member: TeamMember,
    *,
    status: int = 200,
    block: str | None = "schedule_panel",
    week: list[DayHours] | None = None,
    mode: str | None = None,
    **extra: Any,
) -> Response:
    tz = venue_zone(venue)
    now = datetime.now(UTC)
    saved = get_week(member)
    opening = _venue_week(venue)
    today = now.astimezone(tz).date()
    context: dict[str, Any] = {
        "member": member,
        "others": [m for m in venue.team if m.id != member.id],
        "mode": mode or ("venue" if saved is None else "own"),
        "modes": HOURS_MODES,
        "week": week if week is not None else week_from_saved(saved or opening),
        "venue_week": [
            (weekday_name(i), ", ".join(r.label for r in opening.get(i, [])) or _("Closed")) for i in range(7)
        ],
        "exceptions": [
            {
                "day": day.isoformat(),
                "label": _date_label(day),
                "hours": "Off all day"
                if rows[0].is_off
                else _ranges_label([(r.starts_minute, r.ends_minute) for r in rows]),
                "note": rows[0].note,
            }
            for day, rows in get_exceptions(member, today).items()
        ],
        "time_off": [
            {"id": off.id, "kind": TIME_OFF_LABELS[off.kind], "when": _time_off_label(off, tz), "reason": off.reason}
            for off in get_time_off(member, now, venue.timezone)
        ],
        "exception_form": ExceptionForm(formdata=None),
        "time_off_form": TimeOffForm(formdata=None),
        "conflicts": None,
        "error": "",
        "unsaved": False,
    }
    context.update(extra)
    return render_page(
        "venues/dashboard/schedule.html",
        block,
        status=status,
        venue=venue,
        status_label=STATUS_LABELS[venue.status],
        step_title=f"{member.name}'s schedule",
        onboarding=_onboarding(venue),
        **wizard_context(venue, "team"),
        **context,
    )


def _venue_week(venue: Venue) -> dict[int, list[Range]]:
    """The venue's opening hours as a starting point for a member's own week."""
    week: dict[int, list[Range]] = {}
    for h in venue.opening_hours:
        week.setdefault(h.weekday, []).append(Range(h.opens_minute, h.closes_minute))
    return week


def _change(
    venue: Venue,
    member: TeamMember,
    command: Callable[[], None],
    message: str,
    *,
    affected: list[TeamMember] | None = None,
    **page: Any,
) -> Response:
    """Run ``command``; refuse (409, nothing saved) when it newly leaves upcoming bookings outside
    working time and the provider has not confirmed; else say so."""
    affected = affected or [member]
    now = datetime.now(UTC)
    before = {b.id for b in find_bookings_outside_hours(venue, affected, now=now)}
    on_refusal(lambda refusal: _schedule_page(venue, member, error=refusal.message, **page))
    command()
    outside = [b for b in find_bookings_outside_hours(venue, affected, now=now) if b.id not in before]
    if outside and request.form.get("confirm") != "yes":
        names = {m.id: m.name for m in venue.team}
        rows = _conflict_rows(outside, venue_zone(venue), names)
        resubmit = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirm")]
        on_refusal(
            lambda refusal: _schedule_page(
                venue, member, conflicts=rows, resubmit=resubmit, resubmit_to=request.path, **page
            )
        )
        raise Conflict(_("Bookings outside working time after this change"))
    if outside:
        message += " " + ngettext(
            "%(num)d booking now falls outside working time and still stands: move or cancel it from the calendar "
            "if needed.",
            "%(num)d bookings now fall outside working time and still stand: move or cancel them from the calendar "
            "if needed.",
            len(outside),
        )
    if is_htmx():
        settle()  # the schedule as the change left it
        return add_toast(_schedule_page(venue, member), message)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.member_schedule", member_id=member.id))


# -- the page -----------------------------------------------------------------------------------


@bp.get("/venue/team/<int:member_id>/schedule")
@venue_required
@venue_row(TeamMember, name="member")
def member_schedule(venue: Venue, member: TeamMember) -> Response:
    return _schedule_page(venue, member, block=None)


@bp.post("/venue/team/<int:member_id>/schedule/week")
@venue_required
@venue_row(TeamMember, name="member")
def save_member_week(venue: Venue, member: TeamMember) -> Response:
    mode = request.form.get("mode", "")
    week = read_week(request.form)
    if mode not in HOURS_MODES:
        return _schedule_page(
            venue, member, status=422, week=week, error=_("Choose whether they work the venue's hours or their own.")
        )
    if "add_range" in request.form or "remove_range" in request.form:
        # Row editing without JavaScript: the grid again with one row more or less; nothing saved.
        edit_rows(week, request.form.get("add_range", ""), request.form.get("remove_range", ""))
        return _schedule_page(venue, member, week=week, mode=mode, unsaved=True)
    if mode == "venue":
        return _change(
            venue,
            member,
            lambda: set_week(member, None),
            _("%(member_name)s works the venue's opening hours.", member_name=member.name),
        )
    if any(day.error for day in week):
        return _schedule_page(
            venue, member, status=422, week=week, mode=mode, error=_("Some days need a fix; nothing was saved.")
        )
    chosen: Week = {day.weekday: day.ranges for day in week if not day.closed}
    return _change(
        venue,
        member,
        lambda: set_week(member, chosen),
        _("%(member_name)s's week is saved.", member_name=member.name),
        week=week,
        mode=mode,
    )


@bp.post("/venue/team/<int:member_id>/schedule/copy")
@venue_required
@venue_row(TeamMember, name="member")
def copy_member_week(venue: Venue, member: TeamMember) -> Response:
    try:
        ids = [int(value) for value in request.form.getlist("member_ids")]
    except ValueError:
        abort(404)
    targets = _own_members(venue, list(dict.fromkeys(ids)))  # another venue's member: 404
    names = ", ".join(t.name for t in targets if t.id != member.id)
    return _change(
        venue,
        member,
        lambda: copy_week(member, targets),
        _("%(member_name)s's week is copied to %(names)s.", member_name=member.name, names=names),
        affected=[t for t in targets if t.id != member.id] or [member],
    )


@bp.post("/venue/team/<int:member_id>/schedule/exceptions")
@venue_required
@venue_row(TeamMember, name="member")
def add_member_exception(venue: Venue, member: TeamMember) -> Response:
    form = ExceptionForm()
    ranges = form.ranges() if form.validate_on_submit() else None
    if ranges is None:
        return _schedule_page(venue, member, status=422, exception_form=form)
    label = _date_label(form.day.data)
    return _change(
        venue,
        member,
        lambda: set_exception(member, form.day.data, ranges, form.note.data or ""),
        _("%(member_name)s is off on %(label)s.", member_name=member.name, label=label)
        if not ranges
        else _("%(member_name)s's hours on %(label)s are saved.", member_name=member.name, label=label),
        exception_form=form,
    )


@bp.post("/venue/team/<int:member_id>/schedule/exceptions/<day>/delete")
@venue_required
@venue_row(TeamMember, name="member")
def delete_member_exception(venue: Venue, member: TeamMember, day: str) -> Response:
    try:
        on = date.fromisoformat(day)
    except ValueError:
        abort(404)

    def remove() -> None:
        if not remove_exception(member, on):
            abort(404)

    return _change(
        venue,
        member,
        remove,
        _(
            "%(member_name)s works their usual hours on %(date_label)s again.",
            member_name=member.name,
            date_label=_date_label(on),
        ),
    )


@bp.post("/venue/team/<int:member_id>/schedule/time-off")
@venue_required
@venue_row(TeamMember, name="member")
def add_member_time_off(venue: Venue, member: TeamMember) -> Response:
    form = TimeOffForm()
    span = form.span(venue.timezone) if form.validate_on_submit() else None
    if span is None:
        return _schedule_page(venue, member, status=422, time_off_form=form)
    return _change(
        venue,
        member,
        lambda: add_time_off(member, kind=form.kind.data, reason=form.reason.data or "", **span),
        _("Time off for %(member_name)s is added: customers can't book them then.", member_name=member.name),
        time_off_form=form,
    )


@bp.post("/venue/team/<int:member_id>/schedule/time-off/<int:time_off_id>/delete")
@venue_required
@venue_row(TeamMember, name="member")
def delete_member_time_off(venue: Venue, member: TeamMember, time_off_id: int) -> Response:

    def remove() -> None:
        if remove_time_off(member, time_off_id) is None:
            abort(404)

    return _change(
        venue,
        member,
        remove,
        _("The time off is removed: %(member_name)s can be booked then again.", member_name=member.name),
    )


# -- calendar sync (docs/calendar-sync.md): the owner and managers for any member, a practitioner
# for their own member only (another member's is a 404, like another venue's) -------------------

SYNC_ROLES = {"manager", "practitioner"}  # and the owner, always


def _own_member(member: TeamMember) -> None:
    """A practitioner reaches only their own member's page."""
    scope = acting_member_scope()
    if scope is not None and scope != member.id:
        abort(404)


def _sync_page(
    venue: Venue, member: TeamMember, *, status: int = 200, block: str | None = "sync_panel", **extra: Any
) -> Response:
    connection = get_connection(member)
    context: dict[str, Any] = {
        "member": member,
        "connection": connection,
        "broken": connection is not None and connection.status == ConnectionStatus.BROKEN,
        "status_line": status_line(connection, datetime.now(UTC)),
        "form": {"url": connection.url if connection else "", "username": connection.username if connection else ""},
        "calendars": [],
        "error": "",
    }
    context.update(extra)
    return render_page("team_schedules/calendar_sync.html", block, status=status, venue=venue, **context)


@bp.get("/team/<int:member_id>/calendar-sync")
@venue_required(roles=SYNC_ROLES)
@venue_row(TeamMember, name="member")
def calendar_sync(venue: Venue, member: TeamMember) -> Response:
    _own_member(member)
    return _sync_page(venue, member, block=None)


@bp.post("/team/<int:member_id>/calendar-sync")
@venue_required(roles=SYNC_ROLES)
@venue_row(TeamMember, name="member")
def save_calendar_sync(venue: Venue, member: TeamMember) -> Response:
    _own_member(member)
    form = {key: request.form.get(key, "") for key in ("url", "username", "password")}
    shown = {"url": form["url"], "username": form["username"]}
    on_refusal(lambda refusal: _sync_page(venue, member, form=shown, error=refusal.message))
    calendars = connect(member, form["url"], form["username"], form["password"])
    synced = sync_connection(get_connection(member))  # busy times count at once; a failure is shown, not raised
    message = _("%(name)s's calendar is connected.", name=member.name)
    if not synced:
        message = _("%(name)s's calendar is saved, but the first sync failed.", name=member.name)
    if is_htmx():
        settle()
        return add_toast(_sync_page(venue, member, calendars=calendars), message)
    flash(message, "success" if synced else "warning")
    return redirect(url_for("venues_dashboard.calendar_sync", member_id=member.id))


@bp.post("/team/<int:member_id>/calendar-sync/disconnect")
@venue_required(roles=SYNC_ROLES)
@venue_row(TeamMember, name="member")
def disconnect_calendar_sync(venue: Venue, member: TeamMember) -> Response:
    _own_member(member)
    if not disconnect(member):
        abort(404)
    message = _("%(name)s's calendar is disconnected; its busy times no longer block bookings.", name=member.name)
    if is_htmx():
        settle()
        return add_toast(_sync_page(venue, member), message)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.calendar_sync", member_id=member.id))
