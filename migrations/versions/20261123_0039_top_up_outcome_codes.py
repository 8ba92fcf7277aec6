"""A top-up's outcome as a code, so the page says it in the reader's language

``top_ups.outcome_code`` names a key of ``app.checkout.top_ups.OUTCOMES``; ``top_ups.outcome``
keeps the English words as a record (and is what a page shows for a top-up settled before).

Revision ID: 0039
Revises: 0038
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("top_ups", sa.Column("outcome_code", sa.String(length=40), nullable=True))


def downgrade():
    op.drop_column("top_ups", "outcome_code")
