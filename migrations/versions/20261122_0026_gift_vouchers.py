"""Gift vouchers: purchases, vouchers, their ledger (never below zero), and the part of an
order a voucher paid

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# Every entry takes the voucher's row lock, then sums the voucher's entries with a fresh
# snapshot (READ COMMITTED: each statement sees what committed before it), so two checkouts
# spending one voucher at once can't both pass: the second waits for the first and sees it.
BALANCE_GUARD = """
CREATE FUNCTION voucher_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    balance bigint;
BEGIN
    PERFORM 1 FROM vouchers WHERE id = NEW.voucher_id FOR UPDATE;
    SELECT COALESCE(SUM(amount_minor), 0) INTO balance FROM voucher_entries WHERE voucher_id = NEW.voucher_id;
    IF balance < 0 THEN
        RAISE EXCEPTION 'voucher_balance_not_negative: voucher % would have a balance of %', NEW.voucher_id, balance
            USING ERRCODE = 'check_violation', CONSTRAINT = 'voucher_balance_not_negative';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER voucher_balance_not_negative AFTER INSERT ON voucher_entries
    FOR EACH ROW EXECUTE FUNCTION voucher_balance_guard();
"""


def upgrade():
    op.add_column("orders", sa.Column("voucher_applied_minor", sa.Integer(), server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_orders_voucher_applied_in_total"), "orders", "voucher_applied_minor BETWEEN 0 AND total_minor"
    )
    op.create_table(
        "voucher_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("recipient_name", sa.String(length=100), nullable=False),
        sa.Column("recipient_email", sa.String(length=254), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_voucher_purchases_amount_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_voucher_purchases_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["users.id"], name=op.f("fk_voucher_purchases_buyer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_voucher_purchases_venue_id_venues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_purchases")),
        sa.UniqueConstraint("order_id", name=op.f("uq_voucher_purchases_order_id")),
    )
    op.create_index(op.f("ix_voucher_purchases_buyer_id"), "voucher_purchases", ["buyer_id"])
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("purchase_id", sa.Integer(), nullable=False),
        sa.Column("value_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value_minor > 0", name=op.f("ck_vouchers_value_positive")),
        sa.CheckConstraint("expires_at > issued_at", name=op.f("ck_vouchers_expires_after_issue")),
        sa.ForeignKeyConstraint(
            ["purchase_id"],
            ["voucher_purchases.id"],
            name=op.f("fk_vouchers_purchase_id_voucher_purchases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_vouchers_venue_id_venues"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
        sa.UniqueConstraint("purchase_id", name=op.f("uq_vouchers_purchase_id")),
    )
    op.create_index(op.f("ix_vouchers_venue_id"), "vouchers", ["venue_id"])
    op.create_table(
        "voucher_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_minor", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('issue', 'redeem', 'release', 'refund')", name=op.f("ck_voucher_entries_kind_known")
        ),
        sa.CheckConstraint(
            "(kind = 'redeem' AND amount_minor < 0)"
            " OR (kind = 'issue' AND amount_minor > 0)"
            " OR (kind IN ('release', 'refund') AND amount_minor > 0)",
            name=op.f("ck_voucher_entries_sign_follows_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"], ["vouchers.id"], name=op.f("fk_voucher_entries_voucher_id_vouchers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_voucher_entries_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_voucher_entries_booking_id_bookings"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voucher_entries")),
    )
    op.create_index(op.f("ix_voucher_entries_voucher_id"), "voucher_entries", ["voucher_id"])
    op.create_index(op.f("ix_voucher_entries_order_id"), "voucher_entries", ["order_id"])
    op.create_index(
        "uq_voucher_entries_one_issue",
        "voucher_entries",
        ["voucher_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'issue'"),
    )
    op.execute(BALANCE_GUARD)


def downgrade():
    op.execute("DROP TABLE voucher_entries")
    op.execute("DROP FUNCTION voucher_balance_guard()")
    op.drop_table("vouchers")
    op.drop_index(op.f("ix_voucher_purchases_buyer_id"), table_name="voucher_purchases")
    op.drop_table("voucher_purchases")
    op.drop_constraint(op.f("ck_orders_voucher_applied_in_total"), "orders", type_="check")
    op.drop_column("orders", "voucher_applied_minor")
