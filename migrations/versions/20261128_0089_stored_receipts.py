"""Stored receipts (issue 48, item 1, follow-up): the customer's receipt and each refund note are
issued once into ``invoice_documents`` and never redrawn (docs/receipts.md). Adds ``order_id``
(the order a receipt or refund note is for) and ``refund_id`` (the card refund a note records),
lets ``venue_id`` be empty (a receipt may span venues, or none: a gift voucher), and widens the
checks: two new kinds, a refund note corrects its receipt, one receipt per order, one note per
refund. The immutability trigger keeps refusing every DELETE and every UPDATE but one: an
erasure (docs/privacy.md) may redact a customer's document once, setting ``redacted_at`` and
replacing its ``lines`` and ``pdf`` with a version that names no one, every figure, number and
date unchanged. ``invoice_documents`` was created by 0085 today and holds few rows: the checks scan
little and the indexes lock it briefly.

Revision ID: 0089
Revises: 0088
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0089"
down_revision = "0088"
branch_labels = None
depends_on = None

TABLE = "invoice_documents"
OLD_SHAPE = (
    "(kind = 'credit_note' AND corrects_id IS NOT NULL"
    " AND gross_minor < 0 AND net_minor <= 0 AND vat_minor <= 0)"
    " OR (kind <> 'credit_note' AND corrects_id IS NULL)"
)
NEW_SHAPE = (
    "(kind IN ('credit_note', 'refund_note') AND corrects_id IS NOT NULL"
    " AND gross_minor < 0 AND net_minor <= 0 AND vat_minor <= 0)"
    " OR (kind NOT IN ('credit_note', 'refund_note') AND corrects_id IS NULL)"
)
PARTIES = (
    "(kind IN ('receipt', 'refund_note') AND order_id IS NOT NULL AND venue_id IS NULL)"
    " OR (kind NOT IN ('receipt', 'refund_note') AND order_id IS NULL AND venue_id IS NOT NULL)"
)

IMMUTABLE_BUT_REDACTED_ONCE = """
CREATE OR REPLACE FUNCTION invoice_documents_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.kind IN ('receipt', 'refund_note')
        AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
        AND (NEW.id, NEW.kind, NEW.number, NEW.venue_id, NEW.order_id, NEW.refund_id, NEW.period_start,
             NEW.period_end, NEW.currency, NEW.net_minor, NEW.vat_minor, NEW.gross_minor, NEW.vat_rate_bp,
             NEW.corrects_id, NEW.reason, NEW.issued_at)
        IS NOT DISTINCT FROM
            (OLD.id, OLD.kind, OLD.number, OLD.venue_id, OLD.order_id, OLD.refund_id, OLD.period_start,
             OLD.period_end, OLD.currency, OLD.net_minor, OLD.vat_minor, OLD.gross_minor, OLD.vat_rate_bp,
             OLD.corrects_id, OLD.reason, OLD.issued_at)
    THEN
        RETURN NEW;  -- an erasure's redaction: personal details out, every figure as issued
    END IF;
    RAISE EXCEPTION 'an issued invoice document never changes (issue a credit note)'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""
IMMUTABLE = """
CREATE OR REPLACE FUNCTION invoice_documents_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'an issued invoice document never changes (issue a credit note)'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("order_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("refund_id", sa.Integer(), nullable=True))
    op.add_column(TABLE, sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f("fk_invoice_documents_order_id_orders"), TABLE, "orders", ["order_id"], ["id"])
    op.create_foreign_key(op.f("fk_invoice_documents_refund_id_refunds"), TABLE, "refunds", ["refund_id"], ["id"])
    op.create_index(op.f("ix_invoice_documents_order_id"), TABLE, ["order_id"])
    op.create_index(
        "uq_invoice_documents_order_receipt",
        TABLE,
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'receipt'"),
    )
    op.create_unique_constraint(op.f("uq_invoice_documents_refund_id"), TABLE, ["refund_id"])
    op.alter_column(TABLE, "venue_id", nullable=True)
    op.drop_constraint(op.f("ck_invoice_documents_kind_known"), TABLE, type_="check")
    op.create_check_constraint(
        op.f("ck_invoice_documents_kind_known"),
        TABLE,
        "kind IN ('invoice', 'credit_note', 'statement', 'receipt', 'refund_note')",
    )
    op.drop_constraint(op.f("ck_invoice_documents_credit_note_shape"), TABLE, type_="check")
    op.create_check_constraint(op.f("ck_invoice_documents_credit_note_shape"), TABLE, NEW_SHAPE)
    op.create_check_constraint(op.f("ck_invoice_documents_parties"), TABLE, PARTIES)
    op.execute(IMMUTABLE_BUT_REDACTED_ONCE)


def downgrade() -> None:
    # receipts and refund notes can't live in the narrower table: they go (the trigger, briefly off)
    op.execute("ALTER TABLE invoice_documents DISABLE TRIGGER invoice_documents_immutable")
    op.execute("DELETE FROM invoice_documents WHERE kind IN ('receipt', 'refund_note')")
    op.execute("DELETE FROM invoice_counters WHERE kind IN ('receipt', 'refund_note')")
    op.execute("ALTER TABLE invoice_documents ENABLE TRIGGER invoice_documents_immutable")
    op.execute(IMMUTABLE)
    op.drop_constraint(op.f("ck_invoice_documents_parties"), TABLE, type_="check")
    op.drop_constraint(op.f("ck_invoice_documents_credit_note_shape"), TABLE, type_="check")
    op.create_check_constraint(op.f("ck_invoice_documents_credit_note_shape"), TABLE, OLD_SHAPE)
    op.drop_constraint(op.f("ck_invoice_documents_kind_known"), TABLE, type_="check")
    op.create_check_constraint(
        op.f("ck_invoice_documents_kind_known"), TABLE, "kind IN ('invoice', 'credit_note', 'statement')"
    )
    op.alter_column(TABLE, "venue_id", nullable=False)
    op.drop_constraint(op.f("uq_invoice_documents_refund_id"), TABLE, type_="unique")
    op.drop_index("uq_invoice_documents_order_receipt", table_name=TABLE)
    op.drop_index(op.f("ix_invoice_documents_order_id"), table_name=TABLE)
    op.drop_constraint(op.f("fk_invoice_documents_refund_id_refunds"), TABLE, type_="foreignkey")
    op.drop_constraint(op.f("fk_invoice_documents_order_id_orders"), TABLE, type_="foreignkey")
    op.drop_column(TABLE, "redacted_at")
    op.drop_column(TABLE, "refund_id")
    op.drop_column(TABLE, "order_id")
