"""Tips (issue 47, item 4): after a visit the customer may tip the team member (or the venue).
A tip is an order without bookings with a ``tips`` row beside it (docs/tips.md): the booking it
thanks for, who it is for (the member's name kept), the amount, and ``paid_at``, set once when
its order is paid. A new table: it holds no rows, so its indexes and keys lock nothing else.

Revision ID: 0081
Revises: 0080
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0081"
down_revision = "0080"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=True),
        sa.Column("team_member_name", sa.String(length=120), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_tips_amount_positive")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_tips_order_id_orders"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_tips_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_tips_venue_id_venues")),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_tips_team_member_id_team_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_tips_customer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("order_id", name=op.f("uq_tips_order_id")),
    )
    op.create_index(op.f("ix_tips_booking_id"), "tips", ["booking_id"])
    op.create_index(op.f("ix_tips_venue_id"), "tips", ["venue_id"])
    op.create_index(op.f("ix_tips_customer_id"), "tips", ["customer_id"])


def downgrade():
    op.drop_table("tips")
