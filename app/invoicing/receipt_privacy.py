"""A customer's stored receipts and refund notes after an erasure (docs/privacy.md, docs/receipts.md).

A receipt is kept six years (UK law) but must not name an erased person: their own, or a venue
named after an erased owner, or a refund reason that names them. ``forget_in_receipts`` redacts
each such document once, in the erasure's transaction: its ``lines`` and PDF are replaced by a
version with no name, email or free text in it (the seller by venue number and VAT number, the
buyer by account number), every figure, number and date as issued. The database allows that one
change and no other (migration 0085's trigger). Privacy sits above invoicing and calls this from
``erase_account``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, cast, func, or_, select

from app.booking.models import Order
from app.invoicing import pdf
from app.invoicing.models import CUSTOMER_KINDS, DocumentKind, InvoiceDocument
from app.platform.email import speaking_to
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words


def find_documents_to_redact(customer_id: int, identifiers: Iterable[str]) -> list[InvoiceDocument]:
    """The customer's documents and any other customer document whose text names one of
    ``identifiers`` (case-insensitively), not redacted yet, locked."""
    naming = [func.lower(cast(InvoiceDocument.lines, String)).contains(i.lower()) for i in identifiers if i]
    own = InvoiceDocument.order_id.in_(select(Order.id).where(Order.customer_id == customer_id))
    return list(
        db.session.scalars(
            select(InvoiceDocument)
            .where(
                InvoiceDocument.kind.in_([k.value for k in CUSTOMER_KINDS]),
                InvoiceDocument.redacted_at.is_(None),
                or_(own, *naming),
            )
            .order_by(InvoiceDocument.id)
            .with_for_update()
        )
    )


def forget_in_receipts(customer_id: int, identifiers: Iterable[str], *, now: datetime) -> int:
    """Redact every document ``find_documents_to_redact`` finds; returns how many."""
    documents = find_documents_to_redact(customer_id, list(identifiers))
    for document in documents:
        order = db.session.get(Order, document.order_id)
        with speaking_to(order.customer):
            snapshot = redacted_snapshot(document, order, now=now)
        document.lines = snapshot
        document.pdf = pdf.render(snapshot)
        document.redacted_at = now
    db.session.flush()
    return len(documents)


def _kept_sellers(document: InvoiceDocument) -> list[dict[str, Any]]:
    """The receipt's sellers without their names (a refund note's: its receipt's)."""
    receipt = document.corrects if document.kind == DocumentKind.REFUND_NOTE else document
    return [
        {"venue_id": s["venue_id"], "name": _("Venue %(id)s", id=s["venue_id"]), "vat_number": s.get("vat_number")}
        for s in receipt.lines.get("sellers", [])
    ]


def _sellers(document: InvoiceDocument) -> list[str]:
    """Each seller by its venue number and VAT number (a refund note: those of its receipt)."""
    lines = []
    for seller in _kept_sellers(document):
        vat = seller.get("vat_number")
        vat_words = _("VAT number: %(number)s", number=vat) if vat else _("Not VAT-registered")
        lines.append(f"{_('Venue %(id)s', id=seller['venue_id'])} · {vat_words}")
    return lines


def redacted_snapshot(document: InvoiceDocument, order: Order, *, now: datetime) -> dict[str, Any]:
    """What the document says once no one is named in it: the figures, numbers and dates only."""
    currency = document.currency
    is_note = document.kind == DocumentKind.REFUND_NOTE
    facts = [
        (_("Number"), document.number),
        (_("Date of issue"), day_words(document.issued_at.date(), "d MMMM yyyy")),
        (_("Order"), str(order.id)),
    ]
    if is_note:
        facts.insert(2, (_("Corrects receipt"), f"{document.corrects.number} ({order.receipt_number})"))
    else:
        facts.insert(2, (_("Receipt number"), str(order.receipt_number)))
    amount = format_money(document.gross_minor, currency)
    totals = [
        [_("Net"), format_money(document.net_minor, currency)],
        [_("VAT"), format_money(document.vat_minor, currency)],
        [_("Total"), amount],
    ]
    return {
        "title": _("Refund note") if is_note else _("Receipt"),
        "number": document.number,
        "redacted": True,
        "sellers": _kept_sellers(document),  # refund notes still find a seller's VAT number in them
        "facts": facts,
        "seller": (_("From"), ["CozyWish", *_sellers(document)]),
        "buyer": (_("To"), [_("Customer account %(id)s", id=order.customer_id)]),
        "columns": [_("Description"), _("Amount")],
        "rows": [[_("Refunded") if is_note else _("Total paid"), amount]],
        "totals": totals,
        "notes": [
            _(
                "Personal details were removed from this document on %(day)s, when an account was deleted; "
                "its figures are as issued.",
                day=day_words(now.date(), "d MMMM yyyy"),
            )
        ],
    }
