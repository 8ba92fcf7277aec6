"""The owner's invoices pages (/provider/invoices) and the admin's credit notes (/admin/invoices):
the owner lists and downloads their own documents; another venue's document is a 404, a manager
gets 403; a credit note needs CSRF, a reason and an amount it can take, or nothing is issued."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.service import issue_month
from app.platform.extensions import db
from app.venues.models import StaffRole
from tests.booking.helpers import make_bookable_venue
from tests.invoicing.helpers import pdf_text, sell_a_month
from tests.venues.staff_world import make_staff


@pytest.fixture
def documents(ctx, provider, customer, run_jobs):
    month = sell_a_month(provider, customer, run_jobs)
    issued = {d.kind: d for d in issue_month(month.first, now=datetime.now(UTC))}
    db.session.commit()
    return month, issued


def test_the_owner_lists_and_downloads_their_documents(web, provider, documents):
    _month, issued = documents
    invoice = issued[DocumentKind.INVOICE]
    web.sign_in_as(provider)
    assert 'href="/provider/invoices"' in web.get("/provider/earnings").get_data(as_text=True)
    html = web.get("/provider/invoices").get_data(as_text=True)
    assert invoice.number in html and issued[DocumentKind.STATEMENT].number in html
    assert f"/provider/invoices/{invoice.id}.pdf" in html

    response = web.get(f"/provider/invoices/{invoice.id}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert invoice.number in pdf_text(response.get_data())


def test_another_owner_gets_404_and_a_manager_403(web, make_user, documents):
    month, issued = documents
    invoice = issued[DocumentKind.INVOICE]
    other = make_user(role="provider")
    make_bookable_venue(other, name="Another Place")
    manager = make_staff(make_user, month.venue, StaffRole.MANAGER)
    db.session.commit()

    web.sign_in_as(other)
    assert web.get(f"/provider/invoices/{invoice.id}.pdf").status_code == 404
    assert invoice.number not in web.get("/provider/invoices").get_data(as_text=True)
    web.sign_out()
    web.sign_in_as(manager)
    assert web.get("/provider/invoices").status_code == 403
    assert web.get(f"/provider/invoices/{invoice.id}.pdf").status_code == 403


def _credit_notes() -> int:
    return db.session.scalar(select(func.count()).where(InvoiceDocument.kind == DocumentKind.CREDIT_NOTE))


def test_an_admin_issues_a_credit_note_and_bad_input_changes_nothing(web, admin, provider, documents):
    _month, issued = documents
    invoice = issued[DocumentKind.INVOICE]
    path = f"/admin/invoices/{invoice.id}/credit-note"
    web.sign_in_as(admin)
    assert invoice.number in web.get("/admin/invoices").get_data(as_text=True)

    assert web.post(path, {"amount": "5.00", "reason": "Overcharged"}, csrf=False).status_code == 400
    for form in (
        {"amount": "abc", "reason": "Overcharged"},
        {"amount": "13.51", "reason": "Overcharged"},
        {"amount": "1e999", "reason": "Overcharged"},
        {"amount": "NaN", "reason": "Overcharged"},
        {"reason": "x"},
    ):
        response = web.post(path, form)
        assert response.status_code == 422
        assert 'id="credit-note-error"' in response.get_data(as_text=True)
    statement = issued[DocumentKind.STATEMENT]
    assert web.post(f"/admin/invoices/{statement.id}/credit-note", {"reason": "Not an invoice"}).status_code == 404
    assert _credit_notes() == 0

    response = web.post(path, {"amount": "5.00", "reason": "Overcharged"})
    assert response.status_code == 303
    note = db.session.scalar(select(InvoiceDocument).where(InvoiceDocument.corrects_id == invoice.id))
    assert (note.gross_minor, note.reason) == (-500, "Overcharged")

    web.sign_out()
    web.sign_in_as(provider)
    assert note.number in web.get("/provider/invoices").get_data(as_text=True)
    assert web.post(path, {"reason": "Owners can't"}).status_code == 403
