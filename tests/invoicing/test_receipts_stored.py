"""A customer's receipt is issued once, when the order is paid, and kept (docs/receipts.md):
downloads serve the stored bytes whatever the venue later changes; a refund gets a refund note
of its own that corrects the receipt; a replayed event issues nothing new; the database refuses
to change a stored receipt."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.booking.events import announce_paid
from app.booking.models import Order
from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.receipt_privacy import forget_in_receipts
from app.invoicing.receipts import get_receipt_document, get_refund_notes, issue_receipt_job, issue_refund_note_job
from app.payments.models import Refund
from app.payments.refunds import refund_order
from app.platform.extensions import db
from app.platform.money import format_money
from tests.booking.helpers import make_bookable_venue
from tests.payments.test_receipt_pdf import paid_order as paid_at_the_venue
from tests.statements import statements_sent


@pytest.fixture
def massage(ctx, provider):
    venue, service = make_bookable_venue(provider)  # Calm Rooms, a £60.00 massage
    venue.vat_number = "GB123456789"
    db.session.flush()
    return service


def paid_order(customer, service, *, hour: int = 10) -> Order:
    order = paid_at_the_venue(customer, service, first_hour=hour)  # the receipt tests' own, committed here
    db.session.commit()
    return order


def documents(order: Order) -> list[InvoiceDocument]:
    db.session.expire_all()
    return list(db.session.scalars(select(InvoiceDocument).where(InvoiceDocument.order_id == order.id).order_by("id")))


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def download(web, path: str) -> bytes:
    response = web.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.get_data()


def test_paying_issues_one_stored_receipt_that_downloads_serve(web, massage, customer, run_jobs):
    order = paid_order(customer, massage)
    assert documents(order) == []  # issued by a job after the payment commits, not inside it

    run_jobs()

    [receipt] = documents(order)
    assert receipt.kind == DocumentKind.RECEIPT and receipt.venue_id is None
    assert re.fullmatch(rf"CW-RCT-{datetime.now(UTC).year}-\d{{6}}", receipt.number)
    assert (receipt.gross_minor, receipt.vat_minor, receipt.net_minor) == (6000, 1000, 5000)
    assert receipt.lines["sellers"] == [
        {"venue_id": massage.venue_id, "name": "Calm Rooms", "vat_number": "GB123456789"}
    ]
    web.sign_in_as(customer)
    assert download(web, f"/payments/receipts/{order.id}.pdf") == receipt.pdf


def test_renaming_the_venue_and_its_vat_number_leaves_the_issued_receipt_as_it_was(web, massage, customer, run_jobs):
    order = paid_order(customer, massage)
    run_jobs()
    venue = massage.venue
    venue.name, venue.vat_number = "Brand New Spa", "GB987654321"
    db.session.commit()
    web.sign_in_as(customer)

    shown = pdf_text(download(web, f"/payments/receipts/{order.id}.pdf"))

    assert "Calm Rooms" in shown and "VAT number: GB123456789" in shown
    assert "Brand New Spa" not in shown and "GB987654321" not in shown


def test_a_receipt_never_issued_is_issued_on_first_download_and_then_kept(web, massage, customer, run_jobs):
    order = paid_order(customer, massage)  # its job hasn't run (or the order was paid before receipts were kept)
    web.sign_in_as(customer)

    first = download(web, f"/payments/receipts/{order.id}.pdf")
    massage.venue.name = "Brand New Spa"
    db.session.commit()
    run_jobs()  # the issuing job comes late: the receipt is there already

    [receipt] = documents(order)
    assert receipt.pdf == first == download(web, f"/payments/receipts/{order.id}.pdf")
    assert "Brand New Spa" not in pdf_text(first)


def test_a_refund_gets_its_own_note_and_the_receipt_stays_byte_for_byte(web, massage, customer, run_jobs, make_user):
    order = paid_order(customer, massage)
    run_jobs()
    [receipt] = documents(order)
    before = receipt.pdf

    massage.venue.vat_number = None  # deregistered since: the note follows the receipt as issued
    refund_order(db.session.get(Order, order.id), 1500, reason="Room too cold", booking_id=order.bookings[0].id)
    db.session.commit()
    run_jobs()  # the refund reaches the card, then its note is issued

    receipt_again, note = documents(order)
    assert receipt_again.pdf == before
    assert note.kind == DocumentKind.REFUND_NOTE and note.corrects_id == receipt.id
    assert re.fullmatch(r"CW-RFN-\d{4}-\d{6}", note.number) and note.number != receipt.number
    assert (note.gross_minor, note.vat_minor, note.net_minor) == (-1500, -250, -1250)  # VAT at 20% in £15
    web.sign_in_as(customer)
    assert download(web, f"/payments/receipts/{order.id}.pdf") == before
    page = web.get(f"/payments/receipts/{order.id}").get_data(as_text=True)  # the receipt page links the note
    assert f"/payments/receipts/{order.id}/refund-notes/{note.id}.pdf" in page and note.number in page
    shown = pdf_text(download(web, f"/payments/receipts/{order.id}/refund-notes/{note.id}.pdf"))
    for expected in ("Refund note", note.number, receipt.number, f"- {format_money(1500, 'GBP', locale='en_GB')}"):
        assert expected in shown, expected
    assert "Room too cold" in shown and order.bookings[0].reference in shown

    web.sign_in_as(make_user(name="Someone Else"))  # another customer's note is a 404, as its receipt
    assert web.get(f"/payments/receipts/{order.id}/refund-notes/{note.id}.pdf").status_code == 404
    web.sign_in_as(customer)  # a receipt's id in a refund note's place: not found
    assert web.get(f"/payments/receipts/{order.id}/refund-notes/{receipt.id}.pdf").status_code == 404


def test_a_replayed_event_issues_nothing_new(massage, customer, run_jobs):
    order = paid_order(customer, massage)
    run_jobs()
    refund_order(db.session.get(Order, order.id), 1000, reason="late start", booking_id=order.bookings[0].id)
    db.session.commit()
    run_jobs()
    refund = db.session.scalar(select(Refund).join(Refund.payment).where(Refund.amount_minor == 1000))

    announce_paid("charged", db.session.get(Order, order.id), now=datetime.now(UTC))  # the paid event again
    db.session.commit()
    run_jobs()
    issue_receipt_job(order_id=order.id)
    issue_refund_note_job(order_id=order.id, amount_minor=1000, refund_id=refund.id)

    assert [d.kind for d in documents(order)] == [DocumentKind.RECEIPT, DocumentKind.REFUND_NOTE]
    assert get_receipt_document(order.id) is not None and len(get_refund_notes(order.id)) == 1


def test_the_receipt_job_reads_its_order_once_locked_with_what_the_receipt_draws(massage, customer):
    order = paid_order(customer, massage)
    order_id = order.id  # read before: the commit expired it

    with statements_sent() as sent:
        issue_receipt_job(order_id=order_id)

    lock, *rest = [" ".join(statement.split()) for statement in sent]
    assert lock.startswith("SELECT orders.") and lock.endswith("FOR UPDATE OF orders")
    assert " JOIN users " in lock  # the customer comes with the order, not locked with it
    assert sum(" FROM invoice_documents " in s for s in rest) == 1  # one look for an earlier receipt
    read_alone = {s.split()[1].split(".")[0] for s in rest if s.startswith("SELECT ")}  # each read's first column
    assert not read_alone & {"orders", "users", "venues", "services", "team_members"}, read_alone
    [receipt] = documents(order)
    assert receipt.kind == DocumentKind.RECEIPT and "Calm Rooms" in pdf_text(receipt.pdf)


def test_the_database_refuses_to_change_a_stored_receipt(massage, customer, run_jobs):
    order = paid_order(customer, massage)
    run_jobs()
    [receipt] = documents(order)

    for statement in (
        "UPDATE invoice_documents SET pdf = 'x' WHERE id = :id",
        "DELETE FROM invoice_documents WHERE id = :id",
    ):
        with pytest.raises(DBAPIError, match="never changes"), db.session.begin_nested():
            db.session.execute(text(statement), {"id": receipt.id})
    assert documents(order)[0].pdf == receipt.pdf


def test_an_erasure_redacts_the_persons_receipts_once_and_keeps_every_figure(massage, customer, run_jobs, make_user):
    order = paid_order(customer, massage)
    other = paid_order(make_user(name="Olive Other"), massage, hour=12)
    run_jobs()
    refund_order(
        db.session.get(Order, order.id), 1500, reason=f"{customer.name} asked", booking_id=order.bookings[0].id
    )
    db.session.commit()
    run_jobs()
    receipt, note = documents(order)
    figures = [(d.number, d.gross_minor, d.vat_minor, d.net_minor, d.issued_at) for d in (receipt, note)]
    [untouched] = documents(other)

    assert forget_in_receipts(customer.id, [customer.name, customer.email], now=datetime.now(UTC)) == 2
    db.session.commit()

    kept = documents(order)
    assert [(d.number, d.gross_minor, d.vat_minor, d.net_minor, d.issued_at) for d in kept] == figures
    for document in kept:
        shown = pdf_text(document.pdf) + str(document.lines)
        assert customer.name not in shown and customer.email not in shown
        assert document.number in shown and "VAT number: GB123456789" in shown and document.redacted_at
    assert format_money(6000, "GBP", locale="en_GB") in pdf_text(kept[0].pdf)
    assert documents(other)[0].pdf == untouched.pdf and documents(other)[0].redacted_at is None
    assert forget_in_receipts(customer.id, [customer.name], now=datetime.now(UTC)) == 0  # once only
    with pytest.raises(DBAPIError, match="never changes"), db.session.begin_nested():  # nor again by hand
        db.session.execute(
            text("UPDATE invoice_documents SET pdf = 'x', redacted_at = now() WHERE id = :id"), {"id": receipt.id}
        )
    with pytest.raises(DBAPIError, match="never changes"), db.session.begin_nested():  # a redaction keeps figures
        db.session.execute(
            text("UPDATE invoice_documents SET gross_minor = 1, redacted_at = now() WHERE id = :id"),
            {"id": untouched.id},
        )
