"""Broad searches on PostgreSQL: more matches than the backend counts (SEARCH_COUNT_CAP, here
set low on a small corpus). The count says "N+", the facet links come without counts, and the
page is read in a bounded order: venues whose name, category or services match the words,
best rated first, then the other matches; other sorts keep their order (docs/search.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app.platform.extensions import cache, db
from search import pg_free_walk, pg_sql
from search.postgres import PostgresBackend
from search.types import SearchQuery
from tests.search.corpus import LONDON, SPECS, Spec, build_corpus, matches

CAP = 3

# Six venues with "sauna": three in the name or services (strong), three only in a tag or the
# description (weak). No venue has a rating, so each group comes in name order.
SAUNA_SPECS = (
    Spec("Birch Sauna House", "spa", "London", 51.51, -0.13, (("Finnish bathing", 3000, True),)),
    Spec("Alder Rooms", "wellness", "London", 51.52, -0.12, (("Infrared sauna session", 2000, True),)),
    Spec("Cedar Sauna Club", "spa", "London", 51.50, -0.11, (("Cold plunge", 2500, True),)),
    Spec(
        "Dove Retreat",
        "wellness",
        "London",
        51.53,
        -0.14,
        (("Reiki session", 4000, True),),
        description="A quiet room with a small sauna at the back.",
    ),
    Spec("Elm Studio", "wellness", "London", 51.49, -0.10, (("Reflexology", 4500, True),), ("sauna",)),
    Spec(
        "Fir House",
        "wellness",
        "London",
        51.54,
        -0.15,
        (("Hot stone therapy", 5000, True),),
        description="Treatments, then the sauna.",
    ),
    Spec("Gorse Nails", "nails", "London", 51.50, -0.12, (("Gel manicure", 2500, True),)),
)
STRONG = ["Alder Rooms", "Birch Sauna House", "Cedar Sauna Club"]
WEAK = ["Dove Retreat", "Elm Studio", "Fir House"]


@pytest.fixture
def capped(app):
    before = app.config["SEARCH_COUNT_CAP"]
    app.config["SEARCH_COUNT_CAP"] = CAP
    yield CAP
    app.config["SEARCH_COUNT_CAP"] = before


@pytest.fixture
def saunas(ctx, make_user, backend, capped):
    corpus = build_corpus(make_user, SAUNA_SPECS)
    backend.index(corpus.ids)
    return corpus


def names(result) -> list[str]:
    return [hit.name for hit in result.hits]


def test_a_broad_search_says_more_than_the_cap_and_hides_facet_counts(backend, saunas):
    result = backend.search(SearchQuery(text="sauna"))

    assert result.total_capped
    assert result.total == CAP + 1  # shown as "3+"
    assert {facet.counted for facet in result.facets.values()} == {False}
    # The facet values are those of the venues read: every value listed is a real one.
    assert {v.value for v in result.facets["category"].values} <= {"spa", "wellness"}


def test_a_broad_page_puts_name_and_service_matches_first_then_the_rest(backend, saunas):
    pages = [names(backend.search(SearchQuery(text="sauna", page=n, per_page=2))) for n in (1, 2, 3, 4)]

    # Page 2 crosses from the strong matches to the weak; page 3 starts past the strong ones.
    assert pages == [STRONG[:2], [STRONG[2], WEAK[0]], WEAK[1:], []]


def test_a_broad_page_keeps_its_order_whatever_the_page_size(backend, saunas):
    whole = names(backend.search(SearchQuery(text="sauna", per_page=10)))
    by_three = [name for n in (1, 2) for name in names(backend.search(SearchQuery(text="sauna", page=n, per_page=3)))]

    assert whole == by_three == STRONG + WEAK


def test_when_the_sample_has_few_strong_matches_one_statement_puts_them_first(ctx, make_user, backend, capped):
    """The weak matches come first in the index here, so the sample (the first four matches)
    holds one strong match: the rating index is not walked for them, and each page is one
    statement (the weak matches read in it only when the strong ones run out), in the same
    order as the two-step pages."""
    by_name = {spec.name: spec for spec in SAUNA_SPECS}
    corpus = build_corpus(make_user, [by_name[name] for name in [*WEAK, *STRONG]])
    backend.index(corpus.ids)

    pages = [names(backend.search(SearchQuery(text="sauna", page=n, per_page=2))) for n in (1, 2, 3, 4)]

    assert pages == [STRONG[:2], [STRONG[2], WEAK[0]], WEAK[1:], []]
    steps = [name for name, _, _ in backend.explain(SearchQuery(text="sauna", page=2, per_page=2))]
    assert steps == ["search", "page (tiered)"]


def test_a_broad_search_sorted_by_price_keeps_the_price_order(backend, saunas):
    result = backend.search(SearchQuery(text="sauna", sort="price"))

    prices = [hit.document.price_from for hit in result.hits]
    assert prices == sorted(prices) and len(prices) == 6
    assert names(result)[0] == "Alder Rooms"  # 20.00


def test_a_broad_price_page_reads_only_venues_up_to_the_samples_price_edge(backend, saunas):
    pages = [backend.search(SearchQuery(text="sauna", sort="price", page=n, per_page=2)) for n in (1, 2, 3)]

    prices = [hit.document.price_from for page in pages for hit in page.hits]
    assert prices == sorted(spec.price_from for spec in SAUNA_SPECS if spec.name in STRONG + WEAK)
    # The first page's venues come from the matches at or under the second cheapest price of
    # the sample (the first four matches), joined to the text index.
    edges = [
        params.get("price_edge")
        for _, _, params in backend.explain(SearchQuery(text="sauna", sort="price", per_page=2))
    ]
    assert any(edge is not None for edge in edges)
    assert max(edge for edge in edges if edge is not None) <= 3000


def test_a_broad_price_page_reads_the_words_cheapest_venues_through_their_price_bands(backend, saunas, monkeypatch):
    """Migration 0050: the page at or under the edge price comes through the index of words by
    price band (the bands up to the edge's, the price tested on the rows, not AND'ed from its
    own index), and its pages are those read through the text index."""
    from search.pg_sql import word_price_keys

    queries = [SearchQuery(text="sauna", sort="price", page=n, per_page=2) for n in (1, 2, 3)]
    through_bands = [names(backend.search(q)) for q in queries]
    (page_sql, params), *_ = [(sql, p) for name, sql, p in backend.explain(queries[0]) if name == "page (broad)"]
    assert pg_sql.WORD_PRICES_SQL.format(n=0) in page_sql and pg_sql.PRICE_EDGE_SQL not in page_sql
    assert params["word_prices_0"] == word_price_keys(["sauna", "saunas"], params["price_edge"])
    monkeypatch.setattr(pg_sql, "MAX_WORD_PRICE_KEYS", 0)  # too many keys: the text index
    (page_sql, _), *_ = [(sql, p) for name, sql, p in backend.explain(queries[0]) if name == "page (broad)"]
    assert "venue_search_word_prices" not in page_sql and pg_sql.PRICE_EDGE_SQL in page_sql
    assert [names(backend.search(q)) for q in queries] == through_bands
    cheapest_first = ["Alder Rooms", "Cedar Sauna Club", "Birch Sauna House", "Dove Retreat", "Elm Studio", "Fir House"]
    assert [name for page in through_bands for name in page] == cheapest_first


def test_the_word_price_keys_are_the_bands_migration_0050_gives(ctx):
    from search.pg_sql import word_price_keys

    def keys(price: int | None) -> list[str]:
        sql = text("SELECT venue_search_word_prices(to_tsvector('simple', 'sauna'), :price)")
        return db.session.execute(sql, {"price": price}).scalar_one()

    # A pound a band to 100 pounds, then ten pounds a band, 500 pounds and up in the last.
    for price, band in ((0, 0), (2999, 29), (3000, 30), (9999, 99), (10000, 100), (10999, 100), (11000, 101)):
        assert keys(price) == [f"sauna${band}"], price
        assert word_price_keys(["sauna"], price) == [f"sauna${b}" for b in range(band + 1)]
    assert keys(49999) == ["sauna$139"] and keys(50000) == keys(75000) == ["sauna$140"] and keys(None) == []
    assert word_price_keys(["sauna", "saunas"], 75000) == [f"{w}${b}" for w in ("sauna", "saunas") for b in range(141)]


def test_a_count_cap_under_1_is_refused_at_start_up(database_url):
    from app import create_app
    from search.pg_sql import count_cap_of

    assert count_cap_of({"SEARCH_COUNT_CAP": 1}) == 1
    with pytest.raises(ValueError, match="at least 1"):
        count_cap_of({"SEARCH_COUNT_CAP": 0})
    with pytest.raises(ValueError, match="at least 1"):
        create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": database_url, "SEARCH_COUNT_CAP": -5})


def test_filters_that_leave_the_cap_or_fewer_give_an_exact_count_and_relevance_order(backend, saunas):
    exact = backend.search(SearchQuery(text="sauna", category="spa"))

    assert not exact.total_capped
    assert exact.total == 2
    assert sorted(names(exact)) == ["Birch Sauna House", "Cedar Sauna Club"]
    # The facet counts still come from the broad text's first venues: not shown.
    assert not exact.facets["category"].counted


def test_filters_that_leave_more_than_the_cap_are_counted_up_to_it(backend, saunas):
    result = backend.search(SearchQuery(text="sauna", category="wellness"))

    assert result.total_capped and result.total == CAP + 1
    assert names(result) == ["Alder Rooms", "Dove Retreat", "Elm Studio", "Fir House"]


def test_a_search_at_the_cap_or_under_is_counted_exactly(backend, saunas):
    result = backend.search(SearchQuery(text="finnish"))

    assert not result.total_capped and result.total == 1
    assert all(facet.counted for facet in result.facets.values())


def test_a_broad_radius_search_walks_the_rating_order(ctx, make_user, capped):
    backend = PostgresBackend()
    corpus = build_corpus(make_user, SPECS)
    backend.index(corpus.ids)
    query = SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=25)
    inside = sorted(spec.name for spec in SPECS if matches(spec, query))
    assert len(inside) > CAP  # the test needs a broad radius

    result = backend.search(query)

    assert result.total_capped and result.total == CAP + 1
    assert names(result) == inside  # no ratings: name order, every venue in the circle


def test_the_search_page_shows_the_capped_count_and_no_facet_counts(client, saunas):
    cache.clear()  # search results of other tests
    page = client.get("/search?q=sauna")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "3+ venues" in html
    assert "data-facets-note" in html
    assert 'class="badge rounded-pill text-bg-light border"' not in html


def test_a_free_window_checks_candidates_in_page_order_until_the_page_is_full(ctx, make_user, monkeypatch):
    """Five free venues, two a page: the slot engine checks the first three (a page and one
    more) and leaves the rest; the count says "2+". The last page checks them all, exactly."""
    from datetime import timedelta

    from app.accounts.models import Role
    from search import free_time
    from tests.booking.helpers import future_slot, make_bookable_venue

    backend = PostgresBackend()
    names = ["Ash Rooms", "Beech Rooms", "Cherry Rooms", "Damson Rooms", "Elder Rooms"]
    venues = [make_bookable_venue(make_user(role=Role.PROVIDER), name=name)[0] for name in names]
    backend.index([venue.id for venue in venues])
    checked: list[int] = []
    real = free_time.venues_free_between

    def counting(ids, *args, **kwargs):
        checked.extend(ids)
        return real(ids, *args, **kwargs)

    monkeypatch.setattr(free_time, "venues_free_between", counting)
    start = future_slot(days=3, hour=10)
    window = {"free_from": start, "free_to": start + timedelta(hours=2)}

    first = backend.search(SearchQuery(per_page=2, **window))

    assert [hit.name for hit in first.hits] == names[:2]  # no ratings: name order
    assert first.total_capped and first.total == 3  # shown as "2+"
    assert len(checked) == 3

    checked.clear()
    last = backend.search(SearchQuery(per_page=2, page=3, **window))

    assert [hit.name for hit in last.hits] == names[4:]
    assert not last.total_capped and last.total == 5
    assert sorted(checked) == sorted(venue.id for venue in venues)


def nearest_free_setup(ctx, make_user, monkeypatch):
    """Five free "Rooms" 1-5 km north of London and one 30 km away; nearer than all of them,
    three studios without the word. Returns (names, venues, checked, statements, search)."""
    from datetime import timedelta

    from sqlalchemy import event

    from app.accounts.models import Role
    from app.platform.extensions import db
    from search import free_time
    from tests.booking.helpers import future_slot, make_bookable_venue

    backend = PostgresBackend()
    names = ["Ash Rooms", "Beech Rooms", "Cherry Rooms", "Damson Rooms", "Elder Rooms", "Far Rooms"]
    venues = [make_bookable_venue(make_user(role=Role.PROVIDER), name=name)[0] for name in names]
    for n, venue in enumerate(venues):
        venue.latitude, venue.longitude = LONDON[0] + (0.009 * (n + 1) if n < 5 else 0.27), LONDON[1]
    studios = [make_bookable_venue(make_user(role=Role.PROVIDER), name=f"Studio {n}")[0] for n in range(3)]
    for n, venue in enumerate(studios):
        venue.latitude, venue.longitude = LONDON[0] + 0.001 * (n + 1), LONDON[1]
    db.session.flush()
    backend.index([venue.id for venue in venues + studios])
    checked: list[int] = []
    statements: list[str] = []
    real = free_time.venues_free_between

    def counting(ids, *args, **kwargs):
        checked.extend(ids)
        return real(ids, *args, **kwargs)

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    monkeypatch.setattr(free_time, "venues_free_between", counting)
    monkeypatch.setattr(pg_free_walk, "FREE_WALK_START", 1)  # walks of 3, 24, ... venues
    start = future_slot(days=3, hour=10)
    window = {"free_from": start, "free_to": start + timedelta(hours=2)}
    near = {"text": "rooms", "lat": LONDON[0], "lng": LONDON[1], "radius_km": 10, "sort": "distance"}

    def search(**kwargs):
        checked.clear()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            return backend.search(SearchQuery(**{"per_page": 2, **near, **window, **kwargs}))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return names, venues, checked, statements, search


def test_a_free_window_nearest_first_walks_outward_until_the_page_is_full(ctx, make_user, monkeypatch):
    """Nearest first within a radius: the candidates come from walks outward through the
    location index, each 8x longer, not from every venue in the circle. The first page checks
    the nearest three (a page and one more); the last page checks every venue in the radius,
    exactly, and never the one outside it."""
    names, venues, checked, statements, search = nearest_free_setup(ctx, make_user, monkeypatch)

    first = search()

    assert [hit.name for hit in first.hits] == names[:2]
    assert first.total_capped and first.total == 3  # "2+"
    assert checked == [venue.id for venue in venues[:3]]
    # Two walks: the three studios, then 24 venues (past the radius and the last venue).
    assert sum("WITH walk AS MATERIALIZED" in s for s in statements) == 2
    assert all("WITH walk" in s for s in statements if " AS passes" in s)  # no other candidates' statement

    last = search(page=3)

    assert [hit.name for hit in last.hits] == names[4:5]
    assert not last.total_capped and last.total == 5
    assert sorted(checked) == sorted(venue.id for venue in venues[:5])  # never the one 30 km away
    assert sum("WITH walk AS MATERIALIZED" in s for s in statements) == 2  # 7 venues, then past the radius


def test_a_walk_showing_the_words_are_rare_goes_to_the_text_index_at_once(ctx, make_user, monkeypatch):
    """A walk long enough to judge (RARE_WORDS_SAMPLE) in which so few venues have the words
    that a walk FREE_WALK_GROWTH times longer could not fill the page: no second walk, the
    words' matches come through the text index, and the page is the same."""

    names, _venues, _checked, statements, search = nearest_free_setup(ctx, make_user, monkeypatch)
    monkeypatch.setattr(pg_free_walk, "RARE_WORDS_SAMPLE", 3)  # the first walk: three studios, no "rooms"

    first = search()

    assert [hit.name for hit in first.hits] == names[:2]
    assert first.total_capped and first.total == 3
    assert [("WITH walk" in s, "WITH matched AS MATERIALIZED" in s) for s in statements if " AS passes" in s] == [
        (True, False),
        (False, True),
    ]


def test_the_next_walk_reads_as_far_as_the_last_one_says_the_page_needs():
    from search.pg_sql import FREE_WALK_GROWTH, next_walk

    assert next_walk(168, 0, 21) == 168 * FREE_WALK_GROWTH  # nothing found: the longest step
    assert next_walk(168, 10, 21) == 530  # 21 needed at 10 per 168 rows, half as far again
    assert next_walk(168, 20, 21) == 336  # nearly full: at least twice as far
    assert next_walk(168, 1, 21) == 168 * FREE_WALK_GROWTH  # at most FREE_WALK_GROWTH times


def test_a_walk_with_too_few_candidates_to_fill_the_page_is_not_checked_on_its_own(ctx, make_user, monkeypatch):
    """A page of three needs four free venues: the first walk (the studios and Ash Rooms) has
    one candidate, so the slot engine waits for the next walk and checks the four in one go."""
    names, venues, checked, statements, search = nearest_free_setup(ctx, make_user, monkeypatch)

    first = search(per_page=3)

    assert [hit.name for hit in first.hits] == names[:3]
    assert checked == [venue.id for venue in venues[:4]]
    assert sum("WITH walk AS MATERIALIZED" in s for s in statements) == 2
    assert sum("AS services" in s for s in statements) == 1  # one batch for the slot engine


def test_a_free_window_nearest_first_reads_rare_words_through_the_text_index(ctx, make_user, monkeypatch):
    """When the walks find too few venues with the words, their matches near the circle are
    read through the index of words by map cell (as the sample reads them), then the radius
    and hours tested on them: the same page, exactly counted."""

    names, venues, checked, statements, search = nearest_free_setup(ctx, make_user, monkeypatch)
    monkeypatch.setattr(pg_free_walk, "FREE_WALKS", 1)  # one walk: the three studios

    first = search()

    assert [hit.name for hit in first.hits] == names[:2]
    assert first.total_capped and first.total == 3
    assert checked == [venue.id for venue in venues[:3]]
    assert [("WITH walk" in s, "WITH matched AS MATERIALIZED" in s) for s in statements if " AS passes" in s] == [
        (True, False),
        (False, True),
    ]
    (matched,) = [s for s in statements if " AS passes" in s and "WITH matched" in s]
    assert "venue_search_word_cells(vs.search_vector, vs.lat, vs.lng) &&" in matched
    assert "earth_box(" not in matched.split("SELECT vs.venue_id,")[0]  # the circle's box is not read

    every = search(per_page=10)

    assert [hit.name for hit in every.hits] == names[:5]
    assert not every.total_capped and every.total == 5


# -- common words: the sample from the index over one venue in eight (migration 0044) --------

COMMON_SPECS = tuple(
    Spec(
        f"Sauna House {n:02d}" if n % 2 else f"Quiet Rooms {n:02d}",
        "spa" if n % 3 else "wellness",
        "London",
        51.50 + n / 1000,
        -0.12,
        ((f"Treatment {n}", 2000 + 150 * n, True),),
        () if n % 2 else ("sauna",),
    )
    for n in range(18)
)


def test_words_the_vocabulary_counts_as_common_are_sampled_from_one_venue_in_eight(
    app, ctx, make_user, backend, monkeypatch
):
    """A cap of 1: 18 venues hold "sauna", at least SAMPLE_STRIDE * (cap + 1) = 16, so the
    vocabulary's count makes the search broad before it runs, and its sample is read through
    the partial index. Pages, counts and orders are those of the search that samples every
    match; the facet links are real values."""
    from search import postgres

    monkeypatch.setitem(app.config, "SEARCH_COUNT_CAP", 1)
    monkeypatch.setattr(postgres, "MULTI_SAMPLE_MARGIN", 0.5)  # 9 venues bound "sauna rooms"
    corpus = build_corpus(make_user, COMMON_SPECS)
    backend.index(corpus.ids)
    queries = (
        [SearchQuery(text="sauna", per_page=4, page=n) for n in (1, 2, 3, 5)]
        + [SearchQuery(text="sauna", sort="price", per_page=4, page=n) for n in (1, 3)]
        + [
            SearchQuery(text="sauna", category="wellness"),  # 6 match: counted up to the cap
            SearchQuery(text="sauna", price_max=2100),  # one matches: an exact count
            SearchQuery(text="sauna", sort="rating", per_page=5),
            # Two required groups: their counts bound the matches; the eighth is tried, and
            # tells the search is broad only when it alone holds more than the cap.
            SearchQuery(text="sauna treatment", per_page=4, page=2),
            SearchQuery(text="sauna rooms"),
            SearchQuery(text="treatment house", sort="price"),
            SearchQuery(text="sauna pedicure", per_page=4, page=2),  # relaxed to either word
            # Relaxed to two of three groups: a venue holds a word of two of them (the smallest
            # counts, 0 + 18, bound it), so the eighth is tried, and holds more than the cap.
            SearchQuery(text="sauna treatment pedicure", per_page=4, page=2),
        ]
    )
    # "Open now" with the common words: at noon every venue is open, so the eighth (two or
    # three of the 18) alone has more than the cap and tells the search is broad; at 20:00 none is, and the
    # sample of every match is read instead (same answers both ways, below).
    noon = datetime(2026, 11, 25, 12, tzinfo=UTC)
    open_queries = [
        (PostgresBackend(now=lambda: noon), SearchQuery(text="sauna", open_now=True, per_page=4, page=2)),
        (PostgresBackend(now=lambda: noon.replace(hour=20)), SearchQuery(text="sauna", open_now=True)),
    ]
    first, *_ = backend.explain(queries[0])
    assert pg_sql.SAMPLE_CONDITION in first[1]
    assert pg_sql.SAMPLE_CONDITION in backend.explain(SearchQuery(text="sauna treatment"))[0][1]

    said = []
    real = PostgresBackend._sampling
    monkeypatch.setattr(PostgresBackend, "_sampling", lambda *a: said.append(real(*a)[0]) or real(*a))
    common = [backend.search(q) for q in queries]
    # "sauna pedicure": every word (two groups), then either; then all three, then two of them.
    assert said[-4:] == [False, True, False, True]
    common_open = [b.search(q) for b, q in open_queries]
    late = open_queries[1][0].explain(open_queries[1][1])[0][1]
    assert pg_sql.OPEN_HOURS_SQL in late  # none open: the open venues through the hours' index
    assert pg_sql.OPEN_HOURS_SQL not in open_queries[0][0].explain(open_queries[0][1])[0][1]
    monkeypatch.setattr(PostgresBackend, "_sampling", lambda self, query, match, only_ids: (False, False))
    assert pg_sql.SAMPLE_CONDITION not in backend.explain(queries[0])[0][1]
    every = [backend.search(q) for q in queries]
    every_open = [b.search(q) for b, q in open_queries]
    assert [len(r.hits) for r in every_open] == [4, 0] and every_open[0].total_capped
    assert [names(r) for r in common_open] == [names(r) for r in every_open]
    assert [(r.total, r.total_capped) for r in common_open] == [(r.total, r.total_capped) for r in every_open]

    for query, got, want in zip(queries, common, every, strict=True):
        assert names(got) == names(want), query
        assert (got.total, got.total_capped) == (want.total, want.total_capped), query
    assert [c.total for c in common[6:8]] == [2, 1]  # "1+" and exactly one
    assert common[-2].relaxed == every[-2].relaxed == ("sauna",) and len(common[-2].hits) == 4
    assert common[-1].relaxed == every[-1].relaxed == ("sauna treatment",) and common[-1].total_capped
    assert {v.value for v in common[0].facets["category"].values} <= {"spa", "wellness"}
    assert [len(c.hits) for c in common[:4]] == [4, 4, 4, 2]


def test_the_words_counted_are_each_groups_one_word_alternatives(ctx):
    from search.pg_text import text_match
    from search.understanding import Synonyms

    synonyms = Synonyms([("haircut", "hair cut"), ("nails", "manicure")])
    assert text_match("haircut", synonyms).plain == (("haircut",),)  # not "hair <-> cut"
    assert text_match("nails", synonyms).plain == (("nails", "manicure"),)
    assert text_match("spa day", synonyms).plain == (("spa",), ("day",))
    assert text_match("2e1e53", synonyms).plain == ((),)  # a phrase of the parser's two lexemes


def test_a_walk_reads_at_most_a_fifth_of_the_venues_or_the_least_walk(ctx, make_user, backend, monkeypatch):
    """A walk of the rating index as long as the table had the planner sort every venue
    instead: it reads at most a fifth of the venues the index holds, WALK_MIN_ROWS at least,
    WALK_ROWS at most."""
    from search import pg_facets

    corpus = build_corpus(make_user, SAUNA_SPECS)
    backend.index(corpus.ids)
    query = SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=25)
    walked = backend.compile(query, paged="broad", walk=True).params["walk"]
    assert walked == pg_sql.WALK_MIN_ROWS  # a handful of venues
    monkeypatch.setattr(pg_facets, "index_size", lambda: 60_000)
    assert backend.compile(query, paged="broad", walk=True).params["walk"] == 12_000
    monkeypatch.setattr(pg_facets, "index_size", lambda: 1_000_000)
    assert backend.compile(query, paged="broad", walk=True).params["walk"] == pg_sql.WALK_ROWS


def test_the_index_size_is_the_planners_count_of_venues(ctx, make_user, backend):
    from sqlalchemy import text as sql

    from app.platform.extensions import db
    from search import pg_facets

    corpus = build_corpus(make_user, SAUNA_SPECS)
    backend.index(corpus.ids)
    db.session.execute(sql("ANALYZE venue_search"))
    cache.clear()
    assert pg_facets.index_size() == len(SAUNA_SPECS)
