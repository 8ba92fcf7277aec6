"""The PostgreSQL search backend (the default): one denormalised row per approved venue.

``venue_search`` (migrations 0005 and 0007) holds a weighted ``tsvector`` (name A; category
and services B; tags and city C; description D), an ``earth`` cube for radius and distance,
and the opening hours as a multirange of local minutes since Monday 00:00 so "open now" is
answered in SQL, in each venue's own time zone. A hit is built from the row's own columns.
docs/search.md explains the design.

This module builds and runs the search statements. Writing the index is ``search.pg_index``;
typo correction and autocomplete ``search.pg_text``; facet counting ``search.pg_facets``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_app_context
from markupsafe import escape
from sqlalchemy import text

from app.booking.availability import booking_rules
from app.platform.extensions import db
from search import free_time, pg_facets, pg_index, pg_text
from search.free_time import free_answer_params, free_answer_sql
from search.geo import (
    DISTANCE_M_SQL,
    RADIUS_EXACT_SQL,
    RADIUS_SQL,
    boxes_overlap,
    cells_box,
    open_cell_keys,
    radius_cells,
    radius_limits,
    word_cell_keys,
    zone_code,
)
from search.pg_text import HEADLINE_OPTIONS, RANK_SQL, TS_CONFIG, TSQUERY, TextMatch, escape_html_sql
from search.snippets import sentence_snippet
from search.types import SearchHit, SearchQuery, SearchResult, VenueDocument

# What a hit shows, read from the row the search matched (no other table is read for a page).
HIT_FIELDS = (
    "slug", "name", "description", "category", "category_name", "tags", "service_names", "city", "lat", "lng",
    "price_from", "currency", "rating", "review_count", "cover_thumb", "timezone", "updated_at", "bookable",
)  # fmt: skip
HIT_COLUMNS = ", ".join(f"vs.{name}" for name in HIT_FIELDS)
# "Free in this window" runs the slot engine per candidate venue, in the page's order, until
# the page is full; beyond this many candidates the rest are never checked. See
# search.availability and PostgresBackend._free_venue_ids.
FREE_WINDOW_MAX_CANDIDATES = 1000
# A nearest-first free-window search walks FREE_WALK_START times the venues a page needs first,
# then FREE_WALK_GROWTH times more each time: FREE_WALKS walks with words (then their matches
# through the text index), FREE_WALKS_WITHOUT_WORDS without (PostgresBackend._free_venue_ids).
FREE_WALK_START = 8
FREE_WALK_GROWTH = 8
FREE_WALKS = 2
# A walk at least this long is a sample that tells whether the words are rare near the point.
RARE_WORDS_SAMPLE = 100
FREE_WALKS_WITHOUT_WORDS = 4
# What the other conditions and order keys of a free-window search read (not the description
# nor the words, tested where they are read).
_WALK_COLUMNS = (
    "vs.venue_id, vs.name, vs.category, vs.tags, vs.price_from, vs.rating, vs.review_count, vs.timezone,"
    " vs.week_hours, vs.closed_days, vs.earth, vs.bookable"
)
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
# With "open now", the eighth is read only when the words' count times the share of venues open
# says it holds this many times what it needs (the hours of venues with the words may differ).
OPEN_SAMPLE_MARGIN = 1.5
# Several required groups: the eighth is tried when the smallest group's count (a bound on the
# venues matching them all) is at least this many times what a full sample of it needs.
MULTI_SAMPLE_MARGIN = 1.5
# "Open now" with words reads the hours' index when at most this share of venues is open.
OPEN_HOURS_SHARE = 0.25
# "Open now" within a radius reads the index of where and when venues are open (migration 0046)
# when at most this share is open. With more open, the circle's rows yield a page's sample
# soon enough: reading them through the location index costs less than the cells' lists.
OPEN_CELLS_SHARE = 0.4
# The share of venues open now (the weekly profiles of migration 0043; the closures of today
# are not subtracted: an estimate, for _sampling).
OPEN_SHARE_SQL = """
SELECT coalesce((SELECT sum(coalesce(p.counts[width_bucket(CAST(z.minute AS integer), p.edges)], 0))
        FROM jsonb_each_text(CAST(:open_minutes AS jsonb)) AS z(timezone, minute)
        JOIN venue_search_open_profiles p ON p.timezone = z.timezone AND p.facet = 'total')
       / greatest((SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples ELSE (SELECT count(*) FROM venue_search) END
                   FROM pg_class c WHERE c.oid = 'venue_search'::regclass), 1), 0)"""


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

# Opening hours overlap the window [free_from, free_to), judged in each venue's local week: the
# window as each zone's minutes of the week, worked out once per search (window_hours) and looked
# up by each row's zone. Worked out per row in SQL (AT TIME ZONE and extract, twice), the test
# cost about 5 us a row, a fifth of that looked up: 1.4k rows a walk for "today near me".
OPEN_DURING_WINDOW_SQL = "vs.week_hours && CAST(CAST(:window_hours AS jsonb) ->> vs.timezone AS int4multirange)"


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


class PostgresBackend:
    name = "postgres"

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now or (lambda: datetime.now(UTC))
        self._trace: list[tuple[str, str, dict[str, Any]]] | None = None  # explain's record

    # -- indexing (search.pg_index) ------------------------------------------------------------

    def index(self, venue_ids: Iterable[int]) -> None:
        """Upsert the approved venues among ``venue_ids``; remove the rest."""
        pg_index.index_venues(venue_ids)

    def remove(self, venue_ids: Iterable[int]) -> None:
        pg_index.remove_venues(venue_ids)

    def reindex_all(self, progress: Callable[[int, int], None] | None = None) -> int:
        return pg_index.reindex_all(progress)

    # -- searching ---------------------------------------------------------------------------

    def compile(
        self,
        query: SearchQuery,
        *,
        only_ids: list[int] | None = None,
        match: TextMatch | None = None,
        paged: str | None = None,
        walk: bool = False,
        price_edge: int | None = None,
        common: bool = False,
        open_hours: bool = False,
    ) -> CompiledSearch:
        """Build the SQL for ``query`` from the strategies below, one per path a query takes.

        Every query gathers its conditions in this order: the words (``_text_strategy``, and
        ``_relaxed_strategy`` when a venue need match only some of the groups), the circle
        (``_geo_strategy``), "open now" (``_open_now_strategy``), a free window
        (``_free_window_strategy``), a broad page's edge price (``_price_band_strategy``), a broad
        page's strong or weak matches (``_strong_strategy``) and the facet filters
        (``_facet_filters``). Then one of two statements:

        - ``_sample_strategy``, when no ``paged`` is asked and the words or a radius narrow the
          venues to a few thousand at most: the matches are read once (through the words' or
          the open venues' map cells, or the hours' index, when they are few:
          ``_sample_reads``) and the page and the facets come from that one read.
        - ``_page_strategy`` otherwise (no words nor radius, or a broad search's page asked for
          by _broad, _then_unbookable or _count_strong): the page alone, read in its order
          through an index among the bookable venues (or the others: ``_bookable_strategy``),
          nearest first through the location index (``_nearest_first``), or the strong matches
          then the weak (``_tiered``); the facets a second statement.

        ``only_ids`` restricts to venues free in the window; ``match`` is the text as a tsquery
        (worked out from ``query.text`` when not given).

        ``paged`` asks for the page alone, read in its order through an index where one serves
        (the first statement of ``[("hits", sql), ("facets", sql)]``), for a broad search (see
        _broad): "exact" in the query's own order; "strong" the venues whose name, category or
        services match the words, "weak" the other matches, each best rated first; "tiered" the
        strong matches, then the weak, each best rated first, in one statement; "broad" the
        query's order, or best rated first in place of relevance; "unbookable" the venues that
        can't take paid bookings, in the query's order. With ``walk`` (best rated first only),
        the page is read by walking the rating index until it is full: bounded by how common
        the matches are, where the planner's estimate for a radius (a constant for the cube
        operators) would have it read and sort every venue in the circle. A walk looks at
        WALK_ROWS venues at most; a page it can't fill is read without it. ``price_edge``: only
        venues at this price or less (see _broad). ``common``: the words are known to match
        more than count_cap venues (_sampling), so the one statement reads its sample from the
        index over one venue in SAMPLE_STRIDE and no page (the page and the count come from
        _broad); its ``base`` and ``where`` are the query's own, for _broad. ``open_hours``:
        that statement finds the venues open now through the index of the hours they are open
        in (few are open: _sampling)."""
        if match is None and query.text.strip():
            match = self.text_match(query.text)
        c = _Compiling(query, match, {"limit": query.per_page, "offset": query.offset, "sample": self.count_cap + 1})
        if match is not None:
            _text_strategy(c)
        _geo_strategy(c)
        if query.open_now:
            _open_now_strategy(c, self._now())
        _free_window_strategy(c, only_ids)
        if price_edge is not None:
            _price_band_strategy(c, price_edge)
        if paged in ("strong", "weak", "tiered") and match is not None:
            _strong_strategy(c, paged)
        c.facet_filters = _facet_filters(query, c.params)
        c.where = [*c.base, *(f for f in c.facet_filters.values() if f != "true")] or ["true"]
        c.order = _order_keys(query, match is not None and paged in (None, "exact", "unbookable"), c.located)
        if paged == "weak" or price_edge is not None or paged == "unbookable":
            # Through the text index and a sort, not by walking the order's index (the rating's,
            # the price's): that walk could pass most of the index before a page of matches. (The
            # venues that can't take bookings: through their partial index, few, then sorted.)
            c.order[0] = (f"(({c.order[0][0]}) + 0)", c.order[0][1])
        if paged is None and (match is not None or "radius_chord_m" in c.params):
            return _sample_strategy(c, only_ids, common=common, open_hours=open_hours)
        return _page_strategy(c, only_ids, paged, walk=walk)

    def corrected_tsquery(self, words: str) -> str:
        """``words`` as tsquery text: groups of synonyms, typos OR'ed with the closest words."""
        return pg_text.corrected_tsquery(words)

    def text_match(self, words: str) -> TextMatch | None:
        return pg_text.text_match(words)

    def explain(self, query: SearchQuery) -> list[tuple[str, str, dict[str, Any]]]:
        """(name, SQL, params) of every statement ``search(query)`` runs (when something matches
        every word), for EXPLAIN."""
        only_ids = [] if query.free_from else None
        match = self.text_match(query.text) if query.text.strip() else None
        common, open_hours = self._sampling(query, match, only_ids)
        compiled = self.compile(query, only_ids=only_ids, match=match, common=common, open_hours=open_hours)
        statements = [(name, sql, compiled.params) for name, sql in compiled.statements]
        if len(statements) == 1 and only_ids is None:
            # A broad search runs more: found by running it, with the statements recorded.
            self._trace = []
            try:
                self._search_among(query, match, None)
                statements += self._trace
            finally:
                self._trace = None
        return statements

    def search(self, query: SearchQuery) -> SearchResult:
        match = self.text_match(query.text) if query.text.strip() else None
        result = self._search(query, match)
        if result.total == 0 and match is not None and len(match.groups) > 1:
            # No venue matched every group: the most groups any venue (passing the other
            # filters) matches, tried from all but one down to one, each a search through the
            # text index of the venues matching that many (TextMatch.relax). The first that
            # finds venues is shown, and its own sample names the groups they match.
            for fewer in range(len(match.groups) - 1, 0, -1):
                relaxed = self._search(query, match.relax(fewer, ()))
                if relaxed.total:
                    return relaxed
        return result

    @property
    def count_cap(self) -> int:
        return count_cap_of(current_app.config) if has_app_context() else COUNT_CAP

    def _search(self, query: SearchQuery, match: TextMatch | None) -> SearchResult:
        if query.free_from and query.free_to:
            only_ids, at_least = self._free_venue_ids(query, match)
            if at_least is not None:
                # Candidates were left unchecked: at least this many are free, and the facets
                # know only the ones found.
                result = self._search_among(query, match, only_ids)
                return dataclasses.replace(
                    result,
                    total=at_least,
                    total_capped=True,
                    facets={name: dataclasses.replace(f, counted=False) for name, f in result.facets.items()},
                )
        else:
            only_ids = None
        return self._search_among(query, match, only_ids)

    def _search_among(self, query: SearchQuery, match: TextMatch | None, only_ids: list[int] | None) -> SearchResult:
        common, open_hours = self._sampling(query, match, only_ids)
        compiled = self.compile(query, only_ids=only_ids, match=match, common=common, open_hours=open_hours)
        if len(compiled.statements) == 1:
            rows = db.session.execute(text(compiled.statements[0][1]), compiled.params).mappings().all()
            if common and not _counted_broad(query, match) and _sampled(rows) <= self.count_cap:
                # Common words, but "open now" or the other groups leave too few of the eighth to
                # tell the search is broad: the sample of every match, as for rarer words.
                common = False
                compiled = self.compile(query, only_ids=only_ids, match=match, open_hours=open_hours)
                rows = db.session.execute(text(compiled.statements[0][1]), compiled.params).mappings().all()
            hit_rows = sorted((row for row in rows if row["kind"] == "hit"), key=lambda row: row["position"])
            facet_rows = [(row["facet"], row["value"], row["label"], row["n"]) for row in rows if row["kind"] != "hit"]
            sampled = {facet: n for facet, _, _, n in facet_rows if facet in ("sampled", "strong", "price_edge")}
            masks = [int(value) for facet, value, _, n in facet_rows if facet == "groups" and n]
            facet_rows = [row for row in facet_rows if row[0] not in sampled and row[0] != "groups"]
            if match is not None and match.min_groups and not match.relaxed:
                match = match.relax(match.min_groups, relaxed_labels(match, masks))
            if common or sampled["sampled"] > self.count_cap:
                result = self._broad(query, match, only_ids, compiled, facet_rows, sampled)
                return dataclasses.replace(result, relaxed=match.relaxed if match is not None else ())
            total, facets = pg_facets.group_facets(facet_rows)
            return SearchResult(
                hits=_hits(hit_rows),
                total=total,
                facets=facets,
                backend=self.name,
                relaxed=match.relaxed if match is not None else (),
            )
        else:
            (_, hits_sql), (_, facets_sql) = compiled.statements
            hit_rows = db.session.execute(text(hits_sql), compiled.params).mappings().all()
            hit_rows = self._then_unbookable(query, match, only_ids, hit_rows)
            facet_rows = pg_facets.facet_rows(facets_sql, compiled.params, cached=only_ids is None)
        total, facets = pg_facets.group_facets(facet_rows)
        return SearchResult(hits=_hits(hit_rows), total=total, facets=facets, backend=self.name)

    def _broad(
        self,
        query: SearchQuery,
        match: TextMatch | None,
        only_ids: list[int] | None,
        compiled: CompiledSearch,
        sample_rows: list[tuple[str, str, str, int]],
        sampled: dict[str, int | None],
    ) -> SearchResult:
        """More than count_cap venues match the text or the radius (their first count_cap + 1,
        the sample, are all the first statement read). Count the venues that pass every filter,
        up to count_cap + 1. At most count_cap: the page in the query's own order (ranking them
        all). More: "count_cap+" venues, and the page read through an index in a bounded order:
        relevance becomes the venues whose name, category or services match the words, best
        rated first, then the rest of the matches, best rated first (other sorts keep theirs).
        Where the sample says the strong matches are common, they are read walking the rating
        index, and the rest follow in a second statement when the page reaches them; otherwise
        both come from the words' index in one statement ("tiered"), the rest read only when
        the strong ones don't fill the pages up to this one.
        The facet links are the sample's values, without counts."""
        cap = self.count_cap
        if any(condition != "true" for condition in compiled.facet_filters.values()):
            total = self._count(compiled, up_to_sample=True)
        else:
            total = cap + 1
        _, facets = pg_facets.group_facets(sample_rows)
        facets = {name: dataclasses.replace(facet, counted=False) for name, facet in facets.items()}
        if total <= cap:
            rows = self._page(query, match, only_ids, "exact")
        elif match is not None and query.sort == "relevance":
            # Walk the rating index when the strong matches are common (half the sample or
            # more); when they are rare, that walk could pass most of the index to fill a page.
            walk = (sampled.get("strong") or 0) * 2 > (sampled.get("sampled") or 0)
            rows = self._page(query, match, only_ids, "strong" if walk else "tiered", walk=walk)
            if walk and len(rows) < query.per_page:
                # The strong matches end on this page, or before it: the weak ones follow.
                if rows or query.offset == 0:
                    strong_total = query.offset + len(rows)
                else:
                    strong_total = self._count_strong(query, match, only_ids)  # fewer than the offset
                weak_query = dataclasses.replace(query, page=1, per_page=query.per_page - len(rows))
                skip = max(0, query.offset - strong_total)
                rows = [*rows, *self._page(weak_query, match, only_ids, "weak", skip=skip)]
        elif query.sort == "price" and sampled.get("price_edge") is not None:
            # Lowest price first: a page of the sample's venues cost the edge price or less, so
            # the page's venues are among the matches that do (an index on the price, joined to
            # the text's: walking the price index alone could pass every cheaper venue of other
            # kinds, a massage costing more than a manicure).
            rows = self._page(query, match, only_ids, "broad", price_edge=sampled["price_edge"])
        else:
            rows = self._page(query, match, only_ids, "broad", walk=match is None)
        rows = self._then_unbookable(query, match, only_ids, rows)
        return SearchResult(
            hits=_hits(rows), total=min(total, cap + 1), facets=facets, backend=self.name, total_capped=total > cap
        )

    def _then_unbookable(
        self, query: SearchQuery, match: TextMatch | None, only_ids: list[int] | None, rows: list[Any]
    ) -> list[Any]:
        """``rows`` (a page read among the venues that can take paid bookings), then, when they end
        on it, the venues that can't, in the query's order: read by their partial index only when
        the index holds some (the page's own ``any_unbookable``; for an empty page,
        pg_facets.unbookable_count, read once per index state). A free window never has them
        (compile)."""
        if len(rows) >= query.per_page or query.free_from is not None:
            return rows
        if not (rows[0]["any_unbookable"] if rows else pg_facets.unbookable_count()):
            return rows
        if rows or query.offset == 0:
            bookable = query.offset + len(rows)
        else:  # the page starts past the bookable venues: how many there are (fewer than the offset)
            bookable = self._count(self.compile(query, only_ids=only_ids, match=match, paged="exact"))
        rest = dataclasses.replace(query, page=1, per_page=query.per_page - len(rows))
        return [*rows, *self._page(rest, match, only_ids, "unbookable", skip=max(0, query.offset - bookable))]

    def _page(
        self,
        query: SearchQuery,
        match: TextMatch | None,
        only_ids: list[int] | None,
        paged: str,
        *,
        skip: int = 0,
        walk: bool = False,
        price_edge: int | None = None,
    ) -> list[Any]:
        compiled = self.compile(query, only_ids=only_ids, match=match, paged=paged, walk=walk, price_edge=price_edge)
        if skip:
            compiled.params["offset"] = skip
        if self._trace is not None:
            self._trace.append((f"page ({paged})", compiled.statements[0][1], dict(compiled.params)))
        rows = db.session.execute(text(compiled.statements[0][1]), compiled.params).mappings().all()
        if "walk" in compiled.params and len(rows) < query.per_page:
            # The walk ended (its matches, or WALK_ROWS venues) before the page was full: the
            # rest of the page, if any, is further on than the walk looked.
            return self._page(query, match, only_ids, paged, skip=skip)
        return rows

    def _sampling(self, query: SearchQuery, match: TextMatch | None, only_ids: list[int] | None) -> tuple[bool, bool]:
        """How the first statement reads its sample: (common, open_hours) for compile.

        ``common``: the vocabulary's counts (``venue_search_words``, exact, kept by triggers) say
        at least SAMPLE_STRIDE * (count_cap + 1) venues match the words, and nothing but the
        words, "open now" and the facet filters narrows them. Then the sample comes from the
        index over one venue in SAMPLE_STRIDE, and the search is broad: whatever that sample
        holds without "open now" (every match of the words is a match); with it, when the eighth
        alone has more than count_cap venues open (else the sample of every match is read,
        _search_among), and only when the words' count times the share of venues open now says
        the eighth is likely to. For one group ("massage | massages", "haircut | hair <-> cut"),
        or a search relaxed to any one of its groups, the count is that of the venues holding
        one of the one-word alternatives: at least that many match. Several required groups
        have no such count.

        ``open_hours``: "open now" with words or a radius while at most OPEN_HOURS_SHARE of the
        venues are open (the weekly profiles of migration 0043 say how many): the venues open
        in this hour of their zone come through their index (migrations 0045 and 0048). With
        more open, AND'ing that index's long lists with the words' costs more than testing the
        rows' hours. Within a radius that radius_cells can cover, up to OPEN_CELLS_SHARE: the
        venues open in these two hours near the circle come through the index of where and
        when they are open (migration 0046)."""
        if only_ids is not None:
            return False, False
        located = query.radius_km is not None and query.lat is not None and query.lng is not None
        share = None
        if query.open_now and (match is not None or located):
            minutes, _ = local_moments(self._now().replace(second=0, microsecond=0), pg_facets.index_zones())
            share = db.session.execute(text(OPEN_SHARE_SQL), {"open_minutes": json.dumps(minutes)}).scalar_one()
        cells = located and radius_cells(query.lat, query.lng, query.radius_km) is not None
        open_hours = share is not None and share <= (OPEN_CELLS_SHARE if cells else OPEN_HOURS_SHARE)
        if match is None or not match.plain or located:
            return False, open_hours
        enough = SAMPLE_STRIDE * (self.count_cap + 1)
        if _counted_broad(query, match) is None:
            # Several required groups: their counts only bound the venues matching all of them,
            # or (relaxed) at least min_groups of them: such a venue holds a word of any
            # n - min_groups + 1 of the n groups, so the smallest that many groups' counts added
            # are a bound. The eighth is tried when that bound allows a full sample, and the
            # search is broad when the eighth alone has more than count_cap matches (else the
            # sample of every match is read after it, _search_among).
            if query.open_now or not all(match.bound):
                return False, open_hours
            sizes = sorted(sum(match.venues(group)) for group in match.bound)
            bound = sum(sizes[: len(sizes) - (match.min_groups or len(sizes)) + 1])
            return bound >= enough * MULTI_SAMPLE_MARGIN, open_hours
        words = list(match.plain[0]) if len(match.groups) == 1 else [w for group in match.plain for w in group]
        most = max(match.venues(words), default=0)
        if share is None:
            return most >= enough, open_hours
        return most * share >= enough * OPEN_SAMPLE_MARGIN, open_hours

    def _count_strong(self, query: SearchQuery, match: TextMatch, only_ids: list[int] | None) -> int:
        """How many strong matches there are, when a page starts past their end."""
        return self._count(self.compile(query, only_ids=only_ids, match=match, paged="strong"))

    def _count(self, compiled: CompiledSearch, *, up_to_sample: bool = False) -> int:
        """How many venues pass ``compiled.where``; at most count_cap + 1 with ``up_to_sample``."""
        conditions = " AND ".join(f"({w})" for w in compiled.where)
        limit = " LIMIT :sample" if up_to_sample else ""
        sql = f"SELECT count(*) FROM (SELECT 1 FROM venue_search vs WHERE {conditions}{limit}) AS c"
        if self._trace is not None:
            self._trace.append(("count", sql, dict(compiled.params)))
        return db.session.execute(text(sql), compiled.params).scalar_one()

    def _free_venue_ids(self, query: SearchQuery, match: TextMatch | None = None) -> tuple[list[int], int | None]:
        """Venues matching the other filters that the slot engine says can take a booking in
        the window, and None when every candidate was checked. Opening hours prune candidates
        in SQL first (at most FREE_WINDOW_MAX_CANDIDATES, in the page's order); the slot engine
        then checks them a batch at a time, in that order, until the pages up to this one and
        one venue more are filled: then the other candidates are left unchecked, and the second
        value is how many free venues passing every filter were found (at least that many are
        free: "20+"). Nearest first within a radius, the candidates come from walks outward
        through the location index, each FREE_WALK_GROWTH times longer, until the page is full or the
        radius is passed (rare words: then through the text index)."""
        compiled = self.compile(query, match=match)
        params = {**compiled.params, "free_from": query.free_from, "free_to": query.free_to}
        params["window_hours"] = json.dumps(window_hours(query.free_from, query.free_to, pg_facets.index_zones()))
        params.update(limit=FREE_WINDOW_MAX_CANDIDATES, offset=0)
        # Each candidate comes with its kept answer (search.free_time): true or false when its
        # free time is fresh, NULL when the slot engine must be asked.
        kept = free_answer_params(query.free_from, query.free_to, now=datetime.now(UTC), rules=booking_rules())
        known = f"{free_answer_sql('vs.venue_id')} AS known" if kept is not None else "NULL::boolean AS known"
        params.update(kept or {})
        conditions = [*compiled.base, OPEN_DURING_WINDOW_SQL]
        # The words' conditions apart: each source below tests them once, where it reads a row.
        words = " AND ".join(f"({c})" for c in conditions if "search_vector" in c) or "true"
        others = " AND ".join(f"({c})" for c in conditions if "search_vector" not in c)
        located = query.lat is not None and query.lng is not None
        keys = _order_keys(query, match is not None, located)
        order = ", ".join(f"{expr} {direction}" for expr, direction in keys)
        passes = " AND ".join(f"({condition})" for condition in compiled.facet_filters.values())
        columns = _WALK_COLUMNS + (", vs.search_vector" if "search_vector" in order else "")
        needed = query.offset + query.per_page + 1
        checker = _FreeChecker(query, needed)
        if query.sort == "distance" and "radius_chord_m" in params:
            # Nearest first within a radius: the nearest venues a walk at a time, through the
            # GiST index (KNN), until the page is full or the walk has passed the radius. The
            # planner's constant estimate for the radius would have it read every venue in the
            # circle (36,878 within 10 km of London at 100k) to test their words and hours.
            # Rare words leave walks nearly empty: after FREE_WALKS of them, their matches are
            # read through the text index instead (below).
            walk = needed * FREE_WALK_START
            for _ in range(FREE_WALKS if match is not None else FREE_WALKS_WITHOUT_WORDS):
                rows = db.session.execute(
                    text(
                        f"""WITH walk AS MATERIALIZED (
    SELECT {columns}, {words} AS words FROM venue_search vs
    ORDER BY vs.earth <-> ll_to_earth(:lat, :lng) LIMIT :walk
)
(SELECT vs.venue_id, {passes} AS passes, {known}, NULL::bigint AS with_words
 FROM walk vs WHERE vs.words AND {others} ORDER BY {order} LIMIT :limit)
UNION ALL
SELECT NULL, count(*) < :walk OR max(earth <-> ll_to_earth(:lat, :lng)) > :radius_chord_m, NULL,
       count(*) FILTER (WHERE words) FROM walk"""
                    ),
                    {**params, "walk": walk},
                ).all()
                *candidates, (_, passed_radius, _, with_words) = rows
                done = passed_radius or len(candidates) >= FREE_WINDOW_MAX_CANDIDATES
                rare = walk >= RARE_WORDS_SAMPLE and with_words * FREE_WALK_GROWTH < needed - checker.shown
                if not done and match is not None and rare:
                    # The words are rare here: a walk FREE_WALK_GROWTH times longer would still
                    # hold too few venues with them to fill the page, whatever their hours. Their
                    # matches come through the text index instead (below), one walk sooner.
                    break
                if not done and checker.could_not_fill(candidates):
                    # Too few candidates to fill the page even if all are free: walk further
                    # first (the next walk, or the text index's matches, reads these again).
                    walk = next_walk(walk, sum(1 for row in candidates if row.passes), needed)
                    continue
                checker.check(candidates)
                if checker.full or done:
                    return checker.result(complete=bool(passed_radius) and checker.checked_all)
                walk = next_walk(walk, checker.shown, needed)
        if match is not None and "radius_chord_m" in params:
            # The words' matches within the radius, unordered, then the hours on them: through
            # the index of words by map cell, as the sample reads them (compile), or else the
            # text index's bitmap AND'ed with the circle's box (the country's matches of a
            # common word: "manicure" within 10 km, 11-18 ms of 100k venues' where the cells
            # take 2). Ordered by distance, the planner would walk the circle testing each
            # venue's words; without the radius, it read every match in the country ("shave": 43 ms).
            near = _through_word_cells(query, match, [c for c in compiled.base if "search_vector" in c], params)
            if near is None:
                source = f"(SELECT {columns} FROM venue_search vs WHERE {words} AND {RADIUS_SQL})"
            else:
                near_where = " AND ".join(f"({c})" for c in [*near, RADIUS_EXACT_SQL])
                source = f"(SELECT {columns} FROM venue_search vs WHERE {near_where})"
            sql = f"WITH matched AS MATERIALIZED {source}\nSELECT vs.venue_id, {passes} AS passes, {known}"
            sql += f" FROM matched vs WHERE {others} ORDER BY {order} LIMIT :limit"
        else:
            sql = f"SELECT vs.venue_id, {passes} AS passes, {known} FROM venue_search vs WHERE {words} AND {others}"
            sql += f" ORDER BY {order} LIMIT :limit"
        checker.check(db.session.execute(text(sql), params).all())
        return checker.result(complete=checker.checked_all)

    # -- suggestions (search.pg_text) -------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        return pg_text.suggest(prefix, limit)


# -- compile's strategies: one function per path a query takes (PostgresBackend.compile) --------


@dataclass
class _Compiling:
    """What compile's strategies build for one query: its parameters, the conditions every
    match must pass (``base``), the score and distance a hit shows, and the rest."""

    query: SearchQuery
    match: TextMatch | None
    params: dict[str, Any]
    base: list[str] = field(default_factory=list)
    score: str = "0.0"  # relevance: ts_rank with words
    distance: str = "CAST(NULL AS double precision)"
    highlight: str = "''"
    located: bool = False  # a point is given (with or without a radius)
    open_minutes: dict[str, int] = field(default_factory=dict)  # each zone's minute of the week now
    facet_filters: dict[str, str] = field(default_factory=dict)
    where: list[str] = field(default_factory=list)
    order: list[tuple[str, str]] = field(default_factory=list)


def _text_strategy(c: _Compiling) -> None:
    """The words: venues whose vector matches the tsquery (through the text index), ranked by
    ts_rank, the description's matches highlighted."""
    match = c.match
    assert match is not None
    c.params["tsquery"] = match.tsquery
    if "<->" in match.tsquery:
        # A phrase ("blow <-> dry"): the text index can only say a venue holds both
        # words, so it would mark every row for a recheck of every index condition,
        # the hours' or cells' expressions included (about 15 us a row). Asked for both
        # words, it answers exactly, and the phrase is tested on the rows that pass.
        c.params["tsquery_words"] = match.tsquery.replace("<->", "&")
        c.base.append(PHRASE_WORDS_SQL)
    else:
        c.base.append(WORDS_SQL)
    if match.min_groups:
        c.base.append(_relaxed_strategy(match, c.params))
    c.score = RANK_SQL
    c.params["headline_options"] = HEADLINE_OPTIONS
    c.highlight = f"ts_headline('{TS_CONFIG}', {escape_html_sql('vs.description')}, {TSQUERY}, :headline_options)"


def _relaxed_strategy(match: TextMatch, params: dict[str, Any]) -> str:
    """Relaxed (TextMatch.relax): the groups are OR'ed in the tsquery (the GIN index), and a
    venue must match at least ``min_groups`` of them, the condition returned. (Which groups the
    sample's venues match: _groups_mask.)"""
    params.update({f"group_{n}": group for n, group in enumerate(match.groups)})
    matched = " + ".join(f"(vs.search_vector @@ CAST(:group_{n} AS tsquery))::int" for n in range(len(match.groups)))
    params["min_groups"] = match.min_groups
    return f"({matched}) >= :min_groups"


def _geo_strategy(c: _Compiling) -> None:
    """A point: the distance a hit shows; with a radius, the circle (edge included) through the
    location index's box."""
    query = c.query
    c.located = query.lat is not None and query.lng is not None
    if c.located:
        c.params.update(lat=query.lat, lng=query.lng)
        c.distance = DISTANCE_M_SQL
    if c.located and query.radius_km is not None:
        c.params.update(radius_limits(query.radius_km))
        c.base.append(RADIUS_SQL)


def _open_now_strategy(c: _Compiling, now: datetime) -> None:
    """Open now, in each venue's own zone: its hours hold the zone's minute of the week now and
    its closures don't hold the zone's date."""
    # Opening hours are kept to the minute: the seconds change nothing, and without them
    # every search in the same minute shares its cached facet counts.
    minutes, dates = local_moments(now.replace(second=0, microsecond=0), pg_facets.index_zones())
    c.params.update(open_minutes=json.dumps(minutes), open_dates=json.dumps(dates))
    # Each zone's hour of the week now, as migration 0048's index keys it.
    c.params["open_hours"] = sorted({zone_code(zone) * 168 + minute // 60 for zone, minute in minutes.items()})
    c.open_minutes = minutes
    c.base.append(OPEN_NOW_SQL)


def _free_window_strategy(c: _Compiling, only_ids: list[int] | None) -> None:
    """Free to book in a window: only venues that can take paid bookings, and among them the
    ones the slot engine found free (``only_ids``, PostgresBackend._free_venue_ids)."""
    if c.query.free_from is not None:
        c.base.append(BOOKABLE_SQL)
    if only_ids is not None:
        c.params["only_ids"] = only_ids
        c.base.append("vs.venue_id = ANY(:only_ids)")


def _price_band_strategy(c: _Compiling, price_edge: int) -> None:
    """A broad page sorted by price: only the matches at or under the sample's edge price,
    through the words' price bands where the words allow (_through_word_prices)."""
    c.params["price_edge"] = price_edge
    c.base.append(PRICE_EDGE_SQL)
    match = c.match
    if match is not None and all(match.bound) and not (c.located and c.query.radius_km is not None):
        c.base = _through_word_prices(match, price_edge, c.base, c.params)


def _strong_strategy(c: _Compiling, paged: str) -> None:
    """A broad page of the strong matches (the words in the name, category or services), of
    the weak ones (the others), or of both in tiers (_tiered)."""
    assert c.match is not None
    c.params["strong"] = c.match.strong_tsquery
    if paged in ("strong", "weak"):
        c.base.append(STRONG_SQL if paged == "strong" else f"NOT ({STRONG_SQL})")


def _facet_filters(query: SearchQuery, params: dict[str, Any]) -> dict[str, str]:
    """Each facet's filter ("true" when not used): a facet counts with every other applied."""
    facet_filters = {"category": "true", "tags": "true", "price": "true", "rating": "true"}
    if query.category:
        params["category"] = query.category
        facet_filters["category"] = "vs.category = :category"
    if query.tags:
        params["tags"] = list(query.tags)
        facet_filters["tags"] = "vs.tags @> CAST(:tags AS text[])"
    price = []
    if query.price_min is not None:
        params["price_min"] = query.price_min
        price.append("vs.price_from >= :price_min")
    if query.price_max is not None:
        params["price_max"] = query.price_max
        price.append("vs.price_from <= :price_max")
    if price:
        facet_filters["price"] = " AND ".join(price)
    if query.min_rating is not None:
        # numeric(3, 2) against the exact decimal: "4.7 and up" includes 4.7.
        params["min_rating"] = str(query.min_rating)
        facet_filters["rating"] = "vs.rating >= CAST(:min_rating AS numeric)"
    return facet_filters


def _sample_strategy(c: _Compiling, only_ids: list[int] | None, *, common: bool, open_hours: bool) -> CompiledSearch:
    """The text or the radius narrows the venues to a few thousand at most: read them once (the
    sample: at most count_cap + 1), and take the page and the facets from that one read, in one
    statement. Venues that can't take paid bookings sort after those that can. With ``common``,
    the sample is one venue in SAMPLE_STRIDE and no page is taken (_broad reads it)."""
    params, score = c.params, c.score
    order = [BOOKABLE_KEY, *c.order]
    flags, sample_counts, sample_facts = _sample_facts(c)
    # A key that is the score itself (relevance order) reads the score column: ts_rank
    # once per match, not twice.
    base_keys = ", ".join(f"{expr} AS k{i}" if expr != score else f"NULL AS k{i}" for i, (expr, _) in enumerate(order))
    base_order = ", ".join(
        f"base.{'score' if expr == score else f'k{i}'} {direction}" for i, (expr, direction) in enumerate(order)
    )
    page_order = base_order.replace("base.", "page.")
    # The free venues of a window, by their keys first: with the text and the radius
    # beside them, the planner would intersect the text index's bitmap with the
    # circle's (thousands of entries) to find a page of known venues.
    matched_source = (
        "(SELECT * FROM venue_search WHERE venue_id = ANY(:only_ids) OFFSET 0) AS vs"
        if only_ids is not None
        else "venue_search vs"
    )
    matched_where = _sample_reads(c, only_ids, open_hours)
    page_limit = ":limit"
    if common:
        # A sample for the facet links, the share of strong matches and the price edge:
        # nothing is ranked, and the page (which _broad reads) is not taken here.
        matched_where.append(SAMPLE_CONDITION)
        score = "0.0"
        base_keys = ", ".join(f"NULL AS k{i}" for i in range(len(order)))
        page_limit = "0"
    sql = f"""
WITH matched AS MATERIALIZED (
    SELECT vs.venue_id, vs.category, vs.category_name, vs.tags, vs.price_from, vs.rating, vs.bookable, {flags},
           {score} AS score, {base_keys}
    FROM {matched_source}
    WHERE {" AND ".join(f"({b})" for b in matched_where)}
),
-- The sample: at most count_cap + 1 matches. A CTE is read as far as its reader goes, so the
-- matches' scan stops there; it is planned apart from this LIMIT, so through the index (the
-- planner would otherwise scan the table until enough rows match, testing each row's words).
base AS MATERIALIZED (SELECT * FROM matched LIMIT :sample),
page AS (
    SELECT base.* FROM base
    WHERE f_category AND f_tags AND f_price AND f_rating
    ORDER BY {base_order}
    LIMIT {page_limit} OFFSET :offset
)
SELECT 'hit' AS kind, row_number() OVER (ORDER BY {page_order}) AS position, page.venue_id, page.score,
       {c.distance} AS distance_m, {HIT_COLUMNS}, {c.highlight} AS highlight,
       NULL AS facet, NULL AS value, NULL AS label, NULL AS n
FROM page
JOIN venue_search vs ON vs.venue_id = page.venue_id
UNION ALL
SELECT 'facet', NULL, NULL, NULL, NULL, {", ".join("NULL" for _ in HIT_FIELDS)}, NULL, f.facet, f.value, f.label, f.n
FROM ({pg_facets.facet_rows_sql(c.facet_filters, sample_counts)}{sample_facts}) AS f"""
    return CompiledSearch(
        statements=[("search", sql)], params=params, base=c.base, where=c.where, facet_filters=c.facet_filters
    )


def _sample_facts(c: _Compiling) -> tuple[str, dict[str, str], str]:
    """What the sample's statement tells beside the page and the facets: each facet filter's
    flag (and the strong matches' and the groups' mask), what is counted of the sample (how many
    it holds, how many are strong: see _search_among and _broad), and further rows (the edge
    price of a sort by price, the relaxed groups' masks)."""
    query, match = c.query, c.match
    flags = ", ".join(f"({condition}) AS f_{name}" for name, condition in c.facet_filters.items())
    sample_facts = ""
    # How many matches the sample holds (see _search_among).
    sample_counts = {"sampled": "true"}
    if query.sort == "price":
        # The price of the page's last venue among the sample's: at least a page of
        # venues cost that or less, so the cheapest ones do too (see _broad).
        # (Of the bookable ones: a broad page reads them, and the others after them.)
        sample_facts += (
            "\n      UNION ALL SELECT 'price_edge', '', '', (SELECT price_from FROM base"
            " WHERE bookable AND f_category AND f_tags AND f_price AND f_rating AND price_from IS NOT NULL"
            " ORDER BY price_from OFFSET :limit + :offset - 1 LIMIT 1)"
        )
    if match is not None:
        # How many of the sample match in the name, category or services (see _broad).
        c.params["strong"] = match.strong_tsquery
        flags += f", ({STRONG_SQL}) AS f_strong"
        sample_counts["strong"] = "f_strong"
    if match is not None and match.min_groups and not match.relaxed:
        mask_flag, mask_facts = _groups_mask(match)
        flags += mask_flag
        sample_facts += mask_facts
    return flags, sample_counts, sample_facts


def _groups_mask(match: TextMatch) -> tuple[str, str]:
    """A relaxed search's sample: which sets of groups its venues passing every filter match,
    each as a bit mask (a flag of each row, and the rows counting them: see search and
    relaxed_labels)."""
    mask = " + ".join(
        f"(vs.search_vector @@ CAST(:group_{n} AS tsquery))::int * {1 << n}" for n in range(len(match.groups))
    )
    facts = (
        "\n      UNION ALL (SELECT 'groups', CAST(groups_mask AS text), '', count(*) FROM base"
        " WHERE f_category AND f_tags AND f_price AND f_rating GROUP BY groups_mask)"
    )
    return f", ({mask}) AS groups_mask", facts


def _sample_reads(c: _Compiling, only_ids: list[int] | None, open_hours: bool) -> list[str]:
    """The sample's conditions, as its index reads them: "open now" within a radius through
    the open venues' map cells; words within a radius through the words' map cells
    (_through_word_cells); "open now" with few open through the hours' index; else ``base``."""
    query, match, params = c.query, c.match, c.params
    matched_where = list(c.base)
    cells = None
    if open_hours and query.open_now and c.located and query.radius_km is not None:
        cells = open_cell_keys(query.lat, query.lng, query.radius_km, _zones_near(query, c.open_minutes))
    if cells:
        # The venues near the circle open at some time in these two hours of the week in
        # their zone (a superset of those open now within it), through the index of where
        # and when venues are open (migration 0046). The circle's box, which the planner
        # would read through the location index instead, is left out; the distance and
        # OPEN_NOW_SQL stay the exact tests.
        params["open_cells"] = cells
        matched_where = [RADIUS_EXACT_SQL if b == RADIUS_SQL else b for b in matched_where]
        matched_where.append(OPEN_CELLS_SQL)
    elif match is not None and only_ids is None:
        matched_where = _through_word_cells(query, match, matched_where, params) or matched_where
        if open_hours and query.open_now:
            matched_where.append(OPEN_HOURS_SQL)
    elif open_hours and query.open_now:
        # The venues open at some time in this hour of the week in their zone (a superset
        # of those open now), through their index, AND'ed with the words' (migrations
        # 0045 and 0048); OPEN_NOW_SQL stays the exact test.
        matched_where.append(OPEN_HOURS_SQL)
    return matched_where


def _bookable_strategy(where: list[str], paged: str | None) -> list[str]:
    """A page read on its own: of the bookable venues (BOOKABLE_SQL), or with "unbookable", of
    the others (_then_unbookable reads them after the bookable ones)."""
    if paged == "unbookable":
        return [w for w in where if w not in ("true", BOOKABLE_SQL)] + [UNBOOKABLE_SQL]
    if BOOKABLE_SQL not in where:
        return [w for w in where if w != "true"] + [BOOKABLE_SQL]
    return where


def _page_strategy(c: _Compiling, only_ids: list[int] | None, paged: str | None, *, walk: bool) -> CompiledSearch:
    """The page alone, read in its order through an index (walking the rating index with
    ``walk``; nearest first, _nearest_first; strong then weak matches, _tiered), and the facets
    a second statement: from the facet cells (migration 0035) when they can tell the filters
    apart, else counted."""
    query, params, order = c.query, c.params, c.order
    # (``where`` is also what _count_strong counts.)
    where = _bookable_strategy(c.where, paged)
    conditions = " AND ".join(f"({w})" for w in where)
    source = "venue_search vs"
    if walk and order[:2] == _RATING_KEYS:
        # The conditions stay outside the subquery: the rows come in the rating index's
        # order, the page's LIMIT stops the walk, and the subquery's own LIMIT (planned
        # apart) keeps the planner on the index and bounds the walk.
        source = f"(SELECT * FROM venue_search ORDER BY {_RATING_ORDER} LIMIT :walk) AS vs"
        # At most a fifth of the venues: a walk as long as the table (WALK_ROWS at 10k
        # venues) had the planner sort every venue instead (12 ms at 10k for "open now").
        params["walk"] = min(WALK_ROWS, max(WALK_MIN_ROWS, pg_facets.index_size() // 5))
    # The score is worked out for the page's rows alone when the order doesn't use it (a
    # broad page): ts_rank on every match of a common word cost more than the page itself.
    score, page_score = c.score, "page.score"
    if score != "0.0" and all(expr != score for expr, _ in order):
        page_score, score = score, "CAST(NULL AS real)"
    keys = ", ".join(f"{expr} AS k{i}" for i, (expr, _) in enumerate(order))
    outer_order = ", ".join(f"page.k{i} {direction}" for i, (_, direction) in enumerate(order))
    candidates = f"""
    SELECT vs.venue_id, {score} AS score, {keys}
    FROM {source}
    WHERE {conditions}"""
    reach = ""
    page_order = ", ".join(f"{expr} {direction}" for expr, direction in order)
    if query.sort == "distance" and c.located and paged != "unbookable":
        reach, candidates = _nearest_first(candidates, conditions, score, keys)
        page_order = ", ".join(f"k{i} {direction}" for i, (_, direction) in enumerate(order))
    if paged == "tiered" and c.match is not None:
        reach, candidates = _tiered(order, conditions, keys)
        page_order = "tier, " + ", ".join(f"k{i} {direction}" for i, (_, direction) in enumerate(order))
        outer_order = "page.tier, " + outer_order
    # The page is chosen reading only the keys; documents are read for its rows alone. Whether
    # the index holds venues that can't take bookings (one probe of their partial index) tells
    # a short page whether any follow (_then_unbookable), without a statement of its own.
    hits_sql = f"""{reach}
SELECT page.venue_id, {page_score} AS score, {c.distance} AS distance_m, {HIT_COLUMNS}, {c.highlight} AS highlight,
       {ANY_UNBOOKABLE_SQL} AS any_unbookable
FROM ({candidates}
    ORDER BY {page_order}
    LIMIT :limit OFFSET :offset
) AS page
JOIN venue_search vs ON vs.venue_id = page.venue_id
ORDER BY {outer_order}"""
    # Without text or a radius, the facets come from the cells (migration 0035) when they
    # can tell the filters apart, instead of counting (nearly) every venue.
    cells_sql = pg_facets.cells_facets_sql(query, params) if only_ids is None else None
    facets_sql = cells_sql or pg_facets.facets_sql(c.base or ["true"], c.facet_filters)
    return CompiledSearch(
        statements=[("hits", hits_sql), ("facets", facets_sql)],
        params=params,
        base=c.base,
        where=where,
        facet_filters=c.facet_filters,
    )


def _nearest_first(candidates: str, conditions: str, score: str, keys: str) -> tuple[str, str]:
    """Nearest first, ties by name and id, without sorting every venue: the page's ``reach``
    (a CTE) and its ``candidates``, to be sorted on the keys (k0, k1...)."""
    # PostgreSQL before 16 can't add tie-breakers to an ordered-by-distance (KNN) index scan.
    # The KNN scan reads one row more than the pages up to this one. When that extra row is
    # farther than the last of them, those rows are exactly the nearest ones, and sorting them
    # on all keys gives the page. When it is as near (a tie at the edge), every venue that near
    # is read through the same index and sorted instead, so a page never depends on the page
    # size. Venues without a location come last, when a page reaches them.
    reach = f"""
WITH knn AS MATERIALIZED (
    {candidates.strip()}
    ORDER BY vs.earth <-> ll_to_earth(:lat, :lng) LIMIT :limit + :offset + 1
), reach AS (
    SELECT max(k0) AS d, bool_or(k0 IS NULL) AS unlocated,
           count(*) > :limit + :offset AND (SELECT k0 FROM knn ORDER BY k0 DESC NULLS FIRST LIMIT 1)
               IS NOT DISTINCT FROM (SELECT k0 FROM knn ORDER BY k0 DESC NULLS FIRST OFFSET 1 LIMIT 1) AS tied
    FROM knn
)"""
    candidates = f"""
    SELECT * FROM knn WHERE NOT (SELECT tied FROM reach)
    UNION ALL{candidates}
      AND (SELECT tied FROM reach)
      AND vs.earth <@ cube_enlarge(ll_to_earth(:lat, :lng), (SELECT d FROM reach), 3)
      AND vs.earth <-> ll_to_earth(:lat, :lng) <= (SELECT d FROM reach)
    UNION ALL
    SELECT vs.venue_id, {score} AS score, {keys}
    FROM venue_search vs
    WHERE {conditions} AND vs.earth IS NULL AND (SELECT tied AND unlocated FROM reach)"""
    return reach, candidates


def _tiered(order: list[tuple[str, str]], conditions: str, keys: str) -> tuple[str, str]:
    """A broad page of the strong matches, then the weak: the page's ``reach`` (the strong
    matches' part of the pages up to this one, a CTE) and its ``candidates``, to be sorted on
    the tier and the keys. The weak matches are read (through the text index and a sort, as
    for "weak") only when the strong part is short: the condition on the CTE is a one-time
    filter that skips their scan otherwise."""
    inner_order = ", ".join(f"{expr} {direction}" for expr, direction in order)
    weak_order = [(f"({order[0][0]} + 0)", order[0][1]), *order[1:]]
    weak_keys = ", ".join(f"{expr} AS k{i}" for i, (expr, _) in enumerate(weak_order))
    weak_inner = ", ".join(f"{expr} {direction}" for expr, direction in weak_order)
    reach = f"""
WITH strong AS MATERIALIZED (
    SELECT vs.venue_id, 0 AS tier, {keys} FROM venue_search vs
    WHERE {conditions} AND ({STRONG_SQL})
    ORDER BY {inner_order} LIMIT :limit + :offset
)"""
    candidates = f"""
    SELECT * FROM strong
    UNION ALL
    (SELECT vs.venue_id, 1, {weak_keys} FROM venue_search vs
     WHERE (SELECT count(*) FROM strong) < :limit + :offset AND {conditions} AND NOT ({STRONG_SQL})
     ORDER BY {weak_inner} LIMIT :limit + :offset)"""
    return reach, candidates


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


def _through_word_prices(match: TextMatch, price_edge: int, base: list[str], params: dict[str, Any]) -> list[str]:
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


def _zones_near(query: SearchQuery, minutes: dict[str, int]) -> dict[str, int]:
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


def _through_word_cells(
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


class _FreeChecker:
    """The slot engine's check of free-window candidates (PostgresBackend._free_venue_ids), a
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


def _counted_broad(query: SearchQuery, match: TextMatch | None) -> bool | None:
    """Does the vocabulary's count of the words alone tell a search is broad (one group, or
    relaxed to any one group, and no "open now": True), need the eighth's sample to tell it
    (False: "open now"), or only bound it (None: several required groups)?"""
    if match is None or not ((len(match.groups) == 1 and not match.min_groups) or match.min_groups == 1):
        return None
    return not query.open_now


def _sampled(rows: Iterable[Any]) -> int:
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


def _hits(rows: Iterable[Any]) -> tuple[SearchHit, ...]:
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


_RATING_KEYS = [("vs.rating", "DESC NULLS LAST"), ("vs.review_count", "DESC")]
# The order of ix_venue_search_rating (migration 0007).
_RATING_ORDER = "rating DESC NULLS LAST, review_count DESC, name, venue_id"


def _order_keys(query: SearchQuery, has_text: bool, located: bool) -> list[tuple[str, str]]:
    name_keys = [("vs.name", "ASC"), ("vs.venue_id", "ASC")]
    rating_keys = list(_RATING_KEYS)
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
