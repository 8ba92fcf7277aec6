"""Privacy records: data exports, scheduled account deletions, marketing consent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db


class ExportStatus(enum.StrEnum):
    PENDING = "pending"  # queued, the job has not built it yet
    READY = "ready"  # the ZIP is stored and the link emailed
    FAILED = "failed"
    EXPIRED = "expired"  # the ZIP was deleted by the retention job


class DataExport(IdKey, db.Model):
    """One "Download my data" request and the private ZIP it produced."""

    __tablename__ = "data_exports"
    __table_args__ = (
        one_of("status", ExportStatus),
        Index("ix_data_exports_user_id_requested_at", "user_id", "requested_at"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    storage_key: Mapped[str | None] = mapped_column(String(255))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)


class AccountDeletion(IdKey, db.Model):
    """A deletion request: due after the grace period unless cancelled; kept (without any
    personal data) once done, as the record that the erasure happened."""

    __tablename__ = "account_deletions"
    __table_args__ = (
        # At most one live (neither cancelled nor done) request per account.
        Index(
            "uq_account_deletions_live",
            "user_id",
            unique=True,
            postgresql_where="cancelled_at IS NULL AND completed_at IS NULL",
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    due_at: Mapped[datetime] = mapped_column(index=True)
    cancelled_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class ConsentPurpose(enum.StrEnum):
    MARKETING_EMAIL = "marketing_email"


class ConsentRecord(db.Model):
    """One decision (given or withdrawn) with the exact words the person saw; the latest wins."""

    __tablename__ = "consent_records"
    __table_args__ = (
        one_of("purpose", ConsentPurpose),
        Index("ix_consent_records_user_id_purpose", "user_id", "purpose", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(32), default=ConsentPurpose.MARKETING_EMAIL)
    granted: Mapped[bool]
    wording_version: Mapped[str] = mapped_column(String(32))
    wording: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # "sign_up" | "settings" | "unsubscribe_link"
    created_at: Mapped[CreatedAt]
