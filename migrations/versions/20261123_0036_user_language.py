"""Users' language: the language a signed-in customer chose in the footer

Nullable: no choice yet means the browser's language on pages and English in emails.

Revision ID: 0036
Revises: 0033
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade():
    op.drop_column("users", "language")
