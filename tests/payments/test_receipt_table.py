"""The receipt PDF's table of what was paid for (app/payments/receipt_pdf.py, ``_lines``): drawn
with cells when every line fits its column, by fpdf2's table when one must be broken; the same
borders, headings and text either way."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from app.payments import receipt_pdf
from app.payments.receipt_pdf import VenueVat, render_receipt_pdf

RECEIPT = {
    "number": "CW-000123",
    "paid_at": "29 Nov 2026, 10:14",
    "timezone": "Europe/London",
    "order_id": 4711,
    "status": "Paid",
    "customer": "Olive Customer",
    "email": "olive@example.com",
    "method": "Card",
    "fees": [],
    "gift_voucher": None,
    "promo_code": None,
    "promo_discount": None,
    "at_venue": None,
    "subtotal_all": "£60.00",
    "voucher_applied": None,
    "currency": "GBP",
    "total": "£60.00",
    "refunded": "£0.00",
    "pending": None,
    "net": "£60.00",
    "pay_label": "",
}
MASSAGE = {
    "service": "Deep tissue massage (60 min)",
    "venue": "Quiet Cedar Rooms",
    "member": "Ana",
    "reference": "CW-7Q2X9",
    "status_label": "Confirmed",
    "when": "Mon 1 Dec 2026, 10:00",
    "ends": "11:00",
    "timezone": "Europe/London",
    "quantity": 1,
    "unit_price": "£60.00",
    "total": "£60.00",
}
FACIAL = {**MASSAGE, "service": "Facial", "member": None, "reference": "CW-8K3L1", "quantity": 2, "total": "£120.00"}


@pytest.fixture
def draw(ctx):
    def draw(lines: list[dict], **receipt) -> list[str]:
        body = render_receipt_pdf(
            {**RECEIPT, **receipt},
            lines,
            [],
            [{"name": "Quiet Cedar Rooms", "address": "1 Cedar Lane, London"}],
            [VenueVat("Quiet Cedar Rooms", "GB123456789", 6000, 1000, "GBP")],
            Decimal("20"),
        )
        return [page.extract_text() for page in PdfReader(io.BytesIO(body)).pages]

    return draw


@pytest.fixture
def tables(monkeypatch) -> list[str]:
    """Which way each table was drawn."""
    ways: list[str] = []
    grid = receipt_pdf._grid
    monkeypatch.setattr(receipt_pdf, "_grid", lambda pdf, rows: ways.append("cells") or grid(pdf, rows))
    return ways


def test_lines_that_fit_are_drawn_with_cells_each_in_its_row(draw, tables):
    [page] = draw([MASSAGE, FACIAL])

    assert tables == ["cells"]
    assert "Service When (local time) Qty Unit price Amount" in page
    assert "Deep tissue massage (60 min)" in page and "Quiet Cedar Rooms · with Ana" in page
    assert "Ref. CW-7Q2X9 · Confirmed" in page and "Ref. CW-8K3L1 · Confirmed" in page
    assert "Mon 1 Dec 2026, 10:00-11:00" in page
    assert page.index("CW-7Q2X9") < page.index("CW-8K3L1")  # in the order's order
    assert re.search(r"2\s+£60\.00\s+£120\.00", page)


def test_a_gift_voucher_is_a_line_of_its_own(draw, tables):
    [page] = draw([], gift_voucher="Ann Friend")
    assert tables == ["cells"]
    assert "CozyWish gift voucher" in page and "For Ann Friend" in page


def test_a_name_too_long_for_its_column_is_broken_inside_it_by_the_table(draw, tables):
    long = {**MASSAGE, "service": "An extraordinarily long signature hot stone and aromatherapy ritual (120 min)"}
    [page] = draw([long])

    assert tables == []  # fpdf2's table, which breaks lines
    words = " ".join(page.split())
    assert "An extraordinarily long signature hot stone and aromatherapy" in words
    assert "ritual (120 min)" in words


def test_a_long_receipt_runs_over_pages_with_the_headings_on_each(draw, tables):
    pages = draw([MASSAGE, FACIAL] * 14)

    assert tables == ["cells"] and len(pages) >= 2
    for page in pages[: len(pages) - 1]:  # the last page may hold only the totals below the table
        assert page.count("Service When (local time) Qty Unit price Amount") == 1
    assert sum(page.count("Ref. CW-") for page in pages) == 28
