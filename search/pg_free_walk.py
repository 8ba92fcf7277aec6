"""The free-time walk of a "free in this window" search: which venues of a page's candidates
the slot engine finds free, walked in the page's order (nearest first: walks that grow until
the page is full), before PostgresBackend pages through them (docs/search.md, "Free time")."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text

from app.booking.availability import booking_rules
from app.platform.extensions import db
from search import pg_facets
from search.free_time import free_answer_params, free_answer_sql
from search.geo import (
    RADIUS_EXACT_SQL,
    RADIUS_SQL,
)
from search.pg_sql import (
    FREE_WALK_GROWTH,
    CompiledSearch,
    FreeChecker,
    next_walk,
    order_keys,
    through_word_cells,
    window_hours,
)
from search.pg_text import TextMatch
from search.types import SearchQuery

# Opening hours overlap the window [free_from, free_to), judged in each venue's local week: the
# window as each zone's minutes of the week, worked out once per search (window_hours) and looked
# up by each row's zone. Worked out per row in SQL (AT TIME ZONE and extract, twice), the test
# cost about 5 us a row, a fifth of that looked up: 1.4k rows a walk for "today near me".
OPEN_DURING_WINDOW_SQL = "vs.week_hours && CAST(CAST(:window_hours AS jsonb) ->> vs.timezone AS int4multirange)"
# "Free in this window" runs the slot engine per candidate venue, in the page's order, until
# the page is full; beyond this many candidates the rest are never checked. See
# search.availability and free_venue_ids.
FREE_WINDOW_MAX_CANDIDATES = 1000
# A nearest-first free-window search walks FREE_WALK_START times the venues a page needs first,
# then FREE_WALK_GROWTH times more each time: FREE_WALKS walks with words (then their matches
# through the text index), FREE_WALKS_WITHOUT_WORDS without (free_venue_ids).
FREE_WALK_START = 8
FREE_WALKS = 2
# A walk at least this long is a sample that tells whether the words are rare near the point.
RARE_WORDS_SAMPLE = 100
FREE_WALKS_WITHOUT_WORDS = 4
# What the other conditions and order keys of a free-window search read (not the description
# nor the words, tested where they are read).
WALK_COLUMNS = (
    "vs.venue_id, vs.name, vs.category, vs.tags, vs.price_from, vs.rating, vs.review_count, vs.timezone,"
    " vs.week_hours, vs.closed_days, vs.earth, vs.bookable"
)


def free_venue_ids(
    compile: Callable[..., CompiledSearch], query: SearchQuery, match: TextMatch | None = None
) -> tuple[list[int], int | None]:
    """Venues matching the other filters that the slot engine says can take a booking in
    the window, and None when every candidate was checked. Opening hours prune candidates
    in SQL first (at most FREE_WINDOW_MAX_CANDIDATES, in the page's order); the slot engine
    then checks them a batch at a time, in that order, until the pages up to this one and
    one venue more are filled: then the other candidates are left unchecked, and the second
    value is how many free venues passing every filter were found (at least that many are
    free: "20+"). Nearest first within a radius, the candidates come from walks outward
    through the location index, each FREE_WALK_GROWTH times longer, until the page is full or the
    radius is passed (rare words: then through the text index)."""
    compiled = compile(query, match=match)
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
    keys = order_keys(query, match is not None, located)
    order = ", ".join(f"{expr} {direction}" for expr, direction in keys)
    passes = " AND ".join(f"({condition})" for condition in compiled.facet_filters.values())
    columns = WALK_COLUMNS + (", vs.search_vector" if "search_vector" in order else "")
    needed = query.offset + query.per_page + 1
    checker = FreeChecker(query, needed)
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
        near = through_word_cells(query, match, [c for c in compiled.base if "search_vector" in c], params)
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
