"""Waitlist: entries (a customer waiting for a service on a day) and offers (a freed time held
for one entry); one open offer per time and per entry, one live entry per customer, service
and day.

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "waitlist_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("window_start_minute", sa.Integer(), nullable=True),
        sa.Column("window_end_minute", sa.Integer(), nullable=True),
        sa.Column("team_member_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'left', 'expired')",
            name=op.f("ck_waitlist_entries_status_known"),
        ),
        sa.CheckConstraint(
            "(window_start_minute IS NULL AND window_end_minute IS NULL) OR "
            "(window_start_minute >= 0 AND window_end_minute <= 1440 AND window_start_minute < window_end_minute)",
            name=op.f("ck_waitlist_entries_window_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_waitlist_entries_customer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_waitlist_entries_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_entries_service_id_services"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_waitlist_entries_team_member_id_team_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entries")),
    )
    op.create_index(op.f("ix_waitlist_entries_customer_id"), "waitlist_entries", ["customer_id"])
    op.create_index(
        "ix_waitlist_entries_line", "waitlist_entries", ["venue_id", "day", "service_id", "created_at", "id"]
    )
    op.create_index(
        "uq_waitlist_entries_live",
        "waitlist_entries",
        ["customer_id", "service_id", "day"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'offered')"),
    )

    op.create_table(
        "waitlist_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("team_member_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'lapsed', 'declined')", name=op.f("ck_waitlist_offers_status_known")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_waitlist_offers_time_order")),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["waitlist_entries.id"],
            name=op.f("fk_waitlist_offers_entry_id_waitlist_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_waitlist_offers_customer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_waitlist_offers_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_waitlist_offers_service_id_services"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_member_id"],
            ["team_members.id"],
            name=op.f("fk_waitlist_offers_team_member_id_team_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_offers")),
    )
    op.create_index(op.f("ix_waitlist_offers_entry_id"), "waitlist_offers", ["entry_id"])
    op.create_index(op.f("ix_waitlist_offers_customer_id"), "waitlist_offers", ["customer_id"])
    op.create_index(op.f("ix_waitlist_offers_order_id"), "waitlist_offers", ["order_id"])
    op.create_index(op.f("ix_waitlist_offers_expires_at"), "waitlist_offers", ["expires_at"])
    op.create_index(
        "uq_waitlist_offers_open_time",
        "waitlist_offers",
        ["service_id", "starts_at", sa.text("coalesce(team_member_id, 0)")],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "uq_waitlist_offers_open_entry",
        "waitlist_offers",
        ["entry_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade():
    op.drop_table("waitlist_offers")
    op.drop_table("waitlist_entries")
