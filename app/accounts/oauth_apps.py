"""OAuth 2.0 apps: registering them, the tokens they hold, and what a user has authorised.

The protocol itself (authorize, token, revoke) is Authlib's, wired in app/accounts/oauth_server.py;
this module holds the rules around it: what a redirect URI may be, which scopes a user's role
lets them grant (the personal tokens' rule), how tokens are made, stored and found.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from app.accounts.models import Role, User
from app.accounts.oauth_models import OAuthApp, OAuthCode, OAuthToken, secret_hash
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db

ACCESS_PREFIX = "cw_oat_"  # the visible start of an OAuth access token (the API tells it from a PAT by it)
REFRESH_PREFIX = "cw_ort_"
SECRET_PREFIX = "cw_cs_"  # noqa: S105 - a client secret's visible start, not a secret
SCOPE_ORDER = ("read", "write", "venue", "admin")
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=30)
CODE_LIFETIME = timedelta(minutes=10)
MAX_APPS = 10
MAX_REDIRECT_URIS = 5
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LAST_USED_STEP = timedelta(minutes=1)
# What each role can grant an app: the same bounds the API's guards put on a personal token.
ROLE_SCOPES = {
    Role.CUSTOMER: frozenset({"read", "write"}),
    Role.PROVIDER: frozenset({"read", "write", "venue"}),
    Role.STAFF: frozenset({"read", "write", "venue"}),
    Role.ADMIN: frozenset({"read", "write", "admin"}),
}


def now_utc() -> datetime:
    return datetime.now(UTC)


def scopes_for_role(role: str) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset())


def beyond_role(user: User, scope: str) -> list[str]:
    """The scopes of ``scope`` the user's role can't grant (empty when all are fine)."""
    allowed = scopes_for_role(user.role)
    return [name for name in scope.split() if name not in allowed]


# -- registration -------------------------------------------------------------------------------


def _clean_redirect_uris(text_or_list: str | list[str]) -> list[str]:
    lines = text_or_list.splitlines() if isinstance(text_or_list, str) else text_or_list
    uris = list(dict.fromkeys(line.strip() for line in lines if line and line.strip()))
    if not uris:
        raise ValidationFailed(_("Give at least one redirect URI."))
    if len(uris) > MAX_REDIRECT_URIS:
        raise ValidationFailed(_("At most %(max)s redirect URIs.", max=MAX_REDIRECT_URIS))
    for uri in uris:
        parts = urlsplit(uri)
        loopback = parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
        if len(uri) > 500 or not parts.netloc or parts.fragment or not (parts.scheme == "https" or loopback):
            raise ValidationFailed(
                _(
                    "%(uri)s is not a redirect URI we accept: use https://, or http://127.0.0.1 or "
                    "http://localhost while developing, with no #fragment.",
                    uri=uri[:80],
                )
            )
    return uris


def _clean_scopes(scopes: list[str]) -> list[str]:
    chosen = [scope for scope in SCOPE_ORDER if scope in set(scopes or [])]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ValidationFailed(_("Choose at least one scope: read, write, venue or admin."))
    return chosen


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 80:
        raise ValidationFailed(_("Give the app a name of 1 to 80 characters."))
    return name


def register_app(
    owner_id: int, *, name: str, redirect_uris: str | list[str], scopes: list[str], public: bool
) -> tuple[OAuthApp, str | None]:
    """A new app and its client secret in plain text (to show once; None for a public client)."""
    app = OAuthApp(
        owner_id=owner_id,
        name=_clean_name(name),
        redirect_uris=_clean_redirect_uris(redirect_uris),
        scopes=_clean_scopes(scopes),
        client_id="cw_app_" + secrets.token_urlsafe(18),
    )
    if len(list_apps(owner_id)) >= MAX_APPS:
        raise ValidationFailed(_("You have %(max)s apps already: delete one first.", max=MAX_APPS))
    secret = None if public else SECRET_PREFIX + secrets.token_urlsafe(32)
    app.secret_hash = None if secret is None else secret_hash(secret)
    db.session.add(app)
    db.session.flush()
    return app, secret


def list_apps(owner_id: int) -> list[OAuthApp]:
    """The apps this account registered, newest first."""
    return list(db.session.scalars(select(OAuthApp).where(OAuthApp.owner_id == owner_id).order_by(OAuthApp.id.desc())))


def get_own_app(owner_id: int, app_id: int) -> OAuthApp:
    """One of the account's own apps; NotFound for anyone else's (we don't say it exists)."""
    app = db.session.get(OAuthApp, app_id) if 0 < app_id < 2**31 else None
    if app is None or app.owner_id != owner_id:
        raise NotFound(_("That app doesn't exist."))
    return app


def update_app(owner_id: int, app_id: int, *, name: str, redirect_uris: str | list[str], scopes: list[str]) -> OAuthApp:
    """New name, redirect URIs and scopes. Codes waiting to be exchanged are dropped; tokens
    already issued keep their scopes until they expire or are refreshed within the new ones."""
    app = get_own_app(owner_id, app_id)
    name, uris, chosen = _clean_name(name), _clean_redirect_uris(redirect_uris), _clean_scopes(scopes)
    app.name, app.redirect_uris, app.scopes = name, uris, chosen
    db.session.execute(delete(OAuthCode).where(OAuthCode.app_id == app.id))
    return app


def delete_app(owner_id: int, app_id: int) -> None:
    """Delete the app: its codes and tokens go with it (the rows cascade), so they stop working."""
    app = get_own_app(owner_id, app_id)
    db.session.delete(app)
    db.session.flush()


def find_app(client_id: str) -> OAuthApp | None:
    if not client_id or len(client_id) > 64:
        return None
    return db.session.scalar(select(OAuthApp).where(OAuthApp.client_id == client_id))


# -- codes and tokens ---------------------------------------------------------------------------


def new_access_token(*_args: object, **_kwargs: object) -> str:
    return ACCESS_PREFIX + secrets.token_urlsafe(32)


def new_refresh_token(*_args: object, **_kwargs: object) -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def save_code(
    code: str, *, app: OAuthApp, user: User, redirect_uri: str, scope: str, challenge: str, method: str
) -> OAuthCode:
    row = OAuthCode(
        code_hash=secret_hash(code),
        app_id=app.id,
        user_id=user.id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=challenge,
        code_challenge_method=method,
        expires_at=now_utc() + CODE_LIFETIME,
    )
    db.session.add(row)
    db.session.flush()
    return row


def take_code(code: str, app: OAuthApp) -> OAuthCode | None:
    """The live code for this app, locked: a second exchange racing this one waits, then finds
    it gone (the first deletes it)."""
    query = select(OAuthCode).where(
        OAuthCode.code_hash == secret_hash(code or ""), OAuthCode.app_id == app.id, OAuthCode.expires_at > func.now()
    )
    return db.session.scalar(query.with_for_update())


def save_token(token: dict, *, app: OAuthApp, user: User, rotated: OAuthToken | None = None) -> OAuthToken:
    """Store what Authlib issued (plain strings in ``token``) as hashes: a new family for a code's
    first tokens, the ``rotated`` token's family for a refresh."""
    now = now_utc()
    refresh = token.get("refresh_token")
    row = OAuthToken(
        app_id=app.id,
        user_id=user.id,
        access_hash=secret_hash(token["access_token"]),
        refresh_hash=secret_hash(refresh) if refresh else None,
        scope=token.get("scope") or "",
        created_at=now,
        expires_at=now + timedelta(seconds=int(token.get("expires_in") or ACCESS_LIFETIME.total_seconds())),
        refresh_expires_at=now + REFRESH_LIFETIME if refresh else None,
        family=(rotated.family if rotated is not None else None) or secrets.token_hex(16),
    )
    db.session.add(row)
    db.session.flush()
    return row


def find_refresh_token(plain: str) -> OAuthToken | None:
    """The live row holding this refresh token, locked (two refreshes with one token: one wins)."""
    if not plain.startswith(REFRESH_PREFIX) or len(plain) > 200:
        return None
    query = select(OAuthToken).where(OAuthToken.refresh_hash == secret_hash(plain)).with_for_update(of=OAuthToken)
    row = db.session.scalar(query)
    if row is None or row.revoked_at is not None or row.refresh_expires_at <= now_utc():
        return None
    return row


def revoke_family_if_reused(plain: str) -> OAuthToken | None:
    """A refresh token that was revoked (rotated away, or revoked) is presented again: someone
    holds a copy, the app or an attacker, and we can't tell which, so every live token of its
    family is revoked (OAuth 2.0 Security BCP 4.14; OAuth 2.1 6.1). The token presented when
    that revoked any; None when it is unknown, still live, merely expired, or its family was
    revoked already."""
    if not plain.startswith(REFRESH_PREFIX) or len(plain) > 200:
        return None
    row = db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_hash == secret_hash(plain)))
    if row is None or row.revoked_at is None:
        return None
    family = OAuthToken.family == row.family if row.family is not None else OAuthToken.id == row.id
    result = db.session.execute(
        update(OAuthToken).where(family, OAuthToken.revoked_at.is_(None)).values(revoked_at=now_utc())
    )
    return row if result.rowcount else None


def find_any_token(plain: str) -> OAuthToken | None:
    """The row holding this access or refresh token, live or not (for revocation)."""
    if len(plain) > 200:
        return None
    digest = secret_hash(plain)
    if plain.startswith(ACCESS_PREFIX):
        return db.session.scalar(select(OAuthToken).where(OAuthToken.access_hash == digest))
    if plain.startswith(REFRESH_PREFIX):
        return db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_hash == digest))
    return None


def find_live_access_token(plain: str, *, now: datetime | None = None) -> OAuthToken | None:
    """The live access token with this text, its "last used" brought up to date; None for
    anything else (unknown, expired, revoked, not an OAuth access token)."""
    if not plain.startswith(ACCESS_PREFIX) or len(plain) > 200:
        return None
    row = db.session.scalar(select(OAuthToken).where(OAuthToken.access_hash == secret_hash(plain)))
    now = now or now_utc()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_STEP:
        row.last_used_at = now
    return row


def revoke(row: OAuthToken) -> None:
    if row.revoked_at is None:
        row.revoked_at = now_utc()


# -- what a user authorised ---------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorisedApp:
    app_id: int
    name: str
    owner_name: str
    scopes: list[str]
    authorised_at: datetime
    last_used_at: datetime | None


def list_authorised_apps(user_id: int) -> list[AuthorisedApp]:
    """Apps holding a live token (or refresh token) of this user, with what they may do."""
    now = now_utc()
    live = (
        (OAuthToken.user_id == user_id)
        & OAuthToken.revoked_at.is_(None)
        & ((OAuthToken.expires_at > now) | (OAuthToken.refresh_expires_at > now))
    )
    rows = db.session.scalars(select(OAuthToken).where(live).order_by(OAuthToken.id)).all()
    apps: dict[int, AuthorisedApp] = {}
    for row in rows:
        seen = apps.get(row.app_id)
        scopes = sorted(set(row.scopes) | set(seen.scopes if seen else []), key=SCOPE_ORDER.index)
        used = max((t for t in (row.last_used_at, seen and seen.last_used_at) if t), default=None)
        apps[row.app_id] = AuthorisedApp(
            app_id=row.app_id,
            name=row.app.name,
            owner_name=owner_label(row.app.owner),
            scopes=scopes,
            authorised_at=seen.authorised_at if seen else row.created_at,
            last_used_at=used,
        )
    return list(apps.values())


def owner_label(owner: User) -> str:
    return owner.name or owner.email


def revoke_app_access(user_id: int, app_id: int) -> int:
    """Revoke every token this user gave the app (and drop its waiting codes); NotFound when it
    holds none."""
    if not 0 < app_id < 2**31:
        raise NotFound(_("That app has no access to your account."))
    result = db.session.execute(
        update(OAuthToken)
        .where(OAuthToken.user_id == user_id, OAuthToken.app_id == app_id, OAuthToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
    )
    db.session.execute(delete(OAuthCode).where(OAuthCode.user_id == user_id, OAuthCode.app_id == app_id))
    if not result.rowcount:
        raise NotFound(_("That app has no access to your account."))
    return result.rowcount
