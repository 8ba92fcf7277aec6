"""Deposits, pay at the venue, saved cards and no-show / late-cancellation fees

- ``services``: how a service is paid (``payment_mode``: full | deposit_percent |
  deposit_fixed | at_venue, with its percent or fixed amount) and a no-show fee (percent of
  the price, or none) beside the late-cancellation fee.
- ``bookings``: the part paid online when booked (``online_minor``; the rest is due at the
  venue), the payment mode and the no-show fee as they were when booked. Existing bookings
  were paid in full.
- ``saved_payment_methods``: the card an order's checkout saved for later off-session fees.
- ``booking_fees``: one row per booking and kind of fee (unique), so a fee is charged once.
- ``venue_transfers`` is unique per payment and venue since 0034 (top-ups), so a fee payment
  of an order is transferred to its venue beside the order's checkout transfer.

Revision ID: 0033
Revises: 0034
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("services", sa.Column("payment_mode", sa.String(16), server_default="full", nullable=False))
    op.add_column("services", sa.Column("deposit_percent", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("deposit_fixed_minor", sa.Integer(), nullable=True))
    op.add_column("services", sa.Column("no_show_fee_percent", sa.Integer(), nullable=True))
    op.create_check_constraint(
        "payment_mode_known", "services", "payment_mode IN ('full', 'deposit_percent', 'deposit_fixed', 'at_venue')"
    )
    op.create_check_constraint(
        "deposit_percent_range",
        "services",
        "(payment_mode = 'deposit_percent') = (deposit_percent IS NOT NULL) AND "
        "(deposit_percent IS NULL OR deposit_percent BETWEEN 1 AND 99)",
    )
    op.create_check_constraint(
        "deposit_fixed_range",
        "services",
        "(payment_mode = 'deposit_fixed') = (deposit_fixed_minor IS NOT NULL) AND "
        "(deposit_fixed_minor IS NULL OR (deposit_fixed_minor > 0 AND deposit_fixed_minor < price_minor))",
    )
    op.create_check_constraint(
        "no_show_fee_range", "services", "no_show_fee_percent IS NULL OR no_show_fee_percent BETWEEN 0 AND 100"
    )

    op.add_column("bookings", sa.Column("online_minor", sa.Integer(), nullable=True))
    op.execute("UPDATE bookings SET online_minor = unit_price_minor * quantity")
    op.alter_column("bookings", "online_minor", nullable=False)
    op.add_column("bookings", sa.Column("payment_mode", sa.String(16), server_default="full", nullable=False))
    op.add_column("bookings", sa.Column("no_show_fee_percent", sa.Integer(), nullable=True))
    op.create_check_constraint(
        "online_within_price",
        "bookings",
        "online_minor BETWEEN 0 AND unit_price_minor * quantity AND promo_discount_minor <= online_minor",
    )

    op.create_table(
        "saved_payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(20), nullable=False),
        sa.Column("gateway_customer_id", sa.String(255), nullable=True),
        sa.Column("payment_method_id", sa.String(255), nullable=False),
        sa.Column("card_brand", sa.String(20), server_default="", nullable=False),
        sa.Column("card_last4", sa.String(4), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_saved_payment_methods_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_saved_payment_methods_customer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_payment_methods")),
        sa.UniqueConstraint("order_id", name=op.f("uq_saved_payment_methods_order_id")),
    )
    op.create_index(op.f("ix_saved_payment_methods_customer_id"), "saved_payment_methods", ["customer_id"])

    op.create_table(
        "booking_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("fee_minor", sa.Integer(), nullable=False),
        sa.Column("from_paid_minor", sa.Integer(), nullable=False),
        sa.Column("charge_minor", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("problem", sa.String(300), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('late_cancellation', 'no_show')", name=op.f("ck_booking_fees_kind_known")),
        sa.CheckConstraint(
            "status IN ('covered', 'pending', 'charged', 'failed')", name=op.f("ck_booking_fees_status_known")
        ),
        sa.CheckConstraint(
            "fee_minor >= 0 AND from_paid_minor >= 0 AND charge_minor >= 0 "
            "AND from_paid_minor + charge_minor = fee_minor",
            name=op.f("ck_booking_fees_parts_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_fees_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_booking_fees_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_booking_fees_payment_id_payments"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_fees")),
        sa.UniqueConstraint("booking_id", "kind", name=op.f("uq_booking_fees_booking_id")),
    )
    op.create_index(op.f("ix_booking_fees_order_id"), "booking_fees", ["order_id"])

    # venue_transfers is already unique per payment and venue: the top-ups migration (0034),
    # which runs before this one, made that change.


def downgrade():
    # A fee's transfers go with the fees; the key per payment and venue stays (0034's).
    op.execute("DELETE FROM venue_transfers t USING payments p WHERE p.id = t.payment_id AND p.kind = 'fee'")
    op.drop_index(op.f("ix_booking_fees_order_id"), table_name="booking_fees")
    op.drop_table("booking_fees")
    op.drop_index(op.f("ix_saved_payment_methods_customer_id"), table_name="saved_payment_methods")
    op.drop_table("saved_payment_methods")
    op.drop_constraint("online_within_price", "bookings", type_="check")
    op.drop_column("bookings", "no_show_fee_percent")
    op.drop_column("bookings", "payment_mode")
    op.drop_column("bookings", "online_minor")
    for name in ("no_show_fee_range", "deposit_fixed_range", "deposit_percent_range", "payment_mode_known"):
        op.drop_constraint(name, "services", type_="check")
    for column in ("no_show_fee_percent", "deposit_fixed_minor", "deposit_percent", "payment_mode"):
        op.drop_column("services", column)
