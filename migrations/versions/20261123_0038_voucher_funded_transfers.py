"""Voucher-funded transfers: a venue's share in two legs, and reversals for voucher refunds

- ``venue_transfers.funding``: ``charge`` (funded by a card charge, ``source_transaction``,
  as before: ``payment_id`` set, unique per payment and venue) or ``balance`` (funded by the
  platform balance, the gift-voucher money it took earlier: no payment, unique per order and
  venue, a partial unique index). Every existing row is a charge leg.
- ``transfer_reversals.voucher_entry_id``: a refund to a gift voucher (a ``refund`` entry of
  its ledger) reverses transfers too; a reversal names either a card refund or a voucher
  refund entry, and is unique per (voucher entry, transfer) as per (refund, transfer).

See docs/payments.md ("Gift vouchers: the balance leg").

Revision ID: 0038
Revises: 0037
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "venue_transfers", sa.Column("funding", sa.String(length=10), nullable=False, server_default="charge")
    )
    op.alter_column("venue_transfers", "payment_id", existing_type=sa.Integer(), nullable=True)
    op.create_check_constraint(
        "ck_venue_transfers_funding_known",
        "venue_transfers",
        "(funding = 'charge' AND payment_id IS NOT NULL) OR (funding = 'balance' AND payment_id IS NULL)",
    )
    op.create_index(
        "uq_venue_transfers_balance_leg",
        "venue_transfers",
        ["order_id", "venue_id"],
        unique=True,
        postgresql_where=sa.text("funding = 'balance'"),
    )

    op.add_column("transfer_reversals", sa.Column("voucher_entry_id", sa.Integer(), nullable=True))
    op.alter_column("transfer_reversals", "refund_id", existing_type=sa.Integer(), nullable=True)
    op.create_foreign_key(
        "fk_transfer_reversals_voucher_entry_id_voucher_entries",
        "transfer_reversals",
        "voucher_entries",
        ["voucher_entry_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_transfer_reversals_voucher_entry_id", "transfer_reversals", ["voucher_entry_id"])
    op.create_unique_constraint(
        "uq_transfer_reversals_voucher_entry_id", "transfer_reversals", ["voucher_entry_id", "transfer_id"]
    )
    op.create_check_constraint(
        "ck_transfer_reversals_one_source",
        "transfer_reversals",
        "(refund_id IS NULL) <> (voucher_entry_id IS NULL)",
    )


def downgrade():
    op.execute("DELETE FROM transfer_reversals WHERE voucher_entry_id IS NOT NULL")
    op.drop_constraint("ck_transfer_reversals_one_source", "transfer_reversals", type_="check")
    op.drop_constraint("uq_transfer_reversals_voucher_entry_id", "transfer_reversals", type_="unique")
    op.drop_index("ix_transfer_reversals_voucher_entry_id", table_name="transfer_reversals")
    op.drop_constraint(
        "fk_transfer_reversals_voucher_entry_id_voucher_entries", "transfer_reversals", type_="foreignkey"
    )
    op.alter_column("transfer_reversals", "refund_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("transfer_reversals", "voucher_entry_id")

    op.execute("DELETE FROM venue_transfers WHERE funding = 'balance'")
    op.drop_index("uq_venue_transfers_balance_leg", table_name="venue_transfers")
    op.drop_constraint("ck_venue_transfers_funding_known", "venue_transfers", type_="check")
    op.alter_column("venue_transfers", "payment_id", existing_type=sa.Integer(), nullable=False)
    op.drop_column("venue_transfers", "funding")
