"""When the treatment of a booking started (issue 45, item 2): the calendar's stages are booked,
arrived (``checked_in_at``, the front desk's check-in) and started (this column).

Revision ID: 0078
Revises: 0077
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0078"
down_revision = "0077"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("bookings", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("bookings", "started_at")
