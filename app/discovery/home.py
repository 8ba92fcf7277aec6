"""The home page: category tiles and shelves of venues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from app.discovery.cards import build_cards
from app.discovery.params import CITIES, DEFAULT_CITY
from app.venues.service import get_categories
from search.backend import search
from search.types import Facet, SearchQuery

SHELF_SIZE = 6


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
    # Both shelves' cards at once: their "open now" and next free times take one set of queries.
    cards = build_cards([*top.hits, *near.hits], now=now)
    return {
        "categories": tiles,
        "top": {**top_shelf, "cards": cards[: len(top.hits)]},
        "near": {
            "city": city.name,
            "cards": cards[len(top.hits) :],
            "more_url": url_for("discovery.search", near=city.name, sort="distance"),
        },
        "cities": [c.name for c in CITIES.values()],
        "search_url": url_for("discovery.search"),
    }
