"""Promo codes: the codes, one redemption row per use, the code chosen in a cart, and the
code and discount an order was made with (and each booking's share of it)

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("funded_by", sa.String(length=8), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("min_spend_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_uses_total", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("uses_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('percent', 'fixed')", name=op.f("ck_promo_codes_kind_known")),
        sa.CheckConstraint("funded_by IN ('platform', 'venue')", name=op.f("ck_promo_codes_funded_by_known")),
        sa.CheckConstraint(
            "value > 0 AND (kind <> 'percent' OR value <= 100)", name=op.f("ck_promo_codes_value_range")
        ),
        sa.CheckConstraint("min_spend_minor >= 0", name=op.f("ck_promo_codes_min_spend_not_negative")),
        sa.CheckConstraint(
            "(max_uses_total IS NULL OR max_uses_total >= 1) AND "
            "(max_uses_per_customer IS NULL OR max_uses_per_customer >= 1)",
            name=op.f("ck_promo_codes_limits_positive"),
        ),
        # The last line of defence for the total limit: live uses are counted here, under the
        # code's row lock, and the database refuses one use too many whatever the code does.
        sa.CheckConstraint(
            "uses_count >= 0 AND (max_uses_total IS NULL OR uses_count <= max_uses_total)",
            name=op.f("ck_promo_codes_uses_within_limit"),
        ),
        sa.CheckConstraint(
            "venue_id IS NULL OR funded_by = 'venue'", name=op.f("ck_promo_codes_venue_code_venue_funded")
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_until IS NULL OR valid_until > valid_from",
            name=op.f("ck_promo_codes_valid_period"),
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_promo_codes_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_promo_codes_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
    )
    # One code per spelling, whatever the capitals: "SPRING10" and "spring10" are the same code.
    op.create_index("uq_promo_codes_code_lower", "promo_codes", [sa.text("lower(code)")], unique=True)
    op.create_index(op.f("ix_promo_codes_venue_id"), "promo_codes", ["venue_id"])

    op.create_table(
        "promo_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promo_code_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("discount_minor", sa.Integer(), nullable=False),
        sa.Column("once_per_customer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('active', 'released')", name=op.f("ck_promo_redemptions_status_known")),
        sa.CheckConstraint("discount_minor > 0", name=op.f("ck_promo_redemptions_discount_positive")),
        sa.ForeignKeyConstraint(
            ["promo_code_id"], ["promo_codes.id"], name=op.f("fk_promo_redemptions_promo_code_id_promo_codes")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_promo_redemptions_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["users.id"], name=op.f("fk_promo_redemptions_customer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_promo_redemptions_order_id")),
    )
    op.create_index(
        op.f("ix_promo_redemptions_promo_code_id_customer_id"), "promo_redemptions", ["promo_code_id", "customer_id"]
    )
    # A code usable once per customer: one live use per customer, whatever the code does.
    op.create_index(
        "uq_promo_redemptions_once_per_customer",
        "promo_redemptions",
        ["promo_code_id", "customer_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active' AND once_per_customer"),
    )

    op.create_table(
        "cart_promo_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("promo_code_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cart_promo_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["promo_code_id"],
            ["promo_codes.id"],
            name=op.f("fk_cart_promo_codes_promo_code_id_promo_codes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_cart_promo_codes")),
    )

    op.add_column("orders", sa.Column("promo_code", sa.String(length=32), nullable=True))
    op.add_column("orders", sa.Column("promo_discount_minor", sa.Integer(), server_default="0", nullable=False))
    op.create_check_constraint(op.f("ck_orders_promo_discount_not_negative"), "orders", "promo_discount_minor >= 0")
    op.add_column("bookings", sa.Column("promo_discount_minor", sa.Integer(), server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_bookings_promo_discount_within_price"),
        "bookings",
        "promo_discount_minor >= 0 AND promo_discount_minor <= unit_price_minor * quantity",
    )


def downgrade():
    op.drop_constraint(op.f("ck_bookings_promo_discount_within_price"), "bookings", type_="check")
    op.drop_column("bookings", "promo_discount_minor")
    op.drop_constraint(op.f("ck_orders_promo_discount_not_negative"), "orders", type_="check")
    op.drop_column("orders", "promo_discount_minor")
    op.drop_column("orders", "promo_code")
    op.drop_table("cart_promo_codes")
    op.drop_index("uq_promo_redemptions_once_per_customer", table_name="promo_redemptions")
    op.drop_index(op.f("ix_promo_redemptions_promo_code_id_customer_id"), table_name="promo_redemptions")
    op.drop_table("promo_redemptions")
    op.drop_index(op.f("ix_promo_codes_venue_id"), table_name="promo_codes")
    op.drop_index("uq_promo_codes_code_lower", table_name="promo_codes")
    op.drop_table("promo_codes")
