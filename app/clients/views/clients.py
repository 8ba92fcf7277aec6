"""The provider's client book and the front desk's "New booking" and "New visit" (routes on the
venues_dashboard blueprint, under /provider). Every client is looked up inside the provider's
own venue: another venue's client id is a 404, like an unknown one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.booking.availability import get_slots
from app.booking.calendar_forms import CalendarQuery, TimeBlockForm
from app.booking.presenting import booked_service, duration_label
from app.clients import service as clients
from app.clients.desk import book_at_desk, desk_services, venue_today
from app.clients.forms import (
    BlockForm,
    ClientContactForm,
    ClientNotesForm,
    DeskBookingForm,
    DeskChoice,
    is_client_id,
    parse_page,
    parse_query,
    pick_member,
    read_desk_choice,
)
from app.clients.models import VenueClient
from app.packages import service as packages
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import clock_label, moment_label, venue_zone
from app.venues.addons import Choice
from app.venues.hours import parse_minute
from app.venues.models import Service, Venue
from app.venues.options import standard_option
from app.web.blueprints import dashboard as bp
from app.web.calendar_page import _calendar_page, _read_query
from app.web.client_profile import profile
from app.web.form_ids import prefix_ids
from app.web.guards import EVERYONE, FRONT_DESK, acting_member_scope, venue_required
from app.web.rendering import add_toast, after_change, is_htmx, render_page
from app.web.unit_of_work import on_refusal

# What the desk's "New booking" link may preselect (the calendar's empty slots link to it); the
# add-ons (``addons``, repeated) are read beside them.
DESK_ARGS = ("date", "service", "option", "member", "client_id", "starts_at", "time")
# The parts of the desk's page HTMX asks for: the option, add-ons and times of a service just
# picked, or the times alone (another member, day, option or add-on).
DESK_PARTS = ("choice", "times")
# What the calendar's "New" dialog (templates/booking/calendar/_new_dialog.html) asks for besides
# (``part``): the desk's form alone ("dialog"), or the calendar's block form ("block"), filled in
# from the clicked time; and which calendar to show again once booked (its view and filters).
DIALOG_PARTS = ("dialog", "block")
CALENDAR_ARGS = ("cal_view", "cal_member", "cal_service")
BLOCK_MINUTES = 60  # a block from the grid lasts an hour unless changed


def _now() -> datetime:
    return datetime.now(UTC)


def _query_text() -> str:
    try:
        return parse_query(request.args.get("q"))
    except ValueError as exc:
        abort(400, str(exc))


def _page_number() -> int:
    try:
        return parse_page(request.args.get("page"))
    except ValueError as exc:
        abort(400, str(exc))


# -- the client book ---------------------------------------------------------------------------------


@bp.get("/clients")
@venue_required(roles=EVERYONE)  # a practitioner sees only the clients they have a booking with
def client_list(venue: Venue):
    q, page = _query_text(), _page_number()
    listing = clients.list_clients(venue.id, q=q, page=page, now=_now(), member_id=acting_member_scope())
    zone = venue_zone(venue)
    return render_page(
        "clients/list.html",
        "results",
        venue=venue,
        q=q,
        listing=listing,
        money=lambda minor, currency: format_money(minor, currency or venue_currency(venue)),
        when=lambda moment: moment_label(moment, zone) if moment else "",
    )


def venue_currency(venue: Venue) -> str:
    return next((s.currency for s in venue.services), "GBP")


def _card(venue: Venue, client: VenueClient, *, status: int = 200, error: str | None = None, **form: Any):
    """The client's profile (app/web/client_profile.py), with what was typed when refused."""
    return render_page(
        "clients/card.html",
        "card",
        status=status,
        venue=venue,
        client=client,
        **profile(venue, client, now=_now()),
        error=error,
        notes_value=form.get("notes", client.notes),
        tags_value=form.get("tags", ", ".join(client.tags or [])),
        reason_value=form.get("reason", ""),
        contact=form.get("contact")
        or {
            "name": client.name,
            "email": client.email or "",
            "phone": client.phone or "",
            "birthday": client.birthday.isoformat() if client.birthday else "",
        },
        editing=bool(form.get("contact")),
    )


@bp.get("/clients/<int:client_id>")
@venue_required(roles=EVERYONE)  # another practitioner's client is not found for a practitioner
def client_card(venue: Venue, client_id: int):
    return _card(venue, clients.get_client(venue.id, client_id, member_id=acting_member_scope()))


def _changed(venue: Venue, client: VenueClient, message: str):
    return after_change(
        message, lambda: _card(venue, client), url_for("venues_dashboard.client_card", client_id=client.id)
    )


# Notes, tags and a block's reason are the service's to check (app/clients/service.py): a refusal
# shows the card again with the message and what was typed, and nothing is kept.


@bp.post("/clients/<int:client_id>/notes")
@venue_required(roles=FRONT_DESK)
def save_client_notes(venue: Venue, client_id: int):
    client = clients.get_client(venue.id, client_id, for_update=True)
    form = ClientNotesForm()
    notes, tags = form.notes.data, form.tags.data
    on_refusal(lambda refusal: _card(venue, client, error=refusal.message, notes=notes, tags=tags))
    clients.update_notes(client, notes=notes, tags=tags)
    return _changed(venue, client, _("Notes and tags saved."))


@bp.post("/clients/<int:client_id>/contact")
@venue_required(roles=FRONT_DESK)
def save_client_contact(venue: Venue, client_id: int):
    """The desk corrects the client's name, email, phone or birthday (the audit log names who)."""
    client = clients.get_client(venue.id, client_id, for_update=True)
    form = ClientContactForm()
    typed = {"name": form.name.data, "email": form.email.data, "phone": form.phone.data, "birthday": form.birthday.data}
    on_refusal(lambda refusal: _card(venue, client, error=refusal.message, contact=typed))
    changed = clients.update_contact(
        client, **typed, actor=current_user, today=_now().astimezone(venue_zone(venue)).date()
    )
    return _changed(
        venue, client, _("Details saved.") if changed else _("Nothing to change: the details are as they were.")
    )


@bp.post("/clients/<int:client_id>/block")
@venue_required(roles=FRONT_DESK)
def block_client(venue: Venue, client_id: int):
    client = clients.get_client(venue.id, client_id, for_update=True)
    reason = BlockForm().reason.data
    on_refusal(lambda refusal: _card(venue, client, error=refusal.message, reason=reason))
    clients.block(client, reason=reason, now=_now())
    return _changed(venue, client, _("Blocked: this client can't book your venue online."))


@bp.post("/clients/<int:client_id>/unblock")
@venue_required(roles=FRONT_DESK)
def unblock_client(venue: Venue, client_id: int):
    client = clients.get_client(venue.id, client_id, for_update=True)
    clients.unblock(client)
    return _changed(venue, client, _("Unblocked: this client can book online again."))


# -- the front desk: a new booking ------------------------------------------------------------------


@bp.get("/desk/clients")
@venue_required(roles=FRONT_DESK)
def desk_client_search(venue: Venue):
    q = _query_text()
    found = clients.search_clients(venue.id, q) if q else []
    return render_page("clients/_picker_results.html", None, q=q, found=found)


def _times(
    venue: Venue, service: Service | None, day: date, member_id: int | None, choice: Choice
) -> list[dict[str, str]]:
    if service is None:
        return []
    zone = venue_zone(venue)
    return [
        {"value": slot.start.isoformat(), "label": clock_label(slot.start, zone), "at": slot.start.astimezone(zone)}
        for slot in get_slots(service, day, now=_now(), choice=choice)
        if member_id is None or member_id in slot.team_member_ids
    ]


def _from_clicked(times: list[dict[str, Any]], clicked: str) -> list[dict[str, Any]]:
    """The calendar grid's click (``time``, HH:MM on the picked day): the free times from that
    minute on, the clicked one first (all of them when it isn't a time or none is left)."""
    try:
        minute = parse_minute(clicked)
    except ValueError:
        return times
    later = [t for t in times if t["at"].hour * 60 + t["at"].minute >= minute]
    return later or times


def _one_service(venue: Venue, services: Mapping[int, Service], member_id: int | None) -> Service | None:
    """The service a click on a team member's column means when there is only one it can be:
    the venue's only service, or the only one that member performs."""
    if len(services) == 1:
        return next(iter(services.values()))
    member = next((m for m in venue.team if m.id == member_id), None)
    theirs = [s for s in member.services if s.id in services] if member is not None else []
    return theirs[0] if len(theirs) == 1 else None


def _extras(choice: DeskChoice) -> dict[str, Any]:
    """The picked service's options (one selected: the one picked, else its standard one) and
    add-ons (those picked checked), and what the choice comes to in all."""
    service = choice.service
    if service is None:
        return {"options": [], "addons": [], "in_all": None}
    picked, money = choice.booked(), lambda minor: format_money(minor, service.currency)
    selected = choice.option or standard_option(service)
    return {
        "options": [
            {
                "id": o.id,
                "label": _(
                    "%(name)s (%(duration)s, %(price)s)",
                    name=o.name,
                    duration=duration_label(o.duration_minutes),
                    price=money(o.price_minor),
                ),
                "selected": selected is not None and o.id == selected.id,
            }
            for o in service.options
        ],
        "addons": [
            {
                "id": a.id,
                "label": _(
                    "%(name)s (+%(price)s, +%(duration)s)",
                    name=a.name,
                    price=money(a.price_minor),
                    duration=duration_label(a.extra_minutes),
                )
                if a.extra_minutes
                else _("%(name)s (+%(price)s)", name=a.name, price=money(a.price_minor)),
                "checked": a in choice.addons,
            }
            for a in service.addons
        ],
        "in_all": _(
            "In all: %(duration)s, %(price)s.",
            duration=duration_label(picked.minutes(service)),
            price=money(picked.price_minor(service)),
        ),
    }


def _desk_form(
    venue: Venue,
    values: Mapping[str, Any],
    *,
    status: int = 200,
    error: str | None = None,
    field_errors: Mapping[str, list[str]] | None = None,
):
    """The desk's form with ``values`` (what the link preselects, or what was typed), the times
    the slot engine offers for the picked day, service and member, each field's problems
    (``field_errors``) and a refusal's ``error``, if any. Asked from the calendar's dialog
    (``in_dialog``), only the form (the ``desk_form`` block)."""
    services = desk_services(venue)
    if values.get("time") and not values.get("service"):  # a click on the grid: its one service, if any
        try:
            member_id = pick_member(values.get("member"), venue)
        except ValueError:
            member_id = None
        only = _one_service(venue, services, member_id)
        values = {**values, "service": str(only.id)} if only is not None else values
    choice = read_desk_choice(values, venue=venue, services=services, today=venue_today(venue))
    if choice.problem and not error and not field_errors:
        error, status = choice.problem, 400 if status == 200 else status
    chosen_client = None
    if is_client_id(values.get("client_id")):
        chosen_client = db.session.scalar(
            select(VenueClient).where(VenueClient.id == int(values["client_id"]), VenueClient.venue_id == venue.id)
        )
    times = _times(venue, choice.service, choice.day, choice.member_id, choice.booked()) if choice.day else []
    if values.get("time"):
        times = _from_clicked(times, values["time"])
        if times and not values.get("starts_at"):
            values = {**values, "starts_at": times[0]["value"]}  # the clicked time, or the next free one
    part = request.args.get("part")
    in_dialog = values.get("in_dialog") == "1"
    return render_page(
        "clients/desk.html",
        part if part in DESK_PARTS else "desk_form" if in_dialog else None,
        status=status,
        venue=venue,
        services=list(services.values()),
        service=choice.service,
        day=choice.day or venue_today(venue),
        member_id=choice.member_id,
        times=times,
        **_extras(choice),
        values=values,
        chosen_client=chosen_client,
        error=error,
        field_errors=field_errors or {},
        in_dialog=in_dialog,
    )


def _calendar_query(venue: Venue, values: Mapping[str, Any], day: date) -> CalendarQuery:
    """The calendar the dialog was opened on (its view and filters), at ``day``; its day view
    when those can't be read."""
    args = {
        "view": values.get("cal_view") or "day",
        "date": day.isoformat(),
        "member": values.get("cal_member") or "",
        "service": values.get("cal_service") or "",
    }
    try:
        return _read_query(venue, args)
    except ValueError:
        return CalendarQuery("day", day)


def _clock(minute: int) -> str:
    return f"{minute // 60 % 24:02d}:{minute % 60:02d}"  # 1440, the next midnight, is "00:00"


def _block_dialog(venue: Venue, values: Mapping[str, Any]):
    """The dialog's "Block time": the calendar's block form (its route is add_block in
    app/booking/views/calendar.py) with the clicked day, time (for an hour, to midnight at the
    latest) and member filled in, its ids its own (the side panel has the same form)."""
    try:
        day = date.fromisoformat(values.get("date") or "")
    except ValueError:
        day = venue_today(venue)
    try:
        start = parse_minute(values.get("time") or "")
    except ValueError:
        start = None
    try:
        member_id = pick_member(values.get("member"), venue)
    except ValueError:
        member_id = None
    form = TimeBlockForm(
        formdata=None,
        date=day,
        start=_clock(start) if start is not None else "",
        end=_clock(min(start + BLOCK_MINUTES, 24 * 60)) if start is not None else "",
        team_member_id=str(member_id) if member_id is not None else "",
    )
    form.set_team(venue.team)
    return render_page(
        "booking/calendar/_block_form.html",
        None,
        venue=venue,
        query=_calendar_query(venue, values, day),
        block_form=prefix_ids(form, "new-"),
        block_box="new-block-form",
    )


@bp.get("/desk/new")
@venue_required(roles=FRONT_DESK)
def desk_new(venue: Venue):
    values: dict[str, Any] = {key: request.args.get(key, "") for key in DESK_ARGS}
    values["addons"] = request.args.getlist("addons")
    part = request.args.get("part") if is_htmx() else None  # the dialog's parts are fetched by htmx
    if part in DIALOG_PARTS:  # the calendar's dialog: which calendar it was opened on
        values.update({key: request.args.get(key, "") for key in CALENDAR_ARGS}, in_dialog="1")
    if part == "block":
        return _block_dialog(venue, values)
    return _desk_form(venue, values)


def _booked_in_dialog(venue: Venue, values: Mapping[str, Any], day: date, booking_id: int, message: str):
    """Booked from the calendar's dialog: the calendar the dialog was opened on, at the booking's
    day, in place of the old one, the message as a toast (calendar.js closes the dialog and puts
    the focus on the booking drawn)."""
    query = _calendar_query(venue, values, day)
    response = _calendar_page(venue, query)
    response.headers["HX-Trigger"] = json.dumps({"cw:calendar-booked": {"booking": booking_id}})
    response.headers.update(
        {
            "HX-Retarget": "#calendar",
            "HX-Reswap": "outerHTML",
            "HX-Push-Url": url_for("venues_dashboard.calendar", **query.args()),
        }
    )
    return add_toast(response, message)


@bp.post("/desk/new")
@venue_required(roles=FRONT_DESK)
def desk_create(venue: Venue):
    form = DeskBookingForm(venue=venue, services=desk_services(venue))
    typed = {
        **form.values(),
        "return": "calendar" if request.form.get("return") == "calendar" else "",
        "in_dialog": "1" if request.form.get("in_dialog") == "1" and is_htmx() else "",
        **{key: request.form.get(key, "") for key in CALENDAR_ARGS},
    }
    if not form.validate():
        problems = form.field_errors()  # every one, each beside its field
        error = None if problems else form.first_error()
        return _desk_form(venue, typed, status=422, field_errors=problems, error=error)
    on_refusal(lambda refusal: _desk_form(venue, typed, error=refusal.message))  # one message at the top
    client = clients.desk_client(venue.id, **form.client_fields())
    now = _now()
    covered: list = []  # the client's package sessions this booking used (app/packages)

    def use_packages(order) -> None:
        if not form.pay_by_link:  # a link is for money; a package pays nothing by link
            covered.extend(packages.cover(order, now=now))

    booking = book_at_desk(
        venue,
        client,
        service_id=form.chosen_service.id,
        starts_at=form.start,
        team_member_id=form.member_id,
        staff=current_user._get_current_object(),
        now=now,
        pay_by_link=form.pay_by_link,
        option_id=form.chosen_option.id if form.chosen_option is not None else None,
        addon_ids=[addon.id for addon in form.chosen_addons],
        settle=use_packages,
    )
    if covered:
        message = _(
            "Booked %(service)s for %(name)s, %(when)s, with their package “%(package)s”. %(amount)s to pay at the "
            "venue.",
            service=booked_service(booking),
            name=client.name,
            when=moment_label(booking.starts_at, venue_zone(venue)),
            package=covered[0].holding.name,
            amount=format_money(booking.at_venue_minor, booking.currency),
        )
    elif form.pay_by_link:
        message = _(
            "Booked %(service)s for %(name)s, %(when)s. We've sent them a payment link for %(amount)s; "
            "until they pay, it is due at the venue.",
            service=booked_service(booking),  # "Massage (90 min) + Hot stones": as booked
            name=client.name,
            when=moment_label(booking.starts_at, venue_zone(venue)),
            amount=format_money(booking.at_venue_minor, booking.currency),
        )
    else:
        message = _(
            "Booked %(service)s for %(name)s, %(when)s. %(amount)s to pay at the venue.",
            service=booked_service(booking),  # "Massage (90 min) + Hot stones": as booked
            name=client.name,
            when=moment_label(booking.starts_at, venue_zone(venue)),
            amount=format_money(booking.at_venue_minor, booking.currency),
        )
    day = booking.starts_at.astimezone(venue_zone(venue)).date()
    if typed["in_dialog"]:  # booked in the calendar's dialog: the calendar again, the booking drawn
        return _booked_in_dialog(venue, typed, day, booking.id, message)
    flash(message, "success")
    if request.form.get("return") == "calendar":  # booked from the grid: back to it, the booking drawn
        return redirect(url_for("venues_dashboard.calendar", view="day", date=day.isoformat()))
    return redirect(url_for("venues_dashboard.booking_details", booking_id=booking.id))
