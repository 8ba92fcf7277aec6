"""The search as URL parameters: query arguments become a ``SearchRequest`` or an ``InvalidQuery``.

A person's mistake (an unknown category, a price that isn't one) raises ``InvalidQuery`` with a
message they can act on; the view answers it with a 400.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import gettext as _

from app.platform.input_guard import MAX_ID
from app.platform.timefmt import day_words, venue_zone
from app.venues.service import get_categories
from search.places import FoundPlace, get_place, places_named_in, resolve_place
from search.types import PRICE_BUCKETS, InvalidQuery, SearchQuery, price_bucket_key
from search.understanding import PLACE_RADIUS_KM, Intent, Understanding, understand

DEFAULT_RADIUS_KM = PLACE_RADIUS_KM  # a city chosen from the list means "in and around it"
LIST_PAGE_SIZE = 20
MAP_PAGE_SIZE = 50  # the map shows more pins at once
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MAX_PLACE_LENGTH = 100
MAX_PRICE = 100_000  # major units; keeps a typo from overflowing the integer column
PARAM_ORDER = (
    *("q", "category", "tag", "price", "price_min", "price_max", "rating", "near", "place", "lat", "lng", "radius"),
    *("open_now", "free_date", "free_from", "free_to", "sort", "per_page", "view", "page"),
)
OUTER_FIELDS = ("q", "near", "place", "free_date", "free_from", "free_to")  # controls outside the results block


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lng: float
    timezone: str = "Europe/London"


# The home page's "near you" shelf and its city list (the search page's "where" field takes any
# place of the gazetteer, search/places.py).
CITIES = {
    c.name.lower(): c
    for c in (
        City("London", 51.5072, -0.1276),
        City("Manchester", 53.4808, -2.2426),
        City("Edinburgh", 55.9533, -3.1883),
    )
}
DEFAULT_CITY = CITIES["london"]


@dataclass(frozen=True)
class SearchState:
    """The search as URL parameters; every link on the page is this state with one change."""

    params: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str:
        return next((value for key, value in self.params if key == name), "")

    def url(self, **changes: str | list[str] | None) -> str:
        """The search URL with ``changes`` (None drops a parameter). Any change is back on page 1."""
        pairs = [(k, v) for k, v in self.params if k not in changes and k != "page"]
        for name, value in changes.items():
            values = [] if value is None else value if isinstance(value, list) else [value]
            pairs.extend((name, str(v)) for v in values)
        pairs.sort(key=lambda pair: PARAM_ORDER.index(pair[0]))
        return url_for("discovery.search") + (f"?{urlencode(pairs)}" if pairs else "")


@dataclass(frozen=True)
class SearchRequest:
    query: SearchQuery
    state: SearchState
    view: str = "list"
    near: FoundPlace | None = None  # the place of the "where" field
    category_name: str = ""
    free_label: str = ""
    # Words of the text that became filters or a sort ("cheap", "in Manchester"), and the rest.
    understood: Understanding | None = None
    intents: tuple[Intent, ...] = ()  # the ones that changed the search (each shown as a chip)
    needs_location: bool = False  # "near me" was typed, but no location was given yet


# -- reading the query arguments -------------------------------------------------------------


def _text(args, name: str) -> str:
    return (args.get(name) or "").strip()


def _number(args, name: str, what: str) -> float | None:
    raw = _text(args, name)
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidQuery(_("%(what)s must be a number.", what=what), field=name)
    return value


def _whole(args, name: str, what: str, default: int) -> int:
    raw = _text(args, name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise InvalidQuery(_("%(what)s must be a whole number.", what=what), field=name) from None


def _money(args, name: str, what: str) -> int | None:
    """A price in pounds ("25", "25.50", "£25") as minor units."""
    raw = _text(args, name).removeprefix("£")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidQuery(
            _("%(what)s must be an amount in pounds, like 25 or 25.50.", what=what), field=name
        ) from None
    if not value.is_finite():
        raise InvalidQuery(_("%(what)s must be an amount in pounds, like 25 or 25.50.", what=what), field=name)
    if value < 0:
        raise InvalidQuery(_("%(what)s can't be negative.", what=what), field=name)
    if value > MAX_PRICE:
        raise InvalidQuery(
            _("%(what)s can be at most £%(max_price)s.", what=what, max_price=format(MAX_PRICE, ",")), field=name
        )
    return int((value * 100).to_integral_value())


def _flag(args, name: str, what: str) -> bool:
    raw = _text(args, name).lower()
    if raw in ("", "0", "false", "off"):
        return False
    if raw in ("1", "true", "on"):
        return True
    raise InvalidQuery(_("%(what)s is either on (1) or off (0).", what=what), field=name)


def _decimal_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _free_window(args, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, datetime | None, str]:
    """``free_date`` (+ ``free_from``/``free_to``, HH:MM local) as an aware window and its label."""
    day_raw, from_raw, to_raw = (_text(args, n) for n in ("free_date", "free_from", "free_to"))
    if not (day_raw or from_raw or to_raw):
        return None, None, ""
    if not day_raw:
        raise InvalidQuery(_("Choose a day for the free time window."), field="free_date")
    try:
        day = date.fromisoformat(day_raw)
    except ValueError:
        raise InvalidQuery(_("Give the day of the free time window as YYYY-MM-DD."), field="free_date") from None
    if day < now.astimezone(zone).date():
        raise InvalidQuery(_("Choose today or a later day for the free time window."), field="free_date")
    horizon = current_app.config["BOOKING_MAX_ADVANCE_DAYS"]
    if day > now.astimezone(zone).date() + timedelta(days=horizon):
        raise InvalidQuery(
            _("Bookings open up to %(horizon)s days ahead. Choose an earlier day.", horizon=horizon), field="free_date"
        )
    try:
        opens = time.fromisoformat(from_raw) if from_raw else time(0)
        closes = None if to_raw in ("", "24:00") else time.fromisoformat(to_raw)
    except ValueError:
        raise InvalidQuery(
            _("Give the times of the free time window as HH:MM, like 14:00."), field="free_from"
        ) from None
    start = datetime.combine(day, opens, zone)
    end = datetime.combine(day, closes, zone) if closes else datetime.combine(day + timedelta(days=1), time(0), zone)
    until = closes.strftime("%H:%M") if closes else "24:00"
    label = f"{day_words(day, 'EEE d MMM')}, {opens:%H:%M}–{until}"
    return start, end, label


def where(args) -> FoundPlace | None:
    """The place of the "where" field: ``place`` (its id, set when a suggestion is chosen) or
    ``near`` (a name as typed, resolved through the gazetteer). Raises InvalidQuery for a place
    we don't know."""
    place_raw, near_raw = _text(args, "place"), _text(args, "near")
    if place_raw:
        if not place_raw.isdigit() or int(place_raw) > MAX_ID:
            raise InvalidQuery(_("Choose a place from the suggestions."), field="place")
        found = get_place(int(place_raw))
        if found is None:
            raise InvalidQuery(_("We don't know that place. Choose one from the suggestions."), field="place")
        return found
    if not near_raw:
        return None
    if len(near_raw) > MAX_PLACE_LENGTH:
        raise InvalidQuery(
            _("A place name has at most %(max_place_length)s characters.", max_place_length=MAX_PLACE_LENGTH),
            field="near",
        )
    found = resolve_place(near_raw)
    if found is None:
        raise InvalidQuery(
            _(
                "We don't know a town or city called “%(near_raw)s”. Choose one from the suggestions.",
                near_raw=near_raw,
            ),
            field="near",
        )
    return found


def parse_search(args, *, category: str | None = None, now: datetime | None = None) -> SearchRequest:
    """Query arguments -> SearchRequest. Raises InvalidQuery with a message for people."""
    now = now or datetime.now(UTC)
    params: list[tuple[str, str]] = []

    def keep(name: str, value: Any) -> None:
        if value not in ("", None):
            params.append((name, str(value)))

    text = _text(args, "q")
    keep("q", text)
    understood = understand(text[:200], places=places_named_in(text[:200]), now=now)
    categories = {c.slug: c.name for c in get_categories()}
    category = category or _text(args, "category") or None
    if category is not None and category not in categories:
        raise InvalidQuery(_("We don't know that category. Choose one from the list."), field="category")
    keep("category", category)

    tags = list(dict.fromkeys(t.strip() for t in args.getlist("tag") if t.strip()))
    if len(tags) > MAX_TAGS:
        raise InvalidQuery(_("Choose at most %(max_tags)s tags.", max_tags=MAX_TAGS), field="tag")
    if any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise InvalidQuery(
            _("A tag has at most %(max_tag_length)s characters.", max_tag_length=MAX_TAG_LENGTH), field="tag"
        )
    for tag in tags:
        keep("tag", tag)

    bucket = _text(args, "price")
    if bucket:
        buckets = {price_bucket_key(lo, hi): (lo, hi) for lo, hi in PRICE_BUCKETS}
        if bucket not in buckets:
            raise InvalidQuery(_("Choose a price range from the list."), field="price")
        price_min, high = buckets[bucket]
        price_max = high - 1 if high is not None else None  # buckets are [from, to) in whole pence
        keep("price", bucket)
    else:
        price_min = _money(args, "price_min", _("The minimum price"))
        price_max = _money(args, "price_max", _("The maximum price"))
        keep("price_min", _text(args, "price_min") if price_min is not None else None)
        keep("price_max", _text(args, "price_max") if price_max is not None else None)

    min_rating = _number(args, "rating", _("The minimum rating"))
    keep("rating", f"{min_rating:g}" if min_rating is not None else None)

    place = next((i.place for i in understood.intents if i.kind == "place"), None)
    near = None if place is not None else where(args)  # a place typed in the text wins: typed last
    lat, lng = _number(args, "lat", _("Latitude")), _number(args, "lng", _("Longitude"))
    radius = _number(args, "radius", _("The radius"))
    if near is not None:  # a place chosen in the "where" field wins over coordinates
        keep("near", near.label)
        keep("place", near.id)
        lat, lng = near.lat, near.lng
    else:
        keep("lat", _decimal_text(lat) if lat is not None else None)
        keep("lng", _decimal_text(lng) if lng is not None else None)
    keep("radius", _decimal_text(radius) if radius is not None else None)
    if lat is None and lng is None and place is not None:  # "massage in Manchester"
        lat, lng = place.lat, place.lng
    if (near is not None or place is not None) and radius is None and lat is not None:
        radius = DEFAULT_RADIUS_KM

    open_now = _flag(args, "open_now", "Open now")
    keep("open_now", "1" if open_now else None)
    zone = venue_zone((near or place or DEFAULT_CITY).timezone)
    free_from, free_to, free_label = _free_window(args, zone, now)
    if free_from is not None:
        for name in ("free_date", "free_from", "free_to"):
            keep(name, _text(args, name))

    sort = _text(args, "sort") or "relevance"
    keep("sort", sort if sort != "relevance" else None)
    view = _text(args, "view") or "list"
    if view not in ("list", "map"):
        raise InvalidQuery(_("Choose the list view or the map view."), field="view")
    keep("view", view if view != "list" else None)
    per_page = _whole(
        args, "per_page", _("The number of results a page"), MAP_PAGE_SIZE if view == "map" else LIST_PAGE_SIZE
    )
    keep("per_page", _text(args, "per_page"))
    page = _whole(args, "page", _("The page"), 1)
    keep("page", page if page != 1 else None)

    query = SearchQuery(
        text=text,
        category=category,
        tags=tuple(tags),
        price_min=price_min,
        price_max=price_max,
        min_rating=min_rating,
        lat=lat,
        lng=lng,
        radius_km=radius,
        open_now=open_now,
        free_from=free_from,
        free_to=free_to,
        sort=sort,
        page=page,
        per_page=per_page,
    )
    query, intents = understood.applied(query)
    if place is not None and near is None and query.lat == place.lat and query.lng == place.lng:
        intents = (*intents, *(i for i in understood.intents if i.kind == "place"))
    params.sort(key=lambda pair: PARAM_ORDER.index(pair[0]))
    return SearchRequest(
        query=query,
        state=SearchState(tuple(params)),
        view=view,
        near=near,
        category_name=categories.get(category or "", ""),
        free_label=free_label,
        understood=understood,
        intents=intents,
        needs_location="near_me" in understood.kinds() and query.lat is None,
    )
