"""Geo and rating precision (issue 15, item 3): one earth model for the radius, the sort and the
distance shown; a radius includes its edge; ratings are exact decimals; pages never reorder
across page sizes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.discovery.cards import distance_label
from app.platform.extensions import db
from search import es_queries
from search.geo import EARTH_RADIUS_M, EARTHDISTANCE_RADIUS_M, distance_km, es_distance
from search.postgres import PostgresBackend
from search.types import SearchQuery
from tests.search.corpus import LONDON, build_corpus

CENTRE = (51.5, -0.12)


@pytest.fixture
def backend() -> PostgresBackend:
    return PostgresBackend()


@pytest.fixture
def corpus(ctx, make_user, backend):
    corpus = build_corpus(make_user)
    backend.index(corpus.ids)
    return corpus


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """The point ``metres`` due north of ``point`` on the model sphere."""
    return point[0] + math.degrees(metres / EARTH_RADIUS_M), point[1]


def move(backend, corpus, name: str, at: tuple[float, float]) -> int:
    venue = corpus.venues[name]
    venue.latitude, venue.longitude = at
    backend.index([venue.id])
    return venue.id


def test_earthdistance_places_points_on_the_sphere_the_model_assumes(ctx):
    assert db.session.execute(text("SELECT earth()")).scalar_one() == EARTHDISTANCE_RADIUS_M


def test_a_venue_exactly_on_the_edge_is_inside_the_radius(backend, corpus):
    edge = north_of(CENTRE, 5000.0)
    assert distance_km(*CENTRE, *edge) == pytest.approx(5.0, abs=1e-9)
    venue_id = move(backend, corpus, "Cedar Barbers", edge)
    inside = backend.search(SearchQuery(lat=CENTRE[0], lng=CENTRE[1], radius_km=5.0, per_page=50))
    (hit,) = [h for h in inside.hits if h.venue_id == venue_id]
    assert hit.distance_km == pytest.approx(5.0, abs=1e-6)
    assert distance_label(hit.distance_km) == "5.0 km"
    # A metre further is outside.
    move(backend, corpus, "Cedar Barbers", north_of(CENTRE, 5001.0))
    outside = backend.search(SearchQuery(lat=CENTRE[0], lng=CENTRE[1], radius_km=5.0, per_page=50))
    assert venue_id not in {h.venue_id for h in outside.hits}


def test_radius_sort_and_shown_distance_agree_with_the_model(backend, corpus):
    result = backend.search(SearchQuery(lat=LONDON[0], lng=LONDON[1], radius_km=500, sort="distance", per_page=50))
    assert result.hits
    for hit in result.hits:
        doc = hit.document
        assert hit.distance_km == pytest.approx(distance_km(*LONDON, doc.lat, doc.lng), abs=1e-6)
    shown = [h.distance_km for h in result.hits]
    assert shown == sorted(shown)


def test_elasticsearch_uses_the_same_model_and_includes_the_edge():
    body = es_queries.build_search_body(SearchQuery(lat=CENTRE[0], lng=CENTRE[1], radius_km=5.0))
    geo = body["query"]["bool"]["filter"][0]["geo_distance"]
    assert geo["distance"] == es_distance(5.0) == "5000.01m"
    assert geo.get("distance_type", "arc") == "arc"  # Elasticsearch's arc uses its mean radius, ours
    assert es_queries.haversine_km(*CENTRE, *north_of(CENTRE, 5000.0)) == pytest.approx(5.0, abs=1e-9)


def test_four_point_seven_and_up_includes_four_point_seven(backend, corpus):
    rated = corpus.venues["Lotus Massage Rooms"]
    lower = corpus.venues["Cedar Barbers"]
    rated.rating, rated.review_count = Decimal("4.7"), 3
    lower.rating, lower.review_count = Decimal("4.69"), 3
    backend.index([rated.id, lower.id])
    stored = db.session.execute(text("SELECT rating FROM venue_search WHERE venue_id = :id"), {"id": rated.id})
    assert stored.scalar_one() == Decimal("4.70")
    found = backend.search(SearchQuery(min_rating=4.7, per_page=50))
    assert [h.name for h in found.hits] == ["Lotus Massage Rooms"]
    assert found.hits[0].document.rating == 4.7
    body = es_queries.build_search_body(SearchQuery(min_rating=4.7))
    assert {"range": {"rating": {"gte": 4.7}}} in body["post_filter"]["bool"]["filter"]
    assert es_queries.MAPPING["properties"]["rating"] == {"type": "scaled_float", "scaling_factor": 100}


@pytest.mark.parametrize(
    "shape",
    [
        {"lat": CENTRE[0], "lng": CENTRE[1], "sort": "distance"},
        {"lat": CENTRE[0], "lng": CENTRE[1], "radius_km": 50.0, "sort": "distance"},
        {"sort": "price"},
        {"sort": "rating"},
        {"text": "massage", "sort": "relevance"},
        {"text": "massage", "lat": CENTRE[0], "lng": CENTRE[1], "sort": "distance"},
    ],
    ids=["distance", "distance-within", "price", "rating", "relevance", "text-distance"],
)
def test_pages_of_five_are_one_page_of_twenty(backend, corpus, shape):
    # Ties everywhere: every venue at the same point, at the same price, unrated.
    for venue in corpus.venues.values():
        venue.latitude, venue.longitude = CENTRE
        for service in venue.services:
            service.price_minor = 3000
    backend.index(corpus.ids)
    whole = [h.venue_id for h in backend.search(SearchQuery(per_page=20, **shape)).hits]
    pages = [backend.search(SearchQuery(per_page=5, page=n, **shape)).hits for n in (1, 2, 3, 4)]
    assert [h.venue_id for page in pages for h in page] == whole
    assert len(whole) == (3 if "text" in shape else 12)
    if "text" not in shape:
        names = [corpus.name_of(i) for i in whole]
        assert names == sorted(names), "ties are broken by name, then id"
