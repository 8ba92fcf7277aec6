"""Pausing and closing a venue (issue 48, item 2; docs/pause-and-close.md): a paused venue stays
listed but takes no new bookings (``paused_at``, an optional day to resume ``resumes_on`` and
a note for customers ``pause_message``); a closed one has the new status ``closed`` and
``closed_at``, and leaves search and the sitemap.

Revision ID: 0084
Revises: 0083
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0084"
down_revision = "0083"
branch_labels = None
depends_on = None

TABLE = "venues"
OLD_STATUSES = "'draft', 'pending_review', 'approved', 'rejected', 'suspended'"
NEW_STATUSES = OLD_STATUSES + ", 'closed'"


def _status_check(statuses: str) -> None:
    # NOT VALID, then VALIDATE after a commit: the check of the existing rows runs under a lock
    # that lets venues be written (docs/operations.md, "Migrations without long locks").
    op.drop_constraint(op.f("ck_venues_status_known"), TABLE, type_="check")
    op.create_check_constraint(
        op.f("ck_venues_status_known"), TABLE, f"status IN ({statuses})", postgresql_not_valid=True
    )


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(TABLE, sa.Column("resumes_on", sa.Date(), nullable=True))
    op.add_column(TABLE, sa.Column("pause_message", sa.String(length=300), nullable=True))
    op.add_column(TABLE, sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    _status_check(NEW_STATUSES)
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT ck_venues_status_known")


def downgrade() -> None:
    # A closed venue goes back to suspended: hidden from customers, as closed was.
    op.execute(f"UPDATE {TABLE} SET status = 'suspended' WHERE status = 'closed'")
    _status_check(OLD_STATUSES)
    with op.get_context().autocommit_block():
        op.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT ck_venues_status_known")
    for column in ("closed_at", "pause_message", "resumes_on", "paused_at"):
        op.drop_column(TABLE, column)
