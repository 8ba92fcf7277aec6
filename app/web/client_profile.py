"""What the front desk's client profile shows (templates/clients/card.html), built in one place:
the client's figures, their bookings split into upcoming and past (each with what was paid and
what is due), the latest messages of their threads, and an activity feed that puts the bookings
made, visits, cancellations, no-shows and messages in one timeline, newest first, as Fresha's and
Phorest's client profiles do. Reads: the client's figures, their bookings (newest first), the
intake answers and the messages, a statement each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app.booking.intake import answers_for_bookings
from app.booking.lifecycle import STATUS_LABELS
from app.booking.models import Booking, BookingStatus
from app.booking.presenting import booked_service
from app.clients import service as clients
from app.clients.models import VenueClient
from app.memberships import service as memberships
from app.messages.history import latest_messages
from app.messages.models import Side
from app.packages import service as packages
from app.platform.money import format_money
from app.platform.timefmt import date_words, moment_label, venue_zone
from app.venues.deposits import booking_paid_label
from app.venues.models import Venue

FEED_LENGTH = 30
EXCERPT = 90  # characters of a message shown in the feed


@dataclass(frozen=True)
class Event:
    """One line of the activity feed."""

    at: datetime
    icon: str  # a Bootstrap icon name
    text: str
    url: str | None = None


def _booking_row(booking: Booking, zone: Any) -> dict[str, Any]:
    return {
        "booking": booking,
        "service": booked_service(booking),
        "when": moment_label(booking.starts_at, zone),
        "status": STATUS_LABELS.get(booking.status, booking.status),
        "price": format_money(booking.total_minor, booking.currency),
        "paid": booking_paid_label(booking),
        "url": url_for("venues_dashboard.booking_details", booking_id=booking.id),
    }


def _events(booked: list[Booking], messages: list, zone: Any, now: datetime) -> list[dict[str, Any]]:
    events = []
    for booking in booked:
        url = url_for("venues_dashboard.booking_details", booking_id=booking.id)
        what, when = booked_service(booking), moment_label(booking.starts_at, zone)
        events.append(
            Event(booking.created_at, "calendar-plus", _("Booked %(what)s for %(when)s", what=what, when=when), url)
        )
        if booking.status == BookingStatus.COMPLETED:
            events.append(Event(booking.starts_at, "check2-circle", _("Visited: %(what)s", what=what), url))
        elif booking.status == BookingStatus.NO_SHOW:
            events.append(Event(booking.starts_at, "person-x", _("No-show: %(what)s", what=what), url))
        elif booking.cancelled_at is not None:
            events.append(Event(booking.cancelled_at, "x-circle", _("Cancelled: %(what)s", what=what), url))
    for message in messages:
        excerpt = message.body if len(message.body) <= EXCERPT else message.body[: EXCERPT - 1] + "…"
        said = (
            _("Message from the client: %(excerpt)s", excerpt=excerpt)
            if message.sender_side == Side.CUSTOMER
            else _("Message from your venue: %(excerpt)s", excerpt=excerpt)
        )
        url = url_for("venues_dashboard.booking_details", booking_id=message.booking_id) + "#messages"
        events.append(Event(message.created_at, "chat-left-text", said, url))
    shown = sorted((e for e in events if e.at <= now), key=lambda e: e.at, reverse=True)[:FEED_LENGTH]
    return [{"when": moment_label(e.at, zone), "icon": e.icon, "text": e.text, "url": e.url} for e in shown]


def latest_answers(booked: list[Booking]) -> list[dict[str, str]]:
    """The client's intake answers, each question once, as answered at their latest booking
    (``booked`` is newest first)."""
    answers = answers_for_bookings(b.id for b in booked)
    latest: dict[str, dict[str, str]] = {}
    for booking in booked:
        for answer in answers.get(booking.id, []):
            latest.setdefault(answer["question"], answer)
    return list(latest.values())


def profile(venue: Venue, client: VenueClient, *, now: datetime) -> dict[str, Any]:
    """The profile's context (the card's template names each key)."""
    zone = venue_zone(venue)
    figures = clients.client_figures(venue.id, client.id, now=now)
    booked = clients.history(client)
    upcoming = [b for b in booked if b.starts_at >= now and b.status in (BookingStatus.CONFIRMED, BookingStatus.HELD)]
    past = [b for b in booked if b not in upcoming]
    today = now.astimezone(zone).date()
    currency = figures.currency or next((s.currency for s in venue.services), "GBP")
    return {
        "figures": figures,
        "spend": format_money(figures.spend_minor, currency),
        "last_visit": moment_label(figures.last_visit, zone) if figures.last_visit else None,
        "next_visit": moment_label(figures.next_visit, zone) if figures.next_visit else None,
        "blocked_at": moment_label(client.blocked_at, zone) if client.blocked_at else None,
        "upcoming": [_booking_row(b, zone) for b in sorted(upcoming, key=lambda b: b.starts_at)],
        "past": [_booking_row(b, zone) for b in past],
        "feed": _events(booked, latest_messages([b.id for b in booked]), zone, now),
        "intake_answers": latest_answers(booked),
        "birthday": _birthday(client.birthday, today),
        "may_block": client.user_id is not None,  # a walk-in without an account never books online
        "packages": _packages(venue, client, zone, now),
        "memberships": _memberships(venue, client, zone),
        # What the desk may sell them (a client with an account; app/packages/views/desk.py).
        "package_offers": [
            {
                "id": offer.id,
                "label": f"{offer.name} · {offer.sessions} × {offer.service.name} · "
                f"{format_money(offer.price_minor, offer.currency)}",
            }
            for offer in (packages.offers_of(venue.id) if client.user_id is not None else [])
        ],
    }


def _memberships(venue: Venue, client: VenueClient, zone) -> list[dict[str, Any]]:
    """The client's memberships of this venue (app/memberships): the plan, its state, paid until."""
    if client.user_id is None:
        return []
    return [
        {
            "name": m.name,
            "status": m.status,
            "ending": m.cancel_at_period_end,
            "until": moment_label(m.current_period_end, zone) if m.current_period_end else None,
        }
        for m in memberships.held_by(client.user_id, venue_id=venue.id)
        if m.current_period_end is not None  # joined and paid at least once
    ]


def _packages(venue: Venue, client: VenueClient, zone, now: datetime) -> list[dict[str, Any]]:
    """The client's packages bought at this venue (app/packages): sessions left and until when."""
    if client.user_id is None:  # a walk-in buys none online
        return []
    return [
        {
            "name": held.holding.name,
            "state": held.state,
            "left": held.left,
            "sessions": held.holding.sessions,
            "until": moment_label(held.holding.expires_at, zone),
        }
        for held in packages.held_by(client.user_id, now=now, venue_id=venue.id)
    ]


def _birthday(born: date | None, today: date) -> dict[str, Any] | None:
    """ "14 March" and whether it is today (29 February falls on 28 February in other years)."""
    if born is None:
        return None
    day = 28 if (born.month, born.day) == (2, 29) and not _leap(today.year) else born.day
    return {
        "label": date_words(born, "d MMMM yyyy"),
        "value": born.isoformat(),
        "today": (born.month, day) == (today.month, today.day),
    }


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
