"""The SQL the PostgreSQL search backend's statements are made of (search.postgres runs them):
the fragments a condition or an order key is written with, the tuning constants the strategies
share, the price bands and cells the words are looked up through, and how a row becomes a hit.
Each fragment's comment says which migration's index serves it and what it measured."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import escape

from search import free_time, pg_facets
from search.geo import (
    RADIUS_EXACT_SQL,
    RADIUS_SQL,
    boxes_overlap,
    cells_box,
    radius_cells,
    word_cell_keys,
)
from search.pg_text import RANK_SQL, TSQUERY, TextMatch
from search.snippets import sentence_snippet
from search.types import SearchHit, SearchQuery, VenueDocument

# What a hit shows, read from the row the search matched (no other table is read for a page).
HIT_FIELDS = (
    "slug", "name", "description", "category", "category_name", "tags", "service_names", "city", "lat", "lng",
    "price_from", "currency", "rating", "review_count", "cover_thumb", "timezone", "updated_at", "bookable",
)  # fmt: skip
HIT_COLUMNS = ", ".join(f"vs.{name}" for name in HIT_FIELDS)
FREE_WALK_GROWTH = 8
MINUTES_PER_WEEK = 7 * 24 * 60
# A search reads at most this many matching venues to count them and their facets, and ranks
# every match only below it. Above it, the count says "1,000+", the facet links come without
# counts, and the page comes from an index in a bounded order (see PostgresBackend._broad and
# docs/search.md, "Broad searches"). The app's SEARCH_COUNT_CAP setting overrides it.
COUNT_CAP = 1000
# The most venues a broad page walks in rating order (see compile's ``walk``).
WALK_ROWS = 20000
WALK_MIN_ROWS = 500
# Words that at least SAMPLE_STRIDE * (count_cap + 1) venues hold (the vocabulary's counts say so
# before the search) are sampled through the text index over one venue in SAMPLE_STRIDE
# (migration 0044), whose predicate this is: a bitmap of an eighth of their matches, not of all
# of them (see PostgresBackend._sampling).
SAMPLE_STRIDE = 8
SAMPLE_CONDITION = f"vs.venue_id % {SAMPLE_STRIDE} = 0"


# -- SQL fragments ---------------------------------------------------------------------------


# "Open now", from the local minute of the week and local date of each time zone the index
# holds, worked out once per search (see local_moments) and looked up by each row's zone.
OPEN_NOW_SQL = (
    "vs.week_hours @> CAST(CAST(:open_minutes AS jsonb) ->> vs.timezone AS integer)"
    " AND NOT vs.closed_days @> CAST(CAST(:open_dates AS jsonb) ->> vs.timezone AS date)"
)

WORDS_SQL = f"vs.search_vector @@ {TSQUERY}"
PHRASE_WORDS_SQL = f"vs.search_vector @@ CAST(:tsquery_words AS tsquery) AND ts_match_vq(vs.search_vector, {TSQUERY})"
OPEN_HOURS_SQL = "venue_search_open_zone_hours(vs.week_hours, vs.timezone) && CAST(:open_hours AS integer[])"
# A group's words in the cells of a radius (migration 0047), and the words' own test written so
# that the planner does not AND the country-wide text index with it (the words' matches near the
# circle are already all there is to read; the tsquery is tested on them): ts_match_vq is the
# function behind @@, which an index serves only as the operator. (A tsvector concatenated with
# '' did the same, copying every row's vector: 2.2 ms instead of 1.3 for 947 rows at 100k.)
WORD_CELLS_SQL = "venue_search_word_cells(vs.search_vector, vs.lat, vs.lng) && CAST(:word_cells_{n} AS text[])"
WORDS_TESTED_SQL = f"ts_match_vq(vs.search_vector, {TSQUERY})"
# A word's venues by price band (migration 0050, price_band).
WORD_PRICES_SQL = "venue_search_word_prices(vs.search_vector, vs.price_from) && CAST(:word_prices_{n} AS text[])"
PRICE_EDGE_SQL = "vs.price_from <= :price_edge"
PRICE_EDGE_TESTED_SQL = "vs.price_from + 0 <= :price_edge"
LAST_PRICE_BAND = 140
# A GIN lookup tests every key against each venue it finds: keys of empty bands cost little
# for a few hundred venues, but are bounded.
MAX_WORD_PRICE_KEYS = 300
OPEN_CELLS_SQL = "venue_search_open_cells(vs.week_hours, vs.timezone, vs.lat, vs.lng) && CAST(:open_cells AS bigint[])"

# Venues that can't take paid bookings yet (no enabled payout account) come after every venue that
# can, in every order (docs/search.md, "Venues that can't take bookings yet"). Where the matches
# are sorted in one statement, it is the first key. Where a page is read in an index's order, the
# page is read among the bookable venues (a row test; they are nearly all of them), and when it
# ends short the venues that can't follow, read by their partial index (migration 0051,
# UNBOOKABLE_SQL): few, sorted as they are.
BOOKABLE_SQL = "vs.bookable"
UNBOOKABLE_SQL = "NOT vs.bookable"
BOOKABLE_KEY = ("vs.bookable", "DESC")
ANY_UNBOOKABLE_SQL = "EXISTS (SELECT FROM venue_search WHERE NOT bookable)"
# The strong matches of a broad search: the words in the name, category or services (see _broad).
STRONG_SQL = "vs.search_vector @@ CAST(:strong AS tsquery)"


@dataclass
class CompiledSearch:
    """The SQL a query runs, with its parameters (``PostgresBackend.explain`` shows it).

    ``statements`` is ``[("search", sql)]`` when one statement answers page and facets
    together, else ``[("hits", sql), ("facets", sql)]``."""

    statements: list[tuple[str, str]]
    params: dict[str, Any]
    base: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # base and facet filters: what a hit must pass
    facet_filters: dict[str, str] = field(default_factory=dict)


def price_band(price: int) -> int:
    """Migration 0050's price band: a pound a band below 100 pounds, then ten pounds a band, the
    last from 500 pounds up."""
    if price < 10000:
        return max(price, 0) // 100
    return min(100 + (price - 10000) // 1000, LAST_PRICE_BAND)


def word_price_keys(words: Iterable[str], price_edge: int) -> list[str]:
    """The keys of venue_search_word_prices() (migration 0050) that a venue holding one of
    ``words`` (lexemes) at ``price_edge`` or less has: its band and every band below."""
    return [f"{word}${band}" for word in words for band in range(price_band(price_edge) + 1)]


def through_word_prices(match: TextMatch, price_edge: int, base: list[str], params: dict[str, Any]) -> list[str]:
    """``base`` (a broad page's conditions at or below an edge price) read through the index of
    words by price band (migration 0050): each group's venues in the bands up to the edge's,
    not the country's matches AND'ed with every venue that cheap (the price index's 62,500 of
    100k for a massage's edge, which most manicures are under). Relaxed, a venue holds a word
    of one group at least. The tsquery and the price stay the exact tests. As
    ``base`` when the keys would be more than MAX_WORD_PRICE_KEYS."""
    keys = [word_price_keys(words, price_edge) for words in _key_groups(match)]
    if sum(map(len, keys)) > MAX_WORD_PRICE_KEYS:
        return base
    params.update({f"word_prices_{n}": group_keys for n, group_keys in enumerate(keys)})
    # The price tested on the rows, not AND'ed from its index (the 62,500 again).
    exact = {**_WORDS_TESTED, PRICE_EDGE_SQL: PRICE_EDGE_TESTED_SQL}
    return [*(exact.get(c, c) for c in base), *(WORD_PRICES_SQL.format(n=n) for n in range(len(keys)))]


def zones_near(query: SearchQuery, minutes: dict[str, int]) -> dict[str, int]:
    """``minutes`` (each zone's minute of the week now) of the zones with venues in reach of the
    query's circle. Every key is looked up, found or not, and tested against every venue the
    lookup gives; a circle in London has no venue in six of the seven zones of a European
    catalogue: its 126 keys took 9.1 ms for the bitmap of "open now" within 10 km at 100k
    venues, the 18 of London's zone 3.7 ms. All of them when the circle has no cells
    (open_cell_keys then gives none)."""
    cells = radius_cells(query.lat, query.lng, query.radius_km)
    if not cells:
        return minutes
    box = cells_box(cells)
    boxes = pg_facets.zone_boxes()
    return {zone: minute for zone, minute in minutes.items() if boxes_overlap(boxes.get(zone), box)}


def through_word_cells(
    query: SearchQuery, match: TextMatch, conditions: list[str], params: dict[str, Any]
) -> list[str] | None:
    """``conditions`` (a search's base conditions) read through the index of words by map cell
    (migration 0047): the words' venues near the circle, not the country's matches AND'ed with
    the circle's box; the tsquery and the distance stay the exact tests. Relaxed, a venue holds
    a word of one group at least; otherwise one of each group's. None (and ``params`` as they
    were) without a radius that radius_cells covers, or with a word the vocabulary can't bound."""
    located = query.lat is not None and query.lng is not None and query.radius_km is not None
    if not located or not all(match.bound):
        return None
    cells = radius_cells(query.lat, query.lng, query.radius_km)
    if not cells:
        return None
    groups = _key_groups(match)
    for n, words in enumerate(groups):
        params[f"word_cells_{n}"] = word_cell_keys(words, cells)
    exact = {**_WORDS_TESTED, RADIUS_SQL: RADIUS_EXACT_SQL}
    return [exact.get(c, c) for c in conditions] + [WORD_CELLS_SQL.format(n=n) for n in range(len(groups))]


# The words' conditions as tested on rows a key index found (not AND'ed from the text index).
_WORDS_TESTED = {WORDS_SQL: WORDS_TESTED_SQL, PHRASE_WORDS_SQL: WORDS_TESTED_SQL}


def _key_groups(match: TextMatch) -> list[list[str]]:
    """The words (lexemes, sorted) a matching venue holds one of, per key condition of the
    word cells' and price bands' indexes: one list per group, or relaxed, one list of every
    group's words (a venue holds a word of one group at least)."""
    groups = [[w for group in match.bound for w in group]] if match.min_groups else match.bound
    return [sorted(set(words)) for words in groups]


def next_walk(walk: int, found: int, needed: int) -> int:
    """How far the next walk reads: as far as this walk's yield (``found`` of the ``needed``
    venues in ``walk`` rows) says the page needs, half as far again, between twice this walk
    and FREE_WALK_GROWTH times it."""
    if found <= 0:
        return walk * FREE_WALK_GROWTH
    return min(walk * FREE_WALK_GROWTH, max(walk * 2, -(-walk * needed * 3 // (found * 2))))


class FreeChecker:
    """The slot engine's check of free-window candidates (search.pg_free_walk.free_venue_ids), a
    batch at a time in the page's order, until the pages up to this one and one venue more are
    filled; candidates given again (a longer walk) are checked once."""

    def __init__(self, query: SearchQuery, needed: int) -> None:
        self.query, self.needed = query, needed
        self.free: list[int] = []
        self.seen: set[int] = set()
        self.shown = 0
        self.checked_all = True

    @property
    def full(self) -> bool:
        return self.shown >= self.needed

    def could_not_fill(self, candidates: list[Any]) -> bool:
        """Would the page stay short even if every unchecked candidate were free?"""
        return self.shown + sum(1 for row in candidates if row.passes and row.venue_id not in self.seen) < self.needed

    def check(self, candidates: list[Any]) -> None:
        fresh = [row for row in candidates if row.venue_id not in self.seen]
        checked, batch = 0, self.needed
        while checked < len(fresh) and not self.full:
            chunk = fresh[checked : checked + batch]
            # The slot engine is asked only about candidates without a kept answer.
            unknown = [row.venue_id for row in chunk if row.known is None]
            found = set(free_time.venues_free_between(unknown, self.query.free_from, self.query.free_to, kept=False))
            found.update(row.venue_id for row in chunk if row.known)
            for row in chunk:
                self.seen.add(row.venue_id)
                if row.venue_id in found:
                    self.free.append(row.venue_id)
                    self.shown += bool(row.passes)
            checked += len(chunk)
            batch *= 2
        self.checked_all = checked >= len(fresh)

    def result(self, *, complete: bool) -> tuple[list[int], int | None]:
        """The free venues, and how many of them pass every filter unless every venue that
        could be free was checked (then None: the count is exact)."""
        return sorted(self.free), (None if complete else self.shown)


def counted_broad(query: SearchQuery, match: TextMatch | None) -> bool | None:
    """Does the vocabulary's count of the words alone tell a search is broad (one group, or
    relaxed to any one group, and no "open now": True), need the eighth's sample to tell it
    (False: "open now"), or only bound it (None: several required groups)?"""
    if match is None or not ((len(match.groups) == 1 and not match.min_groups) or match.min_groups == 1):
        return None
    return not query.open_now


def sample_size(rows: Iterable[Any]) -> int:
    """How many matches the one statement's sample read (its "sampled" row)."""
    return next(row["n"] for row in rows if row["kind"] == "facet" and row["facet"] == "sampled")


def relaxed_labels(match: TextMatch, masks: Iterable[int]) -> tuple[str, ...]:
    """The words a relaxed search's venues match, from the group masks of its sample: the sets
    of groups with the most groups (in the order typed, at most three), or with one group each,
    every group matched ("massage", "pedicure")."""
    masks = list(masks)
    if not masks:
        return ()
    best = max(bin(mask).count("1") for mask in masks)
    sets = sorted(
        [n for n in range(len(match.groups)) if mask & (1 << n)] for mask in masks if bin(mask).count("1") == best
    )
    labels = tuple(" ".join(match.typed[n] for n in matched) for matched in sets)
    return labels if best == 1 else labels[:3]


def count_cap_of(config: Any) -> int:
    """SEARCH_COUNT_CAP, refused at start-up when under 1 (app/__init__.py)."""
    cap = int(config.get("SEARCH_COUNT_CAP", COUNT_CAP))
    if cap < 1:
        raise ValueError(f"SEARCH_COUNT_CAP must be at least 1 (it is {cap}).")
    return cap


def hits_from(rows: Iterable[Any]) -> tuple[SearchHit, ...]:
    return tuple(
        SearchHit(
            venue_id=row["venue_id"],
            slug=row["slug"],
            name=row["name"],
            score=float(row["score"] or 0.0),
            distance_km=(row["distance_m"] / 1000.0 if row["distance_m"] is not None else None),
            highlight=sentence_snippet(row["highlight"]) if row["highlight"] else _plain_snippet(row["description"]),
            document=_document(row),
        )
        for row in rows
    )


def _document(row: Any) -> VenueDocument:
    """The hit's document, from the venue_search columns the statement returned."""
    return VenueDocument(
        id=row["venue_id"],
        slug=row["slug"],
        name=row["name"],
        description=row["description"],
        category=row["category"],
        category_name=row["category_name"],
        tags=tuple(row["tags"] or ()),
        service_names=tuple(row["service_names"] or ()),
        city=row["city"],
        lat=row["lat"],
        lng=row["lng"],
        price_from=row["price_from"],
        currency=row["currency"],
        rating=float(row["rating"]) if row["rating"] is not None else None,  # numeric(3, 2)
        review_count=row["review_count"],
        cover_thumb=row["cover_thumb"],
        timezone=row["timezone"],
        updated_at=row["updated_at"],
        bookable=row["bookable"] is not False,
    )


def local_moments(instant: datetime, zones: Iterable[str]) -> tuple[dict[str, int], dict[str, str]]:
    """For each zone: the local minute of the week (Monday 00:00 = 0) and the local date of
    ``instant``, as OPEN_NOW_SQL looks them up. The same zoneinfo as the slot engine."""
    minutes: dict[str, int] = {}
    dates: dict[str, str] = {}
    for zone in zones:
        try:
            local = instant.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            continue  # a venue in an unknown zone is never "open now"
        minutes[zone] = _minute_of_week(local)
        dates[zone] = local.date().isoformat()
    return minutes, dates


def window_hours(free_from: datetime, free_to: datetime, zones: Iterable[str]) -> dict[str, str]:
    """For each zone: the minutes of its local week (Monday 00:00 = 0) that the window
    [free_from, free_to) covers, as int4multirange text for OPEN_DURING_WINDOW_SQL. A window of a
    week or more covers all of it; one that ends at an earlier minute of the week than it starts
    wraps past Sunday midnight (an empty window, too: the whole week, as the slot engine decides
    what is free). The same zoneinfo as the slot engine; an unknown zone is never open."""
    whole = f"{{[0,{MINUTES_PER_WEEK + 1})}}"
    ranges: dict[str, str] = {}
    for zone in zones:
        try:
            tz = ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        if free_to - free_from >= timedelta(days=7):
            ranges[zone] = whole
            continue
        start, end = (_minute_of_week(moment.astimezone(tz)) for moment in (free_from, free_to))
        if end > start:
            ranges[zone] = f"{{[{start},{end})}}"
        else:
            ranges[zone] = f"{{[0,{end}),[{start},{MINUTES_PER_WEEK + 1})}}"  # [0,0) is empty
    return ranges


def _minute_of_week(local: datetime) -> int:
    return local.weekday() * 1440 + local.hour * 60 + local.minute


RATING_KEYS = [("vs.rating", "DESC NULLS LAST"), ("vs.review_count", "DESC")]
# The order of ix_venue_search_rating (migration 0007).
RATING_ORDER = "rating DESC NULLS LAST, review_count DESC, name, venue_id"


def order_keys(query: SearchQuery, has_text: bool, located: bool) -> list[tuple[str, str]]:
    name_keys = [("vs.name", "ASC"), ("vs.venue_id", "ASC")]
    rating_keys = list(RATING_KEYS)
    if query.sort == "distance" and located:
        # cube's <-> (straight-line distance in the earth model) orders like earth_distance and
        # lets the GiST index return nearest first.
        return [("vs.earth <-> ll_to_earth(:lat, :lng)", "ASC NULLS LAST"), *name_keys]
    if query.sort == "price":
        return [("vs.price_from", "ASC NULLS LAST"), *name_keys]
    if query.sort == "rating" or not has_text:
        return [*rating_keys, *name_keys]
    return [(RANK_SQL, "DESC"), *name_keys]


def _plain_snippet(description: str | None, words: int = 30) -> str:
    parts = (description or "").split()
    snippet = " ".join(parts[:words]) + (" …" if len(parts) > words else "")
    return str(escape(snippet))


document_from_row = _document  # for other readers of venue_search (app/saved: cards by venue id)
