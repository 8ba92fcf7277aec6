"""Hostile input never reaches a 500.

One gate (app/platform/input_guard.py) refuses NUL bytes, control characters, bytes that aren't
UTF-8 and overlong values in paths, query strings, forms, cookies and headers with a 400
that says what was wrong (a 414 for a whole address too long); ids too large for PostgreSQL
match no route (404). The walk at the end sends hostile and odd values to every route in the
URL map, with every method it accepts, as every role, and allows no 5xx.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter
from wtforms import TextAreaField
from wtforms.fields.core import UnboundField

from app.accounts.models import User
from app.accounts.service import update_profile
from app.accounts.sessions import load_session_user
from app.platform.extensions import db
from app.platform.input_guard import MAX_ID, MULTILINE_FIELDS, RAW_BODY_ENDPOINTS, BoundedIdConverter
from app.venues.models import Service
from tests.booking.helpers import make_bookable_venue
from tests.conftest import IsolatedClient, csrf_token

ROOT = Path(__file__).resolve().parents[2]
UNREADABLE = "This address contains characters we can't read"
HTMX = {"HX-Request": "true"}


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider)


# -- paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/venues/%00", "/bookings/%00", "/venues/%C3%28", "/venues/%FF", "/c/a%0Db", "/x%1B"])
def test_a_path_with_nul_control_or_non_utf8_bytes_is_a_400_saying_so(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert UNREADABLE in text(response)


def test_a_path_too_long_to_be_ours_is_a_414(client):
    response = client.get("/venues/" + "a" * 2_100)
    assert response.status_code == 414
    assert "This address is too long" in text(response)


def test_a_long_but_readable_slug_is_simply_not_found(client):
    assert client.get("/venues/" + "a" * 1_500).status_code == 404


def test_readable_utf8_in_a_path_is_let_through(client):
    assert client.get("/venues/caf%C3%A9-%E2%9C%93").status_code == 404  # looked up, not refused


# -- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("provider", "/provider/bookings/99999999999999999999"),
        ("provider", "/provider/clients/99999999999999999999"),
        ("admin", "/admin/venues/99999999999999999999"),
        ("customer", "/orders/2147483648"),
        ("customer", "/payments/receipts/99999999999999999999"),
        ("admin", "/admin/orders/99999999999"),
    ],
)
def test_an_id_larger_than_postgresql_integers_is_not_found(web, request, role, path):
    web.sign_in_as(request.getfixturevalue(role))
    assert web.get(path).status_code == 404


def test_the_largest_integer_id_still_reaches_the_view(web, customer):
    web.sign_in_as(customer)
    assert web.get(f"/orders/{MAX_ID}").status_code == 404  # looked up, no such order


def test_an_id_too_long_for_python_int_is_no_match_rather_than_an_error(app):
    adapter = app.url_map.bind("localhost")
    with pytest.raises(NotFound):
        adapter.match("/orders/" + "9" * 5_000)


def test_every_int_argument_in_the_url_map_is_bounded(app):
    loose = [
        rule.rule
        for rule in app.url_map.iter_rules()
        for converter in rule._converters.values()
        if isinstance(converter, IntegerConverter) and not isinstance(converter, BoundedIdConverter)
    ]
    assert loose == []


def test_a_booking_page_for_a_huge_service_id_is_not_found(web, venue_and_service):
    venue, _ = venue_and_service
    assert web.get(f"/venues/{venue.slug}/book/99999999999999999999").status_code == 404


# -- query strings ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/search", "/search/suggest"])
@pytest.mark.parametrize("value", ["%00", "a%00b", "%FF", "%C3%28", "one%0Atwo", "%0D"])
def test_search_and_suggest_refuse_unreadable_text_with_a_400(client, path, value):
    response = client.get(f"{path}?q={value}")
    assert response.status_code == 400
    assert "This address contains characters we can't read (in “q”)" in text(response)


def test_a_tab_in_a_search_is_not_refused(client):
    assert client.get("/search?q=hot%09stone").status_code == 200


def test_an_overlong_query_value_is_a_400_with_the_limit(client):
    response = client.get("/search?q=" + "a" * 2_001)
    assert response.status_code == 400
    assert "“q” in this address is too long: use at most 2,000 characters." in text(response)


def test_an_overlong_query_string_is_a_414(client):
    response = client.get("/search?" + "&".join(f"tag={n}" for n in range(2_000)))
    assert response.status_code == 414
    assert "This address is too long" in text(response)


def test_an_unreadable_parameter_name_is_refused_without_quoting_it(client):
    response = client.get("/search?%FF=1")
    assert response.status_code == 400
    assert "This address contains characters we can't read. Check the link" in text(response)


def test_htmx_gets_the_message_as_a_fragment(client):
    response = client.get("/search?q=%00", headers=HTMX)
    body = text(response)
    assert response.status_code == 400 and "<html" not in body
    assert 'role="alert"' in body and "characters we can't read" in body


# -- forms ------------------------------------------------------------------------------------


def profile_form(name: str) -> dict:
    return {"name": name, "phone": ""}


def service_data(**overrides) -> dict:
    data = {"name": "Swedish massage", "description": "", "category_id": "", "duration_minutes": "60"}
    data |= {"price": "45.00", "capacity": "1", "buffer_minutes": "0", "is_active": "y"}
    return data | overrides


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Chloe\x00", "“name” contains characters we can't accept"),
        ("Chloe\x07", "“name” contains characters we can't accept"),
        ("Chloe\r\nBcc: x@example.com", "“name” must be a single line"),
        ("C" * 10_001, "“name” is too long: use at most 10,000 characters."),
    ],
)
def test_a_hostile_profile_name_is_a_400_and_changes_nothing(web, customer, name, message):
    web.sign_in_as(customer)
    response = web.post("/account/profile", profile_form(name))
    assert response.status_code == 400
    assert message in text(response)
    db.session.expire_all()
    assert db.session.get(User, customer.id).name == "Chloe Customer"


def test_a_form_body_that_is_not_utf8_is_a_400_not_an_empty_form(web, customer):
    web.sign_in_as(customer)
    token = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/").get_data(as_text=True)).group(1)
    body = f"csrf_token={token}&name=Chlo%E9&phone=".encode()
    response = web.client.post("/account/profile", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "“name” contains characters we can't read" in text(response)


def test_the_gate_answers_before_csrf_does(client):
    response = client.post("/account/sign-in", data={"email": "a\x00@example.com", "password": "x"})
    assert response.status_code == 400
    assert "“email” contains characters we can't accept" in text(response)


def test_a_nul_in_a_service_name_is_a_400_and_nothing_is_saved(web, provider, venue_and_service):
    _, service = venue_and_service
    web.sign_in_as(provider)
    response = web.post(f"/provider/venue/services/{service.id}", {"name": "Hot\x00stone", "duration": "60"})
    assert response.status_code == 400
    assert "“name” contains characters we can't accept" in text(response)
    db.session.expire_all()
    assert db.session.get(Service, service.id).name == "Deep tissue massage"


def test_line_breaks_are_kept_in_multi_line_fields(web, provider, venue_and_service):
    _, service = venue_and_service
    web.sign_in_as(provider)
    response = web.post(f"/provider/venue/services/{service.id}", service_data(description="One.\r\nTwo."))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, service.id).description == "One.\r\nTwo."


def test_a_line_break_in_a_single_line_field_beside_them_is_still_refused(web, provider, venue_and_service):
    _, service = venue_and_service
    web.sign_in_as(provider)
    response = web.post(f"/provider/venue/services/{service.id}", service_data(name="Hot\nstone"))
    assert response.status_code == 400
    assert "“name” must be a single line" in text(response)


def test_a_multipart_field_with_a_nul_is_refused(web, provider, venue_and_service):
    web.sign_in_as(provider)
    token = re.search(r'name="csrf-token" content="([^"]+)"', web.get("/").get_data(as_text=True)).group(1)
    response = web.client.post(
        "/provider/venue/images",
        data={"csrf_token": token, "alt_text": "Room\x00"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "“alt_text” contains characters we can't accept" in text(response)


def test_every_textarea_in_the_app_is_a_multi_line_field():
    textareas = {
        name
        for form in all_form_classes()
        for name, field in unbound_fields(form)
        if issubclass(field.field_class, TextAreaField)
    }
    for template in (ROOT / "templates").rglob("*.html"):
        textareas |= set(re.findall(r'<textarea[^>]*\bname="(\w+)"', template.read_text()))
    assert textareas and textareas <= MULTILINE_FIELDS


# -- headers and cookies ----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "caf\xe9", "a" * 8_001])
def test_a_hostile_header_value_is_a_400_naming_the_header(client, value):
    response = client.get("/", environ_overrides={"HTTP_X_TRACE": value})
    assert response.status_code == 400
    assert "Your browser sent a header we can't read (X-Trace)." in text(response)


@pytest.mark.parametrize("cookie", ["theme=a\x00b", 'theme="a\\000b"', "theme=caf\xe9", "theme=\r\nx"])
def test_a_hostile_cookie_is_a_400_asking_to_clear_cookies(app, cookie):
    cookieless = IsolatedClient(app, app.response_class, use_cookies=False)  # a jar would replace the header
    response = cookieless.get("/", environ_overrides={"HTTP_COOKIE": cookie})
    assert response.status_code == 400
    assert "Clear this site's cookies" in text(response)


def test_ordinary_utf8_in_the_address_headers_and_cookies_passes(app):
    cookieless = IsolatedClient(app, app.response_class, use_cookies=False)
    utf8_header = "café".encode().decode("latin-1")  # as WSGI hands over the header's bytes
    environ = {"HTTP_X_NOTE": utf8_header, "HTTP_COOKIE": "a=b"}
    response = cookieless.get("/search?q=caf%C3%A9", environ_overrides=environ)
    assert response.status_code == 200


# -- webhooks ---------------------------------------------------------------------------------


def test_the_raw_body_endpoints_exist(app):
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= RAW_BODY_ENDPOINTS


@pytest.mark.parametrize("path", ["/payments/demo/webhook", "/payments/stripe/webhook"])
def test_webhook_bodies_are_left_to_their_signature_check(client, path):
    response = client.post(path, data=b"a=%00&b=\xff", content_type="application/x-www-form-urlencoded")
    assert response.status_code in (400, 404, 503)
    assert "characters we can't" not in text(response)  # the view answered, not the gate


def test_a_webhook_with_a_hostile_header_gets_json(client):
    response = client.post("/payments/stripe/webhook", data=b"{}", environ_overrides={"HTTP_STRIPE_SIGNATURE": "t\x00"})
    assert response.status_code == 400
    assert response.json["message"] == "Your browser sent a header we can't read (Stripe-Signature)."


# -- the error page never fails ---------------------------------------------------------------


@pytest.fixture
def rendered_errors(app, monkeypatch):
    monkeypatch.setitem(app.config, "RENDER_ERRORS_IN_TESTS", True)


def test_a_database_error_in_a_view_gets_the_clean_500_page(app, web, customer, rendered_errors, monkeypatch):
    """A NUL byte reaching PostgreSQL (past the gate, from code) breaks the session; the 500
    page, which loads the signed-in user, must render on a rolled-back one."""

    def saves_a_nul():
        user = db.session.get(User, customer.id)
        update_profile(user, name="Chloe\x00", phone=None)
        db.session.flush()

    monkeypatch.setitem(app.view_functions, "main.index", saves_a_nul)
    web.sign_in_as(customer)
    response = web.get("/")
    assert response.status_code == 500
    body = text(response)
    assert "Something went wrong" in body and "Chloe" in body  # the page's header names its user
    assert db.session.scalar(select(User.name).where(User.id == customer.id)) == "Chloe Customer"


def test_a_failed_statement_in_a_view_gets_the_clean_500_page(app, web, customer, rendered_errors, monkeypatch):
    def divides_by_zero():
        db.session.expire_all()  # the page must load its user again, after the failure
        db.session.execute(select(1 / db.literal(0)))

    monkeypatch.setitem(app.view_functions, "main.index", divides_by_zero)
    web.sign_in_as(customer)
    response = web.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in text(response) and "Chloe" in text(response)


def test_if_the_error_page_itself_fails_a_plain_one_is_sent(app, client, rendered_errors, monkeypatch):
    from app.ops import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template gone")

    monkeypatch.setitem(app.view_functions, "main.index", broken)
    monkeypatch.setattr(errors, "render_template", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in text(response) and "template gone" not in text(response)


# -- the walk: every route, every method, every role ------------------------------------------

ROUTE_ARG = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")
HOSTILE_TEXT = ["%00", "%C3%28", "%0D%0A", "a" * 1_000, "a" * 5_000]  # the gate refuses all but the 1,000
HOSTILE_IDS = ["99999999999999999999", "0", "9" * 1_500]
# Values the gate lets through, for the views to refuse: ids and numbers out of range, odd
# digits, impossible dates, markup, a tab, long text, nothing at all.
ODD_VALUES = [
    "99999999999999999999",
    "-1",
    "1e309",
    "NaN",
    "１２",
    "2026-02-30T25:61Z",
    "\t",
    "<b>'\"",
    "a" * 1_000,
    "",
]
QUERY_NAMES = (
    *("q", "page", "status", "start", "service", "month", "member", "email", "day", "tag", "weekday", "view", "tab"),
    *("subject", "role", "next", "date", "changed", "as", "category", "price", "price_min", "price_max", "rating"),
    *("near", "lat", "lng", "radius", "open_now", "free_date", "free_from", "free_to", "sort", "per_page"),
)
HOSTILE_QUERIES = ["q=%00&page=%FF", "next=%0D%0ALocation:x&q=" + "a" * 3_000]
HOSTILE_BODIES = [
    ("application/x-www-form-urlencoded", b"name=caf%E9&ids=1&ids=%FF"),
    (
        "multipart/form-data; boundary=XX",
        b'--XX\r\nContent-Disposition: form-data; name="name"\r\n\r\nA\x00B\r\n--XX--\r\n',
    ),
]


def all_form_classes() -> list[type]:
    found, todo = [], [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def unbound_fields(form: type) -> list[tuple[str, UnboundField]]:
    return [(name, value) for name in dir(form) if isinstance(value := getattr(form, name, None), UnboundField)]


def form_names() -> list[str]:
    names = {name for form in all_form_classes() for name, _ in unbound_fields(form)}
    return sorted(names | {"ids", "add_range", "remove_range", "reason"} - {"csrf_token"})


def fill(rule: str, values: dict[str, str]) -> str:
    return ROUTE_ARG.sub(lambda match: values[match["name"]], rule)


def benign_value(converter: str | None, options: str | None, name: str, known: dict[str, str]) -> str:
    if converter == "any":
        return options.split(",")[0].strip()
    if converter == "int":
        return known.get(name, "1")
    if converter == "path":
        return "x/y.png"
    return known.get(name, "x")


def requests_for(rule, known: dict[str, str], fields: list[str]) -> list[tuple[str, str, dict]]:
    """(method, url, client kwargs) for one rule: hostile path arguments, hostile and odd query
    strings, hostile and odd form bodies, a hostile header."""
    args = list(ROUTE_ARG.finditer(rule.rule))
    benign = {m["name"]: benign_value(m["converter"], m["options"], m["name"], known) for m in args}
    base = fill(rule.rule, benign)
    out = []
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        for match in args:
            if match["converter"] == "any":
                continue
            for value in HOSTILE_IDS if match["converter"] == "int" else HOSTILE_TEXT:
                out.append((method, fill(rule.rule, {**benign, match["name"]: value}), {}))
        out += [(method, f"{base}?{query}", {}) for query in HOSTILE_QUERIES]
        out.append((method, base, {"environ_overrides": {"HTTP_X_TRACE": "a\x00"}}))
        for n in range(0, len(ODD_VALUES), 3 if method == "GET" else 5):
            # Each parameter gets a different odd value, rotating so every one meets each.
            odd = {name: ODD_VALUES[(i + n) % len(ODD_VALUES)] for i, name in enumerate(QUERY_NAMES)}
            if method == "GET":
                out.append((method, base, {"query_string": odd}))
            else:
                body = {name: ODD_VALUES[(i + n) % len(ODD_VALUES)] for i, name in enumerate(fields)}
                out.append((method, base, {"data": body}))
        if method == "POST":
            out += [(method, base, {"data": body, "content_type": kind}) for kind, body in HOSTILE_BODIES]
    return out


def signed_in(web) -> bool:
    """Whether the browser's session still names a live session row of its user."""
    with web.client.session_transaction() as session:
        identity = session.get("_user_id")
    return identity is not None and load_session_user(identity) is not None


@pytest.fixture
def walk_world(ctx, provider, customer, admin):
    """An approved venue with a service and a team member, so provider routes reach real rows."""
    venue, service = make_bookable_venue(provider, team=1)
    member = venue.team[0]
    ids = {"service_id": service.id, "item_id": service.id, "member_id": member.id, "venue_id": venue.id}
    ids |= {"user_id": customer.id}
    return {"slug": venue.slug, **{name: str(value) for name, value in ids.items()}}


@pytest.mark.no_cover  # a fuzzer: thousands of refusals, under coverage's tracer 40% slower (pyproject.toml)
@pytest.mark.parametrize("role", ["anonymous", "customer", "provider", "admin"])
def test_no_route_answers_hostile_input_with_a_5xx(app, web, request, monkeypatch, walk_world, role):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)
    user = None if role == "anonymous" else request.getfixturevalue(role)
    fields = form_names()
    failures, sent = [], 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if user is not None and not signed_in(web):
            # A walk through sign-out or a password change signs out. Signing in only then keeps
            # the test's one long transaction from piling up versions of the session's rows.
            web.sign_in_as(user)
        token = csrf_token(web.client, "/no-such-page")  # a real token (from a cheap page): forms reach views
        for method, url, kwargs in requests_for(rule, walk_world, fields):
            if isinstance(kwargs.get("data"), dict):
                kwargs["data"] = {**kwargs["data"], "csrf_token": token}
            elif isinstance(kwargs.get("data"), bytes) and "urlencoded" in kwargs["content_type"]:
                kwargs["data"] = f"csrf_token={token}&".encode() + kwargs["data"]
            sent += 1
            try:
                status = web.client.open(url, method=method, **kwargs).status_code
            except Exception as error:  # testing mode re-raises what would be a 500
                failures.append(f"{method} {url[:80]} {kwargs.keys()}: {type(error).__name__}: {str(error)[:160]}")
                continue
            if status >= 500:
                failures.append(f"{method} {url[:80]} {list(kwargs)}: {status}")
    assert sent > 1_000
    assert failures == []


@pytest.mark.parametrize(
    "path",
    ["/search?free_date=9999-12-31", "/search?free_date=2200-01-01&free_from=10:00"],
)
def test_a_free_time_day_beyond_the_booking_horizon_is_a_clear_400(client, path):
    response = client.get(path)

    assert response.status_code == 400
    assert "days ahead" in response.get_data(as_text=True)
