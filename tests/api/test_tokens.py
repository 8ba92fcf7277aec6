"""Personal access tokens: made and listed on the account page (CSRF-checked), hashed at rest,
shown once, revocable; bearer requests skip CSRF, cookie requests keep it; scopes bound a token."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from app.accounts.api_tokens import ApiToken
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.conftest import csrf_token

TOKEN_RE = re.compile(r'id="new-token-value" value="(cw_pat_[^"]+)"')


def make_on_page(web, name="my script", scopes=("read", "write")):
    return web.post("/account/api-tokens", {"name": name, "scopes": list(scopes)})


def test_a_token_is_shown_once_stored_hashed_and_works(web, client, customer):
    web.sign_in_as(customer)
    page = make_on_page(web)
    assert page.status_code == 200
    plain = TOKEN_RE.search(page.get_data(as_text=True)).group(1)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == customer.id))
    assert row.secret_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in str(row.__dict__) and row.scopes == ["read", "write"]
    listing = web.get("/account/api-tokens").get_data(as_text=True)
    assert plain not in listing and "my script" in listing and row.prefix in listing and "never used" in listing
    web.sign_out()
    me = client.get("/api/v1/me", headers=bearer(plain))
    assert me.status_code == 200
    assert me.get_json()["email"] == customer.email and me.get_json()["scopes"] == ["read", "write"]
    assert "Set-Cookie" not in me.headers  # a bearer request opens no session
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).last_used_at is not None


def test_bad_token_forms_are_refused_and_change_nothing(web, customer):
    web.sign_in_as(customer)
    for data, message in (
        ({"name": "", "scopes": ["read"]}, "Give the token a name."),
        ({"name": "x" * 81, "scopes": ["read"]}, "At most 80 characters."),
        ({"name": "ok"}, "Choose at least one scope."),
        ({"name": "ok", "scopes": ["root"]}, "is not a valid choice"),
    ):
        response = web.post("/account/api-tokens", data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True)
    no_csrf = web.post("/account/api-tokens", {"name": "ok", "scopes": ["read"]}, csrf=False)
    assert no_csrf.status_code == 400
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == customer.id)) is None


def test_the_token_page_needs_sign_in(client):
    assert client.get("/account/api-tokens").status_code == 302


def test_revoking_stops_the_token_and_only_the_owner_can(web, client, customer, make_user, make_token):
    plain = make_token(customer, "read")
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == customer.id))
    someone = make_user()
    web.sign_in_as(someone)
    assert web.post(f"/account/api-tokens/{row.id}/revoke").status_code == 404
    web.sign_out()
    assert client.get("/api/v1/me", headers=bearer(plain)).status_code == 200
    web.sign_in_as(customer)
    assert web.post(f"/account/api-tokens/{row.id}/revoke", csrf=False).status_code == 400
    assert web.post(f"/account/api-tokens/{row.id}/revoke").status_code == 303
    web.sign_out()
    refused = client.get("/api/v1/me", headers=bearer(plain))
    assert refused.status_code == 401
    assert refused.get_json()["type"] == "/api/v1/problems/unauthorized"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_and_malformed_tokens_are_401(client):
    for header in ("Bearer cw_pat_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        response = client.get("/api/v1/categories", headers={"Authorization": header})
        assert response.status_code == 401, header
    assert client.get("/api/v1/me").status_code == 401  # no token at all on a customer route


def test_scopes_bound_a_token(client, customer, make_token, listed):
    _venue, service = listed
    read_only = make_token(customer, "read")
    response = client.post(
        "/api/v1/me/cart/items",
        json={"service_id": service.id, "starts_at": "2030-01-01T10:00:00Z"},
        headers=bearer(read_only),
    )
    assert response.status_code == 403
    assert response.get_json()["type"] == "/api/v1/problems/forbidden"
    venue_only = make_token(customer, "venue")
    assert client.get("/api/v1/me/cart", headers=bearer(venue_only)).status_code == 403


def test_bearer_requests_skip_csrf_cookie_requests_keep_it(web, client, customer, make_token, listed):
    _venue, service = listed
    from tests.booking.helpers import future_slot, iso

    body = {"service_id": service.id, "starts_at": iso(future_slot())}
    token = make_token(customer, "read", "write")
    assert client.post("/api/v1/me/cart/items", json=body, headers=bearer(token)).status_code == 201
    web.sign_in_as(customer)
    refused = client.post("/api/v1/me/cart/items", json=body)
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    token_value = csrf_token(client)
    second = {"service_id": service.id, "starts_at": iso(future_slot(hour=11))}
    allowed = client.post("/api/v1/me/cart/items", json=second, headers={"X-CSRFToken": token_value})
    assert allowed.status_code == 201
    assert len(client.get("/api/v1/me/cart").get_json()["items"]) == 2
