"""The GraphQL read API, ``/api/graphql`` (docs/graphql.md): one round trip for a venue, its
services and their free times; the customer's own bookings behind the read scope; the limits
that refuse a query before it runs; the rate limit of ``/api/v1``; the published schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.accounts.models import Role
from app.api.graphql import limits
from app.booking.availability import get_slots
from app.platform.extensions import db
from app.venues.options import OptionInput, set_options
from app.venues.service import save_service
from tests.api.conftest import bearer
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.statements import statements_sent

ROOT = Path(__file__).resolve().parents[2]
ONE_ROUND_TRIP = """
query Venue($slug: String!) {
  venue(slug: $slug) {
    name city
    services(first: 10) {
      id name durationMinutes price { amount currency }
      options { id name durationMinutes price { amount } }
      freeTimes(days: 3, limit: 5) { start end remaining }
    }
  }
}
"""


def ask(client, query: str, variables: dict | None = None, token: str | None = None, **extra):
    headers = bearer(token) if token else {}
    return client.post("/api/graphql", json={"query": query, "variables": variables or {}, **extra}, headers=headers)


def code_of(response) -> str:
    return response.get_json()["errors"][0]["extensions"]["code"]


def test_a_venue_its_services_options_and_free_times_in_one_round_trip(client, listed):
    venue, service = listed
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    asked = datetime.now(UTC)
    response = ask(client, ONE_ROUND_TRIP, {"slug": venue.slug})
    answered = datetime.now(UTC)
    assert response.status_code == 200, response.get_json()
    found = response.get_json()["data"]["venue"]
    assert (found["name"], found["city"]) == (venue.name, "London")
    [shown] = found["services"]
    assert shown["id"] == service.id and shown["price"] == {"amount": service.price_minor, "currency": "GBP"}
    assert [(o["name"], o["durationMinutes"], o["price"]["amount"]) for o in shown["options"]] == [
        ("60 min", 60, 4500),
        ("90 min", 90, 6500),
    ]

    # The same free times as /api/v1's availability: the standard (cheapest) option's, from today,
    # as they stood at some moment while the request ran (the earliest can pass in between).
    def starts(now: datetime) -> list[datetime]:
        today = now.astimezone(venue_zone(venue)).date()
        days = [today + timedelta(days=d) for d in range(3)]
        return [s.start for day in days for s in get_slots(service, day, now=now, choice=choice_of(service))][:5]

    shown_starts = [datetime.fromisoformat(t["start"]) for t in shown["freeTimes"]]
    assert shown_starts and shown_starts in (starts(asked), starts(answered))
    assert shown["freeTimes"][0]["start"].endswith(("+00:00", "+01:00"))  # the venue's own offset


def venue_zone(venue):
    from app.platform.timefmt import venue_zone as zone

    return zone(venue.timezone)


def choice_of(service):
    from app.venues.addons import Choice
    from app.venues.options import standard_option

    return Choice(standard_option(service))


def test_the_round_trip_reads_a_fixed_number_of_statements_however_many_services(client, listed):
    venue, _service = listed
    with statements_sent() as one:
        assert ask(client, ONE_ROUND_TRIP, {"slug": venue.slug}).status_code == 200
    for n in range(3):
        save_service(
            venue, None, name=f"Facial {n}", description="", category_id=None, duration_minutes=30,
            price_minor=3000, capacity=1, buffer_minutes=0, is_active=True,
        )  # fmt: skip
    db.session.commit()
    with statements_sent() as four:
        response = ask(client, ONE_ROUND_TRIP, {"slug": venue.slug})
    assert len(response.get_json()["data"]["venue"]["services"]) == 4
    assert len(four) == len(one) <= 12, four


def test_many_venues_free_times_read_their_bookings_once(client, listed, make_user):
    query = "{ venues(first: 5) { slug services { freeTimes(days: 2, limit: 3) { start } } } }"
    with statements_sent() as one:
        assert len(ask(client, query).get_json()["data"]["venues"]) == 1
    make_bookable_venue(make_user(role=Role.PROVIDER), name="Second Rooms")
    db.session.commit()
    with statements_sent() as two:
        venues = ask(client, query).get_json()["data"]["venues"]
    assert [len(v["services"][0]["freeTimes"]) for v in venues] == [3, 3]
    assert len(two) == len(one), two


def test_an_unknown_or_unlisted_venue_is_null_with_a_not_found_error(client, listed):
    venue, _service = listed
    unknown = ask(client, '{ venue(slug: "nowhere") { id } }')
    assert unknown.status_code == 200 and unknown.get_json()["data"] == {"venue": None}
    assert code_of(unknown) == "NOT_FOUND" and unknown.get_json()["errors"][0]["path"] == ["venue"]
    another = "query($s: String!) { venue(slug: $s) { freeTimes(serviceId: 999999) { start } } }"
    other = ask(client, another, {"s": venue.slug})
    assert other.get_json()["data"] == {"venue": None} and code_of(other) == "NOT_FOUND"
    venue.status = "suspended"
    db.session.commit()
    assert ask(client, ONE_ROUND_TRIP, {"slug": venue.slug}).get_json()["data"]["venue"] is None
    assert ask(client, "{ venues { id } }").get_json()["data"]["venues"] == []


MY_BOOKINGS = "{ me { name bookings(first: 5) { nodes { reference venueSlug price { amount } } nextCursor } } }"


def test_my_bookings_are_mine_only_and_need_the_read_scope(client, listed, customer, make_user, make_token):
    _venue, service = listed
    mine = book(customer, service, future_slot(days=2))
    theirs = book(make_user(), service, future_slot(days=3))
    db.session.commit()
    response = ask(client, MY_BOOKINGS, token=make_token(customer, "read"))
    assert response.status_code == 200
    nodes = response.get_json()["data"]["me"]["bookings"]["nodes"]
    assert [n["reference"] for n in nodes] == [mine.reference] != [theirs.reference]
    assert nodes[0]["price"]["amount"] == service.price_minor

    anonymous = ask(client, MY_BOOKINGS)
    assert anonymous.status_code == 401 and code_of(anonymous) == "UNAUTHENTICATED"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert anonymous.get_json()["data"] == {"me": None}

    wrong_scope = ask(client, MY_BOOKINGS, token=make_token(customer, "write"))
    assert wrong_scope.status_code == 403 and code_of(wrong_scope) == "FORBIDDEN"
    assert "read" in wrong_scope.get_json()["errors"][0]["message"]

    unknown = ask(client, MY_BOOKINGS, token="cw_pat_not-a-token")
    assert unknown.status_code == 401 and code_of(unknown) == "UNAUTHENTICATED"


def test_bookings_page_with_a_cursor_and_refuse_a_forged_one(client, listed, customer, make_token):
    _venue, service = listed
    first = book(customer, service, future_slot(days=2))
    second = book(customer, service, future_slot(days=3))
    db.session.commit()
    token = make_token(customer, "read")
    query = "query($after: String) { me { bookings(first: 1, after: $after) { nodes { reference } nextCursor } } }"
    page = ask(client, query, token=token).get_json()["data"]["me"]["bookings"]
    assert [n["reference"] for n in page["nodes"]] == [second.reference]
    following = ask(client, query, {"after": page["nextCursor"]}, token=token).get_json()["data"]["me"]["bookings"]
    assert [n["reference"] for n in following["nodes"]] == [first.reference] and following["nextCursor"] is None
    forged = ask(client, query, {"after": "bm90IG91cnM"}, token=token).get_json()
    assert forged["data"] == {"me": None} and "cursor" in forged["errors"][0]["message"]


def test_an_over_deep_query_is_refused_before_it_runs(client):
    deep = '{ __type(name: "Venue") { fields { type { ofType { ofType { ofType { name } } } } } } }'  # 7 deep
    response = ask(client, deep)
    assert response.status_code == 400 and code_of(response) == "QUERY_TOO_DEEP"
    assert f"at most {limits.MAX_DEPTH}" in response.get_json()["errors"][0]["message"]
    assert "data" not in response.get_json()
    # Fragments don't hide depth.
    fragments = '{ __type(name: "Venue") { ...T } } fragment T on __Type { fields { type { ...O } } } ' + (
        "fragment O on __Type { ofType { ofType { ofType { name } } } }"
    )
    assert code_of(ask(client, fragments)) == "QUERY_TOO_DEEP"
    assert ask(client, "{ __schema { queryType { name } } }").status_code == 200  # introspection stays on


def test_an_over_costly_query_is_refused_before_it_runs(client, listed):
    nested = "{ venues(first: 50) { services(first: 50) { options(first: 50) { id } } } }"
    response = ask(client, nested)
    assert response.status_code == 400 and code_of(response) == "QUERY_TOO_COSTLY"
    assert str(limits.MAX_COST) in response.get_json()["errors"][0]["message"]
    # Free times weigh more: a few services' fortnight is fine, fifty venues' isn't.
    free = "{ venues(first: %d) { services(first: 5) { freeTimes(days: 14, limit: 50) { start } } } }"
    assert ask(client, free % 2).status_code == 200
    assert code_of(ask(client, free % 50)) == "QUERY_TOO_COSTLY"
    # Variables count as written.
    with_variables = "query($n: Int!) { venues(first: $n) { services(first: $n) { options(first: $n) { id } } } }"
    assert code_of(ask(client, with_variables, {"n": 50})) == "QUERY_TOO_COSTLY"


def test_arguments_over_their_caps_are_refused(client, listed):
    venue, _service = listed
    free = "query($slug: String!) { venue(slug: $slug) { services { freeTimes(%s) { start } } } }"
    for query in (
        "{ venues(first: 51) { id } }",
        "{ venues(first: 0) { id } }",
        free.replace("%s", "days: 15"),
        free.replace("%s", "limit: 500"),
    ):
        response = ask(client, query, {"slug": venue.slug})
        assert response.status_code == 400 and code_of(response) == "BAD_USER_INPUT", query


def test_malformed_requests_get_a_400_that_says_what_is_wrong(client):
    syntax = ask(client, "{ venues { id }")
    assert syntax.status_code == 400 and code_of(syntax) == "GRAPHQL_PARSE_FAILED"
    assert "Syntax Error" in syntax.get_json()["errors"][0]["message"]
    unknown = ask(client, "{ venues { secret } }")
    assert unknown.status_code == 400 and code_of(unknown) == "GRAPHQL_VALIDATION_FAILED"
    assert "secret" in unknown.get_json()["errors"][0]["message"]
    not_json = client.post("/api/graphql", data="{ venues { id } }", content_type="text/plain")
    assert not_json.status_code == 400 and code_of(not_json) == "BAD_REQUEST"
    no_query = client.post("/api/graphql", json={"variables": {}})
    assert no_query.status_code == 400 and "query" in no_query.get_json()["errors"][0]["message"]
    too_long = ask(client, "{ venues { id } }" + " " * limits.MAX_QUERY_BYTES)
    assert too_long.status_code == 400 and code_of(too_long) == "QUERY_TOO_LARGE"
    mutation = ask(client, "mutation { venues { id } }")
    assert mutation.status_code == 400


def test_a_get_query_works_and_carries_the_api_headers(client, listed):
    venue, _service = listed
    response = client.get("/api/graphql", query_string={"query": "{ venues { slug } }"})
    assert response.status_code == 200 and response.get_json()["data"]["venues"] == [{"slug": venue.slug}]
    assert response.headers["RateLimit-Policy"] == '"address";q=120;w=60' and response.headers["ETag"]


def test_the_rate_limit_is_the_apis(client, app, monkeypatch, customer, make_token):
    monkeypatch.setitem(app.config, "API_TOKEN_RATE_LIMIT", "2 per minute")
    token = make_token(customer, "read")
    assert ask(client, "{ venues { id } }", token=token).status_code == 200
    client.get("/api/v1/categories", headers=bearer(token))  # one budget across /api/v1 and GraphQL
    third = ask(client, "{ venues { id } }", token=token)
    assert third.status_code == 429 and code_of(third) == "RATE_LIMITED"
    assert int(third.headers["Retry-After"]) >= 0


def test_a_cookie_session_needs_the_csrf_token(web, customer):
    web.sign_in_as(customer)
    response = web.client.post("/api/graphql", json={"query": "{ me { name } }"})
    assert response.status_code == 400
    assert web.client.get("/api/graphql", query_string={"query": "{ me { name } }"}).get_json() == {
        "data": {"me": {"name": customer.name}}
    }


def test_the_published_schema_is_the_committed_one(client):
    response = client.get("/api/graphql/schema.graphql")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == (ROOT / "docs" / "graphql.schema.graphql").read_text()
    assert "freeTimes(" in response.get_data(as_text=True)
    for _ in range(20):  # the same bytes however often it is fetched
        assert client.get("/api/graphql/schema.graphql").get_data() == response.get_data()


def test_a_resolver_bug_is_not_described_to_the_client(client, listed, monkeypatch):
    from app.api.graphql import schema

    def broken(*args, **kwargs):
        raise RuntimeError("connection string postgres://secret")

    monkeypatch.setattr(schema, "get_slots", broken)
    venue, _service = listed
    response = ask(client, ONE_ROUND_TRIP, {"slug": venue.slug})
    assert code_of(response) == "INTERNAL" and "secret" not in response.get_data(as_text=True)
