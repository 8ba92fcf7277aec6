"""Payments never cost the customer their cart: an order keeps the cart items it was made
from, a released order says why and when its items went back, a customer may release an
order ("released"), and a cart item knows the order it came back from.

Revision ID: 0011
Revises: 0008
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

OLD_STATUSES = "'pending_payment', 'paid', 'failed', 'expired', 'partially_refunded', 'refunded'"
NEW_STATUSES = OLD_STATUSES + ", 'released'"


def upgrade():
    op.add_column("orders", sa.Column("cart_snapshot", postgresql.JSONB(), nullable=True))
    op.add_column("orders", sa.Column("release_reason", sa.String(length=40), nullable=True))
    op.add_column("orders", sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("orders", sa.Column("cart_restored_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_orders_status_known"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_status_known"), "orders", f"status IN ({NEW_STATUSES})")
    op.add_column("cart_items", sa.Column("restored_from_order_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        op.f("fk_cart_items_restored_from_order_id_orders"),
        "cart_items",
        "orders",
        ["restored_from_order_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(op.f("ix_cart_items_restored_from_order_id"), "cart_items", ["restored_from_order_id"])


def downgrade():
    op.drop_index(op.f("ix_cart_items_restored_from_order_id"), table_name="cart_items")
    op.drop_constraint(op.f("fk_cart_items_restored_from_order_id_orders"), "cart_items", type_="foreignkey")
    op.drop_column("cart_items", "restored_from_order_id")
    op.execute("UPDATE orders SET status = 'expired' WHERE status = 'released'")
    op.drop_constraint(op.f("ck_orders_status_known"), "orders", type_="check")
    op.create_check_constraint(op.f("ck_orders_status_known"), "orders", f"status IN ({OLD_STATUSES})")
    op.drop_column("orders", "cart_restored_at")
    op.drop_column("orders", "released_at")
    op.drop_column("orders", "release_reason")
    op.drop_column("orders", "cart_snapshot")
