"""The booking page of one service (month, day's slots, chosen slot), built for the booking
page itself, the cart's pages and a customer's move of a booking."""

from __future__ import annotations

import calendar as month_grid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, request, url_for
from flask_babel import gettext as _

from app.booking.availability import (
    Busyness,
    busy_window,
    get_bookable_days,
    get_busy,
    get_slots,
    max_advance_days,
    min_notice_minutes,
    service_spec,
)
from app.booking.forms import MAX_QUANTITY, BadInput, format_instant, parse_day, parse_instant, parse_month
from app.booking.intake import field_name
from app.booking.policy import describe_notice, describe_service_rules
from app.booking.presenting import MEMBER_ARG, day_label, duration_label
from app.memberships.presenting import venue_memberships
from app.memberships.service import member_price
from app.platform import timefmt
from app.platform.money import format_money
from app.platform.urls import with_query
from app.slot_engine import Slot
from app.venues.addons import Choice
from app.venues.deposits import service_pay_label
from app.venues.listed import bookable_addons, bookable_option
from app.venues.models import Service, ServiceAddon, ServiceOption, TeamMember, Venue
from app.web.booking_member import member_slots, member_view, next_free_times
from app.web.guards import may_book

# HTMX asks for one part of the booking page by the id of the element it swaps.
BOOK_FRAGMENTS = {"booking-picker": "picker", "booking-slots": "slots", "slot-details": "details"}


def picked_in_url() -> tuple[date | None, date | None, datetime | None]:
    """The month, day and start time the URL names (``?month=&day=&start=``), each None when
    left out; one that can't be read is a 400 saying why."""
    try:
        month = parse_month(request.args["month"]) if "month" in request.args else None
        day = parse_day(request.args["day"]) if "day" in request.args else None
        start = parse_instant(request.args["start"]) if "start" in request.args else None
    except BadInput as exc:
        abort(400, str(exc))
    return month, day, start


def picked_option(service: Service) -> ServiceOption | None:
    """The option the URL names (``?option=<id>``); the cheapest when left out; None for a
    service without options. An id that can't be read is a 400, one that isn't this service's a
    404, each saying why."""
    raw = request.args.get("option")
    if raw is None or raw == "":
        return bookable_option(service, None)
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        abort(400, _("That option can't be read: choose one from the list."))
    return bookable_option(service, int(raw))  # another service's, or this one has none: a 404


def picked_addons(service: Service) -> tuple[ServiceAddon, ...]:
    """The add-ons the URL names (``?addons=3&addons=5``), in the service's order; none when left
    out. An id that can't be read is a 400, one that isn't this service's (or named twice) a 404,
    each saying why."""
    raw = [value for value in request.args.getlist("addons") if value != ""]
    if not all(value.isascii() and value.isdigit() and len(value) <= 12 for value in raw):
        abort(400, _("That add-on can't be read: choose one from the list."))
    if not raw:
        return ()  # the service's add-ons aren't read for nothing (a day's times: no more statements)
    return bookable_addons(service, [int(value) for value in raw])  # another service's: a 404


def picked_choice(service: Service) -> Choice:
    """What the URL books of ``service``: its option (``picked_option``) and add-ons (``picked_addons``)."""
    return Choice(option=picked_option(service), addons=picked_addons(service))


def choice_args(choice: Choice) -> dict[str, Any]:
    """The URL arguments that name ``choice`` on the booking page (``option``, ``addons``)."""
    return {
        **({"option": choice.option.id} if choice.option is not None else {}),
        **({"addons": [addon.id for addon in choice.addons]} if choice.addons else {}),
    }


def build_booking_page(
    venue: Venue,
    service: Service,
    *,
    month: date | None,
    day: date | None,
    start: datetime | None,
    now: datetime,
    error: str | None = None,
    chosen: dict[str, Any] | None = None,
    with_calendar: bool = True,
    choice: Choice | None = None,
    member: TeamMember | None = None,
    member_gone: bool = False,
    with_next_free: bool = False,
) -> dict[str, Any]:
    """Calendar, the chosen day's times and the chosen time's form, as plain values.

    Without ``with_calendar`` the month grid (a slot count for every day) is left out.
    ``choice``: what is booked of the service, its option and add-ons (their length gives the
    times; None: the service as it is). ``member``: the person asked for (``picked_member``):
    the calendar and the day show only their free times, the form picks them, every link keeps
    them, and ``with_next_free`` adds their next few free times (the whole page only).
    ``member_gone``: the person asked for has left the team (the page says so)."""
    choice = choice or Choice()
    member_id = member.id if member is not None else None
    option = choice.option
    zone = timefmt.venue_zone(venue)
    today = now.astimezone(zone).date()
    last_day = (now + timedelta(days=max_advance_days(service))).astimezone(zone).date()
    if start is not None:
        day = start.astimezone(zone).date()
    month = month or (day or today).replace(day=1)
    month = min(max(month, today.replace(day=1)), last_day.replace(day=1))
    # One read of bookings and blocks serves the month's grid and the chosen day's times.
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    shown = [*([max(month, today), month_end] if with_calendar else []), *([day] if day else [])]
    window = busy_window(min(shown), (max(shown) - min(shown)).days + 1) if shown else None
    busy = get_busy(venue.id, service_spec(service, choice=choice), *window) if window else None
    every_slot, day_message = day_slots(service, day, today=today, last_day=last_day, now=now, busy=busy, choice=choice)
    # With a person asked for, the day offers their free times only (the engine says who is free at each).
    slots = every_slot if member_id is None else [s for s in every_slot if member_id in s.team_member_ids]
    if member is not None and day and every_slot and not slots:
        day_message = _(
            "%(name)s has no free times on %(day)s. Try another day, or see everyone's times.",
            name=member.name,
            day=day_label(day),
        )
    # A chosen time still free with someone else shows its form (the person isn't picked then).
    slot = next((s for s in every_slot if s.start == start), None) if start else None
    minutes, price_minor = choice.minutes(service), choice.price_minor(service)
    member_args = {MEMBER_ARG: member_id} if member_id is not None else {}
    chosen_args = {**choice_args(choice), **member_args}
    addon_args = {"addons": [addon.id for addon in choice.addons]} if choice.addons else {}

    book_path = url_for(".book", slug=venue.slug, service_id=service.id)

    def link(**args: Any) -> str:  # one per day of the month and per free time: the path built once
        return with_query(book_path, {**chosen_args, **args})

    # Switching option (or add-ons) keeps the month and day looked at (a chosen time may not fit
    # the other length), and the add-ons (or option) chosen.
    kept = {"month": month.strftime("%Y-%m"), **({"day": day.isoformat()} if day else {})}
    # "Anyone available": the same option, add-ons, month, day and time, for everyone.
    everyone_args = {**choice_args(choice), **kept, **({"start": format_instant(start)} if start else {})}
    next_free = (
        next_free_times(
            service, member_id, today=today, last_day=last_day, now=now, choice=choice, busy=busy, window=window
        )
        if member_id is not None and with_next_free
        else None
    )

    return {
        "venue": {"name": venue.name, "url": url_for("venues_public.venue_page", slug=venue.slug)},
        "service": {
            "id": service.id,
            "name": service.name,
            "option": option.name if option is not None else None,
            "option_id": option.id if option is not None else None,
            "addons": [addon.name for addon in choice.addons],  # "Massage · 90 min + Hot stones"
            "addon_ids": [addon.id for addon in choice.addons],
            "description": service.description,
            "price": format_money(price_minor, service.currency),
            # The venue's best member's discount on this price (app/memberships): the same for
            # every visitor, like the venue page's line; one statement, on the whole page only.
            "member_price": member_line(venue.id, price_minor, service.currency) if with_calendar else None,
            "duration": duration_label(minutes),
            "policy": describe_service_rules(service),
            "notice": describe_notice(min_notice_minutes(service), max_advance_days(service)),
            "payment": service_pay_label(service, price_minor=price_minor),
        },
        "options": [
            {
                "id": o.id,
                "name": o.name,
                "duration": duration_label(o.duration_minutes),
                "price": format_money(o.price_minor, service.currency),
                "url": url_for(
                    ".book", slug=venue.slug, service_id=service.id, option=o.id, **addon_args, **member_args, **kept
                ),
                "selected": option is not None and o.id == option.id,
            }
            for o in service.options
        ],
        # The add-ons as a small GET form of checkboxes: the URL carries them, the times fit them.
        # Shown in the page's header, so read with the month only (not for a day's times or a form).
        "addons": {
            "action": url_for(".book", slug=venue.slug, service_id=service.id),
            "kept": [
                *kept.items(),
                *([("option", option.id)] if option is not None else []),
                *member_args.items(),
            ],
            "choices": [
                {
                    "id": a.id,
                    "name": a.name,
                    "price": format_money(a.price_minor, service.currency),
                    "minutes": duration_label(a.extra_minutes) if a.extra_minutes else None,
                    "checked": a in choice.addons,
                }
                for a in service.addons
            ],
        }
        if with_calendar and service.addons
        else None,
        "timezone": zone.key,
        "member": member_view(venue, service, member, next_free, zone, link, everyone=everyone_args)
        if member is not None
        else None,
        "member_gone": member_gone,
        "calendar": month_calendar(
            service,
            month,
            today=today,
            last_day=last_day,
            selected=day,
            now=now,
            link=link,
            busy=busy,
            choice=choice,
            member_id=member_id,
        )
        if with_calendar
        else None,
        "day": day.isoformat() if day else None,
        "day_label": day_label(day) if day else None,
        "day_message": day_message,
        "clock_change": timefmt.clock_change_note(day, zone) if day and slots else None,
        "slots": [
            {
                "time": timefmt.clock_label(s.start, zone),
                "remaining": s.remaining,
                "url": link(month=month.strftime("%Y-%m"), day=day.isoformat(), start=format_instant(s.start)),
                "selected": s.start == start,
            }
            for s in slots
        ],
        "choice": slot_choice(venue, service, slot, zone, chosen, preferred=member_id) if slot else None,
        "start_missing": start is not None and slot is None,
        "may_book": may_book(),
        "error": error,
        "added": None,
        "retry_url": link(month=month.strftime("%Y-%m"), day=day.isoformat()) if day else link(),
        # The waitlist for this day (a full day, or none of its times suits), or for any day.
        "waitlist_url": url_for(
            "waitlist.join_form", service_id=service.id, **({"day": day.isoformat()} if day else {})
        ),
        "can_wait": bool(day) and today <= day <= last_day and may_book(),
        "questions": intake_questions(service, (chosen or {}).get("answers") or {}),
        "patch_test": patch_test_offer(venue, service),
    }


def intake_questions(service: Service, answers: dict[str, str]) -> list[dict[str, Any]]:
    """The service's intake questions as the booking form asks them, with what was typed."""
    return [
        {
            "field": field_name(q),
            "text": q.text,
            "kind": q.kind,
            "options": list(q.options or []),
            "required": q.required,
            "value": answers.get(field_name(q), ""),
        }
        for q in service.questions
    ]


def patch_test_offer(venue: Venue, service: Service) -> dict[str, Any] | None:
    """The patch test this service needs first, with a link to book it."""
    patch = service.patch_test_service
    if patch is None or not patch.is_active:
        return None
    return {
        "name": patch.name,
        "hours": service.patch_test_min_hours,
        "url": url_for("booking.book", slug=venue.slug, service_id=patch.id),
    }


def day_slots(
    service: Service,
    day: date | None,
    *,
    today: date,
    last_day: date,
    now: datetime,
    busy: Busyness | None = None,
    choice: Choice | None = None,
) -> tuple[list[Slot], str | None]:
    if day is None:
        return [], None
    if day < today:
        return [], "That day has passed. Choose today or a later day."
    if day > last_day:
        days = max_advance_days(service)
        return [], f"Bookings open up to {days} days ahead. Choose an earlier day."
    slots = get_slots(service, day, now=now, busy=busy, choice=choice)
    if not slots:
        return [], f"No times left on {day_label(day)}: it's fully booked or closed. Try another day."
    return slots, None


def month_calendar(
    service: Service,
    month: date,
    *,
    today: date,
    last_day: date,
    selected: date | None,
    now: datetime,
    link: Any,
    busy: Busyness | None = None,
    choice: Choice | None = None,
    member_id: int | None = None,
) -> dict[str, Any]:
    """A month grid (Monday first) with each bookable day's number of free times (as long as
    ``choice``; with ``member_id``: the times that team member is free)."""
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    first, last = max(month, today), min(month_end, last_day)
    if first > last:
        counts: dict[date, int] = {}
    elif member_id is None:
        counts = get_bookable_days(service, first, (last - first).days + 1, now=now, busy=busy, choice=choice)
    else:
        counts = {
            d: len(member_slots(service, d, member_id, now=now, busy=busy, choice=choice))
            for d in (first + timedelta(days=n) for n in range((last - first).days + 1))
        }

    def free_times(d: date) -> str | None:
        free = counts.get(d, 0)
        return f"{free} time{'s' if free != 1 else ''} free" if free else None

    return month_grid_of(month, today=today, last_day=last_day, selected=selected, link=link, open_status=free_times)


def month_grid_of(
    month: date,
    *,
    today: date,
    last_day: date,
    selected: date | None,
    link: Any,
    open_status: Callable[[date], str | None],
) -> dict[str, Any]:
    """The month grid of booking/_month_grid.html, Monday first: a day from ``today`` to ``last_day``
    whose ``open_status`` says something ("3 times free") is a link labelled with it; a day before
    today is "past"; the others are full. The booking page's calendar and the visit page's."""
    month_end = month.replace(day=month_grid.monthrange(month.year, month.month)[1])
    key = month.strftime("%Y-%m")
    weeks = []
    for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        cells: list[dict[str, Any] | None] = []
        for d in week:
            if d.month != month.month:
                cells.append(None)
                continue
            status = open_status(d) if today <= d <= last_day else None
            state = "past" if d < today else ("open" if status else "full")
            status = "past" if state == "past" else status
            cells.append(
                {
                    "number": d.day,
                    "iso": d.isoformat(),
                    "state": state,
                    "label": f"{day_label(d)}, {status}" if status else day_label(d),
                    "url": link(month=key, day=d.isoformat()) if state == "open" else None,
                    "selected": d == selected,
                    "today": d == today,
                }
            )
        weeks.append(cells)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = month_end + timedelta(days=1)
    return {
        "label": timefmt.day_words(month, "MMMM yyyy"),
        "weekdays": [timefmt.day_words(date(2024, 1, 1 + i), "EEE") for i in range(7)],  # Monday first
        "weeks": weeks,
        "previous_url": link(month=previous.strftime("%Y-%m")) if month > today.replace(day=1) else None,
        "next_url": link(month=following.strftime("%Y-%m")) if following <= last_day else None,
        "has_free_days": any(cell and cell["state"] == "open" for week in weeks for cell in week),
    }


def slot_choice(
    venue: Venue,
    service: Service,
    slot: Slot,
    zone: ZoneInfo,
    chosen: dict[str, Any] | None,
    *,
    preferred: int | None = None,
) -> dict[str, Any]:
    """The form for one free time: who (any, or a free team member; ``preferred`` picked when
    free and nothing else was chosen) and how many."""
    free = set(slot.team_member_ids)
    chosen = chosen or {}
    if preferred is not None and preferred in free and not chosen.get("member_id"):
        chosen = {**chosen, "member_id": preferred}
    return {
        "label": timefmt.span_label(slot.start, slot.end, zone),
        "starts_at": format_instant(slot.start),
        "members": [{"id": m.id, "name": m.name} for m in venue.team if m.id in free],
        "max_quantity": min(slot.remaining, MAX_QUANTITY),
        "remaining": slot.remaining,
        "quantity": chosen.get("quantity") or 1,
        "member_id": chosen.get("member_id"),
    }


def member_line(venue_id: int, price_minor: int, currency: str) -> str | None:
    """ "£72.00 for Calm club members", or None when the venue's memberships give no discount."""
    offer = venue_memberships(venue_id)["member_offer"]
    if offer is None:
        return None
    price = format_money(member_price(price_minor, offer["percent"]), currency)
    return _("%(price)s for %(plan)s members", price=price, plan=offer["name"])
