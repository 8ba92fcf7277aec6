"""Finding venues: the search page, category landing pages, and the home page's shelves.

A view turns query arguments into a ``SearchQuery`` (a person's mistake becomes a 400 with a
message), asks the cached ``search.backend.search``, and hands the template decided values:
cards, facet links, sort options, pages and map markers. Every control is a real link or a
GET form, so the URL is the state; HTMX swaps only the "results" block.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from flask import Blueprint, Response, abort, current_app, make_response, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.booking.availability import get_bookable_days, get_slots
from app.extensions import cache, db
from app.rendering import is_htmx, render_page
from app.venues.hours import Range, is_open_at
from app.venues.models import Closure, OpeningHours, TeamMember, Venue
from app.venues.public import DEFAULT_TILE_ATTRIBUTION, LOCALE, page_etag
from app.venues.service import get_categories
from search.backend import get_version, search
from search.backend import suggest as suggest_terms
from search.postgres import price_bucket_key, price_bucket_label, rating_bucket_key, rating_bucket_label
from search.types import PRICE_BUCKETS, RATING_BUCKETS, Facet, InvalidQuery, SearchHit, SearchQuery, SearchResult

bp = Blueprint("discovery", __name__)

TEMPLATE = "discovery/search.html"
RADIUS_CHOICES = (2, 5, 10, 25, 50)
DEFAULT_RADIUS_KM = 25.0  # a city chosen from the list means "in and around it"
LIST_PAGE_SIZE = 20
MAP_PAGE_SIZE = 50  # the map shows more pins at once
MAX_TAGS = 10
MAX_TAG_LENGTH = 40
MAX_PRICE = 100_000  # major units; keeps a typo from overflowing the integer column
MAX_SUGGEST_LENGTH = 100
NEXT_FREE_DAYS = 7
NEXT_FREE_TTL = 300  # seconds a venue's next free time is reused
CARD_IMAGE_SIZE = (800, 600)  # the "card" photo variant is cropped to exactly this (app.venues.images)
SHELF_SIZE = 6
SORT_LABELS = {"relevance": "Best match", "distance": "Nearest first", "price": "Lowest price", "rating": "Top rated"}
PARAM_ORDER = (
    *("q", "category", "tag", "price", "price_min", "price_max", "rating", "near", "lat", "lng", "radius"),
    *("open_now", "free_date", "free_from", "free_to", "sort", "per_page", "view", "page"),
)
OUTER_FIELDS = ("q", "near", "free_date", "free_from", "free_to")  # controls outside the results block


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lng: float
    timezone: str = "Europe/London"


# The fallback when the browser's location is refused, and the home page's "near you".
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
    near: City | None = None
    category_name: str = ""
    free_label: str = ""


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
        raise InvalidQuery(f"{what} must be a number.")
    return value


def _whole(args, name: str, what: str, default: int) -> int:
    raw = _text(args, name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise InvalidQuery(f"{what} must be a whole number.") from None


def _money(args, name: str, what: str) -> int | None:
    """A price in pounds ("25", "25.50", "£25") as minor units."""
    raw = _text(args, name).removeprefix("£")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidQuery(f"{what} must be an amount in pounds, like 25 or 25.50.") from None
    if not value.is_finite():
        raise InvalidQuery(f"{what} must be an amount in pounds, like 25 or 25.50.")
    if value < 0:
        raise InvalidQuery(f"{what} can't be negative.")
    if value > MAX_PRICE:
        raise InvalidQuery(f"{what} can be at most £{MAX_PRICE:,}.")
    return int((value * 100).to_integral_value())


def _flag(args, name: str, what: str) -> bool:
    raw = _text(args, name).lower()
    if raw in ("", "0", "false", "off"):
        return False
    if raw in ("1", "true", "on"):
        return True
    raise InvalidQuery(f"{what} is either on (1) or off (0).")


def _decimal_text(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _free_window(args, zone: ZoneInfo, now: datetime) -> tuple[datetime | None, datetime | None, str]:
    """``free_date`` (+ ``free_from``/``free_to``, HH:MM local) as an aware window and its label."""
    day_raw, from_raw, to_raw = (_text(args, n) for n in ("free_date", "free_from", "free_to"))
    if not (day_raw or from_raw or to_raw):
        return None, None, ""
    if not day_raw:
        raise InvalidQuery("Choose a day for the free time window.")
    try:
        day = date.fromisoformat(day_raw)
    except ValueError:
        raise InvalidQuery("Give the day of the free time window as YYYY-MM-DD.") from None
    if day < now.astimezone(zone).date():
        raise InvalidQuery("Choose today or a later day for the free time window.")
    try:
        opens = time.fromisoformat(from_raw) if from_raw else time(0)
        closes = None if to_raw in ("", "24:00") else time.fromisoformat(to_raw)
    except ValueError:
        raise InvalidQuery("Give the times of the free time window as HH:MM, like 14:00.") from None
    start = datetime.combine(day, opens, zone)
    end = datetime.combine(day, closes, zone) if closes else datetime.combine(day + timedelta(days=1), time(0), zone)
    until = closes.strftime("%H:%M") if closes else "24:00"
    label = f"{format_date(day, 'EEE d MMM', locale=LOCALE)}, {opens:%H:%M}–{until}"
    return start, end, label


def parse_search(args, *, category: str | None = None, now: datetime | None = None) -> SearchRequest:
    """Query arguments -> SearchRequest. Raises InvalidQuery with a message for people."""
    now = now or datetime.now(UTC)
    params: list[tuple[str, str]] = []

    def keep(name: str, value: Any) -> None:
        if value not in ("", None):
            params.append((name, str(value)))

    text = _text(args, "q")
    keep("q", text)
    categories = {c.slug: c.name for c in get_categories()}
    category = category or _text(args, "category") or None
    if category is not None and category not in categories:
        raise InvalidQuery("We don't know that category. Choose one from the list.")
    keep("category", category)

    tags = list(dict.fromkeys(t.strip() for t in args.getlist("tag") if t.strip()))
    if len(tags) > MAX_TAGS:
        raise InvalidQuery(f"Choose at most {MAX_TAGS} tags.")
    if any(len(t) > MAX_TAG_LENGTH for t in tags):
        raise InvalidQuery(f"A tag has at most {MAX_TAG_LENGTH} characters.")
    for tag in tags:
        keep("tag", tag)

    bucket = _text(args, "price")
    if bucket:
        buckets = {price_bucket_key(lo, hi): (lo, hi) for lo, hi in PRICE_BUCKETS}
        if bucket not in buckets:
            raise InvalidQuery("Choose a price range from the list.")
        price_min, high = buckets[bucket]
        price_max = high - 1 if high is not None else None  # buckets are [from, to) in whole pence
        keep("price", bucket)
    else:
        price_min = _money(args, "price_min", "The minimum price")
        price_max = _money(args, "price_max", "The maximum price")
        keep("price_min", _text(args, "price_min") if price_min is not None else None)
        keep("price_max", _text(args, "price_max") if price_max is not None else None)

    min_rating = _number(args, "rating", "The minimum rating")
    keep("rating", f"{min_rating:g}" if min_rating is not None else None)

    near_raw = _text(args, "near")
    near = CITIES.get(near_raw.lower()) if near_raw else None
    if near_raw and near is None:
        raise InvalidQuery("Choose London, Manchester or Edinburgh.")
    lat, lng = _number(args, "lat", "Latitude"), _number(args, "lng", "Longitude")
    radius = _number(args, "radius", "The radius")
    if near is not None:  # a city chosen from the list wins over coordinates
        keep("near", near.name)
        lat, lng = near.lat, near.lng
    else:
        keep("lat", _decimal_text(lat) if lat is not None else None)
        keep("lng", _decimal_text(lng) if lng is not None else None)
    keep("radius", _decimal_text(radius) if radius is not None else None)
    if near is not None and radius is None:
        radius = DEFAULT_RADIUS_KM

    open_now = _flag(args, "open_now", "Open now")
    keep("open_now", "1" if open_now else None)
    zone = ZoneInfo((near or DEFAULT_CITY).timezone)
    free_from, free_to, free_label = _free_window(args, zone, now)
    if free_from is not None:
        for name in ("free_date", "free_from", "free_to"):
            keep(name, _text(args, name))

    sort = _text(args, "sort") or "relevance"
    keep("sort", sort if sort != "relevance" else None)
    view = _text(args, "view") or "list"
    if view not in ("list", "map"):
        raise InvalidQuery("Choose the list view or the map view.")
    keep("view", view if view != "list" else None)
    per_page = _whole(
        args, "per_page", "The number of results a page", MAP_PAGE_SIZE if view == "map" else LIST_PAGE_SIZE
    )
    keep("per_page", _text(args, "per_page"))
    page = _whole(args, "page", "The page", 1)
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
    params.sort(key=lambda pair: PARAM_ORDER.index(pair[0]))
    return SearchRequest(
        query=query,
        state=SearchState(tuple(params)),
        view=view,
        near=near,
        category_name=categories.get(category or "", ""),
        free_label=free_label,
    )


# -- routes ------------------------------------------------------------------------------------


@bp.get("/search", endpoint="search")
def search_page():
    return respond_with_search(request.args)


@bp.get("/c/<category_slug>")
def category(category_slug: str):
    if category_slug not in {c.slug for c in get_categories()}:
        abort(404)
    return respond_with_search(request.args, category=category_slug)


@bp.get("/search/suggest")
def suggest():
    """The autocomplete listbox's options for ``q`` (an HTML fragment)."""
    prefix = request.args.get("q", "")
    if len(prefix) > MAX_SUGGEST_LENGTH:
        abort(400, f"Type at most {MAX_SUGGEST_LENGTH} characters to get suggestions.")
    terms = suggest_terms(prefix) if prefix.strip() else []
    response = make_response(render_template("discovery/_suggestions.html", suggestions=terms))
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def respond_with_search(args, *, category: str | None = None) -> Response:
    """The search page for ``args`` (on a category page, ``category`` is fixed)."""
    # A history restore after a cache miss wants the whole page, though it comes from HTMX.
    block = None if request.headers.get("HX-History-Restore-Request") else "results"
    fragment = block is not None and is_htmx()
    outer = {name: _text(args, name)[:200] for name in OUTER_FIELDS}
    common = {"cities": [c.name for c in CITIES.values()], "heading_out_of_band": fragment}
    try:
        found = parse_search(args, category=category)
    except InvalidQuery as exc:
        heading = page_heading(next((c.name for c in get_categories() if c.slug == category), ""))
        return render_page(
            TEMPLATE,
            block,
            status=400,
            error=str(exc),
            page_title="Check your search",
            outer=outer,
            **heading,
            **common,
        )
    now = datetime.now(UTC)
    result = search(found.query)
    page = build_search_page(found, result, now=now)
    outer = {name: found.state.get(name) for name in OUTER_FIELDS}
    etag = page_etag(
        {"url": request.full_path, "fragment": fragment, "version": get_version(), "total": result.total, **page}
    )
    response = render_page(TEMPLATE, block, outer=outer, **common, **page)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    if fragment:
        page_number = found.query.page
        response.headers["HX-Push-Url"] = found.state.url(page=str(page_number) if page_number > 1 else None)
    return response.make_conditional(request)


# -- the results page ---------------------------------------------------------------------------


def build_search_page(found: SearchRequest, result: SearchResult, *, now: datetime) -> dict[str, Any]:
    """Everything the results block shows, as plain values."""
    query, state = found.query, found.state
    located = query.lat is not None
    cards = build_cards(result.hits, now=now)
    pages = min(1000, max(1, math.ceil(result.total / query.per_page)))
    hidden = [(k, v) for k, v in state.params if k not in (*OUTER_FIELDS, "sort", "open_now", "radius", "page")]
    return {
        **page_heading(found.category_name),
        "page_title": _page_title(found),
        "view": found.view,
        "total": result.total,
        "count_label": f"{result.total} venue{'' if result.total == 1 else 's'}",
        "cards": cards,
        "facets": facet_groups(found, result),
        "active_filters": active_filters(found),
        "hidden_inputs": hidden,
        "open_now": query.open_now,
        "sort_options": [
            {"value": s, "label": label, "selected": s == query.sort, "disabled": s == "distance" and not located}
            for s, label in SORT_LABELS.items()
        ],
        "radius_options": _radius_options(query.radius_km) if located else [],
        "pagination": pagination(state, query.page, pages),
        "page_past_the_end": query.page > pages,
        "first_page_url": state.url(),
        "view_urls": {"list": state.url(view=None, per_page=None), "map": state.url(view="map", per_page=None)},
        "search_url": url_for("discovery.search"),
        "state_query": urlencode([(k, v) for k, v in state.params if k != "page"]),
        "map": map_settings(found, cards) if found.view == "map" else None,
    }


def page_heading(category_name: str) -> dict[str, str]:
    """A category search reads as that category's landing page, whichever URL it came from."""
    if not category_name:
        return {"heading": "Find a venue", "intro": ""}
    return {
        "heading": category_name,
        "intro": f"Compare {category_name.lower()} venues by price, rating and distance, see when they're free, "
        "and book online.",
    }


def _page_title(found: SearchRequest) -> str:
    what = found.category_name or "Venues"
    if found.query.text:
        return f"{what} matching “{found.query.text}”"
    return f"{what} near {found.near.name}" if found.near else what


def _radius_options(current: float | None) -> list[dict[str, Any]]:
    choices = [{"value": str(r), "label": f"Within {r} km", "selected": current == r} for r in RADIUS_CHOICES]
    if current is not None and current not in RADIUS_CHOICES:
        choices.insert(0, {"value": _decimal_text(current), "label": f"Within {current:g} km", "selected": True})
    if current is None:
        choices.insert(0, {"value": "", "label": "Any distance", "selected": True})
    return choices


def facet_groups(found: SearchRequest, result: SearchResult) -> list[dict[str, Any]]:
    """Facet values as links that add or remove themselves, with counts."""
    query, state = found.query, found.state
    empty = Facet(name="", values=())

    def item(label: str, count: int, url: str, active: bool) -> dict[str, Any]:
        return {"label": label, "count": count, "url": url, "active": active}

    categories = [
        item(
            v.label,
            v.count,
            state.url(category=None if v.value == query.category else v.value),
            v.value == query.category,
        )
        for v in result.facets.get("category", empty).values
    ]
    if query.category and not any(i["active"] for i in categories):
        categories.insert(0, item(found.category_name or query.category, 0, state.url(category=None), True))

    tag_counts = {v.value: v.count for v in result.facets.get("tags", empty).values}
    tag_counts = {**{t: tag_counts.get(t, 0) for t in query.tags}, **tag_counts}
    tags = [
        item(tag, count, state.url(tag=[t for t in query.tags if t != tag] or None), True)
        if tag in query.tags
        else item(tag, count, state.url(tag=[*query.tags, tag]), False)
        for tag, count in tag_counts.items()
    ]

    price_counts = {v.value: v.count for v in result.facets.get("price", empty).values}
    prices = []
    for low, high in PRICE_BUCKETS:
        key = price_bucket_key(low, high)
        active = state.get("price") == key
        url = state.url(price=None if active else key, price_min=None, price_max=None)
        prices.append(item(price_bucket_label(low, high), price_counts.get(key, 0), url, active))

    rating_counts = {v.value: v.count for v in result.facets.get("rating", empty).values}
    ratings = []
    for minimum in RATING_BUCKETS:
        key = rating_bucket_key(minimum)
        active = query.min_rating == minimum
        ratings.append(
            item(
                rating_bucket_label(minimum),
                rating_counts.get(key, 0),
                state.url(rating=None if active else key),
                active,
            )
        )

    groups = [
        {"name": "category", "title": "Category", "items": categories},
        {"name": "tags", "title": "Features", "items": tags},
        {"name": "price", "title": "Price from", "items": prices},
        {"name": "rating", "title": "Rating", "items": ratings},
    ]
    # A group with nothing to choose (no tags yet; no reviews yet) is left out rather than shown empty.
    return [g for g in groups if any(i["count"] or i["active"] for i in g["items"])]


def active_filters(found: SearchRequest) -> list[dict[str, str]]:
    """Each filter in force, with a link to the same search without it."""
    query, state = found.query, found.state
    chips = []
    if query.text:
        chips.append({"label": f"“{query.text}”", "url": state.url(q=None)})
    if query.category:
        chips.append({"label": found.category_name or query.category, "url": state.url(category=None)})
    for tag in query.tags:
        chips.append({"label": tag, "url": state.url(tag=[t for t in query.tags if t != tag] or None)})
    if query.price_min is not None or query.price_max is not None:
        chips.append({"label": _price_range_label(found), "url": state.url(price=None, price_min=None, price_max=None)})
    if query.min_rating is not None:
        chips.append({"label": f"Rated {query.min_rating:g} and up", "url": state.url(rating=None)})
    if query.open_now:
        chips.append({"label": "Open now", "url": state.url(open_now=None)})
    if query.lat is not None:
        place = found.near.name if found.near else "your location"
        within = f"Within {query.radius_km:g} km of {place}" if query.radius_km else f"Near {place}"
        sort = None if query.sort == "distance" else state.get("sort") or None
        chips.append({"label": within, "url": state.url(near=None, lat=None, lng=None, radius=None, sort=sort)})
    if found.free_label:
        chips.append(
            {"label": f"Free {found.free_label}", "url": state.url(free_date=None, free_from=None, free_to=None)}
        )
    return chips


def _price_range_label(found: SearchRequest) -> str:
    buckets = {price_bucket_key(lo, hi): price_bucket_label(lo, hi) for lo, hi in PRICE_BUCKETS}
    low, high = found.query.price_min, found.query.price_max
    if found.state.get("price") in buckets:
        return buckets[found.state.get("price")]
    if low is None:
        return f"Up to {_money_label(high or 0, 'GBP')}"
    if high is None:
        return f"{_money_label(low, 'GBP')} and up"
    return f"{_money_label(low, 'GBP')} to {_money_label(high, 'GBP')}"


def pagination(state: SearchState, page: int, pages: int) -> dict[str, Any] | None:
    if pages <= 1:
        return None

    def url(number: int) -> str:
        return state.url(page=str(number) if number > 1 else None)

    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[dict[str, Any] | None] = []
    for number in shown:
        if numbers and numbers[-1] is not None and number - numbers[-1]["number"] > 1:
            numbers.append(None)  # a gap
        numbers.append({"number": number, "url": url(number), "current": number == page})
    return {
        "previous": url(page - 1) if 1 < page <= pages else None,
        "next": url(page + 1) if page < pages else None,
        "pages": numbers,
    }


def map_settings(found: SearchRequest, cards: list[dict[str, Any]]) -> dict[str, Any]:
    tile_url = current_app.config.get("MAP_TILE_URL") or ""
    return {
        "tile_url": tile_url,
        "attribution": (current_app.config.get("MAP_TILE_ATTRIBUTION") or DEFAULT_TILE_ATTRIBUTION) if tile_url else "",
        "lat": found.query.lat,
        "lng": found.query.lng,
        "markers": [
            {"id": c["id"], "lat": c["lat"], "lng": c["lng"], "name": c["name"], "url": c["url"], "label": c["price"]}
            for c in cards
            if c["lat"] is not None and c["lng"] is not None
        ],
    }


# -- cards --------------------------------------------------------------------------------------


def build_cards(hits: Iterable[SearchHit], *, now: datetime) -> list[dict[str, Any]]:
    """One card per hit, with "open now" and the next free time of the hits on this page only."""
    hits = list(hits)
    zones = {h.venue_id: h.document.timezone if h.document else DEFAULT_CITY.timezone for h in hits}
    open_now = get_open_now(zones, now)
    next_free = get_next_free(list(zones), now)
    return [venue_card(h, open_now.get(h.venue_id, False), next_free.get(h.venue_id), now) for h in hits]


def venue_card(hit: SearchHit, open_now: bool, next_free: datetime | None, now: datetime) -> dict[str, Any]:
    doc = hit.document
    zone = _zone(doc.timezone if doc else DEFAULT_CITY.timezone)
    width, height = CARD_IMAGE_SIZE
    rating = doc.rating if doc else None
    return {
        "id": hit.venue_id,
        "name": hit.name,
        "url": url_for("venues_public.venue_page", slug=hit.slug),
        "category": (doc.category_name if doc else None) or "",
        "city": doc.city if doc else "",
        "image": (
            {"src": url_for("main.media", key=doc.cover_thumb), "width": width, "height": height}
            if doc and doc.cover_thumb
            else None
        ),
        "has_rating": rating is not None,
        "rating": _rating_label(rating, doc.review_count if doc else 0),
        "price": f"from {_money_label(doc.price_from, doc.currency)}" if doc and doc.price_from is not None else "",
        "distance": distance_label(hit.distance_km),
        "open_now": open_now,
        "open_label": "Open now" if open_now else "Closed now",
        "next_free": next_free_label(next_free, zone, now),
        "highlight": hit.highlight,  # safe HTML: only <mark> is live (see SearchHit)
        "lat": doc.lat if doc else None,
        "lng": doc.lng if doc else None,
    }


def _rating_label(rating: float | None, reviews: int) -> str:
    if rating is None:
        return "No reviews yet"
    return f"Rated {rating:.1f} ({reviews} review{'' if reviews == 1 else 's'})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _money_label(minor: int, currency: str) -> str:
    amount = Decimal(minor) / 100
    if minor % 100 == 0:  # "£45", not "£45.00", on a card
        return format_currency(amount, currency, locale=LOCALE, format="¤#,##0", currency_digits=False)
    return format_currency(amount, currency, locale=LOCALE)


def distance_label(km: float | None) -> str:
    if km is None:
        return ""
    return f"{km:.0f} km" if km >= 100 else f"{km:.1f} km"


def next_free_label(start: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    if start is None:
        return f"No free times in the next {NEXT_FREE_DAYS} days"
    local, today = start.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        day = "Today"
    elif local.date() == today + timedelta(days=1):
        day = "Tomorrow"
    else:
        day = format_datetime(local, "EEE", locale=LOCALE)
    return f"Next free: {day} {local:%H:%M}"


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
        venue_id: is_open_at(ranges.get(venue_id, {}), closed.get(venue_id, []), now, _zone(tz).key)
        for venue_id, tz in zones.items()
    }


def _next_free_key(venue_id: int) -> str:
    return f"discovery:next-free:{venue_id}"


def get_next_free(venue_ids: list[int], now: datetime) -> dict[int, datetime | None]:
    """The first bookable start in the next week at each venue, reused for NEXT_FREE_TTL seconds."""
    if not venue_ids:
        return {}
    found: dict[int, datetime | None] = {}
    missing = []
    for venue_id, entry in zip(venue_ids, cache.get_many(*map(_next_free_key, venue_ids)), strict=True):
        if entry is None or (entry["start"] is not None and entry["start"] <= now):
            missing.append(venue_id)
        else:
            found[venue_id] = entry["start"]
    if missing:
        venues = db.session.scalars(
            select(Venue)
            .where(Venue.id.in_(missing))
            .options(
                selectinload(Venue.services),
                selectinload(Venue.opening_hours),
                selectinload(Venue.closures),
                selectinload(Venue.team).selectinload(TeamMember.services),
            )
        )
        fresh = {venue.id: first_free_start(venue, now) for venue in venues}
        found.update({venue_id: fresh.get(venue_id) for venue_id in missing})
        cache.set_many({_next_free_key(v): {"start": found[v]} for v in missing}, timeout=NEXT_FREE_TTL)
    return found


def first_free_start(venue: Venue, now: datetime) -> datetime | None:
    """The earliest slot of the venue's cheapest active service in the next NEXT_FREE_DAYS days."""
    service = min(venue.active_services, key=lambda s: (s.price_minor, s.duration_minutes, s.id), default=None)
    if service is None:
        return None
    today = now.astimezone(_zone(venue.timezone)).date()
    # One pass counts the week's slots; only the first day with any is expanded into times.
    days = get_bookable_days(service, today, NEXT_FREE_DAYS, now=now)
    for day in sorted(d for d, count in days.items() if count):
        slots = get_slots(service, day, now=now)
        if slots:
            return slots[0].start
    return None


# -- the home page ------------------------------------------------------------------------------


def build_home_page(*, now: datetime | None = None) -> dict[str, Any]:
    """Category tiles, a shelf of top-rated (or, before reviews, best-priced) venues, and venues near London."""
    now = now or datetime.now(UTC)
    overview = search(SearchQuery(per_page=1))
    counts = {v.value: v.count for v in overview.facets.get("category", Facet(name="", values=())).values}
    tiles = [
        {
            "name": c.name,
            "url": url_for("discovery.category", category_slug=c.slug),
            "count_label": f"{counts[c.slug]} venue{'' if counts[c.slug] == 1 else 's'}" if counts.get(c.slug) else "",
        }
        for c in get_categories()
    ]
    top = search(SearchQuery(sort="rating", per_page=SHELF_SIZE))
    rated = any(h.document and h.document.rating is not None for h in top.hits)
    if rated:
        top_shelf = {"heading": "Top rated", "note": "", "more_url": url_for("discovery.search", sort="rating")}
    else:  # no reviews yet: say so, and show the best prices instead of a meaningless order
        top = search(SearchQuery(sort="price", per_page=SHELF_SIZE))
        top_shelf = {
            "heading": "Popular picks",
            "note": "No reviews yet, so the lowest prices come first.",
            "more_url": url_for("discovery.search", sort="price"),
        }
    city = DEFAULT_CITY
    near = search(SearchQuery(lat=city.lat, lng=city.lng, sort="distance", per_page=SHELF_SIZE))
    return {
        "categories": tiles,
        "top": {**top_shelf, "cards": build_cards(top.hits, now=now)},
        "near": {
            "city": city.name,
            "cards": build_cards(near.hits, now=now),
            "more_url": url_for("discovery.search", near=city.name, sort="distance"),
        },
        "cities": [c.name for c in CITIES.values()],
        "search_url": url_for("discovery.search"),
    }
