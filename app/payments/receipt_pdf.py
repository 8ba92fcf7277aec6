"""A customer's receipt as a PDF (fpdf2), with a VAT breakdown for each VAT-registered venue.

The PDF says what the HTML receipt says (app/payments/receipts.py ``build_receipt``: its
plain values are passed in) and adds the seller's details: each venue's name, address and
VAT number. Prices are VAT-inclusive, so a registered venue's part of what was paid is split
as VAT = gross x rate / (100 + rate), rounded half-up to minor units, and net = gross - VAT
(``VAT_RATE_PERCENT``). A venue without a VAT number gets a line saying it isn't registered.

What makes a receipt "never changed once issued" is written in docs/receipts.md: the figures
come from the order's lines as checkout fixed them, and a refund after the receipt was issued
is a credit listed below it, never a change to the lines above.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from app.booking.models import Order
from app.platform.money import format_money

FONT = "Helvetica"  # a core font: nothing to install; text is kept to Latin-1 (``_latin1``)
# What Latin-1 lacks and receipts use: dashes, typographic quotes, the euro sign, narrow spaces.
_REPLACEMENTS = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "€": "EUR ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


@dataclass(frozen=True)
class VenueVat:
    """One venue's part of a receipt: what was paid for its bookings and, when it is
    VAT-registered, the VAT in it."""

    venue: str
    vat_number: str | None
    gross_minor: int
    vat_minor: int
    currency: str

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.vat_minor


def vat_rate() -> Decimal:
    """The VAT rate in percent (``VAT_RATE_PERCENT``, "20" for the UK's standard rate)."""
    return Decimal(str(current_app.config["VAT_RATE_PERCENT"]))


def vat_in(gross_minor: int, rate: Decimal) -> int:
    """The VAT in a VAT-inclusive ``gross_minor`` at ``rate`` percent, rounded half-up."""
    return int((Decimal(gross_minor) * rate / (100 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def get_venue_vat(order: Order, rate: Decimal | None = None) -> list[VenueVat]:
    """Each venue of ``order`` (in booking order) with what was paid for its bookings: their
    online parts less their promo shares (a gift voucher is a way of paying, not a discount)."""
    rate = vat_rate() if rate is None else rate
    paid: dict[int, int] = {}
    venues = {}
    for booking in order.bookings:
        venues.setdefault(booking.venue_id, booking.venue)
        paid[booking.venue_id] = paid.get(booking.venue_id, 0) + booking.paid_minor
    return [
        VenueVat(
            venue=venue.name,
            vat_number=venue.vat_number,
            gross_minor=paid[venue_id],
            vat_minor=vat_in(paid[venue_id], rate) if venue.vat_number else 0,
            currency=order.currency,
        )
        for venue_id, venue in venues.items()
    ]


def _latin1(text: Any) -> str:
    return str(text).translate(_REPLACEMENTS).encode("latin-1", "replace").decode("latin-1")


class _ReceiptDocument(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.set_title(_latin1(title))
        self.set_creator("CozyWish")
        self.set_auto_page_break(auto=True, margin=15)
        self.add_page()

    def line_of(self, text: str, *, size: int = 10, style: str = "", height: float = 5.5) -> None:
        self.set_font(FONT, style, size)
        text = _latin1(text)
        if "\n" not in text and self.get_string_width(text) <= self.epw:
            # One line: a cell draws it the same, without fpdf2's line breaking, which was most of
            # a receipt's drawing time (a receipt is drawn for every paid order, by the job worker).
            self.cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            self.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.line_of(text, size=12, style="B", height=7)

    def pairs(self, rows: Iterable[tuple[str, str]], *, bold_last: bool = False) -> None:
        """Label and amount rows, amounts to the right."""
        rows = [(_latin1(label), _latin1(amount)) for label, amount in rows]
        label_width = self.epw * 130 / 180
        self.set_font(FONT, "B" if bold_last else "", 10)  # the widest style decides
        if all(self.get_string_width(label) <= label_width - 2 for label, _amount in rows):
            for i, (label, amount) in enumerate(rows):  # one line each: cells, as drawing a table costs
                self.set_font(FONT, "B" if bold_last and i == len(rows) - 1 else "", 10)
                self.cell(label_width, 6, label)
                self.cell(self.epw - label_width, 6, amount, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            return
        self.set_font(FONT, "", 10)
        with self.table(
            col_widths=(130, 50),
            text_align=("LEFT", "RIGHT"),
            first_row_as_headings=False,
            borders_layout="NONE",
            line_height=6,
        ) as table:
            for i, (label, amount) in enumerate(rows):
                style = FontFace(emphasis="BOLD") if bold_last and i == len(rows) - 1 else None
                row = table.row(style=style)
                row.cell(label)
                row.cell(amount)


def render_receipt_pdf(
    receipt: dict[str, Any],
    lines: list[dict[str, Any]],
    refunds: list[dict[str, Any]],
    venues: list[dict[str, str]],
    vat: list[VenueVat],
    rate: Decimal,
    **_page: Any,
) -> bytes:
    """The receipt's PDF from ``build_receipt``'s values and each venue's VAT part."""
    title = _("Receipt %(number)s", number=receipt["number"])
    pdf = _ReceiptDocument(title)
    pdf.line_of("CozyWish", size=9, style="B")
    pdf.line_of(title, size=16, style="B", height=9)
    pdf.ln(2)
    paid_at = f"{receipt['paid_at']} ({receipt['timezone']})" if receipt["paid_at"] else "-"
    for label, value in (
        (_("Receipt number"), str(receipt["number"])),
        (_("Date paid"), paid_at),
        (_("Order"), f"{receipt['order_id']} · {receipt['status']}"),
        (_("Customer"), f"{receipt['customer']} <{receipt['email']}>"),
        (_("Paid by"), receipt["method"] or ""),
    ):
        if value:
            pdf.line_of(f"{label}: {value}")

    _sellers(pdf, venues, vat)
    _lines(pdf, receipt, lines)
    _totals(pdf, receipt)
    _vat(pdf, vat, rate)
    _refunds(pdf, receipt, refunds)
    if receipt["fees"]:
        pdf.heading(_("Fees"))
        for fee in receipt["fees"]:
            pdf.line_of(fee)
    pdf.ln(4)
    pdf.line_of(_("Prices include any taxes the venue charges. Keep this receipt for your records."), size=8)
    return bytes(pdf.output())


def _sellers(pdf: _ReceiptDocument, venues: list[dict[str, str]], vat: list[VenueVat]) -> None:
    if not venues:
        return
    pdf.heading(_("Sold by"))
    for venue, part in zip(venues, vat, strict=True):  # both in the order's booking order
        pdf.line_of(venue["name"], style="B")
        if venue["address"]:
            pdf.line_of(venue["address"])
        number = part.vat_number
        pdf.line_of(_("VAT number: %(number)s", number=number) if number else _("Not VAT-registered"))


LINE_COLUMNS = (70, 50, 12, 24, 24)  # shares of the width between the margins
LINE_ALIGN = ("L", "L", "R", "R", "R")
CELL_LINE, CELL_PADDING = 5, 1  # mm


def _lines(pdf: _ReceiptDocument, receipt: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    pdf.heading(_("What was paid for"))
    rows = [[_latin1(text) for text in (_("Service"), _("When (local time)"), _("Qty"), _("Unit price"), _("Amount"))]]
    for line in lines:
        service = f"{line['service']}\n{line['venue']}"
        if line["member"]:
            service += " · " + _("with %(member)s", member=line["member"])
        ref = _("Ref.")
        service += f"\n{ref} {line['reference']} · {line['status_label']}"
        when = f"{line['when']}-{line['ends']}\n{line['timezone']}"
        rows.append(
            [_latin1(service), _latin1(when), str(line["quantity"]), *map(_latin1, (line["unit_price"], line["total"]))]
        )
    if receipt["gift_voucher"]:
        voucher = _("CozyWish gift voucher") + "\n" + _("For %(recipient)s", recipient=receipt["gift_voucher"])
        rows.append([_latin1(voucher), "", "1", _latin1(receipt["total"]), _latin1(receipt["total"])])
    if _fits(pdf, rows):
        _grid(pdf, rows)
        return
    pdf.set_font(FONT, "", 9)
    with pdf.table(
        col_widths=LINE_COLUMNS, text_align=LINE_ALIGN, line_height=CELL_LINE, padding=CELL_PADDING
    ) as table:
        for cells in rows:  # fpdf2 breaks the lines that are too long for their column
            row = table.row()
            for text in cells:
                row.cell(text)


def _widths(pdf: _ReceiptDocument) -> list[float]:
    return [share * pdf.epw / sum(LINE_COLUMNS) for share in LINE_COLUMNS]


def _fits(pdf: _ReceiptDocument, rows: list[list[str]]) -> bool:
    """Whether each line of each cell fits its column as it is (the headings in bold)."""
    for index, cells in enumerate(rows):
        pdf.set_font(FONT, "B" if index == 0 else "", 9)
        for width, text in zip(_widths(pdf), cells, strict=True):
            if any(pdf.get_string_width(part) > width - 2 * CELL_PADDING for part in text.split("\n")):
                return False
    return True


def _grid(pdf: _ReceiptDocument, rows: list[list[str]]) -> None:
    """``rows`` as fpdf2's table draws them here (a border round each cell, the first row in bold
    and again at the top of each new page, each cell's lines in the middle of its row's height),
    drawn with cells: the table measured and broke every cell twice, most of a receipt's drawing
    time, for lines that already fit."""

    def draw(index: int, cells: list[str]) -> None:
        pdf.set_font(FONT, "B" if index == 0 else "", 9)
        parts = [text.split("\n") for text in cells]
        height = max(map(len, parts)) * CELL_LINE + 2 * CELL_PADDING
        if index and pdf.will_page_break(height):
            pdf.add_page()
            draw(0, rows[0])
            pdf.set_font(FONT, "", 9)
        x, top = pdf.l_margin, pdf.get_y()
        for width, align, lines in zip(_widths(pdf), LINE_ALIGN, parts, strict=True):
            pdf.rect(x, top, width, height)
            y = top + (height - len(lines) * CELL_LINE) / 2
            for n, text in enumerate(lines):  # a cell keeps its c_margin clear on either side
                pdf.set_xy(x, y + n * CELL_LINE)
                pdf.cell(width, CELL_LINE, text, align=align)
            x += width
        pdf.set_xy(pdf.l_margin, top + height)

    c_margin, pdf.c_margin = pdf.c_margin, CELL_PADDING
    for index, cells in enumerate(rows):
        draw(index, cells)
    pdf.c_margin = c_margin


def _totals(pdf: _ReceiptDocument, receipt: dict[str, Any]) -> None:
    pdf.ln(2)
    rows: list[tuple[str, str]] = []
    if receipt["promo_code"] or receipt["at_venue"]:
        rows.append((_("Items"), receipt["subtotal_all"]))
    if receipt["promo_code"]:
        promo = _("Promo code")
        rows.append((f"{promo} {receipt['promo_code']}", f"- {receipt['promo_discount']}"))
    if receipt["at_venue"]:
        rows.append((_("Due at the venue"), f"- {receipt['at_venue']}"))
    if receipt["voucher_applied"]:
        rows.append((_("of which by gift voucher"), receipt["voucher_applied"]))
    rows.append((_("Total paid (%(currency)s)", currency=receipt["currency"]), receipt["total"]))
    pdf.pairs(rows, bold_last=True)
    if receipt["at_venue"]:
        pdf.line_of(receipt["pay_label"], style="B")


def _vat(pdf: _ReceiptDocument, vat: list[VenueVat], rate: Decimal) -> None:
    if not vat:
        return
    pdf.heading(_("VAT in these prices"))
    percent = f"{rate.normalize():f}"
    for part in vat:
        if not part.vat_number:
            pdf.line_of(_("%(venue)s is not VAT-registered, so no VAT is charged.", venue=part.venue))
            continue
        number = _("VAT number: %(number)s", number=part.vat_number)
        pdf.line_of(f"{part.venue} ({number})", style="B")
        pdf.pairs(
            [
                (_("Net"), format_money(part.net_minor, part.currency)),
                (_("VAT included at %(rate)s%%", rate=percent), format_money(part.vat_minor, part.currency)),
                (_("Total including VAT"), format_money(part.gross_minor, part.currency)),
            ],
            bold_last=True,
        )


def _refunds(pdf: _ReceiptDocument, receipt: dict[str, Any], refunds: list[dict[str, Any]]) -> None:
    if not refunds:
        return
    pdf.heading(_("Refunds"))
    pdf.line_of(_("Credits made after this receipt was issued; the lines above stay as they were paid."), size=8)
    rows = []
    for refund in refunds:
        label = f"{refund['when']} · {refund['status_label']}"
        if refund["booking"]:
            label += " " + _("(booking %(reference)s)", reference=refund["booking"])
        if refund["reason"]:
            label += f" · {refund['reason']}"
        rows.append((label, f"- {refund['amount']}"))
    rows.append((_("Refunded so far"), f"- {receipt['refunded']}"))
    if receipt["pending"]:
        rows.append((_("Refunds on their way"), receipt["pending"]))
    rows.append((_("Net paid"), receipt["net"]))
    pdf.pairs(rows, bold_last=True)
