"""Treatment gift cards (issue 47, item 3): a gift voucher bought for one named treatment (a
service, one of its options, its add-ons) at one venue, at that day's price. The purchase keeps
what it is for (ids) and a snapshot of the names, so the printable page reads right after a
rename; an amount voucher is ``kind = 'amount'`` and names no treatment.

Revision ID: 0079
Revises: 0078
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0079"
down_revision = "0078"
branch_labels = None
depends_on = None

TABLE = "voucher_purchases"


def upgrade():
    op.add_column(TABLE, sa.Column("kind", sa.String(length=10), server_default="amount", nullable=False))
    op.add_column(TABLE, sa.Column("service_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("option_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("addon_ids", postgresql.ARRAY(sa.Integer()), server_default="{}", nullable=False))
    op.add_column(TABLE, sa.Column("venue_name", sa.String(length=120), nullable=True))
    op.add_column(TABLE, sa.Column("service_name", sa.String(length=120), nullable=True))
    op.add_column(TABLE, sa.Column("option_name", sa.String(length=60), nullable=True))
    op.add_column(TABLE, sa.Column("minutes", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("addon_names", postgresql.ARRAY(sa.String()), server_default="{}", nullable=False))
    # NOT VALID, then VALIDATE after a commit: the check of the existing rows runs under a lock
    # that lets purchases be written (docs/operations.md, "Migrations without long locks").
    op.create_foreign_key(
        op.f("fk_voucher_purchases_service_id_services"),
        TABLE,
        "services",
        ["service_id"],
        ["id"],
        ondelete="SET NULL",
        postgresql_not_valid=True,
    )
    op.create_foreign_key(
        op.f("fk_voucher_purchases_option_id_service_options"),
        TABLE,
        "service_options",
        ["option_id"],
        ["id"],
        ondelete="SET NULL",
        postgresql_not_valid=True,
    )
    op.create_check_constraint(
        op.f("ck_voucher_purchases_kind_known"), TABLE, "kind IN ('amount', 'treatment')", postgresql_not_valid=True
    )
    op.create_check_constraint(
        op.f("ck_voucher_purchases_treatment_named"),
        TABLE,
        "(kind = 'amount' AND service_name IS NULL AND minutes IS NULL)"
        " OR (kind = 'treatment' AND service_name IS NOT NULL AND venue_name IS NOT NULL AND minutes > 0)",
        postgresql_not_valid=True,
    )
    with op.get_context().autocommit_block():
        for name in (
            "fk_voucher_purchases_service_id_services",
            "fk_voucher_purchases_option_id_service_options",
            "ck_voucher_purchases_kind_known",
            "ck_voucher_purchases_treatment_named",
        ):
            op.execute(f"ALTER TABLE {TABLE} VALIDATE CONSTRAINT {name}")


def downgrade():
    op.drop_constraint(op.f("ck_voucher_purchases_treatment_named"), TABLE, type_="check")
    op.drop_constraint(op.f("ck_voucher_purchases_kind_known"), TABLE, type_="check")
    op.drop_constraint(op.f("fk_voucher_purchases_option_id_service_options"), TABLE, type_="foreignkey")
    op.drop_constraint(op.f("fk_voucher_purchases_service_id_services"), TABLE, type_="foreignkey")
    for column in ("addon_names", "minutes", "option_name", "service_name", "venue_name", "addon_ids"):
        op.drop_column(TABLE, column)
    for column in ("option_id", "service_id", "kind"):
        op.drop_column(TABLE, column)
