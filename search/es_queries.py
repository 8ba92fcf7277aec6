"""Elasticsearch's side of search, without a cluster: the index mapping, request bodies, answers read.

Request bodies are built by pure functions (`build_search_body`, `build_suggest_body`) and
answers read by pure functions (`parse_search_response`, `parse_suggest_response`), so all of
it is tested without a cluster. Facet values, labels and sort tie-breaks match the PostgreSQL
backend's, so both pass one contract suite. `search.elasticsearch` sends them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from search.documents import document_from_json, document_to_json
from search.geo import distance_km, es_distance
from search.snippets import SNIPPET_CHARS, sentence_snippet
from search.types import (
    MAX_PAGE_SIZE,
    PRICE_BUCKETS,
    RATING_BUCKETS,
    TOP_TAGS,
    Facet,
    FacetValue,
    SearchHit,
    SearchQuery,
    SearchResult,
    VenueDocument,
    price_bucket_key,
    price_bucket_label,
    rating_bucket_key,
    rating_bucket_label,
)
from search.understanding import NO_SYNONYMS, Synonyms, TermGroup, term_groups

BACKEND_NAME = "elasticsearch"  # `SearchResult.backend` of every answer read here

# "Open now" and "free in this window" can't be expressed in Elasticsearch. The best
# CANDIDATE_WINDOW matches (ids only) are checked in Python, then the real search runs
# restricted to the ids that passed: totals, facets and pages are exact within that window.
CANDIDATE_WINDOW = 500
MAX_RESULT_WINDOW = 1000 * MAX_PAGE_SIZE  # SearchQuery allows page 1000 of 50
CATEGORY_FACET_SIZE = 100
MAX_TERMS = 10

ANALYSIS = {
    "filter": {"autocomplete_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20}},
    "analyzer": {
        # "Café Crème" and "cafe creme" index and search alike.
        "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]},
        # Index every word prefix ("m", "ma", "mas", ...); search with the plain folded analyser.
        "autocomplete": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding", "autocomplete_edge"],
        },
    },
}

INDEX_SETTINGS = {
    "number_of_shards": 1,  # exact facet counts; a venue corpus fits one shard
    "number_of_replicas": 1,
    "max_result_window": MAX_RESULT_WINDOW,
    "analysis": ANALYSIS,
}

_FOLDED_TEXT = {"type": "text", "analyzer": "folded"}
_AUTOCOMPLETE = {"type": "text", "analyzer": "autocomplete", "search_analyzer": "folded"}
_KEYWORD = {"type": "keyword"}

MAPPING = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "integer"},
        "slug": _KEYWORD,
        # `.sort` orders ties by name in byte order, as PostgreSQL's C collation does.
        "name": {**_FOLDED_TEXT, "fields": {"autocomplete": _AUTOCOMPLETE, "sort": _KEYWORD}},
        "description": _FOLDED_TEXT,
        "category": _KEYWORD,
        "category_name": {**_FOLDED_TEXT, "fields": {"autocomplete": _AUTOCOMPLETE}},
        "service_names": {**_FOLDED_TEXT, "fields": {"autocomplete": _AUTOCOMPLETE}},
        # Keywords for exact filters and facets; a folded `.text` twin so "london" finds "London".
        "tags": {**_KEYWORD, "fields": {"text": _FOLDED_TEXT}},
        "city": {**_KEYWORD, "fields": {"text": _FOLDED_TEXT}},
        "currency": _KEYWORD,
        "timezone": _KEYWORD,
        "location": {"type": "geo_point"},
        "price_from": {"type": "integer"},
        # Exact to the hundredth, as PostgreSQL's numeric(3, 2): "4.7 and up" includes 4.7.
        "rating": {"type": "scaled_float", "scaling_factor": 100},
        "review_count": {"type": "integer"},
        "cover_thumb": {"type": "keyword", "index": False, "doc_values": False},
        "updated_at": {"type": "date"},
        # Can take paid bookings now: the first sort key of every order (search.pg_sql.BOOKABLE_SQL).
        "bookable": {"type": "boolean"},
        # The whole VenueDocument, returned for rendering and never searched.
        "document": {"type": "object", "enabled": False},
    },
}

TEXT_FIELDS = ("name^3", "category_name^2", "service_names^2", "tags.text", "city.text", "description")


def document_source(doc: VenueDocument) -> dict[str, Any]:
    """The indexed `_source` of one venue: the mapped fields, and the document for rendering."""
    stored = document_to_json(doc)
    source = {field: stored[field] for field in MAPPING["properties"] if field in stored}
    located = doc.lat is not None and doc.lng is not None
    source["location"] = {"lat": doc.lat, "lon": doc.lng} if located else None
    source["document"] = stored
    return source


# -- search body ----------------------------------------------------------------------------------


def _alternative(phrase: tuple[str, ...]) -> dict[str, Any]:
    """One way to say a group: a word forgives typos (fuzziness AUTO with swaps as one edit: the
    budget of search.understanding.typo_budget); a phrase (from the synonyms) is matched as one."""
    if len(phrase) == 1:
        return {
            "multi_match": {
                "query": phrase[0],
                "fields": list(TEXT_FIELDS),
                "fuzziness": "AUTO",
                "fuzzy_transpositions": True,
                "operator": "and",
            }
        }
    return {"multi_match": {"query": " ".join(phrase), "fields": list(TEXT_FIELDS), "type": "phrase"}}


def _group_clause(group: TermGroup, n: int) -> dict[str, Any]:
    """A venue matches the group when it matches one of its alternatives (the typed word or
    phrase, or a synonym: query expansion, the same groups as PostgreSQL's tsquery). Named, so a
    relaxed answer says which groups its hits matched."""
    alternatives = [_alternative(phrase) for phrase in group.alternatives]
    return {"bool": {"should": alternatives, "minimum_should_match": 1, "_name": f"group:{n}"}}


def _text_query(text: str, synonyms: Synonyms = NO_SYNONYMS, min_groups: int | None = None) -> dict[str, Any] | None:
    groups = term_groups(text, synonyms)[:MAX_TERMS]
    if not groups:
        return None
    # One clause per group, all required: each must match some field ("masage london": a
    # massage in London). One multi_match over all words with operator "and" would need them
    # all in ONE field, and cross_fields (which spans fields) doesn't allow fuzziness.
    clauses = [_group_clause(group, n) for n, group in enumerate(groups)]
    # Exact words rank above typo and synonym matches.
    typed = " ".join(group.typed for group in groups)
    exact = {"multi_match": {"query": typed, "fields": list(TEXT_FIELDS), "type": "cross_fields"}}
    if min_groups is None:
        return {"bool": {"must": clauses, "should": [exact]}}
    # Relaxed (nothing matched every group): at least ``min_groups`` of them; the backend tries
    # one group fewer at a time, as PostgreSQL keeps the most groups any venue matches.
    return {"bool": {"must": [{"bool": {"should": clauses, "minimum_should_match": min_groups}}], "should": [exact]}}


def _facet_filters(query: SearchQuery) -> dict[str, list[dict[str, Any]]]:
    """The filters a facet switches, by facet name."""
    filters: dict[str, list[dict[str, Any]]] = {"category": [], "tags": [], "price": [], "rating": []}
    if query.category:
        filters["category"].append({"term": {"category": query.category}})
    filters["tags"] = [{"term": {"tags": tag}} for tag in query.tags]  # all of them
    if query.price_min is not None or query.price_max is not None:
        price = {k: v for k, v in (("gte", query.price_min), ("lte", query.price_max)) if v is not None}
        filters["price"].append({"range": {"price_from": price}})
    if query.min_rating is not None:
        filters["rating"].append({"range": {"rating": {"gte": query.min_rating}}})
    return filters


# Venues that can't take paid bookings yet come after those that can, in every order, as in the
# PostgreSQL backend (docs/search.md). An index built before the field existed sorts as before.
BOOKABLE_FIRST = {"bookable": {"order": "desc", "unmapped_type": "boolean"}}


def _sort(query: SearchQuery) -> list[Any]:
    """The PostgreSQL backend's order: the sort key, then name (byte order), then id."""
    tiebreak: list[Any] = [{"name.sort": "asc"}, {"id": "asc"}]
    by_rating = [{"rating": {"order": "desc", "missing": "_last"}}, {"review_count": "desc"}]
    if query.sort == "distance":
        point = {"lat": query.lat, "lon": query.lng}
        return [{"_geo_distance": {"location": point, "order": "asc", "unit": "km"}}, *tiebreak]
    if query.sort == "price":
        return [{"price_from": {"order": "asc", "missing": "_last"}}, *tiebreak]
    if query.sort == "rating" or not query.text.split():
        return [*by_rating, *tiebreak]
    return ["_score", *tiebreak]


def _aggregations(filters: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    # Facet filters go in `post_filter`: they narrow the hits but not the aggregations. Each
    # facet wraps its aggregation in a `filter` of every OTHER facet's filters, so its counts
    # answer "how many if I chose this value", while text and radius (in `query`) apply to
    # all of them. A `global` aggregation isn't needed: nothing must escape the query.
    def others(name: str) -> dict[str, Any]:
        clauses = [clause for facet, fs in filters.items() if facet != name for clause in fs]
        return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}

    price_ranges = [
        {"key": price_bucket_key(low, high), "from": low, **({"to": high} if high is not None else {})}
        for low, high in PRICE_BUCKETS
    ]
    rating_ranges = [{"key": rating_bucket_key(stars), "from": stars} for stars in RATING_BUCKETS]
    label = {"top_hits": {"size": 1, "_source": {"includes": ["category_name"]}}}
    values = {
        "category": {"terms": {"field": "category", "size": CATEGORY_FACET_SIZE}, "aggs": {"label": label}},
        "tags": {"terms": {"field": "tags", "size": TOP_TAGS, "order": [{"_count": "desc"}, {"_key": "asc"}]}},
        "price": {"range": {"field": "price_from", "ranges": price_ranges}},
        "rating": {"range": {"field": "rating", "ranges": rating_ranges}},
    }
    return {name: {"filter": others(name), "aggs": {"values": agg}} for name, agg in values.items()}


def build_search_body(
    query: SearchQuery,
    *,
    only_ids: Sequence[int] | None = None,
    synonyms: Synonyms = NO_SYNONYMS,
    min_groups: int | None = None,
) -> dict[str, Any]:
    """The `_search` body for ``query``; ``only_ids`` restricts it (venues open / free);
    ``synonyms`` expand the words; ``min_groups`` relaxes "every word" to at least that many."""
    text = _text_query(query.text, synonyms, min_groups)
    scope: list[dict[str, Any]] = []
    if query.radius_km is not None:
        point = {"lat": query.lat, "lon": query.lng}
        # The edge is inside (search.geo); "arc" is the model sphere's great-circle distance.
        scope.append(
            {"geo_distance": {"distance": es_distance(query.radius_km), "location": point, "distance_type": "arc"}}
        )
    if only_ids is not None:
        scope.append({"ids": {"values": [str(venue_id) for venue_id in only_ids]}})
    if query.free_from is not None:
        scope.append({"term": {"bookable": True}})  # free to book in a window: never one that can't take bookings
    filters = _facet_filters(query)
    facet_clauses = [clause for fs in filters.values() for clause in fs]
    body: dict[str, Any] = {
        "query": {"bool": {"must": [text] if text else [{"match_all": {}}], "filter": scope}},
        "sort": [BOOKABLE_FIRST, *_sort(query)],
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": ["document"],
        "highlight": {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",  # Elasticsearch escapes the text; only the <mark> tags are raw
            "fields": {
                "name": {"number_of_fragments": 0},
                # Fragments broken at sentence boundaries, so the snippet starts a sentence
                # (search.snippets trims both backends' highlights the same way).
                "description": {
                    "type": "unified",
                    "boundary_scanner": "sentence",
                    "boundary_scanner_locale": "en-GB",
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                },
            },
        },
        "aggs": _aggregations(filters),
    }
    if facet_clauses:
        body["post_filter"] = {"bool": {"filter": facet_clauses}}
    return body


def build_candidates_body(
    query: SearchQuery, *, synonyms: Synonyms = NO_SYNONYMS, min_groups: int | None = None
) -> dict[str, Any]:
    """The ids (and time zones) of the best CANDIDATE_WINDOW matches of every other filter."""
    body = build_search_body(query, synonyms=synonyms, min_groups=min_groups)
    for key in ("aggs", "highlight"):
        del body[key]
    body.update({"from": 0, "size": CANDIDATE_WINDOW, "_source": ["timezone"], "track_total_hits": False})
    return body


# -- search response ------------------------------------------------------------------------------


def _body(response: Any) -> Any:
    return getattr(response, "body", response)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The distance shown: the one earth model (search.geo), as Elasticsearch's arc distance."""
    return distance_km(lat1, lng1, lat2, lng2)


_MARK = re.compile(r"(</?mark>)")


def safe_highlight(fragment: str) -> str:
    """Keep <mark> tags, escape any other angle bracket; never un-escape what ES escaped."""
    parts = _MARK.split(fragment)
    return "".join(p if p in ("<mark>", "</mark>") else p.replace("<", "&lt;").replace(">", "&gt;") for p in parts)


def _snippet(description: str) -> str:
    if len(description) <= SNIPPET_CHARS:
        return html.escape(description)
    return html.escape(description[:SNIPPET_CHARS].rsplit(" ", 1)[0]) + " …"


def _parse_hit(hit: dict[str, Any], query: SearchQuery) -> SearchHit:
    doc = document_from_json(hit["_source"]["document"])
    distance = None
    if query.lat is not None and query.lng is not None and doc.lat is not None and doc.lng is not None:
        distance = haversine_km(query.lat, query.lng, doc.lat, doc.lng)
    marked = hit.get("highlight", {})
    fragments = marked.get("description") or marked.get("name") or []
    return SearchHit(
        venue_id=int(hit["_id"]),
        slug=doc.slug,
        name=doc.name,
        score=float(hit.get("_score") or 0.0),  # None when sorted by a field
        distance_km=distance,
        highlight=sentence_snippet(safe_highlight(fragments[0])) if fragments else _snippet(doc.description),
        document=doc,
    )


def _parse_facets(aggs: dict[str, Any]) -> dict[str, Facet]:
    def buckets(name: str) -> list[dict[str, Any]]:
        return aggs.get(name, {}).get("values", {}).get("buckets", [])

    def counts(name: str) -> dict[str, int]:
        return {b["key"]: b["doc_count"] for b in buckets(name)}

    categories = []
    for bucket in buckets("category"):
        top = bucket.get("label", {}).get("hits", {}).get("hits", [])
        label = (top[0].get("_source", {}).get("category_name") if top else None) or bucket["key"]
        categories.append(FacetValue(bucket["key"], label, bucket["doc_count"]))
    categories.sort(key=lambda v: (-v.count, v.label))
    prices, ratings = counts("price"), counts("rating")
    values = {
        "category": categories,
        "tags": [FacetValue(b["key"], b["key"], b["doc_count"]) for b in buckets("tags")],
        "price": [
            FacetValue(price_bucket_key(lo, hi), price_bucket_label(lo, hi), prices.get(price_bucket_key(lo, hi), 0))
            for lo, hi in PRICE_BUCKETS
        ],
        "rating": [
            FacetValue(rating_bucket_key(r), rating_bucket_label(r), ratings.get(rating_bucket_key(r), 0))
            for r in RATING_BUCKETS
        ],
    }
    return {name: Facet(name, tuple(found)) for name, found in values.items() if name in aggs}


def relaxed_groups(response: Any) -> list[tuple[int, ...]]:
    """Which groups (by number) each hit of a relaxed answer matched, from its named queries."""
    found = []
    for hit in _body(response).get("hits", {}).get("hits", []):
        names = hit.get("matched_queries") or ()
        found.append(tuple(sorted(int(n.split(":", 1)[1]) for n in names if str(n).startswith("group:"))))
    return found


def parse_search_response(response: Any, query: SearchQuery) -> SearchResult:
    body = _body(response)
    hits = body.get("hits", {})
    total = hits.get("total", 0)
    return SearchResult(
        hits=tuple(_parse_hit(hit, query) for hit in hits.get("hits", [])),
        total=total["value"] if isinstance(total, dict) else int(total),
        facets=_parse_facets(body.get("aggregations", {})),
        backend=BACKEND_NAME,
    )


# -- suggest --------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase without accents and with single spaces, as the `folded` analyser sees it."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def _edits(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _close(text: str, prefix: str) -> bool:
    """Does every word of ``prefix`` start a word of ``text``, within fuzziness AUTO's edits?"""
    words = re.findall(r"\w+", fold(text))

    def near(p: str) -> bool:
        k = 0 if len(p) <= 2 else 1 if len(p) <= 5 else 2
        return any(_edits(w[:n], p) <= k for w in words for n in range(max(1, len(p) - k), len(p) + k + 1))

    return all(near(p) for p in re.findall(r"\w+", fold(prefix)))


def build_suggest_body(prefix: str, limit: int = 8) -> dict[str, Any]:
    should = []
    for kind, field, boost in (
        ("category", "category_name.autocomplete", 4),
        ("name", "name.autocomplete", 3),
        ("service", "service_names.autocomplete", 2),
    ):
        exact = {"query": prefix, "operator": "and", "_name": kind, "boost": boost}
        should.append({"match": {field: exact}})
        # "Close to" the prefix: "masag" finds massage.
        should.append({"match": {field: {**exact, "fuzziness": "AUTO", "prefix_length": 1, "boost": 1}}})
    return {
        "size": max(limit * 5, 20),
        "_source": ["name", "category_name", "service_names"],
        "query": {"bool": {"should": should, "minimum_should_match": 1}},
    }


def parse_suggest_response(response: Any, prefix: str, limit: int = 8) -> list[str]:
    """Venue, category and service names: those starting with the prefix first, then those with
    a word starting with it, then close spellings (in relevance order); each once."""
    wanted = fold(prefix)
    found: dict[str, tuple[int, int, str]] = {}
    for hit in _body(response).get("hits", {}).get("hits", []):
        matched = set(hit.get("matched_queries") or ())  # a list, or a dict of scores
        source = hit.get("_source", {})
        terms = []
        if "category" in matched:
            terms.append(source.get("category_name"))
        if "name" in matched:
            terms.append(source.get("name"))
        if "service" in matched:  # which of the venue's services matched: ask each
            terms.extend(s for s in source.get("service_names") or () if _close(s, prefix))
        for term in terms:
            key = fold(term or "")
            if key and key not in found:
                rank = 0 if key.startswith(wanted) else 1 if f" {wanted}" in f" {key}" else 2
                found[key] = (rank, len(found), term)
    return [term for _, _, term in sorted(found.values())[:limit]]
