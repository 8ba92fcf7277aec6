"""A person's accounts at Google or Apple, linked to their CozyWish account (app/accounts/oidc_links.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import CITEXT
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.columns import CreatedAt, IdKey, one_of
from app.platform.extensions import db


class ProviderLink(IdKey, db.Model):
    """One provider identity (its issuer's ``sub``) that may sign in to one user's account."""

    __tablename__ = "user_provider_links"
    __table_args__ = (
        UniqueConstraint("provider", "subject"),  # one identity, one account
        UniqueConstraint("user_id", "provider"),  # one Google, one Apple per account
        one_of("provider", ("google", "apple")),
        CheckConstraint("length(subject) BETWEEN 1 AND 255", name="subject_length"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(CITEXT)  # the provider's address when linked
    created_at: Mapped[CreatedAt]
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
