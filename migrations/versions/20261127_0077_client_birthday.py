"""A client's birthday (optional), kept in the venue's client book (issue 45, item 4).

Revision ID: 0077
Revises: 0076
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0077"
down_revision = "0076"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("venue_clients", sa.Column("birthday", sa.Date(), nullable=True))


def downgrade():
    op.drop_column("venue_clients", "birthday")
