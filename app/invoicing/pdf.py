"""A document's PDF, drawn with fpdf2 from its snapshot (``InvoiceDocument.lines``) alone: every
text and amount in it was decided and formatted when the document was issued, so the PDF and
the stored figures say the same thing.

The core PDF fonts carry Latin-1 only (pound sign, accents, «» included); a character outside
it (the euro sign) is written out rather than lost.
"""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

PAGE_WIDTH = 180  # mm between the margins of an A4 page
LINE = 6


def latin(text: str) -> str:
    """``text`` in the core fonts' Latin-1, the euro sign as "EUR"."""
    text = text.replace("€", "EUR").replace("\u00a0", " ").replace("\u202f", " ")
    return text.encode("latin-1", "replace").decode("latin-1")


def render(snapshot: dict[str, Any]) -> bytes:
    """The PDF of a document snapshot: title, number and dates, the two parties, the lines table
    and the totals, then any notes."""
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(latin(f"{snapshot['title']} {snapshot['number']}"))
    pdf.set_creator("CozyWish")
    pdf.add_page()
    _heading(pdf, snapshot)
    _parties(pdf, snapshot)
    _table(pdf, snapshot["columns"], snapshot["rows"])
    _totals(pdf, snapshot["totals"])
    for note in snapshot.get("notes", []):
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(PAGE_WIDTH, 5, latin(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _heading(pdf: FPDF, snapshot: dict[str, Any]) -> None:
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(PAGE_WIDTH, 10, latin(snapshot["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    for label, value in snapshot["facts"]:
        pdf.cell(45, LINE, latin(label))
        pdf.cell(PAGE_WIDTH - 45, LINE, latin(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)


def _parties(pdf: FPDF, snapshot: dict[str, Any]) -> None:
    top = pdf.get_y()
    half = PAGE_WIDTH / 2
    for column, (label, lines) in enumerate((snapshot["seller"], snapshot["buyer"])):
        pdf.set_xy(15 + column * half, top)
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(half, LINE, latin(label), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", size=10)
        for line in lines:
            pdf.multi_cell(half - 4, 5, latin(line), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(15, max(pdf.get_y(), top) + 6)


def _widths(count: int) -> list[float]:
    """The first column takes what the amount columns (28 mm each) leave."""
    return [PAGE_WIDTH - 28 * (count - 1)] + [28.0] * (count - 1)


def _table(pdf: FPDF, columns: list[str], rows: list[list[str]]) -> None:
    widths = _widths(len(columns))
    pdf.set_font("Helvetica", "B", 9)
    for index, (width, title) in enumerate(zip(widths, columns, strict=True)):
        pdf.cell(width, LINE + 1, latin(title), border="B", align="L" if index == 0 else "R")
    pdf.ln(LINE + 1)
    pdf.set_font("Helvetica", size=9)
    for row in rows:
        for index, (width, value) in enumerate(zip(widths, row, strict=True)):
            text = latin(value)
            if index == 0:  # a long description is cut to its column rather than overlap the amounts
                while text and pdf.get_string_width(text) > width - 2:
                    text = text[:-1]
            pdf.cell(width, LINE, text, align="L" if index == 0 else "R")
        pdf.ln(LINE)
    pdf.ln(3)


def _totals(pdf: FPDF, totals: list[list[str]]) -> None:
    for index, (label, value) in enumerate(totals):
        last = index == len(totals) - 1
        pdf.set_font("Helvetica", "B" if last else "", 10)
        pdf.cell(PAGE_WIDTH - 40, LINE + 1, latin(label), align="R")
        pdf.cell(40, LINE + 1, latin(value), align="R", border="T" if last else "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
