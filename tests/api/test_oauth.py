"""OAuth 2.0 for third-party apps (docs/api.md, "OAuth 2.0"): the authorization code flow with
PKCE S256 through Authlib, end to end through the test client on the real database, and every
refusal answering the RFC 6749 way while changing nothing."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import delete, func, select

from app.accounts import oauth_apps
from app.accounts.models import User
from app.accounts.oauth_models import OAuthApp, OAuthCode, OAuthToken
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.conftest import csrf_token

REDIRECT = "https://app.example/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def third_party(ctx, make_user):
    """A confidential app registered by a developer: (app, client secret)."""
    developer = make_user(name="Dana Developer")
    app, secret = oauth_apps.register_app(
        developer.id,
        name="Spa Planner",
        redirect_uris=f"{REDIRECT}\nhttp://127.0.0.1:8765/cb",
        scopes=["read", "write", "venue", "admin"],
        public=False,
    )
    db.session.commit()
    return app, secret


@pytest.fixture
def public_app(ctx, make_user):
    app, secret = oauth_apps.register_app(
        make_user().id, name="Phone App", redirect_uris=["http://localhost:3000/cb"], scopes=["read"], public=True
    )
    db.session.commit()
    assert secret is None
    return app


def authorize_url(app: OAuthApp, challenge: str | None, *, scope="read write", method="S256", **extra) -> str:
    params = {"response_type": "code", "client_id": app.client_id, "redirect_uri": REDIRECT, "scope": scope}
    params["state"] = "xyz-42"
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    params.update(extra)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def consent(web, url: str, decision: str = "allow"):
    return web.post(url, {"decision": decision})


def redirected(response) -> dict[str, str]:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()} | {
        "_base": location.split("?")[0]
    }


def get_code(web, app, user, *, scope="read write") -> tuple[str, str]:
    """Sign in, consent, and return (code, verifier)."""
    verifier, challenge = pkce()
    web.sign_in_as(user)
    answer = redirected(consent(web, authorize_url(app, challenge, scope=scope)))
    assert answer["state"] == "xyz-42" and answer["_base"] == REDIRECT
    web.sign_out()
    return answer["code"], verifier


def exchange(client, app, secret, code, verifier, **overrides):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    data.update(overrides)
    return client.post(
        "/oauth/token", data={k: v for k, v in data.items() if v is not None}, headers=basic(app.client_id, secret)
    )


# -- the whole flow -----------------------------------------------------------------------------


def test_the_full_flow_authorize_exchange_call_refresh_revoke(web, client, customer, third_party):
    app, secret = third_party
    verifier, challenge = pkce()
    url = authorize_url(app, challenge)
    assert client.get(url).status_code == 302  # signed out: to the sign-in page, and back after
    assert "/account/sign-in" in client.get(url).headers["Location"]

    web.sign_in_as(customer)
    page = web.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Spa Planner" in html and "Dana Developer" in html
    assert (
        "Read your bookings, orders, cart and notifications" in html and "Book, pay, cancel and review as you" in html
    )
    assert "Run your venue" not in html  # only what it asked for
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "form-action 'self' https://app.example" in page.headers["Content-Security-Policy"]
    assert count(OAuthCode) == 0  # looking at the consent screen grants nothing

    answer = redirected(consent(web, url))
    assert answer["_base"] == REDIRECT and answer["state"] == "xyz-42"
    stored = db.session.scalar(select(OAuthCode))
    assert stored.code_hash == hashlib.sha256(answer["code"].encode()).hexdigest()  # hashed at rest
    assert stored.code_challenge == challenge and stored.code_challenge_method == "S256"
    assert timedelta(minutes=9) < stored.expires_at - datetime.now(UTC) <= timedelta(minutes=10)
    web.sign_out()

    issued = exchange(client, app, secret, answer["code"], verifier)
    assert issued.status_code == 200, issued.get_json()
    tokens = issued.get_json()
    assert tokens["token_type"].lower() == "bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "read write"
    assert tokens["access_token"].startswith("cw_oat_") and tokens["refresh_token"].startswith("cw_ort_")
    assert issued.headers["Cache-Control"] == "no-store"
    row = db.session.scalar(select(OAuthToken))
    assert row.access_hash == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    assert tokens["access_token"] not in str(row.__dict__) and tokens["refresh_token"] not in str(row.__dict__)
    assert count(OAuthCode) == 0  # single use: gone once exchanged

    me = client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["email"] == customer.email and me.get_json()["scopes"] == ["read", "write"]
    assert me.headers["RateLimit-Policy"].startswith('"token"')
    assert "Set-Cookie" not in me.headers

    refreshed = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(app.client_id, secret),
    )
    assert refreshed.status_code == 200, refreshed.get_json()
    new = refreshed.get_json()
    assert new["access_token"] != tokens["access_token"] and new["refresh_token"] != tokens["refresh_token"]
    # (presenting the rotated refresh token again revokes the family: the test after this one)
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(new["access_token"])).status_code == 200

    revoked = client.post(
        "/oauth/revoke",
        data={"token": new["access_token"], "token_type_hint": "access_token"},
        headers=basic(app.client_id, secret),
    )
    assert revoked.status_code == 200
    refused = client.get("/api/v1/me", headers=bearer(new["access_token"]))
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    gone = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": new["refresh_token"]},
        headers=basic(app.client_id, secret),
    )
    assert gone.status_code == 400 and gone.get_json()["error"] == "invalid_grant"


def refresh(client, app, secret, refresh_token: str):
    return client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers=basic(app.client_id, secret),
    )


def test_a_rotated_refresh_token_used_again_revokes_its_whole_family(web, client, customer, third_party):
    """OAuth 2.0 Security BCP 4.14 / OAuth 2.1 6.1: a refresh token that was rotated away comes
    back, so someone holds a copy; every token issued from that grant stops working, and only
    that grant's (another authorisation of the same app goes on)."""
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    first = exchange(client, app, secret, code, verifier).get_json()
    other_code, other_verifier = get_code(web, app, customer)
    other = exchange(client, app, secret, other_code, other_verifier).get_json()  # a second grant
    rotated = refresh(client, app, secret, first["refresh_token"])
    assert rotated.status_code == 200, rotated.get_json()
    second = rotated.get_json()
    third = refresh(client, app, secret, second["refresh_token"]).get_json()
    assert client.get("/api/v1/me", headers=bearer(third["access_token"])).status_code == 200

    replayed = refresh(client, app, secret, second["refresh_token"])  # rotated away one step back
    assert replayed.status_code == 400 and replayed.get_json()["error"] == "invalid_grant"
    assert client.get("/api/v1/me", headers=bearer(third["access_token"])).status_code == 401
    gone = refresh(client, app, secret, third["refresh_token"])
    assert gone.status_code == 400 and gone.get_json()["error"] == "invalid_grant"
    db.session.expire_all()
    family = db.session.scalars(
        select(OAuthToken).where(OAuthToken.app_id == app.id, OAuthToken.family.is_not(None))
    ).all()
    assert sorted(row.revoked_at is not None for row in family) == [False, True, True, True]
    assert client.get("/api/v1/me", headers=bearer(other["access_token"])).status_code == 200
    assert refresh(client, app, secret, other["refresh_token"]).status_code == 200


def test_a_refresh_token_used_once_is_not_reuse(web, client, customer, third_party):
    """The first use of a refresh token, an unknown one or another app's live one revokes nothing."""
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    tokens = exchange(client, app, secret, code, verifier).get_json()
    unknown = refresh(client, app, secret, "cw_ort_" + secrets.token_urlsafe(32))
    assert unknown.status_code == 400 and unknown.get_json()["error"] == "invalid_grant"
    new = refresh(client, app, secret, tokens["refresh_token"]).get_json()
    assert client.get("/api/v1/me", headers=bearer(new["access_token"])).status_code == 200
    assert refresh(client, app, secret, new["refresh_token"]).status_code == 200


def test_a_public_client_exchanges_with_pkce_alone(web, client, customer, public_app):
    verifier, challenge = pkce()
    web.sign_in_as(customer)
    url = authorize_url(public_app, challenge, scope="read", redirect_uri="http://localhost:3000/cb")
    answer = redirected(consent(web, url))
    web.sign_out()
    data = {
        "grant_type": "authorization_code",
        "code": answer["code"],
        "redirect_uri": "http://localhost:3000/cb",
        "client_id": public_app.client_id,
    }
    missing = client.post("/oauth/token", data=data)
    assert missing.status_code == 400 and missing.get_json()["error"] == "invalid_request"
    issued = client.post("/oauth/token", data={**data, "code_verifier": verifier})
    assert issued.status_code == 200, issued.get_json()
    assert client.get("/api/v1/me", headers=bearer(issued.get_json()["access_token"])).status_code == 200


def test_the_token_scopes_bound_the_api_like_a_personal_token(web, client, customer, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer, scope="read")
    access = exchange(client, app, secret, code, verifier).get_json()["access_token"]
    assert client.get("/api/v1/me/orders", headers=bearer(access)).status_code == 200
    refused = client.post("/api/v1/me/orders", json={}, headers=bearer(access))
    assert refused.status_code == 403  # no write scope, and no CSRF asked of a bearer request


# -- refusals: RFC 6749 answers, nothing changed ------------------------------------------------


def test_a_wrong_verifier_is_invalid_grant_and_keeps_the_code(web, client, customer, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    wrong = exchange(client, app, secret, code, pkce()[0])
    assert wrong.status_code == 400
    assert wrong.get_json()["error"] == "invalid_grant" and wrong.headers["Content-Type"].startswith("application/json")
    assert count(OAuthToken) == 0 and count(OAuthCode) == 1
    assert exchange(client, app, secret, code, verifier).status_code == 200


def test_a_code_works_once(web, client, customer, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    assert exchange(client, app, secret, code, verifier).status_code == 200
    reused = exchange(client, app, secret, code, verifier)
    assert reused.status_code == 400 and reused.get_json()["error"] == "invalid_grant"
    assert count(OAuthToken) == 1


def test_an_expired_code_is_refused(web, client, customer, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    row = db.session.scalar(select(OAuthCode))
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    expired = exchange(client, app, secret, code, verifier)
    assert expired.status_code == 400 and expired.get_json()["error"] == "invalid_grant"
    assert count(OAuthToken) == 0


def test_the_redirect_uri_must_match_exactly(web, client, customer, third_party):
    app, secret = third_party
    verifier, challenge = pkce()
    web.sign_in_as(customer)
    for uri in ("https://evil.example/callback", REDIRECT + "/", REDIRECT + "?x=1"):
        page = web.get(authorize_url(app, challenge, redirect_uri=uri))
        assert page.status_code == 400 and "Location" not in page.headers  # never sent to an unknown address
        assert "invalid_request" in page.get_data(as_text=True)
    missing = web.get(authorize_url(app, challenge, redirect_uri=None).replace(f"&redirect_uri={REDIRECT}", ""))
    assert missing.status_code == 400
    web.sign_out()
    code, verifier = get_code(web, app, customer)
    other = exchange(client, app, secret, code, verifier, redirect_uri="http://127.0.0.1:8765/cb")
    assert other.status_code == 400 and other.get_json()["error"] == "invalid_grant"
    assert count(OAuthToken) == 0


@pytest.mark.parametrize(
    ("challenge", "method", "why"),
    [(None, None, "PKCE is required"), ("c" * 43, "plain", "S256"), ("c" * 43, None, "S256"), (None, "S256", "PKCE")],
)
def test_pkce_s256_is_required(web, customer, third_party, challenge, method, why):
    app, _secret = third_party
    web.sign_in_as(customer)
    url = authorize_url(app, challenge, method=method)
    for response in (web.get(url), consent(web, url)):
        answer = redirected(response)
        assert answer["_base"] == REDIRECT and answer["error"] == "invalid_request" and answer["state"] == "xyz-42"
        assert why in answer["error_description"]
    assert count(OAuthCode) == 0


def test_an_unknown_client_is_told_to_the_person_not_redirected(web, client, customer, third_party):
    app, secret = third_party
    web.sign_in_as(customer)
    page = web.get(authorize_url(app, pkce()[1], client_id="cw_app_nope"))
    assert page.status_code == 400 and "Location" not in page.headers
    assert "invalid_client" in page.get_data(as_text=True)
    token = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT, "code_verifier": "v" * 43},
        headers=basic("cw_app_nope", secret),
    )
    assert token.status_code == 401 and token.get_json()["error"] == "invalid_client"
    wrong_secret = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT},
        headers=basic(app.client_id, "cw_cs_wrong"),
    )
    assert wrong_secret.status_code == 401 and wrong_secret.get_json()["error"] == "invalid_client"
    no_secret = client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": REDIRECT, "client_id": app.client_id},
    )
    assert no_secret.status_code in (400, 401) and no_secret.get_json()["error"] == "invalid_client"
    unsupported = client.post("/oauth/token", data={"grant_type": "password"}, headers=basic(app.client_id, secret))
    assert unsupported.status_code == 400 and unsupported.get_json()["error"] == "unsupported_grant_type"


def test_scopes_beyond_the_role_or_the_app_are_refused(web, customer, provider, public_app, third_party):
    app, _secret = third_party
    _verifier, challenge = pkce()
    web.sign_in_as(customer)
    for scope in ("read admin", "venue"):
        answer = redirected(web.get(authorize_url(app, challenge, scope=scope)))
        assert answer["error"] == "invalid_scope" and answer["state"] == "xyz-42"
        assert redirected(consent(web, authorize_url(app, challenge, scope=scope)))["error"] == "invalid_scope"
    not_the_apps = web.get(
        authorize_url(public_app, challenge, scope="read write", redirect_uri="http://localhost:3000/cb")
    )
    assert redirected(not_the_apps)["error"] == "invalid_scope"
    assert redirected(web.get(authorize_url(app, challenge, scope="")))["error"] == "invalid_scope"
    assert count(OAuthCode) == 0
    web.sign_out()
    web.sign_in_as(provider)  # a venue owner can grant venue
    assert web.get(authorize_url(app, challenge, scope="read venue")).status_code == 200


def test_deny_sends_access_denied_back(web, customer, third_party):
    app, _secret = third_party
    web.sign_in_as(customer)
    answer = redirected(consent(web, authorize_url(app, pkce()[1]), "deny"))
    assert answer["_base"] == REDIRECT and answer["error"] == "access_denied" and answer["state"] == "xyz-42"
    assert "code" not in answer
    assert count(OAuthCode) == 0


def test_the_consent_post_needs_the_csrf_token(web, customer, third_party):
    app, _secret = third_party
    web.sign_in_as(customer)
    refused = web.post(authorize_url(app, pkce()[1]), {"decision": "allow"}, csrf=False)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert count(OAuthCode) == 0


def test_the_consent_screen_speaks_spanish(web, client, customer, third_party):
    app, _secret = third_party
    web.sign_in_as(customer)
    client.set_cookie("lang", "es")
    html = web.get(authorize_url(app, pkce()[1])).get_data(as_text=True)
    assert "Permitir" in html and "Denegar" in html


# -- registering apps, and revoking an app's access ---------------------------------------------


def test_registering_an_app_shows_the_secret_once_and_stores_its_hash(web, customer):
    web.sign_in_as(customer)
    assert web.get("/account/oauth-apps").status_code == 200
    page = web.post(
        "/account/oauth-apps",
        {
            "name": "My app",
            "redirect_uris": "https://me.example/cb\r\nhttp://127.0.0.1:5000/cb",
            "scopes": ["read"],
            "client_type": "confidential",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    app = db.session.scalar(select(OAuthApp).where(OAuthApp.owner_id == customer.id))
    secret = html.split('id="new-client-secret" value="')[1].split('"')[0]
    assert secret.startswith("cw_cs_") and app.client_id in html
    assert app.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert app.redirect_uris == ["https://me.example/cb", "http://127.0.0.1:5000/cb"]
    listing = web.get("/account/oauth-apps").get_data(as_text=True)
    assert secret not in listing and app.client_id in listing
    public = web.post(
        "/account/oauth-apps",
        {"name": "Mobile", "redirect_uris": "https://me.example/m", "scopes": ["read"], "client_type": "public"},
    )
    assert public.status_code == 200 and 'id="new-client-secret"' not in public.get_data(as_text=True)
    assert db.session.scalar(select(OAuthApp).where(OAuthApp.name == "Mobile")).secret_hash is None


def test_bad_app_forms_are_refused_and_change_nothing(web, customer):
    web.sign_in_as(customer)
    good = {"name": "ok", "redirect_uris": "https://ok.example/cb", "scopes": ["read"], "client_type": "public"}
    for change, status, message in (
        ({"redirect_uris": "http://example.com/cb"}, 422, "is not a redirect URI we accept"),
        ({"redirect_uris": "https://ok.example/cb#frag"}, 422, "is not a redirect URI we accept"),
        ({"redirect_uris": "javascript:alert(1)"}, 422, "is not a redirect URI we accept"),
        ({"redirect_uris": "\n".join(f"https://ok.example/{n}" for n in range(6))}, 422, "At most 5 redirect URIs."),
        ({"redirect_uris": ""}, 400, "Give at least one redirect URI."),
        ({"name": ""}, 400, "Give the app a name."),
        ({"scopes": []}, 400, "Choose at least one scope."),
        ({"scopes": ["root"]}, 400, "is not a valid choice"),
        ({"client_type": "sideways"}, 400, "Not a valid choice"),
    ):
        response = web.post("/account/oauth-apps", {**good, **change})
        assert response.status_code == status, change
        assert message in response.get_data(as_text=True), change
    assert web.post("/account/oauth-apps", good, csrf=False).status_code == 400
    assert count(OAuthApp) == 0


def test_only_the_owner_edits_or_deletes_an_app_and_deleting_revokes_its_tokens(
    web, client, customer, make_user, third_party
):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    access = exchange(client, app, secret, code, verifier).get_json()["access_token"]
    web.sign_in_as(customer)  # not its developer
    assert web.get(f"/account/oauth-apps/{app.id}").status_code == 404
    edit = {"name": "Hijacked", "redirect_uris": "https://evil.example/cb", "scopes": ["read"]}
    assert web.post(f"/account/oauth-apps/{app.id}", edit).status_code == 404
    assert web.post(f"/account/oauth-apps/{app.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(OAuthApp, app.id).name == "Spa Planner"
    web.sign_out()

    web.sign_in_as(app.owner)
    assert "Spa Planner" in web.get(f"/account/oauth-apps/{app.id}").get_data(as_text=True)
    bad = web.post(f"/account/oauth-apps/{app.id}", {**edit, "redirect_uris": "ftp://x.example/cb"})
    assert bad.status_code == 422 and "is not a redirect URI we accept" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OAuthApp, app.id).redirect_uris[0] == REDIRECT
    saved = web.post(f"/account/oauth-apps/{app.id}", {**edit, "name": "Spa Planner 2", "redirect_uris": REDIRECT})
    assert saved.status_code == 303
    db.session.expire_all()
    assert db.session.get(OAuthApp, app.id).name == "Spa Planner 2"
    assert client.get("/api/v1/me", headers=bearer(access)).status_code == 200
    assert web.post(f"/account/oauth-apps/{app.id}/delete", csrf=False).status_code == 400
    assert web.post(f"/account/oauth-apps/{app.id}/delete").status_code == 303
    web.sign_out()
    assert client.get("/api/v1/me", headers=bearer(access)).status_code == 401
    assert count(OAuthToken) == 0


def test_a_user_sees_and_revokes_the_apps_they_authorised(web, client, customer, make_user, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    tokens = exchange(client, app, secret, code, verifier).get_json()
    someone = make_user()
    web.sign_in_as(someone)
    assert "Spa Planner" not in web.get("/account/api-tokens").get_data(as_text=True)
    assert web.post(f"/account/authorised-apps/{app.id}/revoke").status_code == 404  # they gave it nothing
    web.sign_out()
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200

    web.sign_in_as(customer)
    page = web.get("/account/api-tokens").get_data(as_text=True)
    assert "Spa Planner" in page and "Dana Developer" in page
    assert web.post(f"/account/authorised-apps/{app.id}/revoke", csrf=False).status_code == 400
    assert web.post(f"/account/authorised-apps/{app.id}/revoke").status_code == 303
    assert "Spa Planner" not in web.get("/account/api-tokens").get_data(as_text=True)
    web.sign_out()
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 401
    refresh = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(app.client_id, secret),
    )
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"


def test_another_apps_token_cannot_be_revoked_or_refreshed_by_a_client(web, client, customer, third_party, make_user):
    app, secret = third_party
    other, other_secret = oauth_apps.register_app(
        make_user().id, name="Other", redirect_uris=REDIRECT, scopes=["read"], public=False
    )
    db.session.commit()
    code, verifier = get_code(web, app, customer)
    tokens = exchange(client, app, secret, code, verifier).get_json()
    stolen = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        headers=basic(other.client_id, other_secret),
    )
    assert stolen.status_code == 400 and stolen.get_json()["error"] == "invalid_grant"
    not_yours = client.post(
        "/oauth/revoke", data={"token": tokens["access_token"]}, headers=basic(other.client_id, other_secret)
    )
    assert not_yours.status_code == 400
    assert client.get("/api/v1/me", headers=bearer(tokens["access_token"])).status_code == 200
    no_token = client.post("/oauth/revoke", data={}, headers=basic(app.client_id, secret))
    assert no_token.status_code == 400 and no_token.get_json()["error"] == "invalid_request"


def test_an_expired_access_token_is_401(web, client, customer, third_party):
    app, secret = third_party
    code, verifier = get_code(web, app, customer)
    access = exchange(client, app, secret, code, verifier).get_json()["access_token"]
    row = db.session.scalar(select(OAuthToken))
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(access)).status_code == 401


def test_the_openapi_document_declares_the_oauth2_scheme(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    scheme = spec["components"]["securitySchemes"]["oauth2"]
    flow = scheme["flows"]["authorizationCode"]
    base = app.config["BASE_URL"]  # whole addresses: a client follows them from its own host
    assert flow["authorizationUrl"] == f"{base}/oauth/authorize" and flow["tokenUrl"] == f"{base}/oauth/token"
    assert set(flow["scopes"]) == {"read", "write", "venue", "admin"}
    paths = spec["paths"]
    assert paths["/api/v1/me/orders"]["post"]["security"] == [{"bearer": []}, {"oauth2": ["write"]}]
    assert paths["/api/v1/me/orders"]["get"]["security"] == [{"bearer": []}, {"oauth2": ["read"]}]
    assert paths["/api/v1/venue/bookings"]["get"]["security"] == [{"bearer": []}, {"oauth2": ["venue"]}]


def test_the_settings_link_the_apps_page(web, customer):
    web.sign_in_as(customer)
    assert "/account/oauth-apps" in web.get("/account/profile").get_data(as_text=True)
    assert csrf_token(web.client, "/account/oauth-apps")


@pytest.mark.committing
@pytest.mark.slow
def test_two_exchanges_of_one_code_at_once_issue_one_token(app, make_user):
    """Two threads exchange the same code at the same moment, on real connections: the code row
    is taken FOR UPDATE, so the second waits, then finds it gone."""
    verifier, challenge = pkce()
    with app.app_context():
        developer = make_user(email="oauth-race-dev@example.com")
        customer = make_user(email="oauth-race-customer@example.com")
        registered, secret = oauth_apps.register_app(
            developer.id, name="Racer", redirect_uris=REDIRECT, scopes=["read"], public=False
        )
        code = "race-code-" + secrets.token_urlsafe(16)
        oauth_apps.save_code(
            code, app=registered, user=customer, redirect_uri=REDIRECT, scope="read", challenge=challenge, method="S256"
        )
        db.session.commit()
        ids, app_id, client_id = [developer.id, customer.id], registered.id, registered.client_id
    try:
        barrier = threading.Barrier(2)
        answers: list[int] = []

        def send():
            with app.test_client() as client:
                barrier.wait()
                data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
                response = client.post(
                    "/oauth/token", data={**data, "code_verifier": verifier}, headers=basic(client_id, secret)
                )
                answers.append(response.status_code)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(answers) == [200, 400]
        with app.app_context():
            assert db.session.scalar(select(func.count()).where(OAuthToken.app_id == app_id)) == 1
    finally:
        with app.app_context():
            db.session.execute(delete(User).where(User.id.in_(ids)))  # the app, its codes and tokens cascade
            db.session.commit()
