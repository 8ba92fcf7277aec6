"""The notification centre: in-app notices, one row each in ``notices``.

``notify`` writes a notice in the caller's transaction (a receiver's, so it commits with the
change it tells of, or disappears with its rollback). Its title and body are rendered in the
recipient's language when it is written, as an email is; reading the centre then needs no code
per kind. A ``key`` makes the notice once per person: a second ``notify`` with that key (a
replayed webhook, a retried job) writes nothing and returns None, and the caller sends no email
either.

The unread count is one indexed statement (``ix_notices_user_id_read_at``); pages go newest
first by id, with the last id shown as the cursor (``before``). Marking read checks who owns
the notice: another person's is NotFound, never "not yours".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from app.notifications.models import Notice
from app.platform import metrics
from app.platform.email import speaking_to
from app.platform.extensions import db
from app.platform.paging import keyset_page
from app.platform.sqlutil import one_or_not_found

PAGE_SIZE = 20
TITLE_MAX = 200


@dataclass(frozen=True)
class NoticePage:
    notices: list[Notice]
    next_before: int | None  # the cursor of the next (older) page, or None on the last page


def notify(
    user: object, kind: str, title: object, *, link: str, body: object = "", key: str | None = None
) -> int | None:
    """Add a notice for ``user`` (a User); ``title`` and ``body`` are best lazy strings (``_l``)
    or, for ``body``, a function that writes it (dates), read here in the recipient's language.
    Returns the new notice's id, or None when ``key`` was already told to this person."""
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"a notice links to a path on this site, not {link!r}")
    with speaking_to(user):
        title_text, body_text = str(title)[:TITLE_MAX], str(body() if callable(body) else body)
    statement = (
        insert(Notice)
        .values(user_id=user.id, kind=kind, title=title_text, body=body_text, link=link, key=key)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Notice.id)
    )
    notice_id = db.session.execute(statement).scalar()
    if notice_id is not None:
        metrics.notification_sent("in_app")
    return notice_id


def unread_count(user_id: int) -> int:
    """How many notices ``user_id`` has not read: one statement."""
    return db.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    )


def list_notices(user_id: int, *, before: int | None = None, size: int = PAGE_SIZE) -> NoticePage:
    """A page of ``user_id``'s notices, newest first; ``before`` is the previous page's cursor."""
    query = select(Notice).where(Notice.user_id == user_id)
    page = keyset_page(query, Notice.id, size=size, last_shown=before, descending=True)
    return NoticePage(notices=page.rows, next_before=page.next_key)


def get_own_notice(notice_id: int, user_id: int) -> Notice:
    return one_or_not_found(
        select(Notice).where(Notice.id == notice_id, Notice.user_id == user_id), _("There is no such notification.")
    )


def mark_read(notice_id: int, user_id: int, *, now: datetime | None = None) -> Notice:
    """Mark one of ``user_id``'s notices read (again is harmless); another's is NotFound."""
    notice = get_own_notice(notice_id, user_id)
    if notice.read_at is None:
        notice.read_at = now or datetime.now(UTC)
        db.session.flush()
    return notice


def mark_all_read(user_id: int, *, now: datetime | None = None) -> int:
    """Mark every unread notice of ``user_id`` read; returns how many were unread."""
    result = db.session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def mark_read_by_key(user_id: int, prefix: str, *, now: datetime | None = None) -> int:
    """Mark read ``user_id``'s unread notices whose key starts with ``prefix`` (those of one
    thing they have now seen, e.g. a thread's messages: catalogue.message_keys); returns how many."""
    result = db.session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None), Notice.key.startswith(prefix, autoescape=True))
        .values(read_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def forget_user(user_id: int) -> None:
    """Account erasure: the person's notices go (their bodies name bookings)."""
    db.session.execute(delete(Notice).where(Notice.user_id == user_id))


def redact(identifiers: list[str]) -> int:
    """Account erasure: any notice, whoever's, whose title or body names the person (their name,
    email, phone, or a venue named after them) loses that text. Returns how many texts went."""
    removed = 0
    for value in {v.lower() for v in identifiers if v}:
        for column in (Notice.title, Notice.body):
            result = db.session.execute(
                update(Notice)
                .where(func.strpos(func.lower(column), value) > 0)
                .values({column.key: "[removed]"})
                .execution_options(synchronize_session=False)
            )
            removed += result.rowcount or 0
    return removed
