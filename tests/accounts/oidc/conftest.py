"""Fixtures for Google and Apple sign-in: local providers over real HTTP, and a browser that walks the flow."""

from __future__ import annotations

import html
import re
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from joserfc.jwk import ECKey
from sqlalchemy import func, select

from app.accounts.oidc_models import ProviderLink
from app.accounts.sessions import UserSession
from app.platform.extensions import db
from tests.accounts.oidc_provider import LocalProvider, ProviderServer

GOOGLE_CLIENT_ID = "cozywish-test.apps.example.com"
APPLE_CLIENT_ID = "com.example.cozywish.web"
APPLE_TEAM_ID = "TEAM123456"
APPLE_KEY_ID = "APPLEKEY01"

GOOGLE_PERSON = {"sub": "g-1001", "email": "nova.person@example.com", "email_verified": True, "name": "Nova Person"}
APPLE_PERSON = {"sub": "001234.abcdef.0001", "email": "x7k2@privaterelay.appleid.com", "email_verified": "true"}


@pytest.fixture(scope="session")
def provider_server():
    apple_key = ECKey.generate_key("P-256", parameters={"kid": APPLE_KEY_ID})
    google = LocalProvider("google", client_id=GOOGLE_CLIENT_ID, client_secret="google-test-secret")
    apple = LocalProvider(
        "apple", client_id=APPLE_CLIENT_ID, apple_team_id=APPLE_TEAM_ID, apple_key_id=APPLE_KEY_ID, apple_key=apple_key
    )
    server = ProviderServer([google, apple]).start()
    server.apple_private_pem = apple_key.as_pem(private=True).decode()
    yield server
    server.stop()


@pytest.fixture
def providers(app, provider_server, monkeypatch):
    """Google and Apple configured against the local providers, each with a fresh test identity."""
    google, apple = provider_server.providers["google"], provider_server.providers["apple"]
    google.reset(GOOGLE_PERSON)
    apple.reset(APPLE_PERSON)
    settings = {
        "GOOGLE_CLIENT_ID": GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": "google-test-secret",
        "GOOGLE_METADATA_URL": google.metadata_url,
        "APPLE_CLIENT_ID": APPLE_CLIENT_ID,
        "APPLE_TEAM_ID": APPLE_TEAM_ID,
        "APPLE_KEY_ID": APPLE_KEY_ID,
        # As an environment variable holds it: one line, newlines written as \n.
        "APPLE_PRIVATE_KEY": provider_server.apple_private_pem.replace("\n", "\\n"),
        "APPLE_METADATA_URL": apple.metadata_url,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    return SimpleNamespace(google=google, apple=apple)


def start(web, provider: str, query: str = ""):
    """Press the provider's button; returns the app's redirect to the provider."""
    response = web.get(f"/account/oidc/{provider}/start{query}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def at_provider(start_response) -> requests.Response:
    """The browser at the provider's authorization endpoint (real HTTP); it answers at once."""
    return requests.get(start_response.headers["Location"], allow_redirects=False, timeout=10)


def back_at_app(web, answer: requests.Response, *, change: dict | None = None):
    """The browser brought back to the app: a redirect (Google) or an auto-posted form (Apple).

    ``change`` alters fields of the answer on the way (a forged state, say).
    """
    if answer.status_code == 302:
        parts = urlsplit(answer.headers["Location"])
        assert parts.netloc == "localhost", parts
        fields = dict(parse_qsl(parts.query)) | (change or {})
        return web.get(f"{parts.path}?{urlencode(fields)}")
    assert answer.status_code == 200, answer.text
    action = html.unescape(re.search(r'action="([^"]+)"', answer.text).group(1))
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', answer.text)}
    fields |= change or {}
    posted = web.client.post(urlsplit(action).path, data=fields)  # cross-site POST: no CSRF token
    assert posted.status_code == 303, posted.get_data(as_text=True)
    return web.get(posted.headers["Location"])


def sign_in_through(web, provider: str, query: str = ""):
    """The whole round trip; returns the app's answer to the callback."""
    return back_at_app(web, at_provider(start(web, provider, query)))


def edit_flow_state(web, edit) -> None:
    """Change what Authlib saved in this browser's session for the flow under way."""
    with web.client.session_transaction() as session:
        key = next(key for key in session if key.startswith("_state_"))
        entry = dict(session[key])
        data = dict(entry["data"])
        edit(data)
        entry["data"] = data
        session[key] = entry


def links_of(user_id: int) -> list[ProviderLink]:
    db.session.expire_all()  # the app's requests wrote them on their own sessions
    return list(db.session.scalars(select(ProviderLink).where(ProviderLink.user_id == user_id)))


def count_links() -> int:
    return db.session.scalar(select(func.count()).select_from(ProviderLink))


def live_sessions(user_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    )
