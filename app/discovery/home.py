"""The home page: category tiles and shelves of venues."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.discovery.cards import build_cards, hits_for
from app.discovery.params import CITIES, DEFAULT_CITY
from app.saved import service as saved
from app.venues.service import get_categories
from search.backend import search
from search.types import Facet, SearchQuery

SHELF_SIZE = 6


def build_home_page(
    *, now: datetime | None = None, customer_id: int | None = None, saved_ids: Sequence[int] = ()
) -> dict[str, Any]:
    """Category tiles, a shelf of top-rated (or, before reviews, lowest-priced) venues, and venues near London;
    for a signed-in customer (``customer_id``, with their ``saved_ids`` newest first) their own shelves too."""
    now = now or datetime.now(UTC)
    overview = search(SearchQuery(per_page=1))
    counts = {v.value: v.count for v in overview.facets.get("category", Facet(name="", values=())).values}
    tiles = [
        {
            "name": c.name,
            "url": url_for("discovery.category", category_slug=c.slug),
            "count_label": ngettext("%(num)d venue", "%(num)d venues", counts[c.slug]) if counts.get(c.slug) else "",
        }
        for c in get_categories()
    ]
    # "Top rated" holds rated venues only (a minimum rating of 0 leaves out the unrated), so no
    # "No reviews yet" card sits under it; fewer than six rated venues make a shorter shelf.
    top = search(SearchQuery(sort="rating", min_rating=0, per_page=SHELF_SIZE))
    if top.hits:
        top_shelf = {"heading": _("Top rated"), "note": "", "more_url": url_for("discovery.search", sort="rating")}
    else:  # no reviews yet: say so, and show the lowest prices under a heading that says that
        top = search(SearchQuery(sort="price", per_page=SHELF_SIZE))
        top_shelf = {
            "heading": _("Lowest prices"),
            "note": _("No reviews yet, so the lowest prices come first."),
            "more_url": url_for("discovery.search", sort="price"),
        }
    city = DEFAULT_CITY
    near = search(SearchQuery(lat=city.lat, lng=city.lng, sort="distance", per_page=SHELF_SIZE))
    lists = {
        "trending": saved.trending_venue_ids(lat=city.lat, lng=city.lng, now=now),
        **personal_lists(now, customer_id, saved_ids),
    }
    extra = hits_for(list(dict.fromkeys(i for ids in lists.values() for i in ids)))
    # Every shelf's cards at once: their "open now" and next free times take one set of queries.
    cards = build_cards([*top.hits, *near.hits, *extra], now=now)
    by_id = {card["id"]: card for card in cards[len(top.hits) + len(near.hits) :]}
    shelves = {name: [by_id[i] for i in ids if i in by_id] for name, ids in lists.items()}
    return {
        "categories": tiles,
        "top": {**top_shelf, "cards": cards[: len(top.hits)]},
        "near": {
            "city": city.name,
            "cards": cards[len(top.hits) : len(top.hits) + len(near.hits)],
            "more_url": url_for("discovery.search", near=city.name, sort="distance"),
        },
        "trending": {"city": city.name, "cards": shelves["trending"]},
        "personal": {
            "saved": shelves.get("saved", []),
            "book_again": shelves.get("book_again", []),
            "recommended": shelves.get("recommended", []),
            "because": shelves["anchor"][0]["name"] if shelves.get("anchor") else "",
        },
        "cities": [c.name for c in CITIES.values()],
        "search_url": url_for("discovery.search"),
    }


def personal_lists(now: datetime, customer_id: int | None, saved_ids: Sequence[int]) -> dict[str, list[int]]:
    """For a signed-in customer: their saved venues, the venues to book again, and venues like
    the one they visited (or saved) last. Indexed queries only (the page reads the saved ids);
    nothing for anyone else."""
    if customer_id is None:
        return {}
    mine = list(saved_ids[:SHELF_SIZE])
    again = saved.book_again_venue_ids(customer_id, now=now)
    anchor = (again or mine or [None])[0]
    recommended = (
        saved.similar_venue_ids(anchor, limit=SHELF_SIZE, exclude=[*mine, *again]) if anchor is not None else []
    )
    return {"saved": mine, "book_again": again, "recommended": recommended, "anchor": [anchor] if anchor else []}
