"""Authlib's OAuth 2.0 authorization server, set up for CozyWish (docs/api.md, "OAuth 2.0").

- Authorization code grant (RFC 6749 4.1) with PKCE (RFC 7636) required of every client, S256
  only: a request without ``code_challenge``, or with ``plain``, is refused.
- Refresh token grant with rotation: each refresh revokes the old pair and issues a new one of
  the same family; a rotated refresh token presented again revokes the whole family
  (``oauth_apps.revoke_family_if_reused``, called by the token endpoint).
- Revocation endpoint (RFC 7009) for access and refresh tokens.
- Client authentication: ``client_secret_basic`` or ``client_secret_post`` for confidential
  apps, ``none`` for public ones (PKCE is their proof).
- A user's role bounds what they can grant (``oauth_apps.beyond_role``), as for personal tokens.

Authlib owns the protocol (parameters, errors, responses); the storage and the rules are
app/accounts/oauth_apps.py. The server is built per Flask app (``app.extensions["oauth_server"]``).
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, current_app

from app.accounts import oauth_apps
from app.accounts.models import User
from app.accounts.oauth_models import OAuthApp, OAuthCode, OAuthToken
from app.platform.extensions import db

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]


class S256Challenge(CodeChallenge):
    """PKCE for every client, and only S256 (a plain challenge protects nothing if the
    authorization request leaks)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        user = self.request.user
        if user is not None:
            refused = oauth_apps.beyond_role(user, self.request.scope)
            if refused:
                raise InvalidScopeError(
                    f"Your account can't grant: {' '.join(refused)}.",
                    redirect_uri=redirect_uri,
                    state=self.request.payload.state,
                )
        return redirect_uri

    def save_authorization_code(self, code: str, request) -> OAuthCode:
        data = request.payload.data
        return oauth_apps.save_code(
            code,
            app=request.client,
            user=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            challenge=data["code_challenge"],
            method=data["code_challenge_method"],
        )

    def query_authorization_code(self, code: str, client: OAuthApp) -> OAuthCode | None:
        return oauth_apps.take_code(code, client)

    def delete_authorization_code(self, authorization_code: OAuthCode) -> None:
        db.session.delete(authorization_code)
        db.session.flush()

    def authenticate_user(self, authorization_code: OAuthCode) -> User | None:
        return active_user(authorization_code.user_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: the old refresh token dies with this exchange

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        return oauth_apps.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token: OAuthToken) -> User | None:
        return active_user(refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        oauth_apps.revoke(refresh_token)


class TokenRevocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        return oauth_apps.find_any_token(token_string)

    def revoke_token(self, token: OAuthToken, request) -> None:
        oauth_apps.revoke(token)


def active_user(user_id: int) -> User | None:
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def save_token(token: dict, request) -> None:
    rotated = request.refresh_token if isinstance(request.refresh_token, OAuthToken) else None
    oauth_apps.save_token(token, app=request.client, user=request.user, rotated=rotated)


def init_app(app: Flask) -> AuthorizationServer:
    server = AuthorizationServer()
    server.init_app(app, query_client=oauth_apps.find_app, save_token=save_token)
    lifetime = int(oauth_apps.ACCESS_LIFETIME.total_seconds())
    generator = BearerTokenGenerator(
        oauth_apps.new_access_token, oauth_apps.new_refresh_token, lambda _client, _grant: lifetime
    )
    server.register_token_generator("default", generator)
    server.scopes_supported = list(oauth_apps.SCOPE_ORDER)
    server.register_grant(AuthorizationCodeGrant, [S256Challenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(TokenRevocation)
    app.extensions["oauth_server"] = server
    return server


def current_server() -> AuthorizationServer:
    return current_app.extensions["oauth_server"]
