"""Payment kinds: an order's checkout, a later top-up, a fee

Until now an order had one kind of payment, its checkout. A reschedule to a dearer time takes
a top-up for the difference, and a no-show or late-cancellation fee is charged to the saved
card; each is a payment of the same order, told apart by ``kind``. Every existing row is a
checkout.

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("payments", sa.Column("kind", sa.String(length=16), server_default="checkout", nullable=False))
    op.create_check_constraint("kind_known", "payments", "kind IN ('checkout', 'top_up', 'fee')")


def downgrade():
    op.drop_constraint("kind_known", "payments", type_="check")
    op.drop_column("payments", "kind")
