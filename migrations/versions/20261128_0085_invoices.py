"""Invoices (issue 48, item 1): the marketplace's numbered VAT invoices for a month's commission,
credit notes that correct them, monthly statements, and the customers' receipts with a refund
note for each refund after them (docs/invoices.md, docs/receipts.md), one row each in
``invoice_documents`` with its figures, lines and PDF. A venue's documents name the venue, a
customer's the order (``order_id``; ``refund_id`` the card refund a note records). Never changed
once issued: a trigger refuses every DELETE and every UPDATE but one, an erasure's redaction of a
customer's document, once (``redacted_at``; its lines and PDF replaced by a version naming no one,
every figure, number and date unchanged; docs/privacy.md). ``invoice_counters`` gives gapless
numbers per kind and year. New tables: they hold no rows, so their indexes and keys lock nothing
else.

Revision ID: 0085
Revises: 0084
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0085"
down_revision = "0084"
branch_labels = None
depends_on = None

IMMUTABLE = """
CREATE FUNCTION invoice_documents_immutable() RETURNS trigger AS $$
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
CREATE TRIGGER invoice_documents_immutable
    BEFORE UPDATE OR DELETE ON invoice_documents
    FOR EACH ROW EXECUTE FUNCTION invoice_documents_immutable();
"""


def upgrade() -> None:
    op.create_table(
        "invoice_counters",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "invoice_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net_minor", sa.Integer(), nullable=False),
        sa.Column("vat_minor", sa.Integer(), nullable=False),
        sa.Column("gross_minor", sa.Integer(), nullable=False),
        sa.Column("vat_rate_bp", sa.Integer(), nullable=False),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("corrects_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note', 'statement', 'receipt', 'refund_note')",
            name=op.f("ck_invoice_documents_kind_known"),
        ),
        sa.CheckConstraint("net_minor + vat_minor = gross_minor", name=op.f("ck_invoice_documents_parts_add_up")),
        sa.CheckConstraint(
            "(kind IN ('credit_note', 'refund_note') AND corrects_id IS NOT NULL"
            " AND gross_minor < 0 AND net_minor <= 0 AND vat_minor <= 0)"
            " OR (kind NOT IN ('credit_note', 'refund_note') AND corrects_id IS NULL)",
            name=op.f("ck_invoice_documents_credit_note_shape"),
        ),
        sa.CheckConstraint(
            "(kind IN ('receipt', 'refund_note') AND order_id IS NOT NULL AND venue_id IS NULL)"
            " OR (kind NOT IN ('receipt', 'refund_note') AND order_id IS NULL AND venue_id IS NOT NULL)",
            name=op.f("ck_invoice_documents_parties"),
        ),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_invoice_documents_period_order")),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_invoice_documents_venue_id_venues")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_invoice_documents_order_id_orders")),
        sa.ForeignKeyConstraint(["refund_id"], ["refunds.id"], name=op.f("fk_invoice_documents_refund_id_refunds")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["invoice_documents.id"], name=op.f("fk_invoice_documents_corrects_id_invoice_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_documents_number")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_invoice_documents_refund_id")),
    )
    op.create_index(op.f("ix_invoice_documents_venue_id"), "invoice_documents", ["venue_id"])
    op.create_index(op.f("ix_invoice_documents_corrects_id"), "invoice_documents", ["corrects_id"])
    op.create_index(
        "uq_invoice_documents_venue_kind_period",
        "invoice_documents",
        ["venue_id", "kind", "period_start"],
        unique=True,
        postgresql_where=sa.text("kind <> 'credit_note'"),
    )
    op.create_index(op.f("ix_invoice_documents_order_id"), "invoice_documents", ["order_id"])
    op.create_index(
        "uq_invoice_documents_order_receipt",
        "invoice_documents",
        ["order_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'receipt'"),
    )
    op.execute(IMMUTABLE)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS invoice_documents_immutable ON invoice_documents")
    op.execute("DROP FUNCTION IF EXISTS invoice_documents_immutable()")
    op.drop_table("invoice_documents")
    op.drop_table("invoice_counters")
