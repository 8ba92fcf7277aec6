"""The owner's invoices, credit notes and statements (on the dashboard blueprint, /provider/...).

The list shows the signed-in owner's own venue's documents, newest first; a document's PDF is
served as issued, as an attachment. Another venue's document is a 404; managers and the rest
of the staff get 403, like the Earnings page (money is the owner's alone).
"""

from __future__ import annotations

from flask import Response, make_response
from sqlalchemy import select

from app.invoicing.models import DocumentKind, InvoiceDocument
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words
from app.venues.models import Venue
from app.web.blueprints import dashboard as bp
from app.web.guards import OWNER_ONLY, venue_required
from app.web.loaders import venue_row
from app.web.rendering import render_page


@bp.get("/invoices")
@venue_required(roles=OWNER_ONLY)
def invoices(venue: Venue) -> Response:
    documents = db.session.scalars(
        select(InvoiceDocument)
        .where(InvoiceDocument.venue_id == venue.id)
        .order_by(InvoiceDocument.period_start.desc(), InvoiceDocument.issued_at.desc(), InvoiceDocument.id.desc())
    ).all()
    return render_page(
        "invoicing/invoices.html",
        venue=venue,
        documents=[
            {
                "document": document,
                "title": document.lines["title"],
                "period": day_words(document.period_start, "MMMM yyyy"),
                "issued": day_words(document.issued_at.date(), "d MMM yyyy"),
                # a statement's figure is the venue's net earnings; the others', the commission with VAT
                "amount": format_money(document.gross_minor, document.currency),
                "is_statement": document.kind == DocumentKind.STATEMENT,
            }
            for document in documents
        ],
    )


@bp.get("/invoices/<int:document_id>.pdf")
@venue_required(roles=OWNER_ONLY)
@venue_row(InvoiceDocument, name="document", arg="document_id")
def invoice_pdf(venue: Venue, document: InvoiceDocument) -> Response:
    response = make_response(document.pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
