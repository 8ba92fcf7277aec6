"""Invoices (issue 48, item 1): the marketplace's numbered VAT invoices for a month's commission,
credit notes that correct them, and monthly statements, one row each in ``invoice_documents``
with its figures, lines and PDF, never changed once issued (a trigger refuses UPDATE and
DELETE); ``invoice_counters`` gives gapless numbers per kind and year (docs/invoices.md). New
tables: they hold no rows, so their indexes and keys lock nothing else.

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
        sa.Column("venue_id", sa.Integer(), nullable=False),
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
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note', 'statement')", name=op.f("ck_invoice_documents_kind_known")
        ),
        sa.CheckConstraint("net_minor + vat_minor = gross_minor", name=op.f("ck_invoice_documents_parts_add_up")),
        sa.CheckConstraint(
            "(kind = 'credit_note' AND corrects_id IS NOT NULL"
            " AND gross_minor < 0 AND net_minor <= 0 AND vat_minor <= 0)"
            " OR (kind <> 'credit_note' AND corrects_id IS NULL)",
            name=op.f("ck_invoice_documents_credit_note_shape"),
        ),
        sa.CheckConstraint("period_end > period_start", name=op.f("ck_invoice_documents_period_order")),
        sa.ForeignKeyConstraint(["venue_id"], ["venues.id"], name=op.f("fk_invoice_documents_venue_id_venues")),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["invoice_documents.id"], name=op.f("fk_invoice_documents_corrects_id_invoice_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_documents_number")),
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
    op.execute(IMMUTABLE)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS invoice_documents_immutable ON invoice_documents")
    op.execute("DROP FUNCTION IF EXISTS invoice_documents_immutable()")
    op.drop_table("invoice_documents")
    op.drop_table("invoice_counters")
