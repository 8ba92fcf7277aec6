"""Admin: every venue's invoices, and credit notes against them (the admin blueprint,
/admin/invoices). A credit note needs a reason; its amount, in the invoice's currency, is at
most what is left of the invoice (all of it when left empty). A refusal is the page again with
the reason, a 422, and nothing issued."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.access import role_required
from app.audit import service as audit
from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.service import credited_minor, issue_credit_note
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.money import format_money
from app.web.blueprints import admin as bp
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal

SHOWN = 200
MOST = Decimal(10_000_000)  # more than any invoice: bigger numbers are typos or probes


def _page(error: str | None = None, status: int = 200) -> Response:
    documents = db.session.scalars(
        select(InvoiceDocument)
        .where(InvoiceDocument.order_id.is_(None))  # a customer's receipts are theirs (app/invoicing/receipts.py)
        .options(joinedload(InvoiceDocument.venue))
        .order_by(InvoiceDocument.issued_at.desc(), InvoiceDocument.id.desc())
        .limit(SHOWN)
    ).all()
    return render_page(
        "invoicing/admin_invoices.html",
        status=status,
        error=error,
        documents=[
            {
                "document": document,
                "title": document.lines["title"],
                "amount": format_money(document.gross_minor, document.currency),
                "left": format_money(document.gross_minor - credited_minor(document), document.currency)
                if document.kind == DocumentKind.INVOICE
                else None,
            }
            for document in documents
        ],
    )


@bp.get("/invoices")
@role_required("admin")
def invoices() -> Response:
    return _page()


def _amount_minor(raw: str) -> int | None:
    """ "12.50" as 1250; empty: None (all that is left). Anything else is refused."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        amount = Decimal(raw)
        exact = amount.is_finite() and abs(amount) < MOST and amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        exact = False
    if not exact:
        raise ValidationFailed(_("The amount is a number like 12.50."), field="amount")
    return int(amount * 100)


@bp.post("/invoices/<int:document_id>/credit-note")
@role_required("admin")
def credit_note(document_id: int) -> Response:
    on_refusal(lambda error: _page(error.message, 422), kinds=(ValidationFailed,))
    amount = _amount_minor(request.form.get("amount", ""))
    note = issue_credit_note(
        document_id, amount_minor=amount, reason=request.form.get("reason", ""), now=datetime.now(UTC)
    )
    audit.record(
        "invoice.credit_note",
        actor_id=current_user.id,
        about=("invoice_document", document_id),
        number=note.number,
        amount_minor=-note.gross_minor,
    )
    flash(_("Credit note %(number)s issued.", number=note.number), "success")
    return redirect(url_for(".invoices"), 303)
