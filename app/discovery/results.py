"""The results block of the search page: cards, facet links, filter chips, sort options, pages, map."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.discovery.cards import _money_label, build_cards
from app.discovery.params import OUTER_FIELDS, SearchRequest, SearchState, _decimal_text
from app.platform.i18n import format_locale
from search.types import (
    PRICE_BUCKETS,
    RATING_BUCKETS,
    Facet,
    SearchResult,
    price_bucket_key,
    price_bucket_label,
    rating_bucket_key,
    rating_bucket_label,
)

RADIUS_CHOICES = (2, 5, 10, 25, 50)
SORT_LABELS = {
    "relevance": _l("Best match"),
    "distance": _l("Nearest first"),
    "price": _l("Lowest price"),
    "rating": _l("Top rated"),
}


def build_search_page(found: SearchRequest, result: SearchResult, *, now: datetime) -> dict[str, Any]:
    """Everything the results block shows, as plain values."""
    query, state = found.query, found.state
    located = query.lat is not None
    cards = build_cards(result.hits, now=now)
    pages = min(1000, max(1, math.ceil(result.total / query.per_page)))
    chips = active_filters(found)
    hidden = [(k, v) for k, v in state.params if k not in (*OUTER_FIELDS, "sort", "open_now", "radius", "page")]
    return {
        **page_heading(found.category_name),
        "page_title": _page_title(found),
        "view": found.view,
        "total": result.total,
        "count_label": count_label(result),
        "cards": cards,
        "facets": facet_groups(found, result),
        "facets_note": _("Narrow the search to see how many venues each filter leaves.") if result.total_capped else "",
        "active_filters": chips,
        "filter_count": len(chips) - (1 if query.text else 0),  # the "Filters (n)" button: not the text
        "relaxed_notice": relaxed_notice(result),
        "needs_location": found.needs_location,
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


def count_label(result: SearchResult) -> str:
    """ "12 venues"; "1,000+ venues" when there are more than the backend counts."""
    if result.total_capped:
        return _("%(num)s+ venues", num=format_decimal(result.total - 1, locale=format_locale()))
    return ngettext("%(num)d venue", "%(num)d venues", result.total)


def _number(value: float) -> str:
    """4.5 -> "4.5" in English, "4,5" in Spanish."""
    return format_decimal(value, locale=format_locale())


def page_heading(category_name: str) -> dict[str, str]:
    """A category search reads as that category's landing page, whichever URL it came from."""
    if not category_name:
        return {"heading": _("Find a venue"), "intro": ""}
    return {
        "heading": category_name,
        "intro": _(
            "Compare %(category)s venues by price, rating and distance, see when they're free, and book online.",
            category=category_name.lower(),
        ),
    }


def _page_title(found: SearchRequest) -> str:
    what = found.category_name or _("Venues")
    if found.query.text:
        return _("%(what)s matching “%(text)s”", what=what, text=found.query.text)
    return _("%(what)s near %(place)s", what=what, place=found.near.label) if found.near else what


def _radius_options(current: float | None) -> list[dict[str, Any]]:
    choices = [
        {"value": str(r), "label": _("Within %(km)s km", km=_number(r)), "selected": current == r}
        for r in RADIUS_CHOICES
    ]
    if current is not None and current not in RADIUS_CHOICES:
        choices.insert(
            0, {"value": _decimal_text(current), "label": _("Within %(km)s km", km=_number(current)), "selected": True}
        )
    if current is None:
        choices.insert(0, {"value": "", "label": _("Any distance"), "selected": True})
    return choices


def facet_groups(found: SearchRequest, result: SearchResult) -> list[dict[str, Any]]:
    """Facet values as links that add or remove themselves, with counts."""
    query, state = found.query, found.state
    empty = Facet(name="", values=())

    # A broad search (more matches than the backend counts) lists the values of the venues it
    # read, without counts; every price and rating range stays a link.
    counted = all(facet.counted for facet in result.facets.values())

    def item(label: str, count: int, url: str, active: bool, *, ranges: bool = False) -> dict[str, Any]:
        enabled = bool(count) or active or (ranges and not counted)
        return {"label": label, "count": count, "url": url, "active": active, "enabled": enabled}

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
        prices.append(item(price_bucket_label(low, high), price_counts.get(key, 0), url, active, ranges=True))

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
                ranges=True,
            )
        )

    groups = [
        {"name": "category", "title": _("Category"), "items": categories, "counted": counted},
        {"name": "tags", "title": _("Features"), "items": tags, "counted": counted},
        {"name": "price", "title": _("Price from"), "items": prices, "counted": counted},
        {"name": "rating", "title": _("Rating"), "items": ratings, "counted": counted},
    ]
    # A group with nothing to choose (no tags yet; no reviews yet) is left out rather than shown empty.
    return [g for g in groups if any(i["enabled"] for i in g["items"])]


def active_filters(found: SearchRequest) -> list[dict[str, str]]:
    """Each filter in force, with a link to the same search without it. Words of the text that
    became a filter or a sort ("cheap", "in Manchester") are chips of their own; removing one
    removes its words from the text."""
    query, state = found.query, found.state
    understood = found.understood
    kinds = {intent.kind for intent in found.intents}
    chips = []
    if query.text:
        rest = understood.keywords_removed() if understood else ""
        chips.append({"label": f"“{query.text}”", "url": state.url(q=rest or None)})
    for intent in found.intents:
        if intent.kind == "near_me" and state.get("lat"):
            continue  # the location's own chip says it, and removes the words too
        changes: dict[str, str | None] = {"q": (understood.without(intent) if understood else "") or None}
        if intent.kind == "open_now":
            changes["open_now"] = None
        if intent.kind in ("place", "near_me") and query.sort == "distance":
            changes["sort"] = None
        chips.append({"label": intent.label, "url": state.url(**changes)})
    if query.category:
        chips.append({"label": found.category_name or query.category, "url": state.url(category=None)})
    for tag in query.tags:
        chips.append({"label": tag, "url": state.url(tag=[t for t in query.tags if t != tag] or None)})
    if query.price_min is not None or query.price_max is not None:
        chips.append({"label": _price_range_label(found), "url": state.url(price=None, price_min=None, price_max=None)})
    if query.min_rating is not None:
        chips.append(
            {"label": _("Rated %(rating)s and up", rating=_number(query.min_rating)), "url": state.url(rating=None)}
        )
    if query.open_now and "open_now" not in kinds:
        chips.append({"label": _("Open now"), "url": state.url(open_now=None)})
    if query.lat is not None and "place" not in kinds:
        place = found.near.label if found.near else _("your location")
        within = (
            _("Within %(km)s km of %(place)s", km=_number(query.radius_km), place=place)
            if query.radius_km
            else _("Near %(place)s", place=place)
        )
        sort = None if query.sort == "distance" else state.get("sort") or None
        # An empty "near" says "no place": the remembered one is not offered again on that page.
        changes = {"near": "" if found.near else None, "place": None, "lat": None, "lng": None, "radius": None}
        changes["sort"] = sort
        near_me = [i for i in found.intents if i.kind == "near_me"]
        if near_me and understood:
            changes["q"] = understood.without(near_me[0]) or None
        chips.append({"label": within, "url": state.url(**changes)})
    if found.free_label:
        chips.append(
            {
                "label": _("Free %(when)s", when=found.free_label),
                "url": state.url(free_date=None, free_from=None, free_to=None),
            }
        )
    return chips


def relaxed_notice(result: SearchResult) -> str:
    """What a relaxed search shows instead: "No venue matched every word; showing venues
    matching 'spa day'"."""
    if not result.relaxed:
        return ""
    matching = _(" or ").join(f"‘{words}’" for words in result.relaxed)
    return _("No venue matched every word; showing venues matching %(words)s.", words=matching)


def _price_range_label(found: SearchRequest) -> str:
    buckets = {price_bucket_key(lo, hi): price_bucket_label(lo, hi) for lo, hi in PRICE_BUCKETS}
    low, high = found.query.price_min, found.query.price_max
    if found.state.get("price") in buckets:
        return buckets[found.state.get("price")]
    if low is None:
        return _("Up to %(amount)s", amount=_money_label(high or 0, "GBP"))
    if high is None:
        return _("%(amount)s and up", amount=_money_label(low, "GBP"))
    return _("%(low)s to %(high)s", low=_money_label(low, "GBP"), high=_money_label(high, "GBP"))


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
        "attribution": current_app.config["MAP_TILE_ATTRIBUTION"] if tile_url else "",
        "lat": found.query.lat,
        "lng": found.query.lng,
        "markers": [
            {"id": c["id"], "lat": c["lat"], "lng": c["lng"], "name": c["name"], "url": c["url"], "label": c["price"]}
            for c in cards
            if c["lat"] is not None and c["lng"] is not None
        ],
    }
