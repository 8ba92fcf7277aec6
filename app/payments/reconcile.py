"""Reconciliation: a missed webhook never leaves a paid order unconfirmed or a slot held.

``reconcile(now)`` asks the gateway about every checkout still open past its expiry (or past
its order's hold), top-ups for moves to dearer times included, and feeds what it learns
through ``record_event`` as a synthetic event, so
the one settling code decides; then it replays the gateway's recent events, of which those
already stored are ignored by their unique id. Transfers to venues are reconciled too, by
payouts (app/payouts/reconcile.py), which sit above payments and answer the ``reconciling``
signal (app/payments/events.py) with their summary's lines. Run by ``flask payments reconcile``
and by a periodic job every 10 minutes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import or_, select

from app.booking.models import Order
from app.payments.events import reconciling
from app.payments.gateway import get_gateway
from app.payments.models import Payment, PaymentKind, PaymentStatus
from app.payments.ports import GatewayError, GatewayEvent, PaymentGateway, SessionStatus
from app.payments.settlement import record_event
from app.platform.extensions import db
from app.platform.jobs import job, run_pending_jobs

log = logging.getLogger(__name__)

REPLAY_WINDOW = timedelta(days=3)  # Stripe retries a webhook for up to three days
BATCH = 200  # payments looked up per run; the next run takes the rest


@dataclass
class Summary:
    checked: int = 0
    completed: int = 0
    expired: int = 0
    waiting: int = 0
    replayed: int = 0
    already_stored: int = 0
    errors: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)  # what ``reconciling``'s receivers answered (transfers)

    def lines(self) -> list[str]:
        lines = [
            f"Checked {self.checked} checkout(s) past their expiry: {self.completed} paid, "
            f"{self.expired} expired, {self.waiting} still waiting.",
            f"Replayed {self.replayed} missed event(s); {self.already_stored} were already stored.",
        ]
        lines += self.others
        lines += [f"Problem: {error}" for error in self.errors]
        return lines


def _stuck_payments(gateway_name: str, now: datetime) -> list[Payment]:
    return list(
        db.session.scalars(
            select(Payment)
            .join(Order, Order.id == Payment.order_id)
            .where(
                Payment.gateway == gateway_name,
                Payment.status.in_([PaymentStatus.OPEN, PaymentStatus.PROCESSING]),
                # a checkout's order hold, or any payment's own expiry (a top-up's hold is its expiry)
                or_(Payment.expires_at <= now, (Order.hold_expires_at <= now) & (Payment.kind == PaymentKind.CHECKOUT)),
            )
            .order_by(Payment.expires_at, Payment.id)
            .limit(BATCH)
        )
    )


def _synthetic(payment: Payment, kind: str, status: SessionStatus, *, order_id: int) -> GatewayEvent:
    suffix = kind.rsplit(".", 1)[-1]
    return GatewayEvent(
        id=f"reconcile:{payment.session_id}:{suffix}",
        type=kind,
        session_id=payment.session_id,
        payment_intent_id=status.payment_intent_id,
        payment_status=status.payment_status,
        order_id=order_id,
        setup_intent_id=status.setup_intent_id,  # a missed setup-mode checkout saved a card
        customer_id=status.customer_id,
        raw={
            "source": "reconcile",
            "session": {
                "id": payment.session_id,
                "status": status.status,
                "payment_status": status.payment_status,
                "payment_intent": status.payment_intent_id,
            },
        },
    )


def reconcile(now: datetime | None = None, gateway: PaymentGateway | None = None) -> Summary:
    """Record what the gateway knows and we missed; the caller commits (settling is a job)."""
    now = now or datetime.now(UTC)
    gateway = gateway or get_gateway()
    summary = Summary()

    for payment in _stuck_payments(gateway.name, now):
        summary.checked += 1
        try:
            status = gateway.lookup(payment.session_id)
        except GatewayError as exc:
            summary.errors.append(f"checkout {payment.session_id}: {exc.message}")
            continue
        if status.status == "complete" and status.payment_status in ("paid", "no_payment_required"):
            kind = "checkout.session.completed"
            summary.completed += 1
        elif status.status == "expired" or (status.status == "open" and payment.expires_at <= now):
            kind = "checkout.session.expired"
            summary.expired += 1
        else:  # still open within its own life, or an async payment still processing
            summary.waiting += 1
            continue
        record_event(gateway.name, _synthetic(payment, kind, status, order_id=payment.order_id))

    try:
        events = gateway.recent_events(since=now - REPLAY_WINDOW)
    except GatewayError as exc:
        summary.errors.append(f"recent events: {exc.message}")
        events = []
    for event in events:
        if record_event(gateway.name, event) is None:
            summary.already_stored += 1
        else:
            summary.replayed += 1

    for _receiver, lines in reconciling.send("payments", now=now):
        summary.others += lines
    return summary


@job(name="payments.reconcile")
def reconcile_job(timestamp: int | None = None) -> None:
    summary = reconcile()
    db.session.commit()
    if summary.completed or summary.expired or summary.replayed or summary.errors:
        log.warning("payments reconcile: %s", " ".join(summary.lines()))


payments_cli = AppGroup("payments", help="Payments: reconcile with the gateway.")


@payments_cli.command("reconcile")
def reconcile_command() -> None:
    """Settle checkouts stuck past their expiry and replay events that never arrived."""
    # A request context on BASE_URL: settling sends emails with links.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        gateway = get_gateway()
        summary = reconcile(gateway=gateway)
        db.session.commit()
        done = run_pending_jobs(limit=1000)
        db.session.commit()
    click.echo(f"Gateway: {gateway.name}.")
    for line in summary.lines():
        click.echo(line)
    failed = [name for name in done if name.endswith(":failed")]
    click.echo(f"Ran {len(done)} job(s)" + (f", {len(failed)} failed (see the log)." if failed else "."))
    if summary.errors:
        raise SystemExit(1)
