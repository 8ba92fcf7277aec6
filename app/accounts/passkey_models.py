"""Passkeys (WebAuthn credentials) and the one-time challenges of their ceremonies.

See app/accounts/passkeys.py for how they are made and checked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, LargeBinary, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db


class Passkey(IdKey, db.Model):
    """One WebAuthn credential of a user: its id and public key, as the authenticator made them."""

    __tablename__ = "passkeys"
    __table_args__ = (
        CheckConstraint("length(name) BETWEEN 1 AND 60", name="name_length"),
        CheckConstraint("octet_length(credential_id) BETWEEN 16 AND 1023", name="credential_id_length"),
        CheckConstraint("sign_count >= 0", name="sign_count_not_negative"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    credential_id: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key, as registered
    # The authenticator's signature counter: it must grow, or the key may have been cloned.
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    transports: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    # The WebAuthn user handle the credential was made for (User.webauthn_user_handle then).
    user_handle: Mapped[bytes] = mapped_column(LargeBinary)
    backed_up: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[datetime | None]


class PasskeyChallenge(db.Model):
    """A challenge handed to the browser for one ceremony; deleted when used, dead when expired.

    Only its SHA-256 is stored; the browser's session holds the challenge itself, so an
    answer counts only from the session that asked, and only once.
    """

    __tablename__ = "passkey_challenges"
    __table_args__ = (one_of("purpose", ("register", "sign_in", "second_factor")),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[CreatedAt]
    expires_at: Mapped[datetime] = mapped_column(index=True)
