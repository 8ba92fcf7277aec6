"""The audit entry of a state change: ``<subject_type>.<event>`` on one object, by ``actor``
(None for the system), from one state to another. The booking and order state machines, a
request's answer and a venue closed on erasure write theirs through ``record_transition``."""

from __future__ import annotations

from typing import Any, Protocol

from app.audit import service as audit
from app.audit.models import AuditEntry


class Row(Protocol):
    """An actor or a subject: anything with an ``id``."""

    id: int


def record_transition(
    subject_type: str,
    subject: Row,
    event: str,
    *,
    actor: Row | None,
    source: str | None,
    target: str,
    reason: str | None = None,
    **data: Any,
) -> AuditEntry:
    return audit.record(
        f"{subject_type}.{event}",
        actor_id=actor.id if actor else None,
        about=(subject_type, subject.id),
        from_state=source,
        to_state=target,
        reason=reason,
        **data,
    )
