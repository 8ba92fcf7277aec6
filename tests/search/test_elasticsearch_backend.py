"""The Elasticsearch backend without a cluster: mapping, query bodies, response parsing, alias swaps.

A fake client records calls; the live-cluster contract suite is tests/search/test_contract.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, BadRequestError, Elasticsearch, NotFoundError
from elasticsearch import ConnectionError as ESConnectionError
from elasticsearch.dsl import Search
from elasticsearch.dsl.exceptions import UnknownDslObject

from search.documents import document_from_json
from search.elasticsearch import (
    ANALYSIS,
    CANDIDATE_WINDOW,
    INDEX_SETTINGS,
    MAPPING,
    ElasticsearchBackend,
    IndexingFailed,
    SearchUnavailable,
    build_candidates_body,
    build_search_body,
    build_suggest_body,
    document_source,
    haversine_km,
    parse_search_response,
    parse_suggest_response,
)
from search.types import PRICE_BUCKETS, RATING_BUCKETS, SearchQuery, VenueDocument

LONDON = (51.5072, -0.1276)
NOW = datetime(2025, 6, 11, 12, 0, 30, tzinfo=UTC)  # a Wednesday; 13:00 in London, 21:00 in Tokyo
KM_PER_DEGREE = 111.19508  # of latitude, on Elasticsearch's mean earth radius


def doc(venue_id: int, **fields) -> VenueDocument:
    values = {
        "id": venue_id,
        "slug": f"venue-{venue_id}",
        "name": f"Venue {venue_id}",
        "description": "Calm rooms & warm stones <b>for</b> tired shoulders.",
        "category": "massage",
        "category_name": "Massage",
        "tags": ("quiet", "couples"),
        "service_names": ("Deep tissue massage", "Hot stone massage"),
        "city": "London",
        "lat": LONDON[0],
        "lng": LONDON[1],
        "price_from": 4500,
        "currency": "GBP",
        "rating": 4.6,
        "review_count": 12,
        "cover_thumb": "venues/1/cover-card.webp",
        "timezone": "Europe/London",
        "updated_at": datetime(2025, 6, 1, 9, 30, tzinfo=UTC),
    }
    values.update(fields)
    return VenueDocument(**values)


def api_error(cls, status: int):
    meta = ApiResponseMeta(
        status=status, http_version="1.1", headers=HttpHeaders(), duration=0.0, node=NodeConfig("http", "es", 9200)
    )
    return cls("error", meta=meta, body={"error": {"type": "x"}})


def clauses(body: dict, key: str) -> list[dict]:
    return body.get(key, {}).get("bool", {}).get("filter", [])


# -- a fake cluster ------------------------------------------------------------------------------


class FakeIndices:
    """`client.indices`: index state is kept on the client so bulk can see it."""

    def __init__(self, cluster: FakeClient) -> None:
        self.cluster = cluster

    def get_alias(self, **kwargs):
        self.cluster.record("indices.get_alias", kwargs)
        prefix = kwargs["index"].rstrip("*")
        return {
            name: {"aliases": {alias: {} for alias in aliases}}
            for name, aliases in self.cluster.aliases.items()
            if name.startswith(prefix)
        }

    def create(self, **kwargs):
        self.cluster.record("indices.create", kwargs)
        self.cluster.aliases[kwargs["index"]] = set()
        self.cluster.docs[kwargs["index"]] = {}
        return {"acknowledged": True}

    def put_settings(self, **kwargs):
        self.cluster.record("indices.put_settings", kwargs)

    def refresh(self, **kwargs):
        self.cluster.record("indices.refresh", kwargs)

    def update_aliases(self, **kwargs):
        self.cluster.record("indices.update_aliases", kwargs)
        for action in kwargs["actions"]:
            [(kind, spec)] = action.items()
            aliases = self.cluster.aliases[spec["index"]]
            if kind == "add":
                aliases.add(spec["alias"])
            else:
                aliases.discard(spec["alias"])

    def delete(self, **kwargs):
        self.cluster.record("indices.delete", kwargs)
        names = kwargs["index"] if isinstance(kwargs["index"], list) else [kwargs["index"]]
        for name in names:
            self.cluster.aliases.pop(name, None)
            self.cluster.docs.pop(name, None)


class FakeClient:
    """Records every call and keeps indices, aliases and documents the way a cluster would."""

    def __init__(self, *, fail_with: Exception | None = None, refuse_documents: bool = False) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.aliases: dict[str, set[str]] = {}  # index name -> its aliases
        self.docs: dict[str, dict[str, dict]] = {}  # index name -> _id -> _source
        self.indices = FakeIndices(self)
        self.fail_with = fail_with
        self.refuse_documents = refuse_documents
        # A dict, or a function of the request body for tests that search twice.
        self.search_response: dict | Callable[[dict], dict] = {"hits": {"total": {"value": 0}, "hits": []}}

    def record(self, name: str, kwargs: dict) -> None:
        self.calls.append((name, kwargs))
        if self.fail_with:
            raise self.fail_with

    def called(self, name: str) -> list[dict]:
        return [kwargs for call, kwargs in self.calls if call == name]

    def add_index(self, name: str, *aliases: str, docs: dict | None = None) -> None:
        self.aliases[name] = set(aliases)
        self.docs[name] = dict(docs or {})

    def resolve(self, name: str) -> str:
        if name in self.docs:
            return name
        return next(index for index, aliases in self.aliases.items() if name in aliases)

    def bulk(self, **kwargs):
        self.record("bulk", kwargs)
        ops, items, i = kwargs["operations"], [], 0
        while i < len(ops):
            [(kind, meta)] = ops[i].items()
            target = self.resolve(meta["_index"])
            if kind == "index":
                self.docs[target][meta["_id"]] = ops[i + 1]
                result = (
                    {"status": 400, "error": {"type": "document_parsing_exception"}}
                    if self.refuse_documents
                    else {"status": 201, "result": "created"}
                )
                i += 2
            else:
                found = self.docs[target].pop(meta["_id"], None)
                result = {"status": 200, "result": "deleted"} if found else {"status": 404, "result": "not_found"}
                i += 1
            items.append({kind: result})
        return {"errors": self.refuse_documents, "items": items}

    def search(self, **kwargs):
        self.record("search", kwargs)
        answer = self.search_response
        return answer(kwargs["body"]) if callable(answer) else answer

    def ping(self):
        self.record("ping", {})
        return True


def backend_with(client: FakeClient, documents: dict[int, VenueDocument], approved: list[int] | None = None):
    """A backend on the fake client whose database holds ``documents`` (all approved unless told)."""
    backend = ElasticsearchBackend("http://es.invalid:9200", client=client)
    backend.now = lambda: NOW
    approved_ids = sorted(documents) if approved is None else approved
    backend._approved_venue_ids = lambda: approved_ids
    backend._load_documents = lambda ids: [documents[i] for i in ids if i in documents and i in approved_ids]
    return backend


# -- the mapping ---------------------------------------------------------------------------------


def test_mapping_is_strict_and_types_each_field():
    props = MAPPING["properties"]
    assert MAPPING["dynamic"] == "strict"
    assert props["location"] == {"type": "geo_point"}
    for field in ("slug", "category", "tags", "city", "currency", "timezone"):
        assert props[field]["type"] == "keyword", field
    for field in ("name", "description", "category_name", "service_names"):
        assert props[field] | {} and props[field]["type"] == "text" and props[field]["analyzer"] == "folded", field
    assert props["price_from"] == {"type": "integer"}
    assert props["rating"] == {"type": "scaled_float", "scaling_factor": 100}  # exact hundredths
    assert props["review_count"] == {"type": "integer"}
    assert props["updated_at"] == {"type": "date"}
    assert props["cover_thumb"]["type"] == "keyword" and props["cover_thumb"]["index"] is False
    assert props["document"] == {"type": "object", "enabled": False}


def test_text_is_lowercased_and_accent_folded():
    folded = ANALYSIS["analyzer"]["folded"]
    assert folded["filter"] == ["lowercase", "asciifolding"]
    assert INDEX_SETTINGS["analysis"] is ANALYSIS  # analysers live in the index settings


def test_autocomplete_analyser_is_wired_to_name_autocomplete():
    sub = MAPPING["properties"]["name"]["fields"]["autocomplete"]
    assert sub == {"type": "text", "analyzer": "autocomplete", "search_analyzer": "folded"}
    analyser = ANALYSIS["analyzer"]["autocomplete"]
    assert analyser["filter"][:2] == ["lowercase", "asciifolding"]
    [edge] = [ANALYSIS["filter"][name] for name in analyser["filter"] if name in ANALYSIS["filter"]]
    assert edge["type"] == "edge_ngram" and edge["min_gram"] == 1


def test_keyword_facets_have_searchable_folded_twins():
    for field in ("tags", "city"):
        assert MAPPING["properties"][field]["fields"]["text"]["analyzer"] == "folded"


def test_deep_pages_fit_the_result_window():
    last = SearchQuery(page=1000, per_page=50)
    assert last.offset + last.per_page <= INDEX_SETTINGS["max_result_window"]


def test_document_source_only_uses_mapped_fields_and_round_trips():
    venue = doc(7)
    source = document_source(venue)
    assert set(source) <= set(MAPPING["properties"])  # a strict mapping refuses anything else
    assert source["location"] == {"lat": LONDON[0], "lon": LONDON[1]}
    assert source["updated_at"] == "2025-06-01T09:30:00+00:00"
    assert source["id"] == 7 and source["tags"] == ["quiet", "couples"]
    json.dumps(source)  # serialisable as is
    assert document_from_json(source["document"]) == venue


def test_document_without_coordinates_has_no_location():
    assert document_source(doc(1, lat=None, lng=None))["location"] is None


# -- build_search_body ---------------------------------------------------------------------------


def test_text_becomes_one_required_group_per_word_each_a_fuzzy_multi_match():
    body = build_search_body(SearchQuery(text="masage  london"))
    must = body["query"]["bool"]["must"][0]["bool"]["must"]
    assert [group["bool"]["_name"] for group in must] == ["group:0", "group:1"]
    alternatives = [group["bool"]["should"] for group in must]
    assert [[a["multi_match"]["query"] for a in alts] for alts in alternatives] == [["masage"], ["london"]]
    for [m] in alternatives:
        assert m["multi_match"]["fuzziness"] == "AUTO" and m["multi_match"]["fuzzy_transpositions"] is True
        assert m["multi_match"]["operator"] == "and"
        assert m["multi_match"]["fields"][:3] == ["name^3", "category_name^2", "service_names^2"]
        assert {"tags.text", "city.text", "description"} <= set(m["multi_match"]["fields"])
    [exact] = body["query"]["bool"]["must"][0]["bool"]["should"]
    assert exact["multi_match"]["type"] == "cross_fields" and "fuzziness" not in exact["multi_match"]


def test_no_text_matches_everything_and_filters_nothing():
    body = build_search_body(SearchQuery())
    assert body["query"] == {"bool": {"must": [{"match_all": {}}], "filter": []}}
    assert "post_filter" not in body
    assert body["track_total_hits"] is True
    json.dumps(body)


def test_category_tags_price_and_rating_filter_the_hits():
    query = SearchQuery(category="massage", tags=("quiet", "couples"), price_min=1000, price_max=5000, min_rating=4)
    post = clauses(build_search_body(query), "post_filter")
    assert {"term": {"category": "massage"}} in post
    assert {"term": {"tags": "quiet"}} in post and {"term": {"tags": "couples"}} in post  # all tags required
    assert {"range": {"price_from": {"gte": 1000, "lte": 5000}}} in post
    assert {"range": {"rating": {"gte": 4}}} in post
    assert len(post) == 5


def test_open_price_range_has_one_bound():
    post = clauses(build_search_body(SearchQuery(price_max=3000)), "post_filter")
    assert post == [{"range": {"price_from": {"lte": 3000}}}]


@pytest.mark.parametrize(
    ("radius", "expected"), [(5, "5000.01m"), (2.5, "2500.01m"), (0.00001, "0.02m"), (500, "500000.01m")]
)
def test_radius_is_an_arc_geo_distance_filter_that_includes_its_edge(radius, expected):
    body = build_search_body(SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=radius))
    [geo] = body["query"]["bool"]["filter"]
    point = {"lat": LONDON[0], "lon": LONDON[1]}
    assert geo == {"geo_distance": {"distance": expected, "location": point, "distance_type": "arc"}}


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("relevance", "_score"),
        ("distance", {"_geo_distance": {"location": {"lat": 51.5072, "lon": -0.1276}, "order": "asc", "unit": "km"}}),
        ("price", {"price_from": {"order": "asc", "missing": "_last"}}),
        ("rating", {"rating": {"order": "desc", "missing": "_last"}}),
    ],
)
def test_each_sort(sort, first):
    body = build_search_body(SearchQuery(text="spa", sort=sort, lat=LONDON[0], lng=LONDON[1]))
    bookable_first, *sort_spec = body["sort"]
    assert bookable_first == {"bookable": {"order": "desc", "unmapped_type": "boolean"}}  # then the sort's own keys
    assert sort_spec[0] == first
    # Ties by name, then id, as the PostgreSQL backend orders them: pages stay stable.
    assert sort_spec[-2:] == [{"name.sort": "asc"}, {"id": "asc"}]


def test_relevance_without_text_orders_by_rating():
    sort_spec = build_search_body(SearchQuery())["sort"][1:]  # after venues that can take bookings first
    assert sort_spec[:2] == [{"rating": {"order": "desc", "missing": "_last"}}, {"review_count": "desc"}]


def test_venues_that_cant_take_bookings_sort_last_in_every_order_and_are_never_free():
    """As in the PostgreSQL backend: whether a venue can take paid bookings is the first sort key
    of every order (an index built before the field existed sorts as it did), and a free-window
    search leaves out the venues that can't."""
    assert MAPPING["properties"]["bookable"] == {"type": "boolean"}
    first = {"bookable": {"order": "desc", "unmapped_type": "boolean"}}
    for sort in ("relevance", "distance", "price", "rating"):
        for text in ("spa", ""):
            query = SearchQuery(text=text, sort=sort, lat=LONDON[0], lng=LONDON[1])
            assert build_search_body(query)["sort"][0] == first
    free = {"term": {"bookable": True}}
    assert free not in build_search_body(SearchQuery(text="spa"))["query"]["bool"]["filter"]
    start = datetime(2025, 6, 14, 14, tzinfo=UTC)
    window = SearchQuery(text="spa", free_from=start, free_to=start + timedelta(hours=3))
    assert free in build_candidates_body(window)["query"]["bool"]["filter"]
    assert free in build_search_body(window, only_ids=[1, 2])["query"]["bool"]["filter"]


def test_a_document_says_whether_its_venue_takes_bookings():
    source = document_source(doc(3, bookable=False))
    assert source["bookable"] is False and document_from_json(source["document"]).bookable is False
    assert document_source(doc(4))["bookable"] is True  # the default: indexed before payouts mattered


def test_pagination_is_from_and_size():
    body = build_search_body(SearchQuery(page=3, per_page=10))
    assert (body["from"], body["size"]) == (20, 10)


def test_candidates_are_ids_and_zones_of_the_best_matches():
    query = SearchQuery(text="spa", category="massage", open_now=True, page=3, per_page=10)
    body = build_candidates_body(query)
    assert (body["from"], body["size"]) == (0, CANDIDATE_WINDOW)
    assert body["_source"] == ["timezone"]
    assert body["query"] == build_search_body(query)["query"]
    assert body["post_filter"] == build_search_body(query)["post_filter"]
    assert "aggs" not in body and "highlight" not in body


def test_only_ids_restrict_hits_and_facets_alike():
    body = build_search_body(SearchQuery(), only_ids=[3, 1])
    assert {"ids": {"values": ["3", "1"]}} in body["query"]["bool"]["filter"]


def test_highlight_marks_matches_and_escapes_the_rest():
    highlight = build_search_body(SearchQuery(text="stone"))["highlight"]
    assert highlight["pre_tags"] == ["<mark>"] and highlight["post_tags"] == ["</mark>"]
    assert highlight["encoder"] == "html"
    assert set(highlight["fields"]) == {"name", "description"}


def test_facet_aggregations_use_the_shared_buckets():
    aggs = build_search_body(SearchQuery())["aggs"]
    assert set(aggs) == {"category", "tags", "price", "rating"}
    price = aggs["price"]["aggs"]["values"]["range"]
    assert price["field"] == "price_from"
    assert [(r["from"], r.get("to")) for r in price["ranges"]] == list(PRICE_BUCKETS)
    rating = aggs["rating"]["aggs"]["values"]["range"]
    assert [r["from"] for r in rating["ranges"]] == list(RATING_BUCKETS)
    assert all("to" not in r for r in rating["ranges"])  # "4.5 and up"
    assert aggs["category"]["aggs"]["values"]["terms"]["field"] == "category"
    assert aggs["tags"]["aggs"]["values"]["terms"]["field"] == "tags"
    assert aggs["price"]["filter"] == {"match_all": {}}


def test_each_facet_counts_with_the_other_filters_but_not_its_own():
    query = SearchQuery(text="spa", category="massage", tags=("quiet",), price_min=0, price_max=2500, min_rating=4.5)
    aggs = build_search_body(query)["aggs"]
    category = {"term": {"category": "massage"}}
    tag = {"term": {"tags": "quiet"}}
    price = {"range": {"price_from": {"gte": 0, "lte": 2500}}}
    rating = {"range": {"rating": {"gte": 4.5}}}
    assert clauses(aggs["category"], "filter") == [tag, price, rating]
    assert clauses(aggs["tags"], "filter") == [category, price, rating]
    assert clauses(aggs["price"], "filter") == [category, tag, rating]
    assert clauses(aggs["rating"], "filter") == [category, tag, price]


def test_every_body_parses_with_the_clients_own_dsl():
    """elasticsearch.dsl knows every query and aggregation type: a misspelt one fails here."""
    query = SearchQuery(
        text="masage london",
        category="massage",
        tags=("quiet", "couples"),
        price_min=0,
        price_max=5000,
        min_rating=4,
        lat=LONDON[0],
        lng=LONDON[1],
        radius_km=5,
        sort="distance",
        page=2,
        open_now=True,
    )
    for body in (build_search_body(query, only_ids=[1, 2]), build_candidates_body(query), build_suggest_body("mas")):
        assert Search.from_dict(body).to_dict() == body
    with pytest.raises(UnknownDslObject):
        Search.from_dict({"query": {"multimatch": {"query": "spa"}}})


# -- parse_search_response -----------------------------------------------------------------------


def recorded_response() -> dict:
    """The shape Elasticsearch 9 answers with (written by hand)."""
    north = doc(2, name="Stone & Steam", lat=LONDON[0] + 1, lng=LONDON[1], description="")
    return {
        "took": 3,
        "timed_out": False,
        "hits": {
            "total": {"value": 42, "relation": "eq"},
            "max_score": 7.5,
            "hits": [
                {
                    "_index": "cozywish-venues-20250611120000",
                    "_id": "1",
                    "_score": 7.5,
                    "_source": {"document": document_source(doc(1, name="Lantern <Spa>"))["document"]},
                    "highlight": {
                        "name": ["Lantern &lt;Spa&gt;"],
                        "description": ["Calm rooms &amp; warm <mark>stones</mark> &lt;b&gt;for&lt;&#x2F;b&gt; tired"],
                    },
                },
                {
                    "_index": "cozywish-venues-20250611120000",
                    "_id": "2",
                    "_score": None,
                    "_source": {"document": document_source(north)["document"]},
                    "highlight": {"name": ["<mark>Stone</mark> &amp; Steam"]},
                    "sort": [4.6, 12, "venue-2"],
                },
            ],
        },
        "aggregations": {
            "category": {
                "doc_count": 42,
                "values": {
                    "buckets": [
                        {
                            "key": "massage",
                            "doc_count": 30,
                            "label": {"hits": {"hits": [{"_source": {"category_name": "Massage"}}]}},
                        },
                        {"key": "nails", "doc_count": 12, "label": {"hits": {"hits": []}}},
                    ]
                },
            },
            "tags": {"doc_count": 42, "values": {"buckets": [{"key": "quiet", "doc_count": 9}]}},
            "price": {
                "doc_count": 40,
                "values": {
                    "buckets": [
                        {"key": "0-2500", "from": 0.0, "to": 2500.0, "doc_count": 5},
                        {"key": "2500-5000", "from": 2500.0, "to": 5000.0, "doc_count": 20},
                        {"key": "10000-", "from": 10000.0, "doc_count": 1},
                    ]
                },
            },
            "rating": {
                "doc_count": 42,
                "values": {
                    "buckets": [
                        {"key": "4.5", "from": 4.5, "doc_count": 10},
                        {"key": "4", "from": 4.0, "doc_count": 25},
                        {"key": "3", "from": 3.0, "doc_count": 38},
                    ]
                },
            },
        },
    }


def test_hits_totals_and_documents_are_read():
    result = parse_search_response(recorded_response(), SearchQuery(text="stone"))
    assert result.total == 42
    assert result.backend == "elasticsearch"
    assert [(h.venue_id, h.slug, h.name) for h in result.hits] == [
        (1, "venue-1", "Lantern <Spa>"),
        (2, "venue-2", "Stone & Steam"),
    ]
    assert result.hits[0].score == 7.5
    assert result.hits[1].score == 0.0  # sorted by a field: Elasticsearch sends no score
    assert result.hits[0].document == doc(1, name="Lantern <Spa>")


def test_distances_are_computed_from_the_query_point():
    query = SearchQuery(lat=LONDON[0], lng=LONDON[1], sort="distance")
    near, north = parse_search_response(recorded_response(), query).hits
    assert near.distance_km == pytest.approx(0.0, abs=1e-9)
    assert north.distance_km == pytest.approx(KM_PER_DEGREE, rel=1e-6)
    assert parse_search_response(recorded_response(), SearchQuery()).hits[0].distance_km is None


def test_haversine_agrees_with_a_known_distance():
    paris = (48.8566, 2.3522)
    assert haversine_km(*LONDON, *paris) == pytest.approx(343.5, abs=1.0)


def test_highlight_keeps_what_elasticsearch_escaped():
    hit = parse_search_response(recorded_response(), SearchQuery(text="stone")).hits[0]
    assert hit.highlight == "Calm rooms &amp; warm <mark>stones</mark> &lt;b&gt;for&lt;&#x2F;b&gt; tired"


def test_name_highlight_serves_when_there_is_no_description():
    hit = parse_search_response(recorded_response(), SearchQuery(text="stone")).hits[1]
    assert hit.highlight == "<mark>Stone</mark> &amp; Steam"


def test_raw_markup_in_a_highlight_is_escaped_anyway():
    response = recorded_response()
    response["hits"]["hits"][0]["highlight"] = {"description": ["<script>x</script> <mark>spa</mark>"]}
    hit = parse_search_response(response, SearchQuery(text="spa")).hits[0]
    assert hit.highlight == "&lt;script&gt;x&lt;/script&gt; <mark>spa</mark>"


def test_without_a_highlight_the_description_is_escaped():
    response = recorded_response()
    del response["hits"]["hits"][0]["highlight"]
    hit = parse_search_response(response, SearchQuery()).hits[0]
    assert hit.highlight == "Calm rooms &amp; warm stones &lt;b&gt;for&lt;/b&gt; tired shoulders."


def test_facet_counts_and_labels():
    facets = parse_search_response(recorded_response(), SearchQuery()).facets
    assert [(v.value, v.label, v.count) for v in facets["category"].values] == [
        ("massage", "Massage", 30),
        ("nails", "nails", 12),  # no label came back: the slug stands in
    ]
    assert list(facets) == ["category", "tags", "price", "rating"]
    assert [(v.value, v.count) for v in facets["tags"].values] == [("quiet", 9)]
    # Values and labels are the PostgreSQL backend's; every bucket is listed, empty ones with 0.
    assert [(v.value, v.label, v.count) for v in facets["price"].values] == [
        ("0-2500", "Under £25", 5),
        ("2500-5000", "£25–£50", 20),
        ("5000-10000", "£50–£100", 0),
        ("10000-", "£100 and up", 1),
    ]
    assert [(v.value, v.label, v.count) for v in facets["rating"].values] == [
        ("4.5", "4.5 and up", 10),
        ("4", "4 and up", 25),
        ("3", "3 and up", 38),
    ]


def test_category_ties_are_ordered_by_label_as_in_postgres():
    response = recorded_response()
    response["aggregations"]["category"]["values"]["buckets"] = [
        {"key": "b", "doc_count": 3, "label": {"hits": {"hits": [{"_source": {"category_name": "Zen"}}]}}},
        {"key": "a", "doc_count": 3, "label": {"hits": {"hits": [{"_source": {"category_name": "Nails"}}]}}},
        {"key": "c", "doc_count": 9, "label": {"hits": {"hits": [{"_source": {"category_name": "Yoga"}}]}}},
    ]
    facets = parse_search_response(response, SearchQuery()).facets
    assert [v.label for v in facets["category"].values] == ["Yoga", "Nails", "Zen"]


def test_an_integer_total_is_accepted():
    response = {"hits": {"total": 3, "hits": []}}
    assert parse_search_response(response, SearchQuery()).total == 3


# -- suggest -------------------------------------------------------------------------------------


def test_suggest_matches_the_autocomplete_fields_exactly_and_fuzzily():
    body = build_suggest_body("mas", limit=5)
    should = body["query"]["bool"]["should"]
    fields = {next(iter(clause["match"])) for clause in should}
    assert fields == {"name.autocomplete", "category_name.autocomplete", "service_names.autocomplete"}
    assert sum("fuzziness" in next(iter(c["match"].values())) for c in should) == 3
    assert body["query"]["bool"]["minimum_should_match"] == 1


def suggestion_hits(*hits: tuple[dict, list[str] | dict]) -> dict:
    return {"hits": {"hits": [{"_source": source, "matched_queries": matched} for source, matched in hits]}}


def test_suggestions_starting_with_the_prefix_come_first_and_once_each():
    response = suggestion_hits(
        (
            {
                "name": "Calm Rooms",
                "category_name": "Massage",
                "service_names": ["Deep tissue massage", "Express facial"],
            },
            ["category", "service"],
        ),
        ({"name": "Massage Mansion", "category_name": "Massage", "service_names": []}, {"name": 1.0, "category": 0.5}),
    )
    assert parse_suggest_response(response, "mas") == ["Massage", "Massage Mansion", "Deep tissue massage"]
    assert parse_suggest_response(response, "mas", limit=1) == ["Massage"]


def test_close_spellings_come_after_exact_prefixes():
    response = suggestion_hits(
        ({"name": "Thai House", "service_names": ["Thai massage", "Manicure"]}, ["service"]),
        ({"name": "Masage Studio", "service_names": []}, ["name"]),
    )
    assert parse_suggest_response(response, "masage") == ["Masage Studio", "Thai massage"]


def test_suggestions_fold_accents():
    response = suggestion_hits(({"service_names": ["Soin du visage éclat"]}, ["service"]))
    assert parse_suggest_response(response, "ECLA") == ["Soin du visage éclat"]


def test_blank_prefix_suggests_nothing_without_asking():
    client = FakeClient()
    assert backend_with(client, {}).suggest("   ") == []
    assert client.calls == []


def test_suggest_asks_the_alias():
    client = FakeClient()
    client.search_response = suggestion_hits(({"name": "Massage Mansion"}, ["name"]))
    assert backend_with(client, {}).suggest("  mass  ", limit=3) == ["Massage Mansion"]
    assert client.called("search") == [{"index": "cozywish-venues", "body": build_suggest_body("mass", 3)}]


# -- the backend on a fake client ----------------------------------------------------------------


def test_can_be_built_from_a_url_alone():
    backend = ElasticsearchBackend("http://localhost:9200")
    assert isinstance(backend.client, Elasticsearch)
    assert backend.name == "elasticsearch"
    assert backend.alias == "cozywish-venues"


def test_reindex_all_builds_a_new_index_and_swaps_the_alias_atomically():
    client = FakeClient()
    client.add_index("cozywish-venues-20250101000000", "cozywish-venues", docs={"999": {}})
    client.add_index("cozywish-venues-20240101000000")  # an orphan of a failed rebuild
    documents = {i: doc(i) for i in range(1, 1201)}
    progress: list[tuple[int, int]] = []

    count = backend_with(client, documents).reindex_all(lambda done, total: progress.append((done, total)))

    new = "cozywish-venues-20250611120030"
    assert count == 1200
    [create] = client.called("indices.create")
    assert create["index"] == new
    assert create["mappings"] is MAPPING
    assert create["settings"]["analysis"] is ANALYSIS
    bulks = client.called("bulk")
    assert [len(b["operations"]) // 2 for b in bulks] == [500, 500, 200]
    assert all(op["index"]["_index"] == new for b in bulks for op in b["operations"][::2])
    assert progress == [(0, 1200), (500, 1200), (1000, 1200), (1200, 1200)]
    [swap] = client.called("indices.update_aliases")
    assert swap["actions"] == [
        {"remove": {"index": "cozywish-venues-20250101000000", "alias": "cozywish-venues"}},
        {"add": {"index": new, "alias": "cozywish-venues"}},
    ]
    [delete] = client.called("indices.delete")
    assert delete["index"] == ["cozywish-venues-20240101000000", "cozywish-venues-20250101000000"]
    assert client.aliases == {new: {"cozywish-venues"}}
    assert len(client.docs[new]) == 1200
    names = [name for name, _ in client.calls]
    assert names.index("indices.refresh") < names.index("indices.update_aliases") < names.index("indices.delete")


def test_first_reindex_only_adds_the_alias():
    client = FakeClient()
    backend_with(client, {1: doc(1)}).reindex_all()
    [swap] = client.called("indices.update_aliases")
    assert swap["actions"] == [{"add": {"index": "cozywish-venues-20250611120030", "alias": "cozywish-venues"}}]
    assert client.called("indices.delete") == []


def test_two_rebuilds_in_one_second_get_distinct_names():
    client = FakeClient()
    backend = backend_with(client, {1: doc(1)})
    backend.reindex_all()
    backend.reindex_all()
    assert list(client.aliases) == ["cozywish-venues-20250611120030-2"]


def test_a_refused_document_aborts_the_rebuild_and_keeps_the_live_index():
    client = FakeClient(refuse_documents=True)
    client.add_index("cozywish-venues-20250101000000", "cozywish-venues")
    with pytest.raises(IndexingFailed, match="document_parsing_exception"):
        backend_with(client, {1: doc(1)}).reindex_all()
    assert client.called("indices.update_aliases") == []
    assert client.called("indices.delete")[0]["index"] == "cozywish-venues-20250611120030"
    assert client.aliases == {"cozywish-venues-20250101000000": {"cozywish-venues"}}


def test_index_upserts_approved_venues_and_deletes_the_rest():
    client = FakeClient()
    client.add_index("cozywish-venues-20250101000000", "cozywish-venues", docs={"2": {"name": "old"}})
    backend_with(client, {1: doc(1), 2: doc(2)}, approved=[1]).index([1, 2, 3])

    [bulk] = client.called("bulk")
    assert bulk["operations"][0] == {"index": {"_index": "cozywish-venues-20250101000000", "_id": "1"}}
    assert bulk["operations"][1] == document_source(doc(1))
    assert bulk["operations"][2:] == [
        {"delete": {"_index": "cozywish-venues-20250101000000", "_id": "2"}},
        {"delete": {"_index": "cozywish-venues-20250101000000", "_id": "3"}},  # absent: a 404 is fine
    ]
    assert bulk["refresh"] == "wait_for"
    assert set(client.docs["cozywish-venues-20250101000000"]) == {"1"}


def test_index_creates_the_alias_the_first_time():
    client = FakeClient()
    backend_with(client, {1: doc(1)}).index([1])
    assert client.aliases == {"cozywish-venues-20250611120030": {"cozywish-venues"}}
    assert set(client.docs["cozywish-venues-20250611120030"]) == {"1"}


def test_index_also_writes_to_an_index_being_rebuilt():
    client = FakeClient()
    client.add_index("cozywish-venues-20250101000000", "cozywish-venues")
    client.add_index("cozywish-venues-20250611115959")  # a rebuild in progress
    backend_with(client, {1: doc(1)}).index([1])
    assert {bulk["operations"][0]["index"]["_index"] for bulk in client.called("bulk")} == {
        "cozywish-venues-20250101000000",
        "cozywish-venues-20250611115959",
    }


def test_remove_deletes_and_never_creates_an_index():
    client = FakeClient()
    client.add_index("cozywish-venues-20250101000000", "cozywish-venues", docs={"5": {}})
    backend_with(client, {}).remove([5])
    assert client.docs["cozywish-venues-20250101000000"] == {}

    empty = FakeClient()
    backend_with(empty, {}).remove([5])
    assert empty.called("indices.create") == [] and empty.called("bulk") == []


def test_refresh_refreshes_the_alias():
    client = FakeClient()
    backend_with(client, {}).refresh()
    assert client.called("indices.refresh") == [{"index": "cozywish-venues"}]


def test_search_sends_the_built_body_to_the_alias():
    client = FakeClient()
    client.search_response = recorded_response()
    query = SearchQuery(text="stone", page=2, per_page=5)
    result = backend_with(client, {}).search(query)
    [call] = client.called("search")
    assert call == {"index": "cozywish-venues", "body": build_search_body(query)}
    assert result.total == 42 and len(result.hits) == 2


# -- what Elasticsearch can't filter -------------------------------------------------------------


def two_step_cluster(candidate_ids: list[int]) -> FakeClient:
    """Answers the candidates request with ``candidate_ids``, and the search with the recorded page."""
    client = FakeClient()

    def answer(body: dict) -> dict:
        if body["_source"] == ["timezone"]:
            hits = [{"_id": str(i), "_source": {"timezone": "Europe/London"}} for i in candidate_ids]
            return {"hits": {"hits": hits}}
        return recorded_response()

    client.search_response = answer
    return client


def test_open_now_checks_the_candidates_then_searches_only_those():
    client = two_step_cluster(list(range(1, 31)))
    backend = backend_with(client, {})
    asked = []
    backend._open_now_ids = lambda zones, now: asked.append((dict(zones), now)) or {i for i in zones if i % 3 == 0}

    result = backend.search(SearchQuery(text="spa", open_now=True, page=2, per_page=4))

    candidates, page = client.called("search")
    assert candidates["body"] == build_candidates_body(SearchQuery(text="spa", open_now=True, page=2, per_page=4))
    assert asked == [(dict.fromkeys(range(1, 31), "Europe/London"), NOW)]
    kept = [3, 6, 9, 12, 15, 18, 21, 24, 27, 30]  # in the candidates' order
    assert {"ids": {"values": [str(i) for i in kept]}} in page["body"]["query"]["bool"]["filter"]
    assert (page["body"]["from"], page["body"]["size"]) == (4, 4)  # paging stays with Elasticsearch
    assert result.total == 42  # its total and facets count only venues that passed


def test_free_window_asks_the_slot_engine(monkeypatch):
    asked = []

    def venues_free_between(ids, start, end, *, now=None):
        asked.append((ids, start, end, now))
        return {2, 5}

    monkeypatch.setattr("search.free_time.venues_free_between", venues_free_between)
    client = two_step_cluster([5, 1, 2])
    start = datetime(2025, 6, 14, 14, tzinfo=UTC)
    backend_with(client, {}).search(SearchQuery(free_from=start, free_to=start + timedelta(hours=3)))

    assert asked == [([5, 1, 2], start, start + timedelta(hours=3), NOW)]
    page = client.called("search")[1]["body"]
    assert {"ids": {"values": ["5", "2"]}} in page["query"]["bool"]["filter"]


def test_nothing_open_means_no_hits_not_all_hits():
    client = two_step_cluster([1, 2])
    backend = backend_with(client, {})
    backend._open_now_ids = lambda zones, now: set()
    backend.search(SearchQuery(open_now=True))
    assert {"ids": {"values": []}} in client.called("search")[1]["body"]["query"]["bool"]["filter"]


@pytest.fixture
def make_venue(ctx, make_user):
    """A venue row with opening hours (weekday, opens, closes) and an optional one-day closure."""
    from app.platform.extensions import db
    from app.venues.models import Closure, OpeningHours, Service, Venue

    def make(name: str, *, tz="Europe/London", hours=(), closed: date | None = None, status="approved") -> int:
        owner = make_user(role="provider")
        venue = Venue(owner_id=owner.id, name=name, slug=name.lower(), status=status, timezone=tz, city="London")
        venue.opening_hours = [OpeningHours(weekday=d, opens_minute=o, closes_minute=c) for d, o, c in hours]
        venue.closures = [Closure(starts_on=closed, ends_on=closed)] if closed else []
        venue.services = [Service(name="Hot stone massage", duration_minutes=60, price_minor=5500, position=0)]
        db.session.add(venue)
        db.session.flush()
        return venue.id

    return make


def test_open_now_reads_hours_and_closures_in_each_venue_zone(make_venue):
    wednesday_9_to_5 = [(2, 9 * 60, 17 * 60)]
    open_ = make_venue("Open", hours=wednesday_9_to_5)
    closed_today = make_venue("Closure", hours=wednesday_9_to_5, closed=date(2025, 6, 11))
    mondays = make_venue("Mondays", hours=[(0, 9 * 60, 17 * 60)])
    tokyo = make_venue("Tokyo", tz="Asia/Tokyo", hours=wednesday_9_to_5)  # 21:00 there
    zones = {open_: "Europe/London", closed_today: "Europe/London", mondays: "Europe/London", tokyo: "Asia/Tokyo"}

    backend = ElasticsearchBackend("http://es.invalid:9200", client=FakeClient())
    assert backend._open_now_ids(zones, NOW) == {open_}


def test_real_documents_are_indexed_and_drafts_deleted(make_venue):
    approved = make_venue("Lantern")
    draft = make_venue("Sketch", status="draft")
    client = FakeClient()
    backend = ElasticsearchBackend("http://es.invalid:9200", client=client)
    backend.now = lambda: NOW

    backend.index([approved, draft])

    index = "cozywish-venues-20250611120030"
    assert set(client.docs[index]) == {str(approved)}
    source = client.docs[index][str(approved)]
    assert set(source) <= set(MAPPING["properties"])
    assert source["name"] == "Lantern" and source["service_names"] == ["Hot stone massage"]
    assert source["price_from"] == 5500
    assert {"delete": {"_index": index, "_id": str(draft)}} in client.called("bulk")[0]["operations"]

    assert backend.reindex_all() >= 1
    assert str(approved) in client.docs["cozywish-venues-20250611120030-2"]
    assert str(draft) not in client.docs["cozywish-venues-20250611120030-2"]


# -- an unreachable cluster ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda b: b.search(SearchQuery(text="spa")),
        lambda b: b.suggest("spa"),
        lambda b: b.index([1]),
        lambda b: b.remove([1]),
        lambda b: b.reindex_all(),
    ],
    ids=["search", "suggest", "index", "remove", "reindex_all"],
)
def test_an_unreachable_cluster_raises_search_unavailable(call, caplog):
    client = FakeClient(fail_with=ESConnectionError("Connection refused"))
    with pytest.raises(SearchUnavailable):
        call(backend_with(client, {1: doc(1)}))
    assert "unreachable" in caplog.text


def test_a_missing_index_or_a_sick_cluster_is_unavailable_too():
    for error in (api_error(NotFoundError, 404), api_error(ApiError, 503)):
        with pytest.raises(SearchUnavailable):
            backend_with(FakeClient(fail_with=error), {}).search(SearchQuery())


def test_a_bad_request_is_a_bug_and_is_not_hidden():
    with pytest.raises(BadRequestError):
        backend_with(FakeClient(fail_with=api_error(BadRequestError, 400)), {}).search(SearchQuery())


def test_ping_says_false_when_unreachable():
    assert backend_with(FakeClient(), {}).ping() is True
    assert backend_with(FakeClient(fail_with=ESConnectionError("refused")), {}).ping() is False


def test_a_search_nothing_fully_matches_relaxes_one_group_at_a_time(ctx):
    """Every word first; then at least n-1 groups, ...; the answer says which words its hits matched."""
    thistle = doc(7, name="Thistle Spa & Massage")

    def answer(body):
        text_query = body["query"]["bool"]["must"][0]["bool"]
        required = text_query["must"][0]["bool"]
        if "_name" in required:  # every group required: nothing matches
            return {"hits": {"total": {"value": 0}, "hits": []}}
        assert required["minimum_should_match"] == 1  # three groups: 2 found nothing, then 1
        hit = {"_id": "7", "_score": 1.0, "_source": {"document": document_source(thistle)["document"]}}
        return {"hits": {"total": {"value": 1}, "hits": [{**hit, "matched_queries": ["group:0"]}]}}

    client = FakeClient()

    def respond(body):
        text_query = body["query"]["bool"]["must"][0]["bool"]["must"][0]["bool"]
        if text_query.get("minimum_should_match") == 2:
            return {"hits": {"total": {"value": 0}, "hits": []}}
        return answer(body)

    client.search_response = respond
    result = backend_with(client, {7: thistle}).search(SearchQuery(text="massage jacuzzi steamroom"))
    assert [h.name for h in result.hits] == ["Thistle Spa & Massage"]
    assert result.relaxed == ("massage",)
    assert len(client.called("search")) == 3  # every word, at least 2, at least 1
