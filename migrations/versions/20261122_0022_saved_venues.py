"""Saved venues (the heart on cards and venue pages), and an index for "trending near you"

Revision ID: 0022
Revises: 0019
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_venues",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_venues_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_saved_venues_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "venue_id", name=op.f("pk_saved_venues")),
    )
    op.create_index("ix_saved_venues_user_id_created_at", "saved_venues", ["user_id", "created_at"])
    op.create_index(op.f("ix_saved_venues_venue_id"), "saved_venues", ["venue_id"])
    op.create_index("ix_bookings_created_at", "bookings", ["created_at"])


def downgrade():
    op.drop_index("ix_bookings_created_at", table_name="bookings")
    op.drop_index(op.f("ix_saved_venues_venue_id"), table_name="saved_venues")
    op.drop_index("ix_saved_venues_user_id_created_at", table_name="saved_venues")
    op.drop_table("saved_venues")
