"""Service options: a service's lengths or other variants, each with its own duration and price
(``service_options``). A cart item and a booking name the option chosen (``option_id``); a booking
also keeps the option's name as booked (``option_name``). All new columns are nullable: existing
rows are services without options, and adding them rewrites nothing.

Revision ID: 0071
Revises: 0070
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0071"
down_revision = "0070"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "service_options",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 60", name="ck_service_options_name_length"),
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 720", name="ck_service_options_duration_range"),
        sa.CheckConstraint("price_minor >= 0", name="ck_service_options_price_not_negative"),
        sa.UniqueConstraint(
            "service_id", "name", name="uq_service_options_name", deferrable=True, initially="DEFERRED"
        ),  # checked at commit: two options may swap names in one save,
    )
    op.create_index("ix_service_options_service_id", "service_options", ["service_id"])
    op.add_column(
        "cart_items",
        sa.Column("option_id", sa.Integer(), sa.ForeignKey("service_options.id", ondelete="CASCADE"), nullable=True),
    )
    op.add_column(
        "bookings",
        sa.Column("option_id", sa.Integer(), sa.ForeignKey("service_options.id", ondelete="SET NULL"), nullable=True),
    )
    op.add_column("bookings", sa.Column("option_name", sa.String(length=60), nullable=True))


def downgrade():
    op.drop_column("bookings", "option_name")
    op.drop_column("bookings", "option_id")
    op.drop_column("cart_items", "option_id")
    op.drop_table("service_options")
