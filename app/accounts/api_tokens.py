"""Personal access tokens for the public API (``/api/v1``), and the API's Idempotency-Key records.

A token is ``cw_pat_`` followed by a random secret. Only the SHA-256 of the whole token is
stored: it is shown once, when made, and a lost token is replaced, never recovered. Each token
carries scopes (read, write, venue, admin); what a scope allows is still bounded by the
account's own role, so a customer's token with "admin" can do nothing an admin page would
refuse them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db

TOKEN_PREFIX = "cw_pat_"  # noqa: S105 - the visible start of every token, not a secret
SCOPES = ("read", "write", "venue", "admin")
SCOPE_LABELS = {
    "read": _l("Read your bookings, orders, cart and notifications"),
    "write": _l("Book, pay, cancel and review as you"),
    "venue": _l("Run your venue (as your staff role allows)"),
    "admin": _l("Admin: listings and review moderation"),
}
MAX_TOKENS = 20  # live tokens per account
LAST_USED_STEP = timedelta(minutes=1)  # "last used" is written at most once a minute per token


class ApiToken(db.Model):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("char_length(name) BETWEEN 1 AND 80", name="name_length"),
        CheckConstraint(
            "scopes <@ ARRAY['read', 'write', 'venue', 'admin']::varchar[] AND cardinality(scopes) >= 1",
            name="scopes_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in the list
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyRecord(db.Model):
    """The first answer to a POST sent with an ``Idempotency-Key``: (owner, key) is unique, so a
    second request with the key (a retry, or a race from another thread) finds it."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key", name="owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))  # "token:<id>" or "user:<id>"
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)  # None while the first request runs
    body: Mapped[dict | None] = mapped_column(JSONB)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user_id: int, *, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token and its plain text (to show once)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed(_("Give the token a name of 1 to 80 characters."))
    chosen = [scope for scope in SCOPES if scope in set(scopes or [])]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ValidationFailed(_("Choose at least one scope: read, write, venue or admin."))
    if len(list_tokens(user_id)) >= MAX_TOKENS:
        raise ValidationFailed(_("You have %(max)s tokens already: revoke one first.", max=MAX_TOKENS))
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user_id, name=name, prefix=plain[: len(TOKEN_PREFIX) + 4], secret_hash=hash_token(plain), scopes=chosen
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def list_tokens(user_id: int) -> list[ApiToken]:
    """The account's live tokens, newest first."""
    query = select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    return list(db.session.scalars(query.order_by(ApiToken.id.desc())))


def revoke_token(user_id: int, token_id: int, *, now: datetime | None = None) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id or token.revoked_at is not None:
        raise NotFound(_("That token doesn't exist or is already revoked."))
    token.revoked_at = now or datetime.now(UTC)
    return token


def find_live_token(plain: str, *, now: datetime | None = None) -> ApiToken | None:
    """The live token with this text, its "last used" brought up to date; None for anything else."""
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.secret_hash == hash_token(plain)))
    if token is None or token.revoked_at is not None:
        return None
    now = now or datetime.now(UTC)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        token.last_used_at = now
    return token
