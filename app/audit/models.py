"""The audit log's one table: who did what to which object, when, and why.

The audit log is its own small package, below every domain, because nearly every domain
writes to it (accounts' security events, bookings, reviews, venues, money, privacy) and the
admin area only reads it. It names its actor by the ``users`` table's key and the ``User``
class by name, so it imports no domain: accounts can write security events to it without
the two packages leaning on each other.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.columns import CreatedAt, IdKey
from app.platform.extensions import db


class AuditEntry(IdKey, db.Model):
    """Who did what to which object, when, and why. Written in the same transaction as the change."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    created_at: Mapped[CreatedAt] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)

    # app/accounts/models.py's User, named as a string: the audit log imports no domain.
    actor: Mapped[User | None] = relationship("User")  # noqa: F821
