from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    LargeBinary,
    String,
    Text,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.hashing import hash_password, needs_rehash, verify_password
from app.accounts.passkey_models import Passkey
from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    PROVIDER = "provider"
    ADMIN = "admin"
    # A venue's manager, receptionist or practitioner (app/venues/models.VenueStaff says which).
    STAFF = "staff"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, IdKey, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", Role),
        CheckConstraint("length(name) BETWEEN 1 AND 120", name="name_length"),
    )

    email: Mapped[str] = mapped_column(CITEXT, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # None for an account made through Google or Apple sign-in until its owner sets a password.
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), default=Role.CUSTOMER)
    phone: Mapped[str | None] = mapped_column(String(32))
    date_of_birth: Mapped[date | None]  # optional, on the profile: birthday messages (app/notifications)
    avatar_key: Mapped[str | None] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None]
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Rotated on password change or suspension: old sessions and remember cookies die.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[CreatedAt]
    last_sign_in_at: Mapped[datetime | None]
    # Two-factor sign-in (app/accounts/two_factor.py): the TOTP secret is stored encrypted; the
    # last accepted time step stops a code being used twice; the generation forgets every
    # "remembered" device when two-factor settings change.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    two_factor_generation: Mapped[int] = mapped_column(default=0)
    # Set while a "Delete my account" request waits out its grace period (app/privacy/deletion.py):
    # the banner reads it from the row already loaded, so no page pays a query for it.
    deletion_due_at: Mapped[datetime | None]
    # Passkeys (app/accounts/passkeys.py): the random WebAuthn user id authenticators store
    # with this account's credentials; made with the first passkey, never the database id.
    webauthn_user_handle: Mapped[bytes | None] = mapped_column(LargeBinary, unique=True)
    # The place this customer last searched around (search/places.py), shown pre-filled in the
    # search page's "where" field; signed out, a cookie keeps it instead.
    last_place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    # The language chosen in the footer (app/platform/i18n.py): pages when no cookie says, and emails.
    language: Mapped[str | None] = mapped_column(String(8))

    # The signed-in browser's session (app/accounts/sessions.py); set per request, not stored here.
    session_key = None
    session_row = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:
        """Flask-Login's id: dies when the token rotates (password change, suspension) or the
        browser's session row ends (sign-out, "sign out everywhere", ended from the devices page)."""
        return f"{self.id}:{self.session_token}:{self.session_key or ''}"

    @property
    def has_totp(self) -> bool:
        """Two-factor sign-in with an authenticator app is on."""
        return self.totp_enabled_at is not None

    @property
    def has_passkey(self) -> bool:
        if self.webauthn_user_handle is None:
            return False  # no passkey was ever added: no query
        return bool(db.session.scalar(select(exists().where(Passkey.user_id == self.id))))

    @property
    def has_two_factor(self) -> bool:
        """A second factor is set up: an authenticator app, or a passkey."""
        return self.has_totp or self.has_passkey

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def has_role(self, *roles: str) -> bool:
        return self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_provider(self) -> bool:
        return self.role == Role.PROVIDER

    @property
    def is_staff(self) -> bool:
        """A venue's staff member (manager, receptionist, practitioner) with their own sign-in."""
        return self.role == Role.STAFF

    @property
    def works_at_a_venue(self) -> bool:
        """Owner or staff: the provider area (app/web/guards.venue_required) decides what they see."""
        return self.role in (Role.PROVIDER, Role.STAFF)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        """Is this the account's password? A right password kept under an older hash is hashed
        again today's way (app/accounts/hashing.py), saved with the caller's transaction."""
        if self.password_hash is None or not verify_password(self.password_hash, password):
            return False
        if needs_rehash(self.password_hash):
            self.password_hash = hash_password(password)  # the session token stays: no one is signed out
        return True

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None


class SignInThrottle(db.Model):
    """Failed sign-ins per email address, whether or not an account has that address."""

    __tablename__ = "sign_in_throttles"

    email: Mapped[str] = mapped_column(CITEXT, primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class UserSession(db.Model):
    """One signed-in browser. The cookie holds a random key; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[CreatedAt]
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ended_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(40))


class RecoveryCode(IdKey, db.Model):
    """A one-time code for signing in without the authenticator; only its SHA-256 is stored."""

    __tablename__ = "user_recovery_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]
    used_at: Mapped[datetime | None]
