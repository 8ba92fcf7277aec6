"""Issuing the marketplace's documents to venues (docs/invoices.md).

``issue_month`` gives every venue with a paid order or a bank payout in a month its statement,
and its VAT invoice when the platform kept commission; ``issue_credit_note`` corrects an
invoice. Each document gets the next gapless number of its kind and year, its snapshot and its
PDF, all in one INSERT; nothing here updates or deletes a document (the database refuses to).
Issuing again finds the month's documents there and issues nothing: the venue's row is locked
while its month is issued, and a unique index holds one invoice and one statement per month.
The owner is emailed a link to each new document (the mail layer attaches text only).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from app.invoicing import pdf
from app.invoicing.figures import get_active_venue_ids, get_month_figures, split_vat, vat_rate_bp
from app.invoicing.models import PREFIXES, DocumentCounter, DocumentKind, InvoiceDocument
from app.invoicing.snapshots import credit_note_snapshot, invoice_snapshot, statement_snapshot
from app.payouts.earnings import local_range
from app.platform.email import send_email, speaking_to
from app.platform.errors import NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.money import format_money
from app.platform.urls import absolute_url
from app.venues.models import Venue

log = logging.getLogger(__name__)

ISSUE_CRON = "0 4 1 * *"  # 04:00 UTC on the 1st: every venue's previous month has ended by then
REASON_LENGTH = (3, 300)


class MonthNotOver(ValidationFailed):
    """Only a month that has ended is issued."""


def month_after(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1)


def next_number(kind: DocumentKind, year: int) -> str:
    """The next number of ``kind`` in ``year`` (CW-INV-2026-000001). The counter's row stays
    locked until the caller's transaction ends, so numbers are never skipped nor given twice."""
    last = db.session.scalar(
        insert(DocumentCounter)
        .values(kind=kind.value, year=year, last=1)
        .on_conflict_do_update(index_elements=["kind", "year"], set_={"last": DocumentCounter.last + 1})
        .returning(DocumentCounter.last)
    )
    return f"{PREFIXES[kind]}-{year}-{last:06d}"


def previous_month(now: datetime) -> date:
    return (now.date().replace(day=1) - timedelta(days=1)).replace(day=1)


def issue_month(first: date, *, now: datetime) -> list[InvoiceDocument]:
    """Every venue's documents for the month starting ``first`` (the ones not issued yet)."""
    first = first.replace(day=1)
    if month_after(first) > now.date():
        raise MonthNotOver(_("%(month)s isn't over yet.", month=first.strftime("%Y-%m")))
    issued: list[InvoiceDocument] = []
    for venue_id in get_active_venue_ids(first):
        issued += issue_venue_month(venue_id, first, now=now)
    return issued


def issue_venue_month(venue_id: int, first: date, *, now: datetime) -> list[InvoiceDocument]:
    """One venue's statement and invoice for the month, each unless issued before (nothing
    while the month hasn't ended in the venue's time zone)."""
    venue = db.session.scalar(select(Venue).where(Venue.id == venue_id).with_for_update())
    if venue is None or local_range(venue, first, month_after(first))[1] > now:
        return []
    have = set(
        db.session.scalars(
            select(InvoiceDocument.kind).where(
                InvoiceDocument.venue_id == venue.id,
                InvoiceDocument.period_start == first,
                InvoiceDocument.kind != DocumentKind.CREDIT_NOTE,
            )
        )
    )
    if {DocumentKind.INVOICE, DocumentKind.STATEMENT} <= have:
        return []
    figures = get_month_figures(venue, first)
    if figures is None:
        return []
    issued = []
    with speaking_to(venue.owner):  # the documents speak their reader's language, for good
        if DocumentKind.STATEMENT not in have:
            number = next_number(DocumentKind.STATEMENT, now.year)
            snapshot = statement_snapshot(venue, figures, number=number, issued_at=now)
            net = figures.totals.net_minor
            issued.append(_add(venue, DocumentKind.STATEMENT, number, figures.first, snapshot, (net, 0, net), 0, now))
        if DocumentKind.INVOICE not in have and figures.totals.commission_minor > 0:
            rate = vat_rate_bp()
            gross = figures.totals.commission_minor
            split = split_vat(gross, rate)
            number = next_number(DocumentKind.INVOICE, now.year)
            snapshot = invoice_snapshot(venue, figures, number=number, issued_at=now, split=split, rate_bp=rate)
            issued.append(
                _add(venue, DocumentKind.INVOICE, number, figures.first, snapshot, (*split, gross), rate, now)
            )
    for document in issued:
        tell_owner(document)
    return issued


def credited_minor(invoice: InvoiceDocument) -> int:
    """What credit notes already took off ``invoice`` (a positive amount)."""
    total = db.session.scalar(
        select(func.sum(InvoiceDocument.gross_minor)).where(InvoiceDocument.corrects_id == invoice.id)
    )
    return -int(total or 0)


def issue_credit_note(invoice_id: int, *, amount_minor: int | None, reason: str, now: datetime) -> InvoiceDocument:
    """A credit note against an invoice: ``amount_minor`` of its VAT-inclusive total (all that
    is left when None), with its own number and negative figures."""
    invoice = db.session.scalar(select(InvoiceDocument).where(InvoiceDocument.id == invoice_id).with_for_update())
    if invoice is None or invoice.kind != DocumentKind.INVOICE:
        raise NotFound(_("There is no invoice with that number."))
    reason = " ".join(reason.split())
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise ValidationFailed(_("Give a reason of 3 to 300 characters."), field="reason")
    left = invoice.gross_minor - credited_minor(invoice)
    amount = left if amount_minor is None else amount_minor
    if amount <= 0 or amount > left:
        raise ValidationFailed(
            _(
                "A credit note is for more than nothing and at most %(left)s.",
                left=format_money(left, invoice.currency),
            ),
            field="amount",
        )
    venue = invoice.venue
    with speaking_to(venue.owner):
        split = split_vat(-amount, invoice.vat_rate_bp)
        number = next_number(DocumentKind.CREDIT_NOTE, now.year)
        snapshot = credit_note_snapshot(
            venue, invoice, number=number, issued_at=now, split=split, gross=-amount, reason=reason
        )
        document = _add(
            venue,
            DocumentKind.CREDIT_NOTE,
            number,
            invoice.period_start,
            snapshot,
            (*split, -amount),
            invoice.vat_rate_bp,
            now,
            corrects=invoice,
            reason=reason,
        )
    tell_owner(document)
    return document


def _add(
    venue: Venue,
    kind: DocumentKind,
    number: str,
    first: date,
    snapshot: dict,
    money: tuple[int, int, int],
    rate_bp: int,
    now: datetime,
    *,
    corrects: InvoiceDocument | None = None,
    reason: str | None = None,
) -> InvoiceDocument:
    net, vat, gross = money
    document = InvoiceDocument(
        kind=kind.value,
        number=number,
        venue_id=venue.id,
        period_start=first,
        period_end=month_after(first),
        currency=venue.currency if corrects is None else corrects.currency,
        net_minor=net,
        vat_minor=vat,
        gross_minor=gross,
        vat_rate_bp=rate_bp,
        lines=snapshot,
        pdf=pdf.render(snapshot),
        corrects_id=corrects.id if corrects else None,
        reason=reason,
        issued_at=now,
    )
    db.session.add(document)
    db.session.flush()
    return document


def subject_of(document: InvoiceDocument):
    if document.kind == DocumentKind.INVOICE:
        return _l("Your CozyWish invoice %(number)s", number=document.number)
    if document.kind == DocumentKind.CREDIT_NOTE:
        return _l("Your CozyWish credit note %(number)s", number=document.number)
    return _l("Your CozyWish statement %(number)s", number=document.number)


def tell_owner(document: InvoiceDocument) -> None:
    """Email the venue's owner a link to the new document (delivered by a job after commit)."""
    owner = document.venue.owner
    send_email(
        owner.email,
        subject_of(document),
        "invoice_issued",
        user=owner,
        document=document,
        title=document.lines["title"],
        url=absolute_url("venues_dashboard.invoice_pdf", document_id=document.id),
        list_url=absolute_url("venues_dashboard.invoices"),
    )


# -- the schedule -----------------------------------------------------------------------------------


@job(name="invoicing.issue_last_month", retry=3)
def issue_last_month_job(timestamp: int | None = None) -> None:
    """On the 1st: the month just ended, each venue in its own transaction."""
    now = datetime.now(UTC)
    first = previous_month(now)
    failed = []
    for venue_id in get_active_venue_ids(first):
        try:
            issue_venue_month(venue_id, first, now=now)
            db.session.commit()
        except Exception:  # one venue's failure doesn't hold up the others; the retry skips what's issued
            db.session.rollback()
            log.exception("invoices of venue %s for %s not issued", venue_id, first)
            failed.append(venue_id)
    if failed:
        raise RuntimeError(f"invoices not issued for venues {failed}")
