"""Rescheduling: each venue's policy for customer moves, and every move of a booking

Revision ID: 0028
Revises: 0026
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reschedule_policies",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("until_hours", sa.Integer(), server_default="24", nullable=False),
        sa.Column("max_moves", sa.Integer(), server_default="2", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("until_hours BETWEEN 0 AND 720", name=op.f("ck_reschedule_policies_until_hours_range")),
        sa.CheckConstraint("max_moves BETWEEN 0 AND 10", name=op.f("ck_reschedule_policies_max_moves_range")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_reschedule_policies_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("venue_id", name=op.f("pk_reschedule_policies")),
    )
    op.create_table(
        "booking_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("moved_by", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("from_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_team_member_id", sa.Integer(), nullable=True),
        sa.Column("to_team_member_id", sa.Integer(), nullable=True),
        sa.Column("price_difference_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("moved_by IN ('customer', 'venue')", name=op.f("ck_booking_moves_moved_by_known")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_moves_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_booking_moves_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_moves")),
    )
    op.create_index(op.f("ix_booking_moves_booking_id"), "booking_moves", ["booking_id"])


def downgrade():
    op.drop_index(op.f("ix_booking_moves_booking_id"), table_name="booking_moves")
    op.drop_table("booking_moves")
    op.drop_table("reschedule_policies")
