"""Desk payment links: a payment of a desk booking's order made through a signed link

A booking made at the front desk can be paid online through a payment link the desk sends
(app/payments/desk_links.py): the payment is a new kind of the order's payments, ``desk_link``.
Nothing else is stored: the link itself is signed (itsdangerous) and carries its own expiry.

Revision ID: 0057
Revises: 0056
Create Date: 2026-11-26
"""

from alembic import op

revision = "0057"
down_revision = "0056"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint(op.f("ck_payments_kind_known"), "payments", type_="check")
    # NOT VALID, then VALIDATE after a commit: the check of the existing rows runs under a lock
    # that lets payments be written (docs/operations.md, "Migrations without long locks").
    op.create_check_constraint(
        op.f("ck_payments_kind_known"),
        "payments",
        "kind IN ('checkout', 'top_up', 'fee', 'desk_link')",
        postgresql_not_valid=True,
    )
    with op.get_context().autocommit_block():
        op.execute("ALTER TABLE payments VALIDATE CONSTRAINT ck_payments_kind_known")


def downgrade():
    op.execute("DELETE FROM payments WHERE kind = 'desk_link'")
    op.drop_constraint(op.f("ck_payments_kind_known"), "payments", type_="check")
    op.create_check_constraint(op.f("ck_payments_kind_known"), "payments", "kind IN ('checkout', 'top_up', 'fee')")
