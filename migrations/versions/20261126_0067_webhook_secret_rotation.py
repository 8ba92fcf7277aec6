"""Webhooks: a rolled signing secret keeps signing for a grace period. ``webhook_endpoints``
gains the previous secret (encrypted, as the current one), the moment it stops signing and the
moment the secret was last rolled; all nullable, so adding them rewrites nothing.

Revision ID: 0067
Revises: 0065
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0067"
down_revision = "0065"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("webhook_endpoints", sa.Column("previous_secret_encrypted", sa.Text(), nullable=True))
    op.add_column(
        "webhook_endpoints", sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("webhook_endpoints", sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("webhook_endpoints", "secret_rotated_at")
    op.drop_column("webhook_endpoints", "previous_secret_expires_at")
    op.drop_column("webhook_endpoints", "previous_secret_encrypted")
