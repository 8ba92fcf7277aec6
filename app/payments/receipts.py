"""The customer's receipt for a paid order, as its page and its PDF show it: what was paid
(card and voucher), promos, fees, refunds, each venue as seller. The page is
app/payments/views/pay.py's; the PDF is drawn by app/payments/receipt_pdf.py from the same values
and stored once by app/invoicing/receipts.py (docs/receipts.md)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.booking.amounts import amount_due
from app.booking.models import Order
from app.booking.order_lifecycle import STATUS_LABELS as ORDER_LABELS
from app.payments.fees import describe_fee, get_order_fees
from app.payments.models import Payment, PaymentKind, PaymentStatus, Refund, RefundStatus
from app.payments.presenting import order_lines
from app.payments.receipt_pdf import get_venue_vat, render_receipt_pdf, vat_rate
from app.payments.saved_cards import card_label, get_saved_card
from app.platform import timefmt
from app.platform.extensions import db
from app.platform.i18n import format_locale
from app.platform.money import format_money
from app.promos.lines import promo_lines

REFUND_LABELS = {
    RefundStatus.PENDING: _l("On its way"),
    RefundStatus.SUCCEEDED: _l("Refunded"),
    RefundStatus.FAILED: _l("Failed"),
}
GATEWAY_LABELS = {"demo": _l("Demo card payment"), "stripe": _l("Card payment (Stripe)")}


def build_receipt(order: Order) -> dict[str, Any]:
    zone = timefmt.venue_zone(order.bookings[0].venue) if order.bookings else None
    due = amount_due(order)
    payments = list(
        db.session.scalars(
            select(Payment)
            .where(
                Payment.order_id == order.id,
                Payment.status == PaymentStatus.SUCCEEDED,
                Payment.kind != PaymentKind.FEE,  # fees are separate money, listed on their own
            )
            .order_by(Payment.id)
        )
    )
    refunds = list(
        db.session.scalars(
            select(Refund).where(Refund.payment_id.in_([p.id for p in payments] or [-1])).order_by(Refund.id)
        )
    )
    references = {b.id: b.reference for b in order.bookings}
    pending = sum(r.amount_minor for r in refunds if r.status == RefundStatus.PENDING)
    refunded = sum(r.amount_minor for r in refunds if r.status == RefundStatus.SUCCEEDED)
    venues: dict[int, dict[str, str]] = {}
    for b in order.bookings:
        venues.setdefault(
            b.venue_id,
            {
                "name": b.venue.name,
                "address": ", ".join(p for p in (b.venue.address_line, b.venue.city, b.venue.postcode) if p),
            },
        )
    return {
        "receipt": {
            "number": order.receipt_number,
            "order_id": order.id,
            "paid_at": timefmt.moment_label(order.paid_at, zone) if order.paid_at and zone else None,
            "paid_iso": order.paid_at.astimezone(UTC).isoformat(timespec="seconds") if order.paid_at else None,
            "timezone": zone.key if zone else "UTC",
            "customer": order.customer.name,
            "email": order.customer.email,
            "status": ORDER_LABELS.get(order.status, order.status),
            "currency": order.currency,
            # What was paid (card and voucher); what is due at the venue is on its own line.
            "total": format_money(due.due_now_minor + due.voucher_applied_minor, order.currency),
            "subtotal_all": format_money(due.items_subtotal_minor, order.currency),
            "at_venue": format_money(due.due_at_venue_minor, order.currency) if due.due_at_venue_minor else None,
            "pay_label": due.pay_label,
            "saved_card": card_label(get_saved_card(order)),
            "fees": [describe_fee(fee) for fee in get_order_fees(order)],
            "voucher_applied": format_money(order.voucher_applied_minor, order.currency)
            if order.voucher_applied_minor
            else None,
            "gift_voucher": order.voucher_purchase.recipient_name
            if not order.bookings and order.voucher_purchase
            else None,
            **promo_lines(order),
            "refunded": format_money(refunded, order.currency),
            "has_refunds": bool(refunds),
            "pending": format_money(pending, order.currency) if pending else None,
            "net": format_money(due.due_now_minor + due.voucher_applied_minor - refunded, order.currency),
            "method": ", ".join(
                sorted(
                    {str(GATEWAY_LABELS.get(p.gateway, p.gateway)) for p in payments}
                    | ({_("Gift voucher")} if order.voucher_applied_minor else set())
                )
            )
            or None,
            "payment_refs": [p.payment_intent_id or p.session_id for p in payments],
        },
        "venues": list(venues.values()),
        "lines": order_lines(order),
        "refunds": [
            {
                "when": timefmt.moment_label(r.settled_at or r.created_at, zone) if zone else "",
                "amount": format_money(r.amount_minor, r.currency),
                "status": r.status,
                "status_label": REFUND_LABELS.get(r.status, r.status),
                "reason": r.reason,
                "booking": references.get(r.booking_id),
            }
            for r in refunds
        ],
        "locale": format_locale(),
    }


def draw_receipt(order: Order) -> bytes:
    """The receipt's PDF as the order stands now: drawn once, when it is issued."""
    rate = vat_rate()
    return render_receipt_pdf(**build_receipt(order), vat=get_venue_vat(order, rate), rate=rate)
