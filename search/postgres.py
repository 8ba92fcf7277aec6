"""The PostgreSQL search backend (the default): one denormalised row per approved venue.

``venue_search`` (migrations 0005 and 0007) holds a weighted ``tsvector`` (name A; category
and services B; tags and city C; description D), an ``earth`` cube for radius and distance,
and the opening hours as a multirange of local minutes since Monday 00:00 so "open now" is
answered in SQL, in each venue's own time zone. A hit is built from the row's own columns.
docs/search.md explains the design.

This module runs the search statements and picks how a query is read (``PostgresBackend``).
What they are made of: the SQL fragments, tuning constants and row readers ``search.pg_sql``;
compile's strategies, one per path a query takes, ``search.pg_compile``; the free-time walk of a
"free in this window" search ``search.pg_free_walk``. Writing the index is ``search.pg_index``;
typo correction and autocomplete ``search.pg_text``; facet counting ``search.pg_facets``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import text

from app.platform.extensions import db
from search import pg_facets, pg_index, pg_text
from search.geo import (
    radius_cells,
)
from search.pg_compile import (
    Compiling,
    facet_filters_for,
    free_window_strategy,
    geo_strategy,
    open_now_strategy,
    page_strategy,
    price_band_strategy,
    sample_strategy,
    strong_strategy,
    text_strategy,
)
from search.pg_free_walk import free_venue_ids
from search.pg_sql import (
    COUNT_CAP,
    SAMPLE_STRIDE,
    CompiledSearch,
    count_cap_of,
    counted_broad,
    hits_from,
    local_moments,
    order_keys,
    relaxed_labels,
    sample_size,
)
from search.pg_text import TextMatch
from search.types import SearchQuery, SearchResult

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

        Every query gathers its conditions in this order: the words (``text_strategy``, and
        ``_relaxed_strategy`` when a venue need match only some of the groups), the circle
        (``geo_strategy``), "open now" (``open_now_strategy``), a free window
        (``free_window_strategy``), a broad page's edge price (``price_band_strategy``), a broad
        page's strong or weak matches (``strong_strategy``) and the facet filters
        (``facet_filters``). Then one of two statements:

        - ``sample_strategy``, when no ``paged`` is asked and the words or a radius narrow the
          venues to a few thousand at most: the matches are read once (through the words' or
          the open venues' map cells, or the hours' index, when they are few:
          ``_sample_reads``) and the page and the facets come from that one read.
        - ``page_strategy`` otherwise (no words nor radius, or a broad search's page asked for
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
        c = Compiling(query, match, {"limit": query.per_page, "offset": query.offset, "sample": self.count_cap + 1})
        if match is not None:
            text_strategy(c)
        geo_strategy(c)
        if query.open_now:
            open_now_strategy(c, self._now())
        free_window_strategy(c, only_ids)
        if price_edge is not None:
            price_band_strategy(c, price_edge)
        if paged in ("strong", "weak", "tiered") and match is not None:
            strong_strategy(c, paged)
        c.facet_filters = facet_filters_for(query, c.params)
        c.where = [*c.base, *(f for f in c.facet_filters.values() if f != "true")] or ["true"]
        c.order = order_keys(query, match is not None and paged in (None, "exact", "unbookable"), c.located)
        if paged == "weak" or price_edge is not None or paged == "unbookable":
            # Through the text index and a sort, not by walking the order's index (the rating's,
            # the price's): that walk could pass most of the index before a page of matches. (The
            # venues that can't take bookings: through their partial index, few, then sorted.)
            c.order[0] = (f"(({c.order[0][0]}) + 0)", c.order[0][1])
        if paged is None and (match is not None or "radius_chord_m" in c.params):
            return sample_strategy(c, only_ids, common=common, open_hours=open_hours)
        return page_strategy(c, only_ids, paged, walk=walk)

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
            only_ids, at_least = free_venue_ids(self.compile, query, match)
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
            if common and not counted_broad(query, match) and sample_size(rows) <= self.count_cap:
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
                hits=hits_from(hit_rows),
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
        return SearchResult(hits=hits_from(hit_rows), total=total, facets=facets, backend=self.name)

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
            hits=hits_from(rows), total=min(total, cap + 1), facets=facets, backend=self.name, total_capped=total > cap
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
        if counted_broad(query, match) is None:
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

    def suggest(self, prefix: str, limit: int = 8) -> list[str]:
        return pg_text.suggest(prefix, limit)
