"""Signed, expiring tokens for links sent by email."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

VERIFY_EMAIL = "verify-email"
CHANGE_EMAIL = "change-email"
RESET_PASSWORD = "reset-password"  # noqa: S105 (a token purpose, not a password)


class InvalidToken(Exception):
    """The link is broken, expired or already used."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"cozywish.{purpose}")


def password_fingerprint(password_hash: str | None) -> str:
    """Changes when the password does (or is first set), so a reset link works once."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict[str, Any]:
    try:
        return _serializer(purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise InvalidToken("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise InvalidToken("This link is not valid. Check that you copied all of it, or ask for a new one.") from None
