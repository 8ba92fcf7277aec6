"""Maintenance mode (issue 48, item 3): one row, ``maintenance_mode``, that every web process
reads at most once every few seconds (app/ops/maintenance.py, docs/maintenance-mode.md): on or
off, the message visitors see, the expected end, and who switched it when. A new table: it
holds no rows, so it locks nothing else.

Revision ID: 0087
Revises: 0086
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0087"
down_revision = "0086"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "maintenance_mode",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("is_on", sa.Boolean(), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("ends_at", TZ, nullable=True),
        sa.Column("switched_by_id", sa.Integer(), nullable=True),
        sa.Column("switched_at", TZ, nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_maintenance_mode_one_row")),
        sa.ForeignKeyConstraint(
            ["switched_by_id"],
            ["users.id"],
            name=op.f("fk_maintenance_mode_switched_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_mode")),
    )


def downgrade() -> None:
    op.drop_table("maintenance_mode")
