"""Memberships (issue 47, item 2): a venue's monthly plans (``membership_plans``), a customer's
membership with a snapshot of the plan and its state (``memberships``), and each month paid by
an order without bookings (``membership_periods``, one per invoice: ``invoice_key`` unique)
(docs/memberships.md). New tables: they hold no rows, so their indexes and keys lock nothing else.

Revision ID: 0083
Revises: 0082
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0083"
down_revision = "0082"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "membership_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("included_service_id", sa.Integer(), nullable=True),
        sa.Column("included_sessions", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_membership_plans_price_positive")),
        sa.CheckConstraint("discount_percent BETWEEN 0 AND 50", name=op.f("ck_membership_plans_discount_range")),
        sa.CheckConstraint("included_sessions BETWEEN 0 AND 20", name=op.f("ck_membership_plans_included_range")),
        sa.CheckConstraint(
            "(included_sessions = 0) = (included_service_id IS NULL)",
            name=op.f("ck_membership_plans_included_service_named"),
        ),
        sa.CheckConstraint(
            "included_sessions > 0 OR discount_percent > 0", name=op.f("ck_membership_plans_gives_something")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_membership_plans_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["included_service_id"],
            ["services.id"],
            name=op.f("fk_membership_plans_included_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_plans")),
    )
    op.create_index(op.f("ix_membership_plans_venue_id"), "membership_plans", ["venue_id"])
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("venue_name", sa.String(length=160), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("included_service_id", sa.Integer(), nullable=True),
        sa.Column("included_service_name", sa.String(length=120), nullable=True),
        sa.Column("included_sessions", sa.Integer(), nullable=False),
        sa.Column("discount_percent", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("subscription_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("current_period_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("grace_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'past_due', 'paused', 'cancelled')",
            name=op.f("ck_memberships_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["membership_plans.id"],
            name=op.f("fk_memberships_plan_id_membership_plans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_memberships_customer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_memberships_venue_id_venues")),
        sa.ForeignKeyConstraint(
            ["included_service_id"],
            ["services.id"],
            name=op.f("fk_memberships_included_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_memberships_subscription_id")),
    )
    op.create_index(op.f("ix_memberships_plan_id"), "memberships", ["plan_id"])
    op.create_index(op.f("ix_memberships_customer_id"), "memberships", ["customer_id"])
    op.create_index(op.f("ix_memberships_venue_id"), "memberships", ["venue_id"])
    op.create_table(
        "membership_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("invoice_key", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("tried_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'paid', 'failed')", name=op.f("ck_membership_periods_status_known")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_membership_periods_time_order")),
        sa.ForeignKeyConstraint(
            ["membership_id"],
            ["memberships.id"],
            name=op.f("fk_membership_periods_membership_id_memberships"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_membership_periods_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership_periods")),
        sa.UniqueConstraint("order_id", name=op.f("uq_membership_periods_order_id")),
        sa.UniqueConstraint("invoice_key", name=op.f("uq_membership_periods_invoice_key")),
    )
    op.create_index(op.f("ix_membership_periods_membership_id"), "membership_periods", ["membership_id"])


def downgrade():
    op.drop_table("membership_periods")
    op.drop_table("memberships")
    op.drop_table("membership_plans")
