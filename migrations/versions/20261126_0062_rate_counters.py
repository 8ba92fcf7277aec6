"""Rate-limit counters in PostgreSQL: exact across web workers and machines without Redis

One row per limit key (the limit, its scope and the client, as Flask-Limiter names them): the
fixed window it counts in and the hits so far. ``app/platform/rate_limits.py`` counts with one atomic
INSERT ... ON CONFLICT DO UPDATE ... RETURNING; a row whose window has ended starts again
at the next hit, and an hourly job deletes ended ones.

And ``instance_secrets``: keys an install makes for itself once (the Demo gateway's signing
key when DEMO_GATEWAY_SECRET is unset), shared by every web node instead of a file under one
node's instance/ folder.

Revision ID: 0062
Revises: 0061
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0062"
down_revision = "0061"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_counters",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_rate_counters_count_not_negative")),
        sa.CheckConstraint("expires_at > window_start", name=op.f("ck_rate_counters_window_ends_after_start")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_counters")),
    )
    op.create_index(op.f("ix_rate_counters_expires_at"), "rate_counters", ["expires_at"])
    op.create_table(
        "instance_secrets",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_secrets")),
    )


def downgrade():
    op.drop_table("instance_secrets")
    op.drop_index(op.f("ix_rate_counters_expires_at"), table_name="rate_counters")
    op.drop_table("rate_counters")
