"""The marketplace's documents to venues (docs/invoices.md).

- ``InvoiceDocument``: one issued document, never changed: a VAT invoice for a month's
  commission, a credit note that corrects an invoice (negative figures, ``corrects_id``), or a
  monthly statement of the venue's bookings, refunds, fees, commission and payouts. Its figures,
  its lines (a JSON snapshot) and its PDF are written once; a database trigger refuses any
  UPDATE or DELETE (migration 0085).
- The customer's side (migration 0085): a paid order's ``receipt`` and, for each refund after
  it, a ``refund_note`` that corrects it (``order_id``; ``refund_id`` for a card refund); no venue.
- ``DocumentCounter``: the last number given per kind and year. Numbers are taken by an upsert
  that holds the counter's row lock until the issuing transaction ends, so they are gapless:
  a rolled-back issue gives its number back.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.columns import Currency, IdKey, one_of
from app.platform.extensions import db
from app.venues.models import Venue


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    STATEMENT = "statement"
    RECEIPT = "receipt"  # a customer's receipt for a paid order (app/invoicing/receipts.py)
    REFUND_NOTE = "refund_note"  # a refund after the receipt: corrects it, never changes it


CUSTOMER_KINDS = (DocumentKind.RECEIPT, DocumentKind.REFUND_NOTE)


PREFIXES = {
    DocumentKind.INVOICE: "CW-INV",
    DocumentKind.CREDIT_NOTE: "CW-CRN",
    DocumentKind.STATEMENT: "CW-STM",
    DocumentKind.RECEIPT: "CW-RCT",
    DocumentKind.REFUND_NOTE: "CW-RFN",
}


class DocumentCounter(db.Model):
    __tablename__ = "invoice_counters"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class InvoiceDocument(IdKey, db.Model):
    __tablename__ = "invoice_documents"
    __table_args__ = (
        one_of("kind", DocumentKind),
        # one invoice and one statement per venue and month; credit notes as many as corrections
        Index(
            "uq_invoice_documents_venue_kind_period",
            "venue_id",
            "kind",
            "period_start",
            unique=True,
            postgresql_where=text("kind <> 'credit_note'"),
        ),
        CheckConstraint("net_minor + vat_minor = gross_minor", name="parts_add_up"),
        # one receipt per order (migration 0085); a refund note per card refund (refund_id's key)
        Index("uq_invoice_documents_order_receipt", "order_id", unique=True, postgresql_where=text("kind = 'receipt'")),
        CheckConstraint(
            "(kind IN ('credit_note', 'refund_note') AND corrects_id IS NOT NULL"
            " AND gross_minor < 0 AND net_minor <= 0 AND vat_minor <= 0)"
            " OR (kind NOT IN ('credit_note', 'refund_note') AND corrects_id IS NULL)",
            name="credit_note_shape",
        ),
        # a venue's documents name the venue; a customer's name the order (and no venue: it may span several)
        CheckConstraint(
            "(kind IN ('receipt', 'refund_note') AND order_id IS NOT NULL AND venue_id IS NULL)"
            " OR (kind NOT IN ('receipt', 'refund_note') AND order_id IS NULL AND venue_id IS NOT NULL)",
            name="parties",
        ),
        CheckConstraint("period_end > period_start", name="period_order"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(32), unique=True)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), unique=True)
    # a venue's month: its first day and the first day after it, in the venue's time zone;
    # a customer's document: the day it was issued (UTC) and the next
    period_start: Mapped[date]
    period_end: Mapped[date]
    currency: Mapped[Currency]
    net_minor: Mapped[int]
    vat_minor: Mapped[int]
    gross_minor: Mapped[int]
    vat_rate_bp: Mapped[int]  # 2000 = 20%
    # What the PDF shows, kept as issued: the parties, each line and the totals.
    lines: Mapped[dict[str, Any]] = mapped_column(JSONB)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_documents.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[datetime]
    # when an erasure took a customer's document's personal details out (the one change allowed)
    redacted_at: Mapped[datetime | None]

    venue: Mapped[Venue | None] = relationship()
    corrects: Mapped[InvoiceDocument | None] = relationship(remote_side="InvoiceDocument.id")

    @property
    def filename(self) -> str:
        return f"{self.number}.pdf"
