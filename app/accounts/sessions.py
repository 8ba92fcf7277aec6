"""Server-side sign-in sessions: a row per signed-in browser, so a session can really end.

The session cookie and the remember cookie carry ``<user id>:<user token>:<session key>``.
A request is signed in only while that key's row is live and the user's token matches, so
signing out, changing the password or ending a session from the devices page kills every
copy of both cookies at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User, UserSession
from app.platform import cache_versions
from app.platform.cache_versions import account_namespace, user_namespace
from app.platform.extensions import db
from app.platform.remembered import Memory

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


# Sessions this worker remembers (app/platform/remembered.py): at most 1,024, each checked in the
# database again at least once a minute even when no version changed.
REMEMBERED = Memory("sessions", size=1024, seconds=60.0)


def forget_remembered_sessions() -> None:
    """Drop this worker's remembered sessions (tests)."""
    REMEMBERED.forget()


def load_session_user(identity: str) -> User | None:
    """Flask-Login's user loader: the user whose live session ``identity`` names, or None."""
    user_id, _, rest = identity.partition(":")
    token, _, key = rest.partition(":")
    if not (user_id.isdigit() and token and key) or len(identity) > 200:
        return None
    remembered = REMEMBERED.recall(identity)
    if remembered is not None:
        user, row = remembered["user"], remembered["row"]
        user.session_key, user.session_row = key, row
        if _touch(row):
            REMEMBERED.update(identity, "row", last_seen_at=row.last_seen_at)
        return user
    # Not remembered (or stale): the rows and the version they will be remembered under, in one
    # statement (one snapshot, one round trip).
    namespace = account_namespace(int(user_id))
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
    REMEMBERED.keep(identity, {namespace: version}, user=user, row=row)
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
    cache_versions.bump(user_namespace(user.id))  # a bulk UPDATE: no watched row tells it
    cache_versions.bump(account_namespace(user.id))  # nor the sessions workers remember
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
