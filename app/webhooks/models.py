"""A venue's webhook endpoints, each event's delivery to one of them, and every attempt made.

The signing secret is kept encrypted (Fernet, a key derived from SECRET_KEY), because it must be
read back to sign each delivery; it is shown to the owner once, when the endpoint is made."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db

EVENT_TYPES = (
    "booking.created",
    "booking.cancelled",
    "booking.rescheduled",
    "booking.checked_in",
    "review.created",
    "payout.paid",
    "package.sold",
    "membership.paid",
)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    RETRYING = "retrying"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(IdKey, db.Model):
    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint("cardinality(events) >= 1", name="has_events"),
        CheckConstraint("consecutive_failures >= 0", name="failures_not_negative"),
    )

    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # After a roll, the old secret signs too (a second v1) until previous_secret_expires_at.
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True, server_default="true")
    # Failed attempts in a row, over all deliveries; a success sets it back to 0.
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[CreatedAt]


class WebhookDelivery(IdKey, db.Model):
    """One event for one endpoint: its exact body (a resend sends the same bytes, newly signed)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("status", DeliveryStatus),
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=DeliveryStatus.PENDING, server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[CreatedAt]
    delivered_at: Mapped[datetime | None]

    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_rows: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.id.desc()", cascade="all, delete-orphan", passive_deletes=True
    )


class WebhookAttempt(IdKey, db.Model):
    """The delivery log: one row per request made (or refused before it was made)."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    response_ms: Mapped[int]
    body_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    succeeded: Mapped[bool]
