"""Packages (issue 47, item 1): a venue sells N sessions of a service valid for a period
(``packages``); a customer's bought one is an order without bookings with a
``package_holdings`` row beside it (a snapshot of what was bought, its end once paid); each
booking it covers is a ``package_sessions`` row, given back by a cancellation in time
(docs/packages.md). New tables: they hold no rows, so their indexes and keys lock nothing else.

Revision ID: 0082
Revises: 0081
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0082"
down_revision = "0081"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sessions BETWEEN 2 AND 50", name=op.f("ck_packages_sessions_range")),
        sa.CheckConstraint("valid_days BETWEEN 7 AND 1095", name=op.f("ck_packages_valid_days_range")),
        sa.CheckConstraint("price_minor > 0", name=op.f("ck_packages_price_positive")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_packages_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_packages_service_id_services"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["service_options.id"],
            name=op.f("fk_packages_option_id_service_options"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packages")),
    )
    op.create_index(op.f("ix_packages_venue_id"), "packages", ["venue_id"])
    op.create_table(
        "package_holdings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("service_name", sa.String(length=120), nullable=False),
        sa.Column("option_name", sa.String(length=120), nullable=True),
        sa.Column("venue_name", sa.String(length=160), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_minor", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sold_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "sessions > 0 AND price_minor > 0 AND refunded_minor >= 0", name=op.f("ck_package_holdings_amounts_valid")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_package_holdings_package_id_packages"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_package_holdings_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["users.id"], name=op.f("fk_package_holdings_customer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_package_holdings_venue_id_venues")),
        sa.ForeignKeyConstraint(
            ["sold_by_id"], ["users.id"], name=op.f("fk_package_holdings_sold_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_package_holdings_service_id_services")),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["service_options.id"],
            name=op.f("fk_package_holdings_option_id_service_options"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_holdings")),
        sa.UniqueConstraint("order_id", name=op.f("uq_package_holdings_order_id")),
    )
    op.create_index(op.f("ix_package_holdings_package_id"), "package_holdings", ["package_id"])
    op.create_index(op.f("ix_package_holdings_customer_id"), "package_holdings", ["customer_id"])
    op.create_index(op.f("ix_package_holdings_venue_id"), "package_holdings", ["venue_id"])
    op.create_table(
        "package_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holding_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("places BETWEEN 1 AND 50", name=op.f("ck_package_sessions_places_range")),
        sa.ForeignKeyConstraint(
            ["holding_id"],
            ["package_holdings.id"],
            name=op.f("fk_package_sessions_holding_id_package_holdings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_package_sessions_booking_id_bookings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_package_sessions_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_sessions")),
    )
    op.create_index(op.f("ix_package_sessions_holding_id"), "package_sessions", ["holding_id"])
    op.create_index(op.f("ix_package_sessions_booking_id"), "package_sessions", ["booking_id"])
    op.create_index(op.f("ix_package_sessions_order_id"), "package_sessions", ["order_id"])


def downgrade():
    op.drop_table("package_sessions")
    op.drop_table("package_holdings")
    op.drop_table("packages")
