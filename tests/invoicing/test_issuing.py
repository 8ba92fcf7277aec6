"""Issuing a month (issue 48, item 1): the VAT invoice and the statement read back from their
PDFs agree with the ledger, issuing again issues nothing, a document never changes, and a credit
note corrects an invoice with its own number and negative figures."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from app.booking.models import Order
from app.invoicing.cli import invoices_cli
from app.invoicing.figures import split_vat
from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.service import MonthNotOver, issue_credit_note, issue_last_month_job, issue_month, previous_month
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from tests.invoicing.helpers import ledger_commission, pdf_text, sell_a_month


@pytest.fixture
def month(ctx, provider, customer, run_jobs):
    return sell_a_month(provider, customer, run_jobs)


def issued(month) -> dict[str, InvoiceDocument]:
    documents = issue_month(month.first, now=datetime.now(UTC))
    return {document.kind: document for document in documents if document.venue_id == month.venue.id}


def test_the_invoice_pdf_states_the_ledgers_commission_with_vat_at_20_percent(month):
    commission = ledger_commission(month.venue, month.first)
    assert commission == 2 * 900 - 450  # 15% of £60 twice, less what the £30 refund gave back
    net = round(commission / 1.2)
    invoice = issued(month)[DocumentKind.INVOICE]

    assert re.fullmatch(rf"CW-INV-{datetime.now(UTC).year}-\d{{6}}", invoice.number)
    assert (invoice.net_minor, invoice.vat_minor, invoice.gross_minor) == (net, commission - net, commission)
    assert invoice.vat_rate_bp == 2000
    words = pdf_text(invoice.pdf)
    assert invoice.number in words
    assert "GB123456789" in words and "CozyWish Ltd" in words
    for line in ("Net commission £11.25", "VAT at 20% £2.25", "Total commission (VAT included) £13.50"):
        assert line in words
    for booking in month.bookings:
        assert booking.reference in words


def test_the_statement_lists_bookings_refunds_commission_and_payouts(month):
    statement = issued(month)[DocumentKind.STATEMENT]
    figures = statement.lines["figures"]
    assert figures["bookings_minor"] == 12000 and figures["refunds_minor"] == -3000
    assert figures["commission_minor"] == -ledger_commission(month.venue, month.first)
    assert figures["net_minor"] == 12000 - 3000 - 1350 == statement.gross_minor
    words = pdf_text(statement.pdf)
    for line in ("Bookings £120.00", "Refunds -£30.00", "Commission (VAT included) -£13.50", "Net earnings £76.50"):
        assert line in words
    assert f"Transferred to your payout account: £{figures['paid_out_minor'] / 100:.2f}" in words
    assert "Payouts to your bank this month" in words


def test_issuing_again_issues_nothing(month):
    first = issued(month)
    assert set(first) == {DocumentKind.INVOICE, DocumentKind.STATEMENT}
    assert issued(month) == {}
    count = db.session.scalar(select(func.count()).where(InvoiceDocument.venue_id == month.venue.id))
    assert count == 2


def test_a_month_not_over_is_refused(month):
    with pytest.raises(MonthNotOver):
        issue_month(datetime.now(UTC).date().replace(day=1), now=datetime.now(UTC))


def test_an_issued_document_is_never_updated_nor_deleted(month):
    invoice = issued(month)[DocumentKind.INVOICE]
    for statement in (
        "UPDATE invoice_documents SET gross_minor = 0 WHERE id = :id",
        "DELETE FROM invoice_documents WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="never changes"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": invoice.id})
    db.session.expire_all()
    assert db.session.get(InvoiceDocument, invoice.id).gross_minor == 1350


def test_a_credit_note_corrects_an_invoice(month, outbox, run_jobs):
    invoice = issued(month)[DocumentKind.INVOICE]
    note = issue_credit_note(
        invoice.id, amount_minor=600, reason="Commission on a cancelled booking", now=datetime.now(UTC)
    )
    assert re.fullmatch(rf"CW-CRN-{datetime.now(UTC).year}-\d{{6}}", note.number)
    assert note.corrects_id == invoice.id and note.gross_minor == -600
    assert (note.net_minor, note.vat_minor) == split_vat(-600, 2000) == (-500, -100)
    words = pdf_text(note.pdf)
    assert invoice.number in words and "Commission on a cancelled booking" in words and "-£6.00" in words

    rest = issue_credit_note(invoice.id, amount_minor=None, reason="The rest", now=datetime.now(UTC))
    assert rest.gross_minor == -(1350 - 600)
    with pytest.raises(ValidationFailed):  # nothing left to credit
        issue_credit_note(invoice.id, amount_minor=1, reason="Once more", now=datetime.now(UTC))
    with pytest.raises(ValidationFailed):
        issue_credit_note(invoice.id, amount_minor=None, reason=" ", now=datetime.now(UTC))
    db.session.commit()
    run_jobs()
    subjects = [message.subject for message in outbox]
    assert f"Your CozyWish credit note {note.number}" in subjects
    assert f"Your CozyWish invoice {invoice.number}" in subjects


@pytest.mark.parametrize("gross", [0, 1, 5, 6, 119, 120, 1350, 99999, -1350, -7])
def test_vat_and_net_add_up_to_the_gross(gross):
    net, vat = split_vat(gross, 2000)
    assert net + vat == gross and abs(vat - gross / 6) < 1


def test_the_command_issues_a_month_once_and_credits_an_invoice(app, month):
    runner = app.test_cli_runner()
    assert runner.invoke(invoices_cli, ["issue", "--month", "November"]).exit_code == 2
    result = runner.invoke(invoices_cli, ["issue", "--month", f"{month.first:%Y-%m}"])
    assert result.exit_code == 0 and "Issued 2 document(s)" in result.output
    assert "Issued 0 document(s)" in runner.invoke(invoices_cli, ["issue", "--month", f"{month.first:%Y-%m}"]).output
    invoice = db.session.scalar(
        select(InvoiceDocument).where(InvoiceDocument.venue_id == month.venue.id, InvoiceDocument.kind == "invoice")
    )
    credited = runner.invoke(invoices_cli, ["credit", invoice.number, "--reason", "Wrong rate", "--amount", "100"])
    assert credited.exit_code == 0 and f"corrects {invoice.number}: -100 GBP" in credited.output
    assert runner.invoke(invoices_cli, ["credit", "CW-INV-1999-000001", "--reason", "Nope"]).exit_code == 1


def test_a_spanish_speaking_owner_gets_spanish_documents(month):
    month.venue.owner.language = "es"
    invoice = issued(month)[DocumentKind.INVOICE]
    words = pdf_text(invoice.pdf)
    assert "Factura con IVA" in words and "IVA al 20%" in words and "13,50" in words


def test_the_monthly_job_issues_last_month(month):
    last = previous_month(datetime.now(UTC))
    paid = datetime(last.year, last.month, 15, 12, tzinfo=UTC)
    db.session.execute(update(Order).where(Order.id.in_([b.order_id for b in month.bookings])).values(paid_at=paid))
    issue_last_month_job()
    kinds = db.session.scalars(
        select(InvoiceDocument.kind).where(
            InvoiceDocument.venue_id == month.venue.id, InvoiceDocument.period_start == last
        )
    ).all()
    assert sorted(kinds) == ["invoice", "statement"]
