"""Check-in at the front desk: when a booking's customer arrived

Revision ID: 0023
Revises: 0020
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("bookings", sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("bookings", "checked_in_at")
