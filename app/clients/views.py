"""The provider's client book and the front desk's "New booking" (routes on the
venues_dashboard blueprint, under /provider). Every client is looked up inside the provider's
own venue: another venue's client id is a 404, like an unknown one."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.booking.availability import get_slots
from app.booking.errors import SlotUnavailable
from app.booking.intake import answers_for_bookings
from app.booking.lifecycle import STATUS_LABELS
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.clients.models import VenueClient
from app.ops.errors import http_status
from app.platform.errors import DomainError, ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import clock_label, moment_label, venue_zone
from app.venues.models import Service, Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import EVERYONE, FRONT_DESK, acting_member_scope, venue_required
from app.web.rendering import add_toast, is_htmx, render_page

_ID = re.compile(r"\d{1,9}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_QUERY = 100
# How a desk booking is paid: at the venue, or online by a payment link (app/payments/desk_links.py).
PAYMENT_CHOICES = ("at_venue", "link")
BOOK_AHEAD_DAYS = 366


def _now() -> datetime:
    return datetime.now(UTC)


def _query_text() -> str:
    q = (request.args.get("q") or "").strip()
    if len(q) > MAX_QUERY:
        abort(400, _("Search for at most %(num)d characters.", num=MAX_QUERY))
    return q


def _page_number() -> int:
    raw = (request.args.get("page") or "1").strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 10_000:
        abort(400, _("That page number is not valid."))
    return int(raw)


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


def latest_answers(booked: list) -> list[dict[str, str]]:
    """The client's intake answers, each question once, as answered at their latest booking
    (``booked`` is newest first)."""
    answers = answers_for_bookings(b.id for b in booked)
    latest: dict[str, dict[str, str]] = {}
    for booking in booked:
        for answer in answers.get(booking.id, []):
            latest.setdefault(answer["question"], answer)
    return list(latest.values())


def venue_currency(venue: Venue) -> str:
    return next((s.currency for s in venue.services), "GBP")


def _card(venue: Venue, client: VenueClient, *, status: int = 200, error: str | None = None, **form: Any):
    zone = venue_zone(venue)
    figures = clients.client_figures(venue.id, client.id, now=_now())
    booked = clients.history(client)
    history = [
        {
            "booking": b,
            "when": moment_label(b.starts_at, zone),
            "status": STATUS_LABELS.get(b.status, b.status),
            "price": format_money(b.total_minor, b.currency),
        }
        for b in booked
    ]
    return render_page(
        "clients/card.html",
        "card",
        status=status,
        venue=venue,
        client=client,
        figures=figures,
        spend=format_money(figures.spend_minor, figures.currency or venue_currency(venue)),
        last_visit=moment_label(figures.last_visit, zone) if figures.last_visit else None,
        next_visit=moment_label(figures.next_visit, zone) if figures.next_visit else None,
        blocked_at=moment_label(client.blocked_at, zone) if client.blocked_at else None,
        history=history,
        intake_answers=latest_answers(booked),
        error=error,
        notes_value=form.get("notes", client.notes),
        tags_value=form.get("tags", ", ".join(client.tags or [])),
        reason_value=form.get("reason", ""),
    )


@bp.get("/clients/<int:client_id>")
@venue_required(roles=EVERYONE)  # another practitioner's client is not found for a practitioner
def client_card(venue: Venue, client_id: int):
    return _card(venue, clients.get_client(venue.id, client_id, member_id=acting_member_scope()))


def _changed(venue: Venue, client: VenueClient, message: str):
    db.session.commit()
    if is_htmx():
        return add_toast(_card(venue, client), message)
    flash(message, "success")
    return redirect(url_for("venues_dashboard.client_card", client_id=client.id))


@bp.post("/clients/<int:client_id>/notes")
@venue_required(roles=FRONT_DESK)
def save_client_notes(venue: Venue, client_id: int):
    client = clients.get_client(venue.id, client_id, for_update=True)
    notes, tags = request.form.get("notes", ""), request.form.get("tags", "")
    try:
        clients.update_notes(client, notes=notes, tags=tags)
    except ValidationFailed as exc:
        db.session.rollback()
        client = clients.get_client(venue.id, client_id)
        return _card(venue, client, status=422, error=exc.message, notes=notes, tags=tags)
    return _changed(venue, client, _("Notes and tags saved."))


@bp.post("/clients/<int:client_id>/block")
@venue_required(roles=FRONT_DESK)
def block_client(venue: Venue, client_id: int):
    client = clients.get_client(venue.id, client_id, for_update=True)
    reason = request.form.get("reason", "")
    try:
        clients.block(client, reason=reason, now=_now())
    except ValidationFailed as exc:
        db.session.rollback()
        client = clients.get_client(venue.id, client_id)
        return _card(venue, client, status=422, error=exc.message, reason=reason)
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


def _services(venue: Venue) -> list[Service]:
    return sorted((s for s in venue.services if s.is_active), key=lambda s: s.name.lower())


def _pick(raw: str | None, allowed: dict[int, Any], message: str) -> Any:
    if raw is None or not _ID.fullmatch(raw.strip()) or int(raw) not in allowed:
        raise ValidationFailed(message)
    return allowed[int(raw)]


def _day(raw: str | None, venue: Venue) -> date:
    today = _now().astimezone(venue_zone(venue)).date()
    if not raw:
        return today
    if not _DAY.fullmatch(raw.strip()):
        raise ValidationFailed(_("Enter the date as YYYY-MM-DD."))
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed(_("Enter the date as YYYY-MM-DD.")) from None
    if not today <= day <= today + timedelta(days=BOOK_AHEAD_DAYS):
        raise ValidationFailed(_("Pick a date from today to a year ahead."))
    return day


def _member(raw: str | None, venue: Venue) -> int | None:
    if raw in (None, "", "any"):
        return None
    return _pick(raw, {m.id: m for m in venue.team}, _("Pick a team member of your venue, or “Any”.")).id


def _times(venue: Venue, service: Service | None, day: date, member_id: int | None) -> list[dict[str, str]]:
    if service is None:
        return []
    zone = venue_zone(venue)
    return [
        {"value": slot.start.isoformat(), "label": clock_label(slot.start, zone)}
        for slot in get_slots(service, day, now=_now())
        if member_id is None or member_id in slot.team_member_ids
    ]


def _desk_form(venue: Venue, *, status: int = 200, error: str | None = None, values: dict[str, str] | None = None):
    values = values or {}
    services = _services(venue)
    by_id = {s.id: s for s in services}
    service, day, member_id = None, None, None
    problems: list[str] = [error] if error else []
    try:
        day = _day(values.get("date"), venue)
        if values.get("service"):
            service = _pick(values.get("service"), by_id, _("Pick one of your venue's services."))
        member_id = _member(values.get("member"), venue)
    except ValidationFailed as exc:
        if not error:
            problems.append(exc.message)
            status = 400 if status == 200 else status
    chosen_client = None
    if values.get("client_id") and _ID.fullmatch(values["client_id"]):
        chosen_client = db.session.scalar(
            select(VenueClient).where(VenueClient.id == int(values["client_id"]), VenueClient.venue_id == venue.id)
        )
    return render_page(
        "clients/desk.html",
        "times" if request.args.get("part") == "times" else None,
        status=status,
        venue=venue,
        services=services,
        service=service,
        day=day or _now().astimezone(venue_zone(venue)).date(),
        member_id=member_id,
        times=_times(venue, service, day, member_id) if day else [],
        values=values,
        chosen_client=chosen_client,
        error=" ".join(problems) or None,
    )


@bp.get("/desk/new")
@venue_required(roles=FRONT_DESK)
def desk_new(venue: Venue):
    values = {key: request.args.get(key, "") for key in ("date", "service", "member", "client_id", "starts_at")}
    return _desk_form(venue, values=values)


def _starts_at(raw: str | None) -> datetime:
    try:
        starts_at = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        raise ValidationFailed(_("Pick one of the offered times.")) from None
    if starts_at.tzinfo is None:
        raise ValidationFailed(_("Pick one of the offered times."))
    return starts_at.astimezone(UTC)


@bp.post("/desk/new")
@venue_required(roles=FRONT_DESK)
def desk_create(venue: Venue):
    keys = ("date", "service", "member", "client_id", "starts_at", "new_name", "new_email", "new_phone", "payment")
    values = {key: request.form.get(key, "") for key in keys}
    try:
        values["payment"] = values["payment"] or "at_venue"  # the form's default
        if values["payment"] not in PAYMENT_CHOICES:
            raise ValidationFailed(_("Choose how the client pays: at the venue, or by a payment link."))
        pay_by_link = values["payment"] == "link"
        service = _pick(values["service"], {s.id: s for s in _services(venue)}, _("Pick one of your venue's services."))
        member_id = _member(values["member"], venue)
        starts_at = _starts_at(values["starts_at"])
        if values["client_id"] and not _ID.fullmatch(values["client_id"]):
            raise ValidationFailed(_("Pick a client from your client book, or add a new one."))
        client = clients.desk_client(
            venue.id,
            client_id=int(values["client_id"]) if values["client_id"] else None,
            name=values["new_name"],
            email=values["new_email"],
            phone=values["new_phone"],
        )
        booking = book_at_desk(
            venue,
            client,
            service_id=service.id,
            starts_at=starts_at,
            team_member_id=member_id,
            staff=current_user._get_current_object(),
            now=_now(),
            pay_by_link=pay_by_link,
        )
    except DomainError as exc:
        db.session.rollback()
        status = 409 if isinstance(exc, SlotUnavailable) else http_status(exc)
        return _desk_form(venue, status=status, error=exc.message, values=values)
    db.session.commit()
    if pay_by_link:
        message = _(
            "Booked %(service)s for %(name)s, %(when)s. We've sent them a payment link for %(amount)s; "
            "until they pay, it is due at the venue.",
            service=booking.service.name,
            name=client.name,
            when=moment_label(booking.starts_at, venue_zone(venue)),
            amount=format_money(booking.at_venue_minor, booking.currency),
        )
    else:
        message = _(
            "Booked %(service)s for %(name)s, %(when)s. %(amount)s to pay at the venue.",
            service=booking.service.name,
            name=client.name,
            when=moment_label(booking.starts_at, venue_zone(venue)),
            amount=format_money(booking.at_venue_minor, booking.currency),
        )
    flash(message, "success")
    return redirect(url_for("venues_dashboard.booking_details", booking_id=booking.id))
