"""One contract, every backend: the same seeded corpus and the same answers.

PostgreSQL always runs. Elasticsearch runs only against a live cluster (ELASTICSEARCH_URL);
no cluster can run here, so that half is skipped with a reason.
"""

from __future__ import annotations

import os

import pytest

from app.platform.extensions import db
from search.types import PRICE_BUCKETS, RATING_BUCKETS, SearchQuery
from tests.search.corpus import LONDON, SPECS, Corpus, build_corpus, distance_m, expected_facets, matches


@pytest.fixture(params=["postgres", "elasticsearch"])
def backend(request, app):
    if request.param == "postgres":
        from search.postgres import PostgresBackend

        return PostgresBackend()
    url = os.environ.get("ELASTICSEARCH_URL")
    if not url:
        pytest.skip("ELASTICSEARCH_URL is not set: the Elasticsearch contract run needs a live cluster")
    from search.backend import make_elasticsearch_backend

    return make_elasticsearch_backend(app.config)


@pytest.fixture
def corpus(backend, ctx, make_user) -> Corpus:
    corpus = build_corpus(make_user)
    backend.index(corpus.ids)
    refresh = getattr(backend, "refresh", None)
    if refresh:
        refresh()
    yield corpus
    if backend.name != "postgres":  # the database rolls back; a cluster does not
        backend.remove(corpus.ids)


def names(result) -> list[str]:
    return [hit.name for hit in result.hits]


def search_all(backend, **kwargs):
    return backend.search(SearchQuery(per_page=50, **kwargs))


def test_text_finds_the_venue_by_name(backend, corpus):
    result = search_all(backend, text="lotus")
    assert names(result) == ["Lotus Massage Rooms"]
    assert result.total == 1


def test_a_typo_still_finds_massage_venues(backend, corpus):
    found = set(names(search_all(backend, text="masage")))
    assert {"Lotus Massage Rooms", "Amber Massage Studio", "Thistle Spa & Massage"} <= found


def test_accents_are_optional(backend, corpus):
    result = search_all(backend, text="cafe zoe")
    assert names(result)[0] == "Café Zoë Nails"


def test_a_service_name_finds_its_venue(backend, corpus):
    assert "Pearl Skin Studio" in names(search_all(backend, text="signature facial"))


def test_category_filter(backend, corpus):
    result = search_all(backend, category="nails")
    assert set(names(result)) == {"Café Zoë Nails", "Hazel Nail Bar"}
    assert result.total == 2


def test_tags_filter_needs_every_tag(backend, corpus):
    assert set(names(search_all(backend, tags=("walk-ins",)))) == {
        "Lotus Massage Rooms",
        "Cedar Barbers",
        "Amber Massage Studio",
        "Hazel Nail Bar",
    }
    assert names(search_all(backend, tags=("walk-ins", "parking"))) == ["Lotus Massage Rooms"]


def test_price_range_uses_the_cheapest_active_service(backend, corpus):
    assert set(names(search_all(backend, price_min=2000, price_max=3000))) == {"Café Zoë Nails", "Cedar Barbers"}
    # Amber's £10 express massage is inactive: it does not make the venue "from £10".
    assert names(search_all(backend, price_max=1500)) == []
    amber = next(h for h in search_all(backend, text="amber").hits if h.name == "Amber Massage Studio")
    assert amber.document.price_from == 5500


def test_radius_edge_just_inside_and_just_outside(backend, corpus):
    cedar = next(s for s in SPECS if s.name == "Cedar Barbers")
    exact = distance_m(*LONDON, cedar.lat, cedar.lng)
    inside = search_all(backend, lat=LONDON[0], lng=LONDON[1], radius_km=(exact + 5) / 1000)
    outside = search_all(backend, lat=LONDON[0], lng=LONDON[1], radius_km=(exact - 5) / 1000)
    assert "Cedar Barbers" in names(inside)
    assert "Cedar Barbers" not in names(outside)
    for result, radius_m in ((inside, exact + 5), (outside, exact - 5)):
        expected = {s.name for s in SPECS if s.searchable and distance_m(*LONDON, s.lat, s.lng) <= radius_m}
        assert set(names(result)) == expected


def test_distance_sort_is_nearest_first_with_distances(backend, corpus):
    result = search_all(backend, lat=LONDON[0], lng=LONDON[1], sort="distance")
    distances = [hit.distance_km for hit in result.hits]
    assert len(distances) == 12
    assert distances == sorted(distances)
    assert names(result)[0] == "Cedar Barbers"
    for hit in result.hits:
        spec = corpus.specs[hit.venue_id]
        assert hit.distance_km == pytest.approx(distance_m(*LONDON, spec.lat, spec.lng) / 1000, abs=0.01)


def test_price_sort_is_cheapest_first(backend, corpus):
    result = search_all(backend, sort="price")
    prices = [hit.document.price_from for hit in result.hits]
    assert prices == sorted(prices)
    assert names(result)[0] == "Marigold Movement Studio"  # a £18 yoga class


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"category": "massage"},
        {"tags": ("walk-ins",)},
        {"price_min": 2000, "price_max": 6000},
        {"category": "nails", "tags": ("vegan products",), "price_max": 4000},
        {"lat": LONDON[0], "lng": LONDON[1], "radius_km": 10.0, "tags": ("parking",)},
        {"min_rating": 4.0},
    ],
    ids=["everything", "category", "tag", "price", "combined", "radius", "rating"],
)
def test_facet_counts_match_a_brute_force_filter(backend, corpus, filters):
    query = SearchQuery(per_page=50, **filters)
    result = backend.search(query)
    expected = expected_facets(list(SPECS), query)
    assert {v.value: v.count for v in result.facets["category"].values if v.count} == expected["category"]
    assert {v.value: v.count for v in result.facets["tags"].values if v.count} == expected["tags"]
    assert [v.count for v in result.facets["price"].values] == expected["price"]
    assert [v.count for v in result.facets["rating"].values] == expected["rating"]
    assert len(result.facets["price"].values) == len(PRICE_BUCKETS)
    assert len(result.facets["rating"].values) == len(RATING_BUCKETS)
    assert result.total == sum(1 for s in SPECS if matches(s, query)) == len(result.hits)


def test_facets_of_a_text_search_count_only_the_matches(backend, corpus):
    query = SearchQuery(text="massage", category="spa", per_page=50)
    result = backend.search(query)
    assert names(result) == ["Thistle Spa & Massage"]
    # What the text matches, whatever its category: the category facet counts exactly these.
    text_only = backend.search(SearchQuery(text="massage", per_page=50))
    matched = [corpus.specs[hit.venue_id] for hit in text_only.hits]
    expected = expected_facets(matched, query)
    assert {v.value: v.count for v in result.facets["category"].values if v.count} == expected["category"]
    assert [v.count for v in result.facets["price"].values] == expected["price"]


def test_pagination_has_no_overlap_and_a_stable_total(backend, corpus):
    pages = [backend.search(SearchQuery(per_page=5, page=page, sort="price")) for page in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [12, 12, 12, 12]
    assert [len(p.hits) for p in pages] == [5, 5, 2, 0]
    ids = [hit.venue_id for page in pages for hit in page.hits]
    assert len(ids) == len(set(ids)) == 12
    everything = search_all(backend, sort="price")
    assert ids == [hit.venue_id for hit in everything.hits]


@pytest.mark.parametrize(
    "filters",
    [
        {"text": "massage"},
        {"text": "lotus massage"},
        {"text": "masseuse"},
        {"text": "suspended"},
        {},
        {"category": "massage"},
        {"lat": LONDON[0], "lng": LONDON[1], "radius_km": 5.0, "sort": "distance"},
    ],
)
def test_venues_that_are_not_approved_are_never_found(backend, corpus, filters):
    result = search_all(backend, **filters)
    assert not {hit.venue_id for hit in result.hits} & corpus.hidden_ids
    hidden_names = {corpus.name_of(i) for i in corpus.hidden_ids}
    assert not set(backend.suggest("mas", limit=50)) & hidden_names
    assert not set(backend.suggest("lotus massage d", limit=50)) & hidden_names


UNBOOKABLE = {"Cedar Barbers", "Lotus Massage Rooms", "Hazel Nail Bar"}  # no enabled payout account
# Ratings that would put two of them first if they could take bookings.
RATINGS = {"Cedar Barbers": (4.9, 10), "Juniper Hair House": (4.8, 3), "Lotus Massage Rooms": (4.5, 8)}
RATINGS["Café Zoë Nails"] = (4.2, 5)


def set_up_payouts(corpus) -> None:
    """Every venue's payouts enabled but UNBOOKABLE's, and the RATINGS."""
    from tests.payouts.helpers import connect

    for name, venue in corpus.venues.items():
        if name not in UNBOOKABLE:
            connect(venue)
        venue.rating, venue.review_count = RATINGS.get(name, (None, 0))
    db.session.flush()


@pytest.fixture
def payouts_set_up(app, backend, corpus, monkeypatch):
    """Production's rule (a venue takes paid bookings only with an enabled payout account), and
    every venue's payouts enabled but UNBOOKABLE's; indexed again."""
    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    set_up_payouts(corpus)
    backend.index(corpus.ids)
    refresh = getattr(backend, "refresh", None)
    if refresh:
        refresh()
    return corpus


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"sort": "price"},
        {"sort": "rating"},
        {"lat": LONDON[0], "lng": LONDON[1], "sort": "distance"},
        {"lat": LONDON[0], "lng": LONDON[1], "radius_km": 10.0},
        {"text": "massage"},
        {"category": "nails"},
        {"tags": ("walk-ins",)},
    ],
    ids=["best-rated", "price", "rating", "distance", "radius", "text", "category", "tag"],
)
def test_venues_that_cant_take_bookings_rank_after_every_one_that_can(backend, payouts_set_up, filters):
    result = search_all(backend, **filters)
    found = names(result)
    assert set(found) & UNBOOKABLE and set(found) - UNBOOKABLE
    flags = [name in UNBOOKABLE for name in found]
    assert flags == sorted(flags)  # never a bookable venue after one that isn't
    assert all(hit.document.bookable == (hit.name not in UNBOOKABLE) for hit in result.hits)
    # Each part keeps the sort's own order.
    if filters in ({}, {"sort": "rating"}):
        assert found[:2] == ["Juniper Hair House", "Café Zoë Nails"]  # best rated of the bookable ones
    if filters.get("sort") == "price":
        for part in (False, True):
            prices = [h.document.price_from for h in result.hits if (h.name in UNBOOKABLE) == part]
            assert prices == sorted(prices)
    if filters.get("sort") == "distance":
        for part in (False, True):
            distances = [h.distance_km for h in result.hits if (h.name in UNBOOKABLE) == part]
            assert distances == sorted(distances)
    assert result.total == len(found)


def test_suggest_completes_categories_and_services(backend, corpus):
    suggestions = backend.suggest("mas")
    assert "Massage" in suggestions
    assert "Lotus Massage Rooms" in backend.suggest("lotus")
    assert "Balayage" in backend.suggest("balay")
    assert backend.suggest("") == []


# -- query understanding: the same semantics built for Elasticsearch (no cluster needed) -----------

from app.discovery.params import CITIES  # noqa: E402
from search import es_queries  # noqa: E402
from search.pg_text import text_match  # noqa: E402
from search.synonyms import get_synonyms  # noqa: E402
from search.understanding import term_groups, typo_budget, understand  # noqa: E402
from tests.search.relevance_cases import CASES  # noqa: E402


def es_groups(body) -> list[dict]:
    text_query = body["query"]["bool"]["must"][0]["bool"]
    required = text_query["must"]
    if len(required) == 1 and "minimum_should_match" in required[0]["bool"] and "_name" not in required[0]["bool"]:
        return required[0]["bool"]["should"]  # relaxed
    return required


@pytest.mark.parametrize("case", CASES, ids=[case.query for case in CASES])
def test_both_backends_build_the_same_groups_for_every_relevance_query(ctx, case):
    """Stop words, synonyms and intents are decided once (search.understanding): PostgreSQL's
    tsquery and Elasticsearch's bool query hold the same groups with the same alternatives."""
    synonyms = get_synonyms()
    keywords = understand(case.query, places=CITIES).keywords
    groups = term_groups(keywords, synonyms)
    match = text_match(keywords, synonyms)
    if not groups:
        assert match is None and es_queries._text_query(keywords, synonyms) is None
        return
    assert len(match.groups) == len(groups)
    body = es_queries.build_search_body(SearchQuery(text=keywords), synonyms=synonyms)
    built = es_groups(body)
    assert [g["bool"]["_name"] for g in built] == [f"group:{n}" for n in range(len(groups))]
    for group, clause, pg_group in zip(groups, built, match.groups, strict=True):
        queries = [a["multi_match"]["query"] for a in clause["bool"]["should"]]
        assert queries == [" ".join(phrase) for phrase in group.alternatives]
        for phrase in group.alternatives:
            assert " <-> ".join(f"'{w}'" for w in phrase) in pg_group or f"'{phrase[0]}'" in pg_group


def test_synonym_phrases_are_phrase_queries_and_words_are_fuzzy(ctx):
    body = es_queries.build_search_body(SearchQuery(text="couples massage"), synonyms=get_synonyms())
    couples, _ = es_groups(body)
    word, phrase = couples["bool"]["should"]
    assert word["multi_match"]["query"] == "couples" and word["multi_match"]["fuzziness"] == "AUTO"
    assert phrase["multi_match"] == {"query": "for two", "fields": list(es_queries.TEXT_FIELDS), "type": "phrase"}
    assert couples["bool"]["minimum_should_match"] == 1


def test_the_typo_budget_is_elasticsearchs_fuzziness_auto():
    # AUTO: 0 edits for 1-2 characters, 1 for 3-5, 2 for more; a swap counts as one (transpositions).
    assert [typo_budget("x" * n) for n in range(1, 9)] == [0, 0, 1, 1, 1, 2, 2, 2]


def test_stop_words_never_reach_either_backend(ctx):
    body = es_queries.build_search_body(SearchQuery(text="the best massage for a couple"))
    assert [g["bool"]["should"][0]["multi_match"]["query"] for g in es_groups(body)] == ["massage", "couple"]
    assert text_match("the best massage for a couple").tsquery == "( 'massage' | 'massages' ) & 'couple'"


def test_relaxation_is_a_minimum_should_match_over_the_same_groups(ctx):
    body = es_queries.build_search_body(SearchQuery(text="massage with jacuzzi"), min_groups=1)
    relaxed = body["query"]["bool"]["must"][0]["bool"]["must"][0]["bool"]
    assert relaxed["minimum_should_match"] == 1
    assert [g["bool"]["_name"] for g in relaxed["should"]] == ["group:0", "group:1"]
    response = {"hits": {"hits": [{"_id": "1", "matched_queries": ["group:0"]}, {"_id": "2", "matched_queries": []}]}}
    assert es_queries.relaxed_groups(response) == [(0,), ()]


# -- venues that can't take bookings: the same order from Elasticsearch's sort (no cluster needed) --


def es_sorted(documents, body) -> list[str]:
    """``documents`` in the order of ``body["sort"]``, as Elasticsearch sorts: a field missing
    from a document goes last (either direction), a geo distance by the one earth model."""
    from search.geo import distance_km

    def key(doc):
        parts = []
        for spec in body["sort"]:
            ((field, how),) = spec.items() if isinstance(spec, dict) else ((spec, "desc"),)
            how = how if isinstance(how, dict) else {"order": how}
            if field == "_geo_distance":
                value = distance_km(how["location"]["lat"], how["location"]["lon"], doc.lat, doc.lng)
            else:
                value = {"name.sort": doc.name.encode(), "id": doc.id}.get(field, getattr(doc, field, None))
            if isinstance(value, bool):
                value = int(value)
            if how.get("order") == "desc" and value is not None:
                value = -value  # numbers only: names and ids sort ascending
            parts.append((value is None, value))
        return parts

    return [doc.name for doc in sorted(documents, key=key)]


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(per_page=50),
        SearchQuery(sort="price", per_page=50),
        SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance", per_page=50),
        SearchQuery(sort="rating", per_page=50),
        SearchQuery(category="nails", per_page=50),
    ],
    ids=["best-rated", "price", "distance", "rating", "category"],
)
def test_elasticsearchs_sort_puts_the_same_venues_last_as_postgresql(ctx, make_user, app, monkeypatch, query):
    """Elasticsearch's sort (the body it is sent), applied to the documents PostgreSQL indexed,
    gives PostgreSQL's page: venues that can't take bookings after the others, each part in the
    sort's order, ties by name and id."""
    from search.postgres import PostgresBackend

    monkeypatch.setitem(app.config, "PAYOUTS_COLLECT_BEFORE_ENABLED", False)
    corpus = build_corpus(make_user)
    set_up_payouts(corpus)
    postgres = PostgresBackend()
    postgres.index(corpus.ids)
    result = postgres.search(query)
    matched = [hit.document for hit in result.hits]
    assert {d.name for d in matched} & UNBOOKABLE and {d.name for d in matched} - UNBOOKABLE
    assert es_sorted(matched, es_queries.build_search_body(query)) == names(result)
