"""The customer's waitlist pages: join (from a booking page's day), "My waitlist" with each
place in line and any open offer ("Book it" / "No thanks"), and leaving.

load (404) -> customers only (403) -> validate (400/422, nothing changes) -> service; the request
commits once (app/web/unit_of_work.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.access import role_required
from app.accounts.models import Role
from app.booking.errors import CartItemInvalid
from app.booking.forms import BadInput, parse_day
from app.platform.errors import DomainError
from app.platform.input_guard import MAX_ID
from app.platform.timefmt import LONG_DAY, day_words, venue_zone
from app.venues.hours import format_minute, parse_minute
from app.venues.models import Service
from app.waitlist import offers
from app.waitlist import service as waitlist
from app.waitlist.models import EntryStatus, WaitlistEntry
from app.waitlist.presenting import get_offer_rows
from app.web.blueprints import waitlist as bp
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

STATUS_LABELS = {
    EntryStatus.WAITING: _l("Waiting"),
    EntryStatus.OFFERED: _l("A time is held for you"),
    EntryStatus.BOOKED: _l("Booked from the waitlist"),
    EntryStatus.LEFT: _l("You left"),
    EntryStatus.EXPIRED: _l("The day has passed"),
}


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _id(value: str | None, what: str) -> int | None:
    """An optional id from a form: empty is None; anything but a whole number in range is a 400."""
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= MAX_ID:
        raise BadInput(_("Choose a %(what)s from the list.", what=what))
    return int(value)


def _window(start: str | None, end: str | None) -> waitlist.Window | None:
    start, end = (start or "").strip(), (end or "").strip()
    if not start and not end:
        return None
    if not start or not end:
        raise BadInput(_("Give both ends of the time window, or leave both empty."))
    try:
        return waitlist.Window(parse_minute(start), parse_minute(end, allow_midnight_end=True))
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _service_from(value: str | None) -> Service:
    try:
        service_id = _id(value, _("service"))
    except BadInput:
        abort(404)
    if service_id is None:
        abort(404)
    return waitlist.get_joinable_service(service_id)


def join_page(service: Service, form: dict[str, str], *, error: str | None = None, status: int = 200) -> Response:
    venue = service.venue
    return render_page(
        "waitlist/join.html",
        status=status,
        service={"id": service.id, "name": service.name, "duration": service.duration_minutes},
        venue={"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        book_url=url_for("booking.book", slug=venue.slug, service_id=service.id),
        timezone=venue_zone(venue.timezone).key,
        members=[{"id": m.id, "name": m.name} for m in waitlist.performers(service)],
        form=form,
        error=error,
    )


@bp.get("/waitlist/join")
@role_required(Role.CUSTOMER)
def join_form() -> Response:
    service = _service_from(request.args.get("service_id"))
    day = request.args.get("day", "")
    try:
        if day:
            parse_day(day)
    except BadInput:
        day = ""
    return join_page(service, {"day": day})


@bp.post("/waitlist")
@role_required(Role.CUSTOMER)
def join() -> Response:
    service = _service_from(request.form.get("service_id"))
    form = {key: request.form.get(key, "") for key in ("day", "window_start", "window_end", "team_member_id")}
    try:
        day = parse_day(form["day"])
        window = _window(form["window_start"], form["window_end"])
        member_id = _id(form["team_member_id"], _("team member"))
    except BadInput as exc:
        return join_page(service, form, error=str(exc), status=400)
    on_refusal(lambda error: join_page(service, form, error=error.message))
    entry = waitlist.join(current_user, service=service, day=day, window=window, team_member_id=member_id)
    position = waitlist.get_position(entry) or 1
    flash(
        _(
            "You're on the waitlist for %(service_name)s on %(day_words)s: %(ordinal)s in line. We'll email you when "
            "a time opens up.",
            service_name=service.name,
            day_words=day_words(day, LONG_DAY),
            ordinal=ordinal(position),
        ),
        "success",
    )
    return redirect(url_for(".mine"), 303)


def entry_row(entry: WaitlistEntry, position: int | None) -> dict[str, Any]:
    window = None
    if entry.window_start_minute is not None and entry.window_end_minute is not None:
        window = f"{format_minute(entry.window_start_minute)}–{format_minute(entry.window_end_minute)}"
    live = entry.status in (EntryStatus.WAITING, EntryStatus.OFFERED)
    return {
        "id": entry.id,
        "service": entry.service.name,
        "venue": entry.venue.name,
        "venue_url": url_for("venues_public.venue_page", slug=entry.venue.slug),
        "day": day_words(entry.day, LONG_DAY),
        "window": window,
        "member": entry.team_member.name if entry.team_member else None,
        "status": entry.status,
        "status_label": STATUS_LABELS.get(entry.status, entry.status),
        "position": ordinal(position) if live and position else None,
        "live": live,
        "leave_url": url_for(".leave", entry_id=entry.id),
    }


@bp.get("/waitlist")
@role_required(Role.CUSTOMER)
def mine() -> Response:
    return _mine_page()


def _mine_page(*, status: int = 200, answered: Mapping[str, str] | None = None) -> Response:
    now = datetime.now(UTC)
    rows = [entry_row(entry, position) for entry, position in waitlist.find_my_entries(current_user.id, now=now)]
    return render_page(
        "waitlist/mine.html",
        status=status,
        entries=[r for r in rows if r["live"]],
        ended=[r for r in rows if not r["live"]],
        offers=get_offer_rows(current_user.id, now, answered=answered),
    )


def back_to_mine(error: DomainError, category: str) -> Response:
    """My waitlist again, with why the last step was refused (nothing it did is kept)."""
    flash(error.message, category)
    return redirect(url_for(".mine"), 303)


@bp.post("/waitlist/<int:entry_id>/leave")
@role_required(Role.CUSTOMER)
def leave(entry_id: int) -> Response:
    on_refusal(lambda error: back_to_mine(error, "danger"))
    left = offers.leave(entry_id, current_user)
    flash(_("You left the waitlist.") if left else _("You had already left that waitlist."), "success")
    return redirect(url_for(".mine"), 303)


@bp.post("/waitlist/offers/<int:offer_id>/accept")
@role_required(Role.CUSTOMER)
def accept(offer_id: int) -> Response:
    def refused(error: DomainError) -> Response:
        if isinstance(error, CartItemInvalid):  # an intake answer missing or wrong, or the patch-test rule: 422
            flash(error.message, "danger")
            return _mine_page(status=422, answered=request.form)
        return back_to_mine(error, "warning")

    on_refusal(refused)
    order = offers.accept(offer_id, current_user, answers=request.form)
    flash(_("The time is yours to book: pay to confirm it."), "success")
    return redirect(url_for("booking.order", order_id=order.id), 303)


@bp.post("/waitlist/offers/<int:offer_id>/decline")
@role_required(Role.CUSTOMER)
def decline(offer_id: int) -> Response:
    on_refusal(lambda error: back_to_mine(error, "warning"))
    offers.decline(offer_id, current_user)
    flash(_("No problem: the time goes to the next person, and you stay in line for others."), "success")
    return redirect(url_for(".mine"), 303)


# Template globals: the booking room's pages show the waitlist without importing it.


@bp.app_template_global("waitlist_counts")
def waitlist_counts(venue_id: int, first_day: date, days: int) -> dict[date, int]:
    """People waiting per day at the venue (the provider's calendar shows them)."""
    return waitlist.count_waiting(venue_id, first_day, first_day + timedelta(days=days - 1))
