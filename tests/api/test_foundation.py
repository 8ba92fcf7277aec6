"""The API's conventions: the OpenAPI 3.1 document and its reference page, problem+json errors,
cursors with Link headers, ETags, offsets on times, money in minor units, languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.ops.problems import TYPES
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.options import OptionInput, set_options
from tests.api.conftest import bearer


def test_the_openapi_document_is_3_1_and_lists_every_operation(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    paths = spec["paths"]
    for path in ("/api/v1/venues", "/api/v1/venues/{slug}/availability", "/api/v1/me/orders"):
        assert path in paths
    assert paths["/api/v1/me/orders"]["post"]["security"] == [{"bearer": []}, {"oauth2": ["write"]}]
    assert paths["/api/v1/venue/bookings"]["get"]["security"] == [{"bearer": []}, {"oauth2": ["venue"]}]
    assert "security" not in paths["/api/v1/venues"]["get"]  # public: no token
    problem = paths["/api/v1/venues/{slug}"]["get"]["responses"]["404"]["content"]
    assert problem["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    keys = [p["name"] for p in paths["/api/v1/me/orders"]["post"]["parameters"]]
    assert "Idempotency-Key" in keys


def test_the_reference_page_loads_swagger_ui_from_our_own_files_under_the_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "js/api-docs.js" in html
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # No inline script: every <script> has a src.
    assert html.count("<script") == html.count("<script src=")


def test_errors_are_problem_details_with_a_stable_type(client):
    response = client.get("/api/v1/venues/nowhere-at-all")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "/api/v1/problems/not-found" and body["status"] == 404 and body["title"]
    assert body["detail"] == "No listed venue has that address."
    # An unknown /api/ path answers the same way (the app's own error handler agrees).
    other = client.get("/api/v1/no-such-thing")
    assert other.status_code == 404 and other.get_json()["type"] == "/api/v1/problems/not-found"
    for name in ("validation", "not-found", "unauthorized", "forbidden", "conflict", "rate-limited"):
        assert name in TYPES
        described = client.get(f"/api/v1/problems/{name}")
        assert described.status_code == 200 and described.get_json()["type"] == f"/api/v1/problems/{name}"


def test_bad_query_parameters_are_a_422_with_the_field(client, listed):
    venue, _service = listed
    response = client.get(f"/api/v1/venues/{venue.slug}/availability?service_id=abc")
    assert response.status_code == 422
    body = response.get_json()
    assert body["type"] == "/api/v1/problems/validation"
    assert "service_id" in body["errors"]["query"]
    unknown = client.get("/api/v1/venues?colour=red")
    assert unknown.status_code == 422 and "colour" in unknown.get_json()["errors"]["query"]
    bad_search = client.get("/api/v1/venues?category=no-such-category")
    assert bad_search.status_code == 422 and bad_search.get_json()["type"] == "/api/v1/problems/validation"


def test_a_venue_in_the_api_money_in_minor_units_and_hours(client, listed):
    venue, service = listed
    body = client.get(f"/api/v1/venues/{venue.slug}").get_json()
    assert body["name"] == "Calm Rooms"
    assert body["services"] == [
        {
            "id": service.id,
            "name": "Deep tissue massage",
            "description": "",
            "duration_minutes": 60,
            "price": {"amount": 6000, "currency": "GBP"},
            "capacity": 1,
            "payment_mode": "full",
            "request_to_book": False,
            "is_active": True,
            "buffer_minutes": 0,
            "category_id": None,
            "deposit_percent": None,
            "deposit_fixed": None,
            "no_show_fee_percent": None,
            "cancel_free_hours": 24,
            "cancel_late_fee_percent": 50,
            "min_notice_minutes": None,
            "max_advance_days": None,
            "request_window_hours": 24,
            "options": [],  # none: booked as itself (docs/service-options.md)
            "addons": [],  # none: nothing to add (docs/service-addons.md)
            "from_price_minor": 6000,
            "processing": None,  # no processing gap (docs/processing-time.md)
            "needs": [],  # no rooms or equipment (docs/rooms-and-equipment.md)
        }
    ]
    assert body["price_from"] == {"amount": 6000, "currency": "GBP"}
    hours = client.get(f"/api/v1/venues/{venue.slug}/hours").get_json()
    assert hours["timezone"] == "Europe/London"
    assert hours["weekly"][0] == {"weekday": 0, "opens": "09:00", "closes": "18:00"}


def test_availability_gives_local_times_with_their_offset(client, listed):
    venue, service = listed
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    body = client.get(f"/api/v1/venues/{venue.slug}/availability?service_id={service.id}&date={day}").get_json()
    assert body["timezone"] == "Europe/London"
    first = datetime.fromisoformat(body["slots"][0]["start"])
    assert first.utcoffset() == datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo("Europe/London")).utcoffset()
    assert (first.hour, first.minute) == (9, 0)
    days = client.get(f"/api/v1/venues/{venue.slug}/availability?service_id={service.id}&days=5").get_json()
    assert len(days["days"]) == 5 and all(d["free_starts"] >= 0 for d in days["days"])


def test_reads_carry_an_etag_and_answer_304_when_unchanged(client, listed):
    venue, _service = listed
    first = client.get(f"/api/v1/venues/{venue.slug}")
    etag = first.headers["ETag"]
    again = client.get(f"/api/v1/venues/{venue.slug}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert "Accept-Language" in first.headers["Vary"]


def test_search_pages_with_an_opaque_cursor_and_a_link_header(app, client, ctx, provider, make_user):
    from app.platform.extensions import db
    from search.backend import get_backend
    from tests.booking.helpers import make_bookable_venue

    ids = []
    for n in range(3):
        owner = provider if n == 0 else make_user(role="provider")
        venue, _service = make_bookable_venue(owner, name=f"Serene Spa {n}")
        ids.append(venue.id)
    db.session.flush()
    get_backend(for_indexing=True).index(ids)
    db.session.commit()
    first = client.get("/api/v1/venues?q=serene&per_page=2")
    assert first.status_code == 200
    page = first.get_json()
    assert page["total"] == 3 and len(page["venues"]) == 2
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"') and "cursor=" in link
    url = link[1 : link.index(">")]
    assert url.startswith(app.config["BASE_URL"] + "/api/v1/venues?")  # absolute, on BASE_URL
    second = client.get(url).get_json()
    assert len(second["venues"]) == 1 and second["next_cursor"] is None
    names = {v["name"] for v in page["venues"] + second["venues"]}
    assert names == {"Serene Spa 0", "Serene Spa 1", "Serene Spa 2"}
    forged = client.get("/api/v1/venues?q=serene&cursor=bm9wZQ")
    assert forged.status_code == 422 and forged.get_json()["type"] == "/api/v1/problems/validation"
    assert list(forged.get_json()["errors"]["query"]) == ["cursor"]  # the field at fault


def test_the_language_follows_accept_language_as_on_the_site(client):
    response = client.get("/api/v1/venues/nowhere", headers={"Accept-Language": "es"})
    assert response.headers["Content-Language"] == "es"
    assert response.get_json()["detail"] != "No listed venue has that address."


def test_rate_limit_headers_and_a_429_problem(client, app, monkeypatch, customer, make_token):
    monkeypatch.setitem(app.config, "API_TOKEN_RATE_LIMIT", "2 per minute")
    token = make_token(customer, "read")
    first = client.get("/api/v1/categories", headers=bearer(token))
    assert first.headers["RateLimit-Policy"] == '"token";q=2;w=60'
    assert first.headers["RateLimit"].startswith('"token";r=1;t=')
    client.get("/api/v1/categories", headers=bearer(token))
    third = client.get("/api/v1/categories", headers=bearer(token))
    assert third.status_code == 429
    assert third.get_json()["type"] == "/api/v1/problems/rate-limited"
    assert int(third.headers["Retry-After"]) >= 0
    # Another token has its own budget.
    other = make_token(customer, "read")
    assert client.get("/api/v1/categories", headers=bearer(other)).status_code == 200


def test_a_broken_rate_limit_store_never_fails_a_request(client, monkeypatch):
    from app.platform.extensions import limiter

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(limiter.limiter, "hit", broken)
    response = client.get("/api/v1/categories")
    assert response.status_code == 200 and "RateLimit" not in response.headers


def test_availability_follows_the_options_length(client, listed):
    venue, service = listed
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    short, long = service.options
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    url = f"/api/v1/venues/{venue.slug}/availability?service_id={service.id}&date={day}"

    def last_start(body) -> str:
        return datetime.fromisoformat(body["slots"][-1]["start"]).strftime("%H:%M")

    standard = client.get(url).get_json()
    assert standard["option_id"] == short.id and last_start(standard) == "17:00"  # the cheapest by default
    longer = client.get(f"{url}&option_id={long.id}").get_json()
    assert longer["option_id"] == long.id and last_start(longer) == "16:30"  # 90 minutes before 18:00
    foreign = client.get(f"{url}&option_id={long.id + 1000}")
    assert foreign.status_code == 404 and "not one of this service" in foreign.get_json()["detail"]
    assert client.get(f"{url}&option_id=abc").status_code == 422


def test_availability_counts_the_addons_minutes(client, listed):
    """A 60-minute service with "Hot stones" (+15 min): 17:00 fits alone, not with the add-on;
    another service's add-on is a 404 and a word for an id a 422, each saying why."""
    venue, service = listed
    set_addons(service, [AddonInput("Hot stones", 1500, 15)])
    db.session.commit()
    stones = service.addons[0].id
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    path = f"/api/v1/venues/{venue.slug}/availability?service_id={service.id}&date={day}"

    def starts(body) -> list[str]:
        return [datetime.fromisoformat(s["start"]).strftime("%H:%M") for s in body["slots"]]

    plain = client.get(path).get_json()
    assert plain["addon_ids"] == [] and "17:00" in starts(plain)
    stoned = client.get(f"{path}&addon_ids={stones}").get_json()
    assert stoned["addon_ids"] == [stones]
    assert "16:45" in starts(stoned) and "17:00" not in starts(stoned)
    days = client.get(f"/api/v1/venues/{venue.slug}/availability?service_id={service.id}&days=3&addon_ids={stones}")
    assert days.status_code == 200 and len(days.get_json()["days"]) == 3
    foreign = client.get(f"{path}&addon_ids={stones + 1000}")
    assert foreign.status_code == 404 and "not one of this service's" in foreign.get_json()["detail"]
    assert client.get(f"{path}&addon_ids=abc").status_code == 422
