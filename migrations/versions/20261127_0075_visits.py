"""Visits: several treatments booked back to back in one go (a facial, then a massage). The cart
items of one visit share a ``visit_key``, and so do the bookings checkout makes of them: a visit
is moved or cancelled as a whole (app/booking/visits.py). Both columns are new and NULL for
everything booked before: nothing existing is rewritten.

Revision ID: 0075
Revises: 0074
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0075"
down_revision = "0074"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("cart_items", sa.Column("visit_key", sa.String(length=32), nullable=True))
    op.add_column("bookings", sa.Column("visit_key", sa.String(length=32), nullable=True))
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_bookings_visit_key",
            "bookings",
            ["visit_key"],
            postgresql_where=sa.text("visit_key IS NOT NULL"),
            postgresql_concurrently=True,
        )


def downgrade():
    op.drop_index("ix_bookings_visit_key", table_name="bookings")
    op.drop_column("bookings", "visit_key")
    op.drop_column("cart_items", "visit_key")
