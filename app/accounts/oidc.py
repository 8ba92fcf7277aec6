"""Google and Apple sign-in over OpenID Connect, through Authlib's Flask client.

Each provider is configured by settings (client id and secret, or Apple's team, key id and
private key) and a discovery-document URL; a provider without its settings is simply not
offered. A flow is the authorization-code flow with PKCE (S256), a random ``state`` and a
random ``nonce``, all three kept in this browser's session by Authlib. The returned
``id_token`` is checked by Authlib: signature against the provider's published keys,
issuer, audience (our client id), expiry and the nonce. We never turn any check off, and
we refuse a token response without an ``id_token`` (Authlib's one-step helper would accept it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app, session
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from app.platform.errors import DomainError, UpstreamFailed

GOOGLE_METADATA_URL = "https://accounts.google.com/.well-known/openid-configuration"
APPLE_METADATA_URL = "https://appleid.apple.com/.well-known/openid-configuration"
# Apple accepts a client secret (a JWT we sign) for at most six months; ours live a day.
APPLE_SECRET_SECONDS = 86400


class ProviderRefused(DomainError):
    """The provider's answer can't be trusted or used: a broken flow, a bad token, a refusal."""


class ProviderUnavailable(UpstreamFailed):
    """The provider could not be reached or answered nonsense."""


@dataclass(frozen=True)
class Provider:
    name: str  # "google" or "apple": the URL segment and the stored link's provider
    label: str  # "Google": what people read
    client_id: str
    metadata_url: str
    scope: str
    response_mode: str | None = None  # "form_post": the provider POSTs the answer back (Apple)

    @property
    def posts_back(self) -> bool:
        return self.response_mode == "form_post"


@dataclass(frozen=True)
class ProviderIdentity:
    """Who the provider says signed in: its verified ``id_token`` claims we use."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True)
class Finished:
    """How a flow ended: the ``identity`` the provider vouched for, or the ``refusal`` to show
    (returned, not raised, so the caller can record the failure with its answer)."""

    identity: ProviderIdentity | None = None
    refusal: DomainError | None = None


PROVIDER_LABELS = {"google": "Google", "apple": "Apple"}

# Each provider, in the order the buttons show: its name, the settings it needs (the first is its
# client id; its metadata URL setting, ``<NAME>_METADATA_URL``, is optional), the default
# metadata URL, the scope, and the response mode (Apple requires form_post when asking for the
# email or name).
PROVIDER_SPECS = (
    ("google", ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"), GOOGLE_METADATA_URL, "openid email profile", None),
    (
        "apple",
        ("APPLE_CLIENT_ID", "APPLE_TEAM_ID", "APPLE_KEY_ID", "APPLE_PRIVATE_KEY"),
        APPLE_METADATA_URL,
        "openid email name",
        "form_post",
    ),
)


def configured_providers() -> list[Provider]:
    """The providers whose settings are complete, in the order the buttons show."""
    config = current_app.config
    return [
        Provider(
            name=name,
            label=PROVIDER_LABELS[name],
            client_id=config[settings[0]],
            metadata_url=config.get(f"{name.upper()}_METADATA_URL") or metadata_url,
            scope=scope,
            response_mode=response_mode,
        )
        for name, settings, metadata_url, scope, response_mode in PROVIDER_SPECS
        if all(config.get(key) for key in settings)
    ]


def get_provider(name: str) -> Provider | None:
    return next((provider for provider in configured_providers() if provider.name == name), None)


def setting_problems(config) -> list[str]:
    """Half-set or unusable provider settings, one sentence each (production refuses to start on them)."""
    problems = []
    google = [config.get(key) for key in ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET")]
    if any(google) and not all(google):
        problems.append("GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET: set both for Google sign-in, or neither.")
    apple_keys = ("APPLE_CLIENT_ID", "APPLE_TEAM_ID", "APPLE_KEY_ID", "APPLE_PRIVATE_KEY")
    apple = [config.get(key) for key in apple_keys]
    if any(apple) and not all(apple):
        problems.append(f"{', '.join(apple_keys)}: set all four for Apple sign-in, or none.")
    if all(apple):
        try:
            ECKey.import_key(config["APPLE_PRIVATE_KEY"].replace("\\n", "\n"))
        except (ValueError, TypeError, JoseError):
            problems.append("APPLE_PRIVATE_KEY: not a readable EC private key; paste the text of the .p8 file.")
    for name, configured in (("GOOGLE", all(google)), ("APPLE", all(apple))):
        if configured and not (config.get(f"{name}_METADATA_URL") or "https://").startswith("https://"):
            problems.append(f"{name}_METADATA_URL: use the provider's https discovery document.")
    return problems


# -- Authlib clients ---------------------------------------------------------------------

_clients_lock = threading.Lock()


def _client(provider: Provider) -> FlaskOAuth2App:
    """The Authlib client for ``provider``; kept per app (it caches the discovery document and keys)
    and made again when the settings change or Apple's client secret is due for renewal."""
    secret, secret_key = _client_secret(provider)
    key = (provider, secret_key)
    clients: dict[Any, FlaskOAuth2App] = current_app.extensions.setdefault("cozywish.oidc_clients", {})
    client = clients.get(key)
    if client is None:
        client = FlaskOAuth2App(
            FlaskIntegration(provider.name),
            provider.name,
            client_id=provider.client_id,
            client_secret=secret,
            server_metadata_url=provider.metadata_url,
            client_kwargs={
                "scope": provider.scope,
                "code_challenge_method": "S256",
                "default_timeout": current_app.config.get("OIDC_HTTP_TIMEOUT", 10),
                # Apple reads the client secret from the form body only.
                "token_endpoint_auth_method": "client_secret_post" if provider.name == "apple" else None,
            },
        )
        with _clients_lock:
            for old in [old for old in clients if old[0].name == provider.name]:
                clients.pop(old, None)  # settings or the Apple secret changed: forget the old client
            clients[key] = client
    return client


def _client_secret(provider: Provider) -> tuple[str, Any]:
    """The client secret, and what must change for a new one to be made."""
    config = current_app.config
    if provider.name != "apple":
        return config["GOOGLE_CLIENT_SECRET"], config["GOOGLE_CLIENT_SECRET"]
    issued = int(time.time()) // (APPLE_SECRET_SECONDS // 2) * (APPLE_SECRET_SECONDS // 2)
    key_material = (config["APPLE_TEAM_ID"], config["APPLE_KEY_ID"], config["APPLE_PRIVATE_KEY"])
    return apple_client_secret(provider, issued_at=issued), (key_material, issued)


def apple_client_secret(provider: Provider, *, issued_at: int) -> str:
    """Apple's client secret: an ES256 JWT signed with the app's private key from Apple's developer site."""
    config = current_app.config
    pem = config["APPLE_PRIVATE_KEY"].replace("\\n", "\n")  # one-line environment variables
    try:
        key = ECKey.import_key(pem)
    except (ValueError, TypeError, JoseError) as exc:
        raise RuntimeError("APPLE_PRIVATE_KEY is not a readable EC private key (the .p8 file's text).") from exc
    claims = {
        "iss": config["APPLE_TEAM_ID"],
        "iat": issued_at,
        "exp": issued_at + APPLE_SECRET_SECONDS,
        "aud": "https://appleid.apple.com",
        "sub": provider.client_id,
    }
    return jwt.encode({"alg": "ES256", "kid": config["APPLE_KEY_ID"]}, claims, key)


# -- the flow ---------------------------------------------------------------------------


def authorization_url(provider: Provider, redirect_uri: str) -> tuple[str, str]:
    """Where to send the browser, and the flow's ``state``; PKCE verifier and nonce go to the session."""
    extra = {"response_mode": provider.response_mode} if provider.response_mode else {}
    try:
        client = _client(provider)
        found = client.create_authorization_url(redirect_uri, **extra)
    except (requests.RequestException, ValueError, KeyError, RuntimeError) as exc:
        raise ProviderUnavailable(
            _("We couldn't reach %(provider_label)s just now. Try again in a minute.", provider_label=provider.label)
        ) from exc
    client.save_authorize_data(redirect_uri=redirect_uri, **found)
    return found["url"], found["state"]


def finish(provider: Provider, *, code: str | None, state: str | None) -> Finished:
    """Trade the returned ``code`` for tokens: the verified identity, or why not.

    The state's saved data (PKCE verifier, nonce, redirect URI) is used once: a second
    callback with the same state is refused.
    """
    try:
        return Finished(identity=_verified_identity(provider, code=code, state=state))
    except DomainError as refusal:
        return Finished(refusal=refusal)


def _verified_identity(provider: Provider, *, code: str | None, state: str | None) -> ProviderIdentity:
    client = _client(provider)
    data = client.framework.get_state_data(session, state) if state else None
    if state:
        client.framework.clear_state_data(session, state)
    if not data or not code:
        raise ProviderRefused(
            _(
                "This %(provider_label)s sign-in didn't start in this browser, or was already used. Start again.",
                provider_label=provider.label,
            )
        )
    if not data.get("code_verifier") or not data.get("nonce"):
        raise ProviderRefused(
            _(
                "This %(provider_label)s sign-in is missing its security checks. Start again.",
                provider_label=provider.label,
            )
        )
    refused = ProviderRefused(f"{provider.label} didn't confirm who you are, so nothing was changed. Start again.")
    try:
        token = client.fetch_access_token(
            redirect_uri=data.get("redirect_uri"), code=code, code_verifier=data["code_verifier"]
        )
    except requests.RequestException as exc:
        raise ProviderUnavailable(
            _("We couldn't reach %(provider_label)s just now. Try again in a minute.", provider_label=provider.label)
        ) from exc
    except (AuthlibBaseError, ValueError) as exc:
        current_app.logger.warning("oidc token request refused", extra={"provider": provider.name, "error": str(exc)})
        raise refused from exc
    if "id_token" not in token:
        raise refused
    try:
        claims = client.parse_id_token(token, nonce=data["nonce"])
    except requests.RequestException as exc:
        raise ProviderUnavailable(
            _("We couldn't reach %(provider_label)s just now. Try again in a minute.", provider_label=provider.label)
        ) from exc
    except (JoseError, AuthlibBaseError, ValueError, KeyError) as exc:
        current_app.logger.warning("oidc id_token refused", extra={"provider": provider.name, "error": str(exc)})
        raise refused from exc
    return _identity(provider, claims)


def forget(provider: Provider, state: str | None) -> None:
    """Drop a flow's saved data (the person cancelled at the provider)."""
    if state:
        _client(provider).framework.clear_state_data(session, state)


def _identity(provider: Provider, claims: dict[str, Any]) -> ProviderIdentity:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
        raise ProviderRefused(
            _("%(provider_label)s sent an account id we can't use. Start again.", provider_label=provider.label)
        )
    email = claims.get("email")
    email = email.strip().lower() if isinstance(email, str) and 3 <= len(email) <= 254 and "@" in email else None
    verified = claims.get("email_verified")
    # Apple has sent it as the string "true" in the past; anything else is "not verified".
    email_verified = verified is True or (isinstance(verified, str) and verified.lower() == "true")
    name = claims.get("name")
    name = name.strip()[:120] if isinstance(name, str) and name.strip() else None
    return ProviderIdentity(provider.name, subject, email, email_verified and email is not None, name)
