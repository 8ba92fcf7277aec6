"""The API's venue search and the search page agree: the same parameters give the same venues,
in the same order, with the same total, whatever the filters and sort."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest
from flask import request

from app.api import schemas
from app.api.views.public import search_answer
from app.discovery.params import parse_search
from app.platform.extensions import db
from app.venues.models import Category
from search.backend import get_backend, search
from tests.booking.helpers import make_bookable_venue

CARD = re.compile(r'data-venue-card="(\d+)"')
PLACES = {"London": (51.5072, -0.1276), "Manchester": (53.4808, -2.2426)}


@pytest.fixture
def venues(ctx, make_user):
    category = db.session.query(Category).order_by(Category.position).first()
    made = []
    for n, (name, city, price) in enumerate(
        [
            ("Lotus Massage", "London", 4000),
            ("Quiet Massage Rooms", "London", 7000),
            ("Northern Spa", "Manchester", 5500),
            ("Lotus Nails", "Manchester", 2500),
        ]
    ):
        venue, service = make_bookable_venue(make_user(role="provider"), name=name)
        venue.city = city
        venue.latitude, venue.longitude = PLACES[city]
        venue.category_id = category.id if n % 2 == 0 and category else None
        service.price_minor = price
        made.append(venue)
    db.session.flush()
    get_backend(for_indexing=True).index([v.id for v in made])
    db.session.commit()
    return made, category


CASES = [
    {},
    {"q": "massage"},
    {"q": "lotus", "sort": "price"},
    {"sort": "rating"},
    {"price_max": "50"},
    {"lat": "51.5072", "lng": "-0.1276", "radius": "25", "sort": "distance"},
    {"q": "spa", "per_page": "2"},
]


@pytest.mark.parametrize("params", CASES, ids=lambda p: urlencode(p) or "everything")
def test_the_api_and_the_page_find_the_same_venues(client, venues, params):
    page = client.get("/search?" + urlencode(params))
    assert page.status_code == 200
    on_page = [int(i) for i in CARD.findall(page.get_data(as_text=True))]
    answer = client.get("/api/v1/venues?" + urlencode(params))
    assert answer.status_code == 200, answer.get_json()
    in_api = [v["id"] for v in answer.get_json()["venues"]]
    assert in_api == on_page
    assert answer.get_json()["total"] >= len(in_api)
    expected = {"": 4, "q=massage": 4, "q=lotus&sort=price": 2, "price_max=50": 2}.get(urlencode(params))
    if expected is not None:
        assert len(in_api) == expected


def test_a_category_filter_matches_the_page(client, venues):
    _made, category = venues
    if category is None:
        pytest.skip("no categories seeded")
    params = {"category": category.slug}
    on_page = [int(i) for i in CARD.findall(client.get("/search?" + urlencode(params)).get_data(as_text=True))]
    in_api = [v["id"] for v in client.get("/api/v1/venues?" + urlencode(params)).get_json()["venues"]]
    assert in_api == on_page and len(in_api) == 2


def test_a_search_the_page_refuses_the_api_refuses_too(client, venues):
    params = {"sort": "cheapest"}
    assert client.get("/search?" + urlencode(params)).status_code == 400
    refused = client.get("/api/v1/venues?" + urlencode(params))
    assert refused.status_code == 422 and "Sort by one of" in refused.get_json()["detail"]


# The search answer skips the schema's dump (bench/api: 2-3 ms a page): it is built in
# schemas.SearchResult's shape, of JSON's own types, so the dump would return it unchanged.
JSON_TYPES = (str, int, float, bool, type(None))
SHAPES = [*CASES, {"q": "massage", "lat": "51.5072", "lng": "-0.1276", "radius": "25"}, {"q": "zzzz"}]


def only_json_types(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(v) for v in value)
    return isinstance(value, JSON_TYPES)


def answer_for(app, params: dict[str, str], cursor: str | None) -> dict:
    with app.test_request_context("/api/v1/venues?" + urlencode(params)):
        return search_answer(search(parse_search(request.args).query), cursor)


@pytest.mark.parametrize("params", SHAPES, ids=lambda p: urlencode(p) or "everything")
def test_the_search_answer_is_what_the_schema_would_dump(app, venues, params):
    answer = answer_for(app, params, "next")
    assert only_json_types(answer)
    assert schemas.SearchResult().dump(answer) == answer
    if params.get("q") != "zzzz":
        assert answer["venues"] and answer["facets"]
        assert set(answer["venues"][0]) == set(schemas.VenueSummary().fields)
        assert answer["venues"][0]["price_from"]["amount"] > 0
    if "lat" in params:
        assert all(isinstance(v["distance_km"], float) for v in answer["venues"])


@pytest.mark.parametrize("params", SHAPES, ids=lambda p: urlencode(p) or "everything")
def test_the_api_answers_the_schemas_dump_of_the_search(app, client, venues, params):
    body = client.get("/api/v1/venues?" + urlencode(params)).get_json()
    dumped = schemas.SearchResult().dump(answer_for(app, params, body["next_cursor"]))
    assert body == json.loads(json.dumps(dumped))


def test_one_search_leaves_nothing_behind_for_the_next(client, venues):
    """The query schema is one shared instance: a parameter of one request isn't in the next."""
    assert client.get("/api/v1/venues?q=lotus").get_json()["total"] == 2
    assert client.get("/api/v1/venues").get_json()["total"] == 4
    refused = client.get("/api/v1/venues?q=lotus&colour=red")
    assert refused.status_code == 422 and "colour" in refused.get_json()["errors"]["query"]
    assert client.get("/api/v1/venues?sort=price").get_json()["total"] == 4
