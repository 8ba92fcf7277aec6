"""Invoicing reacts to the customer's money: a paid order gets its receipt and a refund that
reached the customer its refund note, each issued by a job enqueued in the transaction that
paid or refunded (app/invoicing/receipts.py). Payments sit below invoicing and don't import it."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import order_paid
from app.booking.models import Order
from app.invoicing.receipts import issue_receipt_job, issue_refund_note_job
from app.payments.events import refund_made
from app.payments.models import Refund
from app.platform.jobs import enqueue


@order_paid.connect
def issue_receipt_when_paid(_how: str, *, order: Order, now: datetime, payment=None) -> None:
    if order.receipt_number is not None:
        enqueue(issue_receipt_job, order_id=order.id)


@refund_made.connect
def issue_refund_note_when_refunded(_to: str, *, order: Order, amount_minor: int, refund: Refund | None) -> None:
    enqueue(
        issue_refund_note_job,
        order_id=order.id,
        amount_minor=amount_minor,
        refund_id=refund.id if refund is not None else None,
    )
