"""What each document says, decided once at issue in its reader's language: the snapshot that
``InvoiceDocument.lines`` keeps and app/invoicing/pdf.py draws. Amounts are formatted here and
kept beside their minor units (``figures``), so a reader of the row gets the same numbers as a
reader of the PDF."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from app.invoicing.figures import MonthFigures
from app.invoicing.models import DocumentKind
from app.payouts.earnings import period_label
from app.platform.money import format_money
from app.platform.timefmt import day_words
from app.venues.models import Venue


def _seller() -> tuple[str, list[str]]:
    config = current_app.config
    return (
        _("From"),
        [
            config["MARKETPLACE_LEGAL_NAME"],
            config["MARKETPLACE_ADDRESS"],
            _("VAT number: %(number)s", number=config["MARKETPLACE_VAT_NUMBER"]),
        ],
    )


def _buyer(venue: Venue) -> tuple[str, list[str]]:
    lines = [venue.name, ", ".join(part for part in (venue.address_line, venue.city, venue.postcode) if part)]
    vat_number = getattr(venue, "vat_number", None)  # the venue's own, once it has one (migration 0088)
    if vat_number:
        lines.append(_("VAT number: %(number)s", number=vat_number))
    return _("To"), [line for line in lines if line]


def _facts(number: str, issued_at: datetime, first: date, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        (_("Number"), number),
        (_("Date of issue"), day_words(issued_at.date(), "d MMMM yyyy")),
        (_("Period"), period_label("month", first)),
        *more,
    ]


def _vat_totals(net: int, vat: int, gross: int, rate_bp: int, currency: str) -> list[list[str]]:
    rate = f"{rate_bp / 100:g}%"
    return [
        [_("Net commission"), format_money(net, currency)],
        [_("VAT at %(rate)s", rate=rate), format_money(vat, currency)],
        [_("Total commission (VAT included)"), format_money(gross, currency)],
    ]


def invoice_snapshot(
    venue: Venue, figures: MonthFigures, *, number: str, issued_at: datetime, split: tuple[int, int], rate_bp: int
) -> dict[str, Any]:
    """A VAT invoice for the month's commission: one line per booking (its commission less what
    its refunds gave back), one for the rest (fees, top-ups, payment links) when there is any."""
    currency = figures.currency
    rows = [
        [
            f"{line.reference} · {line.service} ({line.paid_on.isoformat()})",
            format_money(line.commission_minor, currency),
        ]
        for line in figures.lines
    ]
    booked = sum(line.commission_minor for line in figures.lines)
    rest = figures.totals.commission_minor - booked
    if rest:
        rows.append([_("Commission on fees, top-ups and payment links"), format_money(rest, currency)])
    net, vat = split
    gross = figures.totals.commission_minor
    return {
        "kind": DocumentKind.INVOICE.value,
        "title": _("VAT invoice"),
        "number": number,
        "facts": _facts(number, issued_at, figures.first),
        "seller": _seller(),
        "buyer": _buyer(venue),
        "columns": [_("Commission on"), _("Amount")],
        "rows": rows,
        "totals": _vat_totals(net, vat, gross, rate_bp, currency),
        "notes": [
            _("Commission kept from your bookings' payments at the marketplace's rate; the amounts include VAT."),
            _("Nothing to pay: the commission was kept before your transfers."),
        ],
        "figures": {"net_minor": net, "vat_minor": vat, "gross_minor": gross, "booking_commission_minor": booked},
    }


def credit_note_snapshot(
    venue: Venue,
    invoice: Any,
    *,
    number: str,
    issued_at: datetime,
    split: tuple[int, int],
    gross: int,
    reason: str,
) -> dict[str, Any]:
    net, vat = split
    return {
        "kind": DocumentKind.CREDIT_NOTE.value,
        "title": _("Credit note"),
        "number": number,
        "facts": _facts(number, issued_at, invoice.period_start, (_("Corrects invoice"), invoice.number)),
        "seller": _seller(),
        "buyer": _buyer(venue),
        "columns": [_("Correction"), _("Amount")],
        "rows": [[reason, format_money(gross, invoice.currency)]],
        "totals": _vat_totals(net, vat, gross, invoice.vat_rate_bp, invoice.currency),
        "notes": [_("This credit note corrects invoice %(number)s.", number=invoice.number)],
        "figures": {"net_minor": net, "vat_minor": vat, "gross_minor": gross},
    }


def statement_snapshot(venue: Venue, figures: MonthFigures, *, number: str, issued_at: datetime) -> dict[str, Any]:
    """The month's statement: each booking's line, then bookings, fees, other charges, refunds,
    commission, net earnings, what was transferred and what reached the bank."""
    currency = figures.currency
    totals = figures.totals

    def money(minor: int) -> str:
        return format_money(minor, currency)

    summary: list[tuple[str, str, int]] = [
        ("bookings_minor", _("Bookings"), figures.bookings_minor),
        ("fees_minor", _("No-show and late-cancellation fees"), figures.fees_minor),
        ("other_minor", _("Top-ups and payment links"), figures.other_minor),
        ("refunds_minor", _("Refunds"), -totals.refunds_minor),
        ("commission_minor", _("Commission (VAT included)"), -totals.commission_minor),
        ("net_minor", _("Net earnings"), totals.net_minor),
    ]
    return {
        "kind": DocumentKind.STATEMENT.value,
        "title": _("Monthly statement"),
        "number": number,
        "facts": _facts(number, issued_at, figures.first),
        "seller": _seller(),
        "buyer": _buyer(venue),
        "columns": [_("Booking"), _("Gross"), _("Commission"), _("Refunded"), _("Net")],
        "rows": [
            [
                f"{line.reference} · {line.service} ({line.paid_on.isoformat()})",
                money(line.gross_minor),
                money(line.commission_minor),
                money(line.refunded_minor),
                money(line.net_minor),
            ]
            for line in figures.lines
        ],
        "totals": [[label, money(amount)] for _key, label, amount in summary],
        "notes": [
            _("Transferred to your payout account: %(amount)s", amount=money(totals.paid_out_minor)),
            _("Payouts to your bank this month: %(amount)s", amount=money(figures.bank_payouts_minor)),
        ],
        "figures": {
            **{key: amount for key, _label, amount in summary},
            "gross_minor": totals.gross_minor,
            "paid_out_minor": totals.paid_out_minor,
            "bank_payouts_minor": figures.bank_payouts_minor,
        },
    }
