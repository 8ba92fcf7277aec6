"""Venue cards: what a search hit shows, with "open now" and the next free time; and the cards
for lists of venue ids that other packages keep (saved venues' lists return ids only, and the
cards are built here, above them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, text
from sqlalchemy.orm import selectinload

from app.booking.availability import Busyness, busy_window, get_bookable_days, get_busy_for_venues, get_slots
from app.discovery.params import DEFAULT_CITY
from app.payouts.accounts import NOT_TAKING_BOOKINGS
from app.platform import cache_versions
from app.platform.extensions import cache, db
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.platform.storage import media_url
from app.platform.timefmt import clock_label, day_words, venue_zone
from app.venues.hours import Range, is_open_at
from app.venues.models import Closure, OpeningHours, TeamMember, Venue
from search.pg_sql import document_from_row
from search.types import SearchHit

NEXT_FREE_DAYS = 7
NEXT_FREE_TTL = 300  # seconds a venue's next free time is reused
CARD_IMAGE_SIZE = (800, 600)  # the "card" photo variant is cropped to exactly this (app.venues.images)


def build_cards(hits: Iterable[SearchHit], *, now: datetime) -> list[dict[str, Any]]:
    """One card per hit, with "open now" and the next free time of the hits on this page only
    (none for a venue that can't take paid bookings yet: it says so instead)."""
    hits = list(hits)
    zones = {h.venue_id: h.document.timezone if h.document else DEFAULT_CITY.timezone for h in hits}
    open_now = get_open_now(zones, now)
    next_free = get_next_free([h.venue_id for h in hits if is_bookable(h)], now)
    return [venue_card(h, open_now.get(h.venue_id, False), next_free.get(h.venue_id), now) for h in hits]


def is_bookable(hit: SearchHit) -> bool:
    """Can the venue take paid bookings (as the index says: its payout account)?"""
    return hit.document is None or hit.document.bookable


def venue_card(hit: SearchHit, open_now: bool, next_free: datetime | None, now: datetime) -> dict[str, Any]:
    doc = hit.document
    bookable = is_bookable(hit)
    zone = venue_zone(doc.timezone if doc else DEFAULT_CITY.timezone)
    width, height = CARD_IMAGE_SIZE
    rating = doc.rating if doc else None
    return {
        "id": hit.venue_id,
        "name": hit.name,
        "url": url_for("venues_public.venue_page", slug=hit.slug),
        "category": (doc.category_name if doc else None) or "",
        "city": doc.city if doc else "",
        "image": (
            {"src": media_url(doc.cover_thumb), "width": width, "height": height} if doc and doc.cover_thumb else None
        ),
        "has_rating": rating is not None,
        "rating": _rating_label(rating, doc.review_count if doc else 0),
        # "from": the venue's cheapest service, or its cheapest option (app/venues/options.py).
        "price": _("from %(price)s", price=_money_label(doc.price_from, doc.currency))
        if doc and doc.price_from is not None
        else "",
        "distance": distance_label(hit.distance_km),
        "open_now": open_now,
        "open_label": "Open now" if open_now else "Closed now",
        "bookable": bookable,
        "next_free": next_free_label(next_free, zone, now) if bookable else "",
        "not_bookable": "" if bookable else str(NOT_TAKING_BOOKINGS),
        "highlight": hit.highlight,  # safe HTML: only <mark> is live (see SearchHit)
        "lat": doc.lat if doc else None,
        "lng": doc.lng if doc else None,
    }


def _rating_label(rating: float | None, reviews: int) -> str:
    if rating is None:
        return _("No reviews yet")
    return ngettext(
        "Rated %(rating)s (%(num)d review)",
        "Rated %(rating)s (%(num)d reviews)",
        reviews,
        rating=format_decimal(round(rating, 1), "0.0", locale=format_locale()),
    )


def _money_label(minor: int, currency: str) -> str:
    return format_money(minor, currency, whole_units=True)  # "£45", not "£45.00", on a card


def distance_label(km: float | None) -> str:
    if km is None:
        return ""
    return f"{format_decimal(round(km, 0 if km >= 100 else 1), '0' if km >= 100 else '0.0', locale=format_locale())} km"


def next_free_label(start: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    if start is None:
        return _("No free times in the next %(days)s days", days=NEXT_FREE_DAYS)
    local, today = start.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        day = _("Today")
    elif local.date() == today + timedelta(days=1):
        day = _("Tomorrow")
    else:
        day = day_words(local.date(), "EEE")
    return _(
        "Next free: %(day)s %(time)s", day=day, time=clock_label(local, zone)
    )  # "01:30 GMT" on a day the clocks change


def get_open_now(zones: dict[int, str], now: datetime) -> dict[int, bool]:
    """Is each venue open at ``now``, in its own time zone? Two queries for the whole page."""
    ids = list(zones)
    if not ids:
        return {}
    ranges: dict[int, dict[int, list[Range]]] = {}
    rows = db.session.execute(
        select(
            OpeningHours.venue_id, OpeningHours.weekday, OpeningHours.opens_minute, OpeningHours.closes_minute
        ).where(OpeningHours.venue_id.in_(ids))
    )
    for venue_id, weekday, opens, closes in rows:
        ranges.setdefault(venue_id, {}).setdefault(weekday, []).append(Range(opens, closes))
    closed: dict[int, list[tuple[date, date]]] = {}
    rows = db.session.execute(
        select(Closure.venue_id, Closure.starts_on, Closure.ends_on).where(
            Closure.venue_id.in_(ids), Closure.ends_on >= (now - timedelta(days=1)).date()
        )
    )
    for venue_id, starts_on, ends_on in rows:
        closed.setdefault(venue_id, []).append((starts_on, ends_on))
    return {
        venue_id: is_open_at(ranges.get(venue_id, {}), closed.get(venue_id, []), now, venue_zone(tz).key)
        for venue_id, tz in zones.items()
    }


def _next_free_key(venue_id: int, version: int | None = None) -> str:
    """Keyed on the public cache version too: an edit to services or hours shows at once.
    Bookings don't bump it; a new booking shows within NEXT_FREE_TTL."""
    version = cache_versions.current(cache_versions.PUBLIC) if version is None else version
    return f"discovery:next-free:{version}:{venue_id}"


def get_next_free(venue_ids: list[int], now: datetime) -> dict[int, datetime | None]:
    """The first bookable start in the next week at each venue, reused for NEXT_FREE_TTL seconds."""
    if not venue_ids:
        return {}
    found: dict[int, datetime | None] = {}
    missing = []
    version = cache_versions.current(cache_versions.PUBLIC)
    keys = [_next_free_key(venue_id, version) for venue_id in venue_ids]
    for venue_id, entry in zip(venue_ids, cache.get_many(*keys), strict=True):
        if entry is None or (entry["start"] is not None and entry["start"] <= now):
            missing.append(venue_id)
        else:
            found[venue_id] = entry["start"]
    if missing:
        venues = list(
            db.session.scalars(
                select(Venue)
                .where(Venue.id.in_(missing))
                .options(
                    selectinload(Venue.services),
                    selectinload(Venue.opening_hours),
                    selectinload(Venue.closures),
                    selectinload(Venue.team).selectinload(TeamMember.services),
                )
            )
        )
        # Every venue's bookings and blocks of the week in two queries, not two per card.
        busy = get_busy_for_venues(venues, *busy_window((now - timedelta(days=1)).date(), NEXT_FREE_DAYS + 2))
        fresh = {venue.id: first_free_start(venue, now, busy=busy[venue.id]) for venue in venues}
        found.update({venue_id: fresh.get(venue_id) for venue_id in missing})
        cache.set_many({_next_free_key(v, version): {"start": found[v]} for v in missing}, timeout=NEXT_FREE_TTL)
    return found


def first_free_start(venue: Venue, now: datetime, *, busy: Busyness | None = None) -> datetime | None:
    """The earliest slot of the venue's cheapest active service in the next NEXT_FREE_DAYS days.

    ``busy``, when given, covers every local day of the week (see ``get_next_free``)."""
    service = min(venue.active_services, key=lambda s: (s.price_minor, s.duration_minutes, s.id), default=None)
    if service is None:
        return None
    today = now.astimezone(venue_zone(venue)).date()
    # One pass counts the week's slots; only the first day with any is expanded into times.
    days = get_bookable_days(service, today, NEXT_FREE_DAYS, now=now, busy=busy)
    for day in sorted(d for d, count in days.items() if count):
        slots = get_slots(service, day, now=now, busy=busy)
        if slots:
            return slots[0].start
    return None


# -- cards for lists of venue ids (saved venues, recently viewed, similar, the home page's shelves) --


def hits_for(venue_ids: list[int]) -> list[SearchHit]:
    """Search hits for listed venues, in the order asked; unlisted ids drop out. One query."""
    if not venue_ids:
        return []
    rows = db.session.execute(
        text(
            "SELECT venue_id, slug, name, description, category, category_name, tags, service_names, city,"
            " lat, lng, price_from, currency, rating, review_count, cover_thumb, timezone, updated_at, bookable"
            " FROM venue_search WHERE venue_id = ANY(:ids)"
        ),
        {"ids": list(venue_ids)},
    ).mappings()
    found = {
        row["venue_id"]: SearchHit(
            venue_id=row["venue_id"],
            slug=row["slug"],
            name=row["name"],
            score=0.0,
            distance_km=None,
            highlight="",
            document=document_from_row(row),
        )
        for row in rows
    }
    return [found[i] for i in dict.fromkeys(venue_ids) if i in found]


def cards_for(lists: dict[str, list[int]], *, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Cards for several lists of venue ids at once (app/saved/service.py's lists, the browser's
    recently viewed): one query for the documents and one card build."""
    hits = {h.venue_id: h for h in hits_for([i for ids in lists.values() for i in ids])}
    unique = list(hits.values())
    cards = {card["id"]: card for card in build_cards(unique, now=now)}
    return {name: [cards[i] for i in dict.fromkeys(ids) if i in cards] for name, ids in lists.items()}
