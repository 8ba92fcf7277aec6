"""Calendar sync (issue 48, item 6): a team member's CalDAV calendar (docs/calendar-sync.md).
``calendar_connections`` (one per member, the password Fernet-encrypted), the busy times read
from it (``external_busy_times``) and the bookings written into it as events
(``calendar_pushed_events``). New tables: they hold no rows, so their keys lock nothing else.

Revision ID: 0086
Revises: 0085
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0086"
down_revision = "0085"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("last_synced_at", TZ, nullable=True),
        sa.Column("created_at", TZ, server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'broken')", name=op.f("ck_calendar_connections_status_known")),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_calendar_connections_team_member_id_team_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_connections")),
        sa.UniqueConstraint("team_member_id", name=op.f("uq_calendar_connections_team_member_id")),
    )
    op.create_table(
        "external_busy_times",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_external_busy_times_order")),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_external_busy_times_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_external_busy_times_team_member_id_team_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_busy_times")),
    )
    op.create_index(op.f("ix_external_busy_times_connection_id"), "external_busy_times", ["connection_id"])
    op.create_index(op.f("ix_external_busy_times_team_member_id"), "external_busy_times", ["team_member_id"])
    op.create_table(
        "calendar_pushed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=300), nullable=False),
        sa.Column("etag", sa.String(length=200), nullable=False),
        sa.Column("starts_at", TZ, nullable=False),
        sa.Column("ends_at", TZ, nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connections.id"],
            name=op.f("fk_calendar_pushed_events_connection_id_calendar_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_calendar_pushed_events_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_pushed_events")),
        sa.UniqueConstraint("connection_id", "booking_id", name=op.f("uq_calendar_pushed_events_connection_id")),
    )
    op.create_index(op.f("ix_calendar_pushed_events_connection_id"), "calendar_pushed_events", ["connection_id"])
    op.create_index(op.f("ix_calendar_pushed_events_booking_id"), "calendar_pushed_events", ["booking_id"])


def downgrade() -> None:
    op.drop_table("calendar_pushed_events")
    op.drop_table("external_busy_times")
    op.drop_table("calendar_connections")
