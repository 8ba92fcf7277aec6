"""Payouts: venues' payout accounts, commission rates, transfers, reversals and bank payouts

Stripe Connect's "separate charges and transfers": one charge per order, one transfer per
venue (``venue_transfers``, unique per order and venue), reversed in proportion when a refund
reaches the customer (``transfer_reversals``, unique per refund and transfer, so exactly once).
``connected_accounts`` holds what the gateway last said about each venue's account;
``commission_rates`` the admins' per-category overrides; ``payouts`` the connected accounts'
payouts to the bank. See docs/payments.md ("Payouts to venues").

Revision ID: 0024
Revises: 0021
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0024"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "commission_rates",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name=op.f("ck_commission_rates_rate_range")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_commission_rates_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("category_id", name=op.f("pk_commission_rates")),
    )
    op.create_table(
        "connected_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("requirements", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("disabled_reason", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'enabled', 'restricted')", name=op.f("ck_connected_accounts_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_connected_accounts_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connected_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_connected_accounts_account_id")),
        sa.UniqueConstraint("venue_id", name=op.f("uq_connected_accounts_venue_id")),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("payout_id", sa.String(length=255), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("arrival_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_payouts_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("payout_id", name=op.f("uq_payouts_payout_id")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "venue_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("charged_minor", sa.Integer(), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        sa.Column("commission_minor", sa.Integer(), nullable=False),
        sa.Column("transfer_minor", sa.Integer(), nullable=False),
        sa.Column("sent_minor", sa.Integer(), nullable=True),
        sa.Column("transfer_group", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("gateway_transfer_id", sa.String(length=255), nullable=True),
        sa.Column("destination", sa.String(length=255), nullable=True),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('waiting', 'pending', 'paid', 'failed')", name=op.f("ck_venue_transfers_status_known")
        ),
        sa.CheckConstraint(
            "gross_minor >= 0 AND commission_minor >= 0 AND transfer_minor >= 0 AND charged_minor >= 0",
            name=op.f("ck_venue_transfers_money_not_negative"),
        ),
        sa.CheckConstraint(
            "sent_minor IS NULL OR sent_minor BETWEEN 0 AND transfer_minor", name=op.f("ck_venue_transfers_sent_range")
        ),
        sa.CheckConstraint(
            "transfer_minor = gross_minor - commission_minor", name=op.f("ck_venue_transfers_parts_add_up")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_venue_transfers_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_venue_transfers_payment_id_payments"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_venue_transfers_venue_id_venues")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue_transfers")),
        sa.UniqueConstraint("gateway_transfer_id", name=op.f("uq_venue_transfers_gateway_transfer_id")),
        sa.UniqueConstraint("order_id", "venue_id", name=op.f("uq_venue_transfers_order_id")),
    )
    with op.batch_alter_table("venue_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venue_transfers_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_transfers_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_transfers_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_venue_transfers_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "transfer_reversals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("refund_id", sa.Integer(), nullable=False),
        sa.Column("refund_minor", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("gateway_reversal_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('netted', 'pending', 'succeeded', 'failed')", name=op.f("ck_transfer_reversals_status_known")
        ),
        sa.CheckConstraint(
            "refund_minor >= 0 AND amount_minor >= 0",
            name=op.f("ck_transfer_reversals_money_range"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_transfer_reversals_refund_id_refunds"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["venue_transfers.id"],
            name=op.f("fk_transfer_reversals_transfer_id_venue_transfers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_reversals")),
        sa.UniqueConstraint("gateway_reversal_id", name=op.f("uq_transfer_reversals_gateway_reversal_id")),
        sa.UniqueConstraint("refund_id", "transfer_id", name=op.f("uq_transfer_reversals_refund_id")),
    )
    with op.batch_alter_table("transfer_reversals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfer_reversals_refund_id"), ["refund_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_transfer_reversals_transfer_id"), ["transfer_id"], unique=False)


def downgrade():
    with op.batch_alter_table("transfer_reversals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfer_reversals_transfer_id"))
        batch_op.drop_index(batch_op.f("ix_transfer_reversals_refund_id"))

    op.drop_table("transfer_reversals")
    with op.batch_alter_table("venue_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venue_transfers_venue_id"))
        batch_op.drop_index(batch_op.f("ix_venue_transfers_status"))
        batch_op.drop_index(batch_op.f("ix_venue_transfers_payment_id"))
        batch_op.drop_index(batch_op.f("ix_venue_transfers_order_id"))

    op.drop_table("venue_transfers")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_venue_id"))

    op.drop_table("payouts")
    op.drop_table("connected_accounts")
    op.drop_table("commission_rates")
