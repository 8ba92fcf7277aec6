"""Email deliveries: one row per message sent, so a retried email job never sends twice

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "email_deliveries",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_email_deliveries")),
    )
    op.create_index(op.f("ix_email_deliveries_sent_at"), "email_deliveries", ["sent_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_email_deliveries_sent_at"), table_name="email_deliveries")
    op.drop_table("email_deliveries")
