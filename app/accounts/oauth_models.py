"""Tables of OAuth 2.0 for third-party apps (docs/api.md, "OAuth 2.0"): the registered apps
(clients), the short-lived authorization codes, and the tokens issued to an app for a user.

Secrets (client secrets, codes, access and refresh tokens) are stored only as SHA-256 hashes:
each is a long random string, so a fast hash is enough and a lookup by hash compares nothing
byte by byte. The methods named ``get_*``/``check_*``/``is_*`` are the ones Authlib's grants
call (its ``ClientMixin``, ``AuthorizationCodeMixin`` and ``TokenMixin`` contracts).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.platform.columns import CreatedAt, IdKey
from app.platform.extensions import db

SCOPES_CHECK = "scopes <@ ARRAY['read', 'write', 'venue', 'admin']::varchar[] AND cardinality(scopes) >= 1"
CONFIDENTIAL_AUTH_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
GRANT_TYPES = frozenset({"authorization_code", "refresh_token"})


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthApp(IdKey, db.Model):
    """A third-party app a user registered: confidential (it keeps a secret on its server) or
    public (a mobile or single-page app: no secret, PKCE alone proves it)."""

    __tablename__ = "oauth_apps"
    __table_args__ = (
        CheckConstraint("char_length(name) BETWEEN 1 AND 80", name="name_length"),
        CheckConstraint(SCOPES_CHECK, name="scopes_known"),
        CheckConstraint("cardinality(redirect_uris) BETWEEN 1 AND 5", name="redirect_uris_count"),
    )

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))  # None: a public client
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(String(500)))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    created_at: Mapped[CreatedAt]

    owner: Mapped[User] = relationship()

    @property
    def is_public(self) -> bool:
        return self.secret_hash is None

    # -- Authlib's ClientMixin ----------------------------------------------------------------

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # every authorization request names its redirect_uri, matched exactly

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """The requested scopes if the app was registered for all of them; None (invalid_scope)
        when none were asked for or one is not the app's."""
        asked = (scope or "").split()
        if not asked or not set(asked) <= set(self.scopes):
            return None
        return " ".join(name for name in ("read", "write", "venue", "admin") if name in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(self.secret_hash, secret_hash(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in CONFIDENTIAL_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in GRANT_TYPES


class OAuthCode(IdKey, db.Model):
    """An authorization code: single use (deleted when exchanged), ten minutes, bound to the
    app, the redirect URI and the PKCE S256 challenge."""

    __tablename__ = "oauth_codes"
    __table_args__ = (CheckConstraint("code_challenge_method = 'S256'", name="pkce_s256"),)

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(String(100))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class OAuthToken(IdKey, db.Model):
    """An access token (an hour) and its refresh token, issued to an app for a user. Refreshing
    revokes the row and issues a new one of the same ``family`` (rotation); revoking either string
    revokes both; a rotated refresh token used again revokes the family."""

    __tablename__ = "oauth_tokens"

    app_id: Mapped[int] = mapped_column(ForeignKey("oauth_apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every token issued from one authorization code and its rotations: a rotated refresh token
    # presented again revokes them all (None: issued before families, a family of its own).
    family: Mapped[str | None] = mapped_column(String(32), index=True)

    app: Mapped[OAuthApp] = relationship()

    @property
    def scopes(self) -> list[str]:
        """The API's scopes of this token (app/api/auth.py reads them as a personal token's)."""
        return self.scope.split()

    # -- Authlib's TokenMixin ---------------------------------------------------------------

    def check_client(self, client: OAuthApp) -> bool:
        return self.app_id == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.created_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= datetime.now(UTC)

    def is_revoked(self) -> bool:
        return self.revoked_at is not None
