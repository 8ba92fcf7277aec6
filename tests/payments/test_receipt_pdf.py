"""The customer's receipt as a PDF (docs/receipts.md): read back with pypdf, its figures checked
against the order's own amounts; the VAT breakdown iff the venue has a VAT number; who may
download it; the venue's VAT number on the basics page. Here no job runs, so each receipt is
issued on its first download; its storing is tests/invoicing/test_receipts_stored.py's."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.booking import cart
from app.booking.amounts import amount_due
from app.booking.models import Order
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.payments.receipt_pdf import vat_in
from app.payments.refunds import refund_order
from app.platform.extensions import db
from app.platform.money import format_money
from app.venues.models import Venue
from app.venues.service import get_categories
from tests.booking.helpers import future_slot, make_bookable_venue


@pytest.fixture
def venues(ctx, provider, make_user):
    """Calm Rooms (VAT-registered) and Quiet Corner (not), each with a £60.00 massage."""
    registered, massage = make_bookable_venue(provider)
    registered.address_line, registered.city, registered.postcode = "1 Mill Lane", "Leeds", "LS1 4AB"
    registered.vat_number = "GB123456789"
    other_owner = make_user(role="provider", name="Otto Owner")
    unregistered, facial = make_bookable_venue(other_owner, name="Quiet Corner")
    db.session.flush()
    return (registered, massage), (unregistered, facial)


def paid_order(customer, *services, first_hour: int = 10) -> Order:
    for hour, service in enumerate(services, start=first_hour):
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=service.id,
            starts_at=future_slot(hour=hour),
            quantity=1,
            team_member_id=None,
        )
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    db.session.flush()
    return order


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return "\n".join(page.extract_text() for page in reader.pages)


def money(minor: int) -> str:
    return format_money(minor, "GBP", locale="en_GB")


def test_a_vat_registered_venues_receipt_splits_its_price_into_net_and_vat(web, venues, customer):
    (_registered, massage), _ = venues
    order = paid_order(customer, massage)
    web.sign_in_as(customer)

    response = web.get(f"/payments/receipts/{order.id}.pdf")
    text = pdf_text(response)

    due = amount_due(order)
    gross = due.due_now_minor + due.voucher_applied_minor
    vat = vat_in(gross, Decimal("20"))
    assert (gross, vat) == (6000, 1000)  # £60.00 including VAT at 20%: £10.00 of it is VAT
    assert f'filename="cozywish-receipt-{order.receipt_number}.pdf"' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    for expected in (
        f"Receipt {order.receipt_number}",
        "Calm Rooms",
        "1 Mill Lane, Leeds, LS1 4AB",
        "VAT number: GB123456789",
        "Chloe Customer",
        "Deep tissue massage",
        order.bookings[0].reference,
        f"Total paid (GBP) {money(gross)}",
        f"Net {money(gross - vat)}",
        f"VAT included at 20% {money(vat)}",
        f"Total including VAT {money(gross)}",
    ):
        assert expected in text, expected
    assert "not VAT-registered" not in text


def test_an_order_across_venues_shows_vat_only_for_the_registered_one(web, venues, customer):
    (_, massage), (_, facial) = venues
    order = paid_order(customer, massage, facial)
    web.sign_in_as(customer)

    text = pdf_text(web.get(f"/payments/receipts/{order.id}.pdf"))

    paid = {b.venue.name: b.paid_minor for b in order.bookings}
    assert paid == {"Calm Rooms": 6000, "Quiet Corner": 6000}
    total = amount_due(order).due_now_minor
    assert f"Total paid (GBP) {money(total)}" in text and total == 12000
    assert f"VAT included at 20% {money(vat_in(paid['Calm Rooms'], Decimal(20)))}" in text
    assert text.count("VAT included at") == 1  # Quiet Corner's part carries none
    assert "Quiet Corner is not VAT-registered, so no VAT is charged." in text
    assert "Not VAT-registered" in text  # in its seller details


def test_without_a_vat_number_the_receipt_has_no_vat_lines(web, venues, customer):
    _, (_, facial) = venues
    order = paid_order(customer, facial)
    web.sign_in_as(customer)

    text = pdf_text(web.get(f"/payments/receipts/{order.id}.pdf"))

    assert f"Total paid (GBP) {money(6000)}" in text
    assert "Quiet Corner is not VAT-registered" in text
    assert "VAT included at" not in text and "Total including VAT" not in text and "VAT number:" not in text


def test_a_refund_after_issue_leaves_the_stored_receipt_unchanged(web, venues, customer):
    (_, massage), _ = venues
    order = paid_order(customer, massage)
    web.sign_in_as(customer)
    before = web.get(f"/payments/receipts/{order.id}.pdf").get_data()  # issued now, and kept

    refund_order(order, 1500, reason="Room too cold", booking_id=order.bookings[0].id)
    db.session.flush()
    after = web.get(f"/payments/receipts/{order.id}.pdf")

    # the refund is a refund note of its own (tests/invoicing/test_receipts_stored.py)
    assert after.get_data() == before
    assert "Refunds" not in pdf_text(after)


def test_a_receipt_first_issued_after_a_refund_lists_it_below_the_paid_lines(web, venues, customer):
    (_, massage), _ = venues
    order = paid_order(customer, massage)  # paid before receipts were stored: none issued yet
    refund_order(order, 1500, reason="Room too cold", booking_id=order.bookings[0].id)
    db.session.flush()
    web.sign_in_as(customer)

    text = pdf_text(web.get(f"/payments/receipts/{order.id}.pdf"))

    for unchanged in (f"Total paid (GBP) {money(6000)}", f"VAT included at 20% {money(1000)}", f"Net {money(5000)}"):
        assert unchanged in text, unchanged
    assert "Credits made after this receipt was issued" in text
    assert f"- {money(1500)}" in text and "Room too cold" in text


def test_only_the_customer_and_admins_may_download_it(web, venues, customer, provider, admin, make_user):
    (_, massage), _ = venues
    order = paid_order(customer, massage)
    path = f"/payments/receipts/{order.id}.pdf"

    assert web.get(path).status_code == 302  # signed out: to the sign-in page
    web.sign_in_as(make_user(name="Someone Else"))
    assert web.get(path).status_code == 404
    web.sign_in_as(provider)  # the venue's owner sees the booking on the calendar, not the receipt
    assert web.get(path).status_code == 404
    web.sign_in_as(admin)
    assert "Calm Rooms" in pdf_text(web.get(path))
    assert web.get("/payments/receipts/999999.pdf").status_code == 404


def test_the_receipt_page_links_its_pdf(web, venues, customer):
    (_, massage), _ = venues
    order = paid_order(customer, massage)
    web.sign_in_as(customer)

    page = web.get(f"/payments/receipts/{order.id}").get_data(as_text=True)

    assert f'href="/payments/receipts/{order.id}.pdf"' in page


def test_the_confirmation_email_links_the_pdf(venues, customer, run_jobs, outbox):
    (_, massage), _ = venues
    order = paid_order(customer, massage)

    run_jobs()

    [email] = [m for m in outbox if m.to == [customer.email]]
    assert f"/payments/receipts/{order.id}.pdf" in email.body
    [(html_body, _type)] = email.alternatives
    assert f'/payments/receipts/{order.id}.pdf">' in html_body and "Download your receipt as a PDF" in html_body


@pytest.mark.parametrize(
    ("gross", "rate", "vat"),
    [(6000, "20", 1000), (3, "20", 1), (2, "20", 0), (6000, "17.5", 894), (0, "20", 0), (999, "5", 48)],
)
def test_vat_in_a_price_is_rounded_half_up_to_the_penny(gross, rate, vat):
    assert vat_in(gross, Decimal(rate)) == vat


# -- the venue's VAT number -------------------------------------------------------------------------


def basics_form(venue: Venue, **changes) -> dict:
    data = {
        "intent": "update",
        "name": venue.name,
        "description": "A calm place for a massage after work, in the middle of town.",
        "category_id": str(get_categories()[0].id),
        "tags": "massage",
        "phone": "",
        "email": "",
        "website": "",
    }
    return {**data, **changes}


def saved_vat_number(venue: Venue) -> str | None:
    db.session.expire_all()
    return db.session.get(Venue, venue.id).vat_number


def test_the_owner_saves_a_vat_number_in_its_stored_shape(web, venues, provider):
    (registered, _), _ = venues
    web.sign_in_as(provider)

    response = web.post("/provider/venue/basics", basics_form(registered, vat_number="gb 123 4567 89 012"))

    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert saved_vat_number(registered) == "GB123456789012"
    assert web.post("/provider/venue/basics", basics_form(registered, vat_number="")).status_code == 302
    assert saved_vat_number(registered) is None  # cleared: no longer VAT-registered


@pytest.mark.parametrize("bad", ["GB12345", "GB1234567890", "123456789", "XX", "DE-ABCDEFGH"])
def test_a_bad_vat_number_is_refused_and_nothing_changes(web, venues, provider, bad):
    (registered, _), _ = venues
    web.sign_in_as(provider)

    response = web.post("/provider/venue/basics", basics_form(registered, name="Renamed Rooms", vat_number=bad))

    assert response.status_code == 422
    assert "Enter a VAT number like GB123456789" in response.get_data(as_text=True)
    assert saved_vat_number(registered) == "GB123456789"
    assert db.session.get(Venue, registered.id).name == "Calm Rooms"
