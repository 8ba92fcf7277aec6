"""Server-side sign-in sessions: a row per signed-in browser, so a session can really end.

The session cookie and the remember cookie carry ``<user id>:<user token>:<session key>``.
A request is signed in only while that key's row is live and the user's token matches, so
signing out, changing the password or ending a session from the devices page kills every
copy of both cookies at once.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User, UserSession
from app.platform import cache_versions
from app.platform.cache_versions import own_change_pending, user_namespace
from app.platform.extensions import db

# last_seen_at is refreshed at most this often, so a busy session doesn't write on every page.
SEEN_EVERY = timedelta(minutes=5)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, *, ip: str | None, user_agent: str | None, remember: bool) -> str:
    """Open a session row for ``user`` in this browser; ``user.get_id()`` now names it."""
    key = secrets.token_urlsafe(24)
    row = UserSession(
        user_id=user.id, key_hash=_hash(key), remember=remember, ip=(ip or "")[:64] or None, user_agent=_ua(user_agent)
    )
    db.session.add(row)
    db.session.flush()
    user.session_key, user.session_row = key, row
    return key


# Remembered sessions per worker: at most this many, each rechecked in the database at least
# this often even when no version changed.
REMEMBERED_SESSIONS = 1024
REMEMBER_SECONDS = 60.0


def _remembered() -> OrderedDict[str, dict[str, Any]]:
    return current_app.extensions.setdefault("remembered_sessions", OrderedDict())


def forget_remembered_sessions() -> None:
    """Drop this worker's remembered sessions (tests)."""
    _remembered().clear()


def _columns(obj: object) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in type(obj).__mapper__.column_attrs}


def _as_loaded(model: type, values: dict[str, Any]) -> Any:
    """A row as if just loaded into this request's session, from remembered column values."""
    obj = model(**values)
    make_transient_to_detached(obj)
    db.session.add(obj)  # persistent, no SQL: the request's session starts empty
    return obj


def _user_namespace(user_id: int) -> str:
    return user_namespace(user_id)


def _own_change_pending() -> bool:
    return has_request_context() and own_change_pending()


def load_session_user(identity: str) -> User | None:
    """Flask-Login's user loader: the user whose live session ``identity`` names, or None."""
    user_id, _, rest = identity.partition(":")
    token, _, key = rest.partition(":")
    if not (user_id.isdigit() and token and key) or len(identity) > 200:
        return None
    namespace = _user_namespace(int(user_id))
    remembered = _remembered()
    entry = remembered.get(identity)
    if entry is not None:
        version = cache_versions.current(namespace)  # read before the rows it covers
        fresh = entry["version"] == version and entry["until"] > time.monotonic()
        if fresh and not _own_change_pending():
            user, row = _as_loaded(User, entry["user"]), _as_loaded(UserSession, entry["row"])
            user.session_key, user.session_row = key, row
            if _touch(row):
                entry["row"]["last_seen_at"] = row.last_seen_at
            return user
        remembered.pop(identity, None)
    # Not remembered (or stale): the rows and the version they will be remembered under, in one
    # statement (one snapshot, one round trip).
    found = db.session.execute(
        select(User, UserSession, cache_versions.version_column(namespace))
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == int(user_id), UserSession.key_hash == _hash(key), UserSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    user, row, version = found
    cache_versions.note(namespace, version)
    if not secrets.compare_digest(user.session_token, token):
        return None
    user.session_key, user.session_row = key, row
    _touch(row)
    if has_app_context() and current_app.config["CACHE_VERSION_TTL"] > 0:
        remembered[identity] = {
            "user": _columns(user),
            "row": _columns(row),
            "version": version,
            "until": time.monotonic() + REMEMBER_SECONDS,
        }
        while len(remembered) > REMEMBERED_SESSIONS:
            remembered.popitem(last=False)
    return user


def _touch(row: UserSession) -> bool:
    """Refresh last_seen_at on its own short transaction: never commits the request's work."""
    now = datetime.now(UTC)
    if now - row.last_seen_at < SEEN_EVERY:
        return False
    with db.engine.begin() as connection:
        connection.execute(
            update(UserSession).where(UserSession.id == row.id, UserSession.ended_at.is_(None)).values(last_seen_at=now)
        )
    set_committed_value(row, "last_seen_at", now)  # as stored; nothing for the request's session to write
    return True


def find_live_sessions(user: User) -> list[UserSession]:
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
            .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        )
    )


def end_session(user: User, session_id: int, *, reason: str) -> UserSession | None:
    """End one of ``user``'s live sessions; None if it isn't theirs or already ended."""
    row = db.session.scalar(
        select(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .with_for_update()
    )
    if row is not None:
        row.ended_at, row.ended_reason = datetime.now(UTC), reason
    return row


def end_all_sessions(user: User, *, reason: str) -> int:
    """End every live session of ``user`` (this browser's included); returns how many."""
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=datetime.now(UTC), ended_reason=reason)
    )
    cache_versions.bump(_user_namespace(user.id))  # a bulk UPDATE: no watched row tells it
    return result.rowcount


def describe_browser(user_agent: str | None) -> str:
    """ "Firefox on Windows" from a User-Agent string; "Unknown browser" when it can't tell."""
    ua = user_agent or ""
    browser = next(
        (name for marker, name in _BROWSERS if marker in ua),
        _("Unknown browser"),
    )
    system = next((name for marker, name in _SYSTEMS if marker in ua), "")
    return _("%(browser)s on %(system)s", browser=browser, system=system) if system else browser


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = [
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
]


def _ua(user_agent: str | None) -> str | None:
    return (user_agent or "")[:300] or None
