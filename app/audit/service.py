"""Writing and reading the audit log: ``record`` an entry in the caller's transaction,
``acting_as`` a role around a provider page, ``find_entries`` for the admin's list.

Its own package below every domain (app/audit/models.py says why); callers import it as
``from app.audit import service as audit`` and name who acted and on what, the subject as a
(subject_type, subject_id) pair::

    audit.record("venue.changes_reviewed", actor_id=actor.id, about=("venue", venue.id), fields=[...])

``actor_id`` is None when the system acts. Other keywords than the entry's own (``from_state``,
``to_state``, ``reason``) are kept as its ``data``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import select

from app.audit.models import AuditEntry
from app.platform.extensions import db

# The role of whoever acts in a venue's provider area ("owner", "manager", "receptionist",
# "practitioner"), set around a provider page by app/web/guards.venue_required: every entry
# written meanwhile keeps it as data["actor_role"], so the log names who did it and as what.
_acting_role: ContextVar[str | None] = ContextVar("audit_acting_role", default=None)


@contextmanager
def acting_as(role: str) -> Iterator[None]:
    token = _acting_role.set(role)
    try:
        yield
    finally:
        _acting_role.reset(token)


def record(
    action: str,
    *,
    actor_id: int | None,
    about: tuple[str, int | None],
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    **data: Any,
) -> AuditEntry:
    subject_type, subject_id = about
    role = _acting_role.get()
    if role is not None and actor_id is not None:
        data.setdefault("actor_role", role)
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data,
    )
    db.session.add(entry)
    return entry


def find_entries(
    *,
    subject_type: str | None = None,
    subject_id: int | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if subject_type:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))
