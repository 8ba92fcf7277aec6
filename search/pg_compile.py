"""compile's strategies: one function per path a search query takes through the index
(``PostgresBackend.compile`` picks them; docs/search.md explains each path). A strategy adds its
conditions, parameters and order keys to ``Compiling``; the page and sample strategies write
the statements."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from search import pg_facets
from search.geo import (
    DISTANCE_M_SQL,
    RADIUS_EXACT_SQL,
    RADIUS_SQL,
    open_cell_keys,
    radius_limits,
    zone_code,
)
from search.pg_sql import (
    ANY_UNBOOKABLE_SQL,
    BOOKABLE_KEY,
    BOOKABLE_SQL,
    HIT_COLUMNS,
    HIT_FIELDS,
    OPEN_CELLS_SQL,
    OPEN_HOURS_SQL,
    OPEN_NOW_SQL,
    PHRASE_WORDS_SQL,
    PRICE_EDGE_SQL,
    RATING_KEYS,
    RATING_ORDER,
    SAMPLE_CONDITION,
    STRONG_SQL,
    UNBOOKABLE_SQL,
    WALK_MIN_ROWS,
    WALK_ROWS,
    WORDS_SQL,
    CompiledSearch,
    local_moments,
    through_word_cells,
    through_word_prices,
    zones_near,
)
from search.pg_text import HEADLINE_OPTIONS, RANK_SQL, TS_CONFIG, TSQUERY, TextMatch, escape_html_sql
from search.types import SearchQuery

# -- compile's strategies: one function per path a query takes (PostgresBackend.compile) --------


@dataclass
class Compiling:
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


def text_strategy(c: Compiling) -> None:
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


def geo_strategy(c: Compiling) -> None:
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


def open_now_strategy(c: Compiling, now: datetime) -> None:
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


def free_window_strategy(c: Compiling, only_ids: list[int] | None) -> None:
    """Free to book in a window: only venues that can take paid bookings, and among them the
    ones the slot engine found free (``only_ids``, search.pg_free_walk.free_venue_ids)."""
    if c.query.free_from is not None:
        c.base.append(BOOKABLE_SQL)
    if only_ids is not None:
        c.params["only_ids"] = only_ids
        c.base.append("vs.venue_id = ANY(:only_ids)")


def price_band_strategy(c: Compiling, price_edge: int) -> None:
    """A broad page sorted by price: only the matches at or under the sample's edge price,
    through the words' price bands where the words allow (through_word_prices)."""
    c.params["price_edge"] = price_edge
    c.base.append(PRICE_EDGE_SQL)
    match = c.match
    if match is not None and all(match.bound) and not (c.located and c.query.radius_km is not None):
        c.base = through_word_prices(match, price_edge, c.base, c.params)


def strong_strategy(c: Compiling, paged: str) -> None:
    """A broad page of the strong matches (the words in the name, category or services), of
    the weak ones (the others), or of both in tiers (_tiered)."""
    assert c.match is not None
    c.params["strong"] = c.match.strong_tsquery
    if paged in ("strong", "weak"):
        c.base.append(STRONG_SQL if paged == "strong" else f"NOT ({STRONG_SQL})")


def facet_filters_for(query: SearchQuery, params: dict[str, Any]) -> dict[str, str]:
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


def sample_strategy(c: Compiling, only_ids: list[int] | None, *, common: bool, open_hours: bool) -> CompiledSearch:
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


def _sample_facts(c: Compiling) -> tuple[str, dict[str, str], str]:
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


def _sample_reads(c: Compiling, only_ids: list[int] | None, open_hours: bool) -> list[str]:
    """The sample's conditions, as its index reads them: "open now" within a radius through
    the open venues' map cells; words within a radius through the words' map cells
    (through_word_cells); "open now" with few open through the hours' index; else ``base``."""
    query, match, params = c.query, c.match, c.params
    matched_where = list(c.base)
    cells = None
    if open_hours and query.open_now and c.located and query.radius_km is not None:
        cells = open_cell_keys(query.lat, query.lng, query.radius_km, zones_near(query, c.open_minutes))
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
        matched_where = through_word_cells(query, match, matched_where, params) or matched_where
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


def page_strategy(c: Compiling, only_ids: list[int] | None, paged: str | None, *, walk: bool) -> CompiledSearch:
    """The page alone, read in its order through an index (walking the rating index with
    ``walk``; nearest first, _nearest_first; strong then weak matches, _tiered), and the facets
    a second statement: from the facet cells (migration 0035) when they can tell the filters
    apart, else counted."""
    query, params, order = c.query, c.params, c.order
    # (``where`` is also what _count_strong counts.)
    where = _bookable_strategy(c.where, paged)
    conditions = " AND ".join(f"({w})" for w in where)
    source = "venue_search vs"
    if walk and order[:2] == RATING_KEYS:
        # The conditions stay outside the subquery: the rows come in the rating index's
        # order, the page's LIMIT stops the walk, and the subquery's own LIMIT (planned
        # apart) keeps the planner on the index and bounds the walk.
        source = f"(SELECT * FROM venue_search ORDER BY {RATING_ORDER} LIMIT :walk) AS vs"
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
