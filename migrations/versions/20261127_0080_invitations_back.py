"""Invitations back (issue 47, item 6): a service's "invite back after N weeks", a venue's
birthday messages and win-back after M months, a customer's optional date of birth, and one row
per message sent (the "once").

Revision ID: 0080
Revises: 0079
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0080"
down_revision = "0079"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("services", sa.Column("rebook_after_weeks", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_services_rebook_after_range"),
        "services",
        "rebook_after_weeks IS NULL OR rebook_after_weeks BETWEEN 1 AND 52",
        postgresql_not_valid=True,
    )
    op.execute("ALTER TABLE services VALIDATE CONSTRAINT ck_services_rebook_after_range")
    op.add_column(
        "venues", sa.Column("birthday_messages", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.add_column("venues", sa.Column("win_back_months", sa.SmallInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_venues_win_back_range"),
        "venues",
        "win_back_months IS NULL OR win_back_months BETWEEN 2 AND 24",
        postgresql_not_valid=True,
    )
    op.execute("ALTER TABLE venues VALIDATE CONSTRAINT ck_venues_win_back_range")
    op.add_column("users", sa.Column("date_of_birth", sa.Date(), nullable=True))
    op.create_table(
        "return_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("venue_id", sa.Integer(), sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("period", sa.String(20), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('rebook', 'birthday', 'win_back')", name=op.f("ck_return_messages_kind_known")),
        sa.UniqueConstraint("customer_id", "venue_id", "kind", "period", name="uq_return_messages_customer_id"),
    )
    op.create_index("ix_return_messages_venue_id_sent_at", "return_messages", ["venue_id", "sent_at"])


def downgrade():
    op.drop_index("ix_return_messages_venue_id_sent_at", table_name="return_messages")
    op.drop_table("return_messages")
    op.drop_column("users", "date_of_birth")
    op.drop_constraint(op.f("ck_venues_win_back_range"), "venues", type_="check")
    op.drop_column("venues", "win_back_months")
    op.drop_column("venues", "birthday_messages")
    op.drop_constraint(op.f("ck_services_rebook_after_range"), "services", type_="check")
    op.drop_column("services", "rebook_after_weeks")
