"""A venue's VAT number (issue 48, item 1): ``venues.vat_number``, nullable (not VAT-registered),
upper case without separators, its shape held by a check constraint (app/venues/vat.py checks
the stricter UK shape; docs/receipts.md). A nullable column with no default rewrites no rows;
the check is added NOT VALID and validated afterwards, outside the transaction, so writes to
venues are not blocked while it scans (every existing row is NULL and passes).

Revision ID: 0088
Revises: 0087
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0088"
down_revision = "0087"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("venues", sa.Column("vat_number", sa.String(length=14), nullable=True))
    op.create_check_constraint(
        op.f("ck_venues_vat_number_format"),
        "venues",
        "vat_number ~ '^[A-Z]{2}[0-9A-Z]{2,12}$'",
        postgresql_not_valid=True,
    )
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE venues VALIDATE CONSTRAINT ck_venues_vat_number_format")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_venues_vat_number_format"), "venues", type_="check")
    op.drop_column("venues", "vat_number")
