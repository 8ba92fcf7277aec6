"""The customer's receipt, issued once and kept (docs/receipts.md): a paid order's PDF receipt
is drawn when it is issued and stored as an ``InvoiceDocument`` of kind ``receipt`` (number
CW-RCT-YYYY-NNNNNN); a download serves those bytes, so renaming the venue or changing its VAT
number later changes nothing a customer was given. A refund after it is a ``refund_note`` of
its own (CW-RFN-…, negative figures, ``corrects_id`` the receipt), never a change to it.

Both are issued by jobs enqueued in the paying or refunding transaction (drawing a PDF takes
tens of milliseconds of CPU, and numbers come from a counter whose row stays locked until the
issuing transaction ends: a job keeps both out of the payment). A download that comes first
issues the receipt itself. The order's row lock makes the two take turns, and a unique index
holds one receipt per order and one note per card refund, so a replayed event issues nothing.

The receipt is drawn by app/payments/receipts.py (``draw_receipt``: the receipt page's values,
drawn by app/payments/receipt_pdf.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.booking.amounts import amount_due
from app.booking.models import Order
from app.booking.presenting import ORDER_BOOKINGS
from app.invoicing import pdf
from app.invoicing.models import DocumentKind, InvoiceDocument
from app.invoicing.service import next_number
from app.payments.models import Refund
from app.payments.receipt_pdf import get_venue_vat, vat_in, vat_rate
from app.payments.receipts import draw_receipt
from app.platform.email import speaking_to
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.money import format_money
from app.platform.timefmt import day_words


class NoReceiptYet(ValidationFailed):
    """An order that isn't paid has no receipt."""


def get_receipt_document(order_id: int) -> InvoiceDocument | None:
    return db.session.scalar(
        select(InvoiceDocument).where(
            InvoiceDocument.order_id == order_id, InvoiceDocument.kind == DocumentKind.RECEIPT
        )
    )


def get_refund_notes(order_id: int) -> list[InvoiceDocument]:
    return list(
        db.session.scalars(
            select(InvoiceDocument)
            .where(InvoiceDocument.order_id == order_id, InvoiceDocument.kind == DocumentKind.REFUND_NOTE)
            .order_by(InvoiceDocument.id)
        )
    )


def _lock(order: Order) -> None:
    """Hold the order's row until the transaction ends: one issuer at a time per order."""
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())


def issue_receipt(order: Order, *, now: datetime) -> InvoiceDocument:
    """The order's receipt: the one issued before, else issued now, drawn from the order as it is."""
    issued = get_receipt_document(order.id)
    if issued is not None:  # the common case: no lock for a download
        return issued
    _lock(order)
    return _issue_receipt_locked(order, now=now)


def _issue_receipt_locked(order: Order, *, now: datetime) -> InvoiceDocument:
    """``issue_receipt`` for a caller that holds the order's row lock."""
    issued = get_receipt_document(order.id)  # issued while we waited for the lock?
    if issued is not None:
        return issued
    if order.receipt_number is None:
        raise NoReceiptYet(_("This order isn't paid, so there's no receipt for it yet."))
    with speaking_to(order.customer):
        body = draw_receipt(order)
        parts = get_venue_vat(order)
        title = _("Receipt")
    due = amount_due(order)
    gross = due.due_now_minor + due.voucher_applied_minor
    vat = sum(part.vat_minor for part in parts)
    number = next_number(DocumentKind.RECEIPT, now.year)
    snapshot = {
        "title": title,
        "number": number,
        "receipt_number": order.receipt_number,
        "customer": [order.customer.name, order.customer.email],
        "sellers": [  # as get_venue_vat lists them: in the order's booking order
            {"venue_id": venue_id, "name": part.venue, "vat_number": part.vat_number}
            for venue_id, part in zip(dict.fromkeys(b.venue_id for b in order.bookings), parts, strict=True)
        ],
        "gross": format_money(gross, order.currency),
    }
    return _add(order, DocumentKind.RECEIPT, number, snapshot, body, (gross - vat, vat, gross), now)


def issue_refund_note(order: Order, *, amount_minor: int, refund: Refund | None, now: datetime) -> InvoiceDocument:
    """A refund note for ``amount_minor`` given back on ``order`` (``refund``: the card refund;
    None for money back on a gift voucher): the receipt first if it was never issued, then the
    note that corrects it. A card refund's note is issued once."""
    _lock(order)
    receipt = _issue_receipt_locked(order, now=now)
    if refund is not None:
        issued = db.session.scalar(select(InvoiceDocument).where(InvoiceDocument.refund_id == refund.id))
        if issued is not None:
            return issued
    vat = vat_in(amount_minor, vat_rate()) if _seller_of(receipt, refund).get("vat_number") else 0
    number = next_number(DocumentKind.REFUND_NOTE, now.year)
    with speaking_to(order.customer):
        snapshot = refund_note_snapshot(
            order, receipt, number=number, amount_minor=amount_minor, vat_minor=vat, refund=refund, now=now
        )
    money = (-(amount_minor - vat), -vat, -amount_minor)
    return _add(
        order,
        DocumentKind.REFUND_NOTE,
        number,
        snapshot,
        pdf.render(snapshot),
        money,
        now,
        corrects=receipt,
        refund=refund,
    )


def _seller_of(receipt: InvoiceDocument, refund: Refund | None) -> dict[str, Any]:
    """The venue a refund gives back for, as the receipt named it when issued (its VAT number
    then): the refunded booking's, else the receipt's only seller; {} when that can't be told."""
    sellers = receipt.lines["sellers"]
    if refund is not None and refund.booking is not None:
        return next((s for s in sellers if s["venue_id"] == refund.booking.venue_id), {})
    return sellers[0] if len(sellers) == 1 else {}


def refund_note_snapshot(
    order: Order,
    receipt: InvoiceDocument,
    *,
    number: str,
    amount_minor: int,
    vat_minor: int,
    refund: Refund | None,
    now: datetime,
) -> dict[str, Any]:
    """What a refund note says, in the customer's language, decided once."""
    currency = order.currency
    what = _("Refund to your card") if refund is not None else _("Refund to your gift voucher")
    if refund is not None and refund.booking is not None:
        what += " · " + _("booking %(reference)s", reference=refund.booking.reference)
    if refund is not None and refund.reason:
        what += f" · {refund.reason}"
    totals = [[_("Refunded"), f"- {format_money(amount_minor, currency)}"]]
    if vat_minor:
        totals.insert(0, [_("of which VAT"), f"- {format_money(vat_minor, currency)}"])
    return {
        "title": _("Refund note"),
        "number": number,
        "facts": [
            (_("Number"), number),
            (_("Date of issue"), day_words(now.date(), "d MMMM yyyy")),
            (_("Corrects receipt"), f"{receipt.number} ({order.receipt_number})"),
            (_("Order"), str(order.id)),
        ],
        "seller": (_("From"), ["CozyWish"] + [seller["name"] for seller in receipt.lines["sellers"]]),
        "buyer": (_("To"), receipt.lines["customer"]),
        "columns": [_("Description"), _("Amount")],
        "rows": [[what, f"- {format_money(amount_minor, currency)}"]],
        "totals": totals,
        "notes": [_("This note corrects the receipt above by the amount refunded; the receipt itself is unchanged.")],
    }


def _add(
    order: Order,
    kind: DocumentKind,
    number: str,
    snapshot: dict[str, Any],
    body: bytes,
    money: tuple[int, int, int],
    now: datetime,
    *,
    corrects: InvoiceDocument | None = None,
    refund: Refund | None = None,
) -> InvoiceDocument:
    net, vat, gross = money
    day = now.astimezone(UTC).date()
    document = InvoiceDocument(
        kind=kind.value,
        number=number,
        order_id=order.id,
        refund_id=refund.id if refund is not None else None,
        period_start=day,
        period_end=day + timedelta(days=1),
        currency=order.currency,
        net_minor=net,
        vat_minor=vat,
        gross_minor=gross,
        vat_rate_bp=int(vat_rate() * 100) if vat else 0,
        lines=snapshot,
        pdf=body,
        corrects_id=corrects.id if corrects is not None else None,
        issued_at=now,
    )
    db.session.add(document)
    db.session.flush()
    return document


# -- the jobs, enqueued by app/invoicing/receivers.py -------------------------------------------------


# What drawing a receipt reads of its order (app/payments/receipts.py), loaded with it.
RECEIPT_LOADS = (joinedload(Order.customer), ORDER_BOOKINGS)


@job(name="invoicing.issue_receipt", retry=3)
def issue_receipt_job(order_id: int) -> None:
    # The order locked as it is read (no receipt is issued before its job in the common case).
    order = db.session.scalar(
        select(Order).where(Order.id == order_id).options(*RECEIPT_LOADS).with_for_update(of=Order)
    )
    if order is not None and order.receipt_number is not None:
        _issue_receipt_locked(order, now=datetime.now(UTC))
        db.session.commit()


@job(name="invoicing.issue_refund_note", retry=3)
def issue_refund_note_job(order_id: int, amount_minor: int, refund_id: int | None = None) -> None:
    order = db.session.get(Order, order_id)
    refund = db.session.get(Refund, refund_id) if refund_id is not None else None
    if order is None or order.receipt_number is None or (refund_id is not None and refund is None):
        return
    issue_refund_note(order, amount_minor=amount_minor, refund=refund, now=datetime.now(UTC))
    db.session.commit()
