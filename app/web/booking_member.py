"""The booking page with a person (``?with=<team member id>``, issue 47 item 5): who the URL
asks for, the times that person is free (the slot engine's own answer, kept where it names them
among the free) and their next few free times; ``app.web.booking_page`` builds the page with them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.booking.availability import Busyness, busy_window, get_busy, get_slots, service_spec
from app.booking.forms import format_instant
from app.booking.presenting import MEMBER_ARG
from app.platform import timefmt
from app.platform.extensions import db
from app.slot_engine import Slot
from app.venues.addons import Choice
from app.venues.models import Service, TeamMember, Venue

# Largest team member id the URL may name: past it, PostgreSQL's integer can't hold it.
MAX_ID = 2**31 - 1


def picked_member(venue: Venue, service: Service) -> tuple[TeamMember | None, bool]:
    """The team member the URL asks to book with (``?with=<id>``) and whether they have left.

    Left out: (None, False). An id that can't be read is a 400; another venue's team member, or
    one of this venue's who doesn't do ``service``, a 404, each saying why. An id no team member
    has any more (removed from the team: the row is gone) is (None, True): the page still works,
    for anyone, and says that person is no longer available (an old "Book with" link)."""
    raw = request.args.get(MEMBER_ARG)
    if raw is None or raw == "":
        return None, False
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        abort(400, _("That team member can't be read: choose someone from the venue's team."))
    member_id = int(raw)
    member = next((m for m in venue.team if m.id == member_id), None)  # loaded with the venue
    if member is not None:
        if service not in member.services:
            abort(404, _("%(name)s doesn't do this service: choose another person.", name=member.name))
        return member, False
    elsewhere = member_id <= MAX_ID and db.session.scalar(select(TeamMember.venue_id).where(TeamMember.id == member_id))
    if elsewhere:
        abort(404, _("That person is not on this venue's team."))
    return None, True


# "Next free times with ...": how many, looked for over how many days from today.
NEXT_FREE_TIMES = 5
NEXT_FREE_DAYS = 14


def member_slots(
    service: Service,
    day: date,
    member_id: int,
    *,
    now: datetime,
    busy: Busyness | None,
    choice: Choice,
) -> list[Slot]:
    """The free times of ``service`` on ``day`` at which team member ``member_id`` is free:
    the slot engine's times, kept where it names them among the free."""
    return [s for s in get_slots(service, day, now=now, busy=busy, choice=choice) if member_id in s.team_member_ids]


def next_free_times(
    service: Service,
    member_id: int,
    *,
    today: date,
    last_day: date,
    now: datetime,
    choice: Choice,
    busy: Busyness | None,
    window: tuple[datetime, datetime] | None,
) -> list[Slot]:
    """The first NEXT_FREE_TIMES free times of ``member_id`` over the next NEXT_FREE_DAYS days
    (up to the last bookable day). ``busy`` (read for ``window``) serves when it covers those
    days, else they are read once."""
    days = min(NEXT_FREE_DAYS, (last_day - today).days + 1)
    if days <= 0:
        return []
    needed = busy_window(today, days)
    if busy is None or window is None or not (window[0] <= needed[0] and needed[1] <= window[1]):
        busy = get_busy(service.venue.id, service_spec(service, choice=choice), *needed)
    found: list[Slot] = []
    for offset in range(days):
        found += member_slots(service, today + timedelta(days=offset), member_id, now=now, busy=busy, choice=choice)
        if len(found) >= NEXT_FREE_TIMES:
            break
    return found[:NEXT_FREE_TIMES]


def member_view(
    venue: Venue,
    service: Service,
    member: TeamMember,
    next_free: list[Slot] | None,
    zone: ZoneInfo,
    link: Callable[..., str],
    *,
    everyone: dict[str, Any],
) -> dict[str, Any]:
    """The person the page books with: their name, their next free times (each a link to its
    form) and the way back to everyone's times."""
    return {
        "id": member.id,
        "name": member.name,
        "everyone_url": url_for(".book", slug=venue.slug, service_id=service.id, **everyone),
        "next_free": [
            {
                "label": timefmt.moment_label(s.start, zone),
                "url": link(
                    month=s.start.astimezone(zone).strftime("%Y-%m"),
                    day=s.start.astimezone(zone).date().isoformat(),
                    start=format_instant(s.start),
                ),
            }
            for s in next_free
        ]
        if next_free is not None
        else None,
    }
