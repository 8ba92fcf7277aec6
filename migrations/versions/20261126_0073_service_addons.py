"""Add-ons: extras a customer adds to a booking of a service ("Hot stones", +£15, +15 min).
``service_addons`` lists a service's; a cart item keeps the ids chosen (``addon_ids``); a booking
keeps each as booked (``booking_addons``: name, price and minutes then). The new column has a
default and the new tables are empty: nothing existing is rewritten.

Revision ID: 0073
Revises: 0072
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0073"
down_revision = "0072"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_addons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 60", name="ck_service_addons_name_length"),
        sa.CheckConstraint("price_minor >= 0", name="ck_service_addons_price_not_negative"),
        sa.CheckConstraint("extra_minutes BETWEEN 0 AND 240", name="ck_service_addons_extra_minutes_range"),
        sa.UniqueConstraint("service_id", "name", name="uq_service_addons_name", deferrable=True, initially="DEFERRED"),
    )
    op.create_index("ix_service_addons_service_id", "service_addons", ["service_id"])
    op.add_column(
        "cart_items",
        sa.Column("addon_ids", postgresql.ARRAY(sa.Integer()), nullable=False, server_default="{}"),
    )
    op.create_table(
        "booking_addons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("bookings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("addon_id", sa.Integer(), sa.ForeignKey("service_addons.id", ondelete="SET NULL"), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name="ck_booking_addons_price_not_negative"),
        sa.CheckConstraint("extra_minutes BETWEEN 0 AND 240", name="ck_booking_addons_extra_minutes_range"),
    )
    op.create_index("ix_booking_addons_booking_id", "booking_addons", ["booking_id"])


def downgrade():
    op.drop_table("booking_addons")
    op.drop_column("cart_items", "addon_ids")
    op.drop_table("service_addons")
