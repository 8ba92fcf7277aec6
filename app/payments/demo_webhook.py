"""The Demo gateway's webhook, delivered in process, and paying an order by demo card.

What the Demo gateway sends the app (``demo_gateway.webhook``: Connect's payout events, from
app/payouts/demo_connect.py) is verified, stored once and settled at once here, the path a
webhook delivery takes. The adapters import no settling code; this receiver joins them. And
where a demo checkout session stands (``demo_gateway.session_asked``, for ``lookup``) is
answered here from the payment row, in plain values: the adapter imports no model.
"""

from __future__ import annotations

from sqlalchemy import select

from app.booking.models import Order
from app.payments import demo_gateway as demo
from app.payments.models import Payment, PaymentEvent
from app.payments.service import start_payment
from app.payments.settlement import record_event, settle
from app.platform.extensions import db


def _store(payload: bytes) -> PaymentEvent | None:
    """Verify a demo event with our own signature and store it once (None: a duplicate)."""
    gateway = demo.DemoGateway()
    return record_event(gateway.name, gateway.parse_event(payload, {demo.SIGNATURE_HEADER: demo.sign(payload)}))


@demo.webhook.connect
def deliver(_sender: str, *, payload: bytes) -> PaymentEvent | None:
    """Store a demo event and settle it at once (the job that record_event enqueues then finds
    it settled). Returns the stored row, or None for a duplicate."""
    row = _store(payload)
    if row is not None:
        settle(row)
    return row


@demo.session_asked.connect
def session_state(_sender: str, *, session_id: str) -> demo.DemoSession | None:
    """The demo session ``session_id``: its payment's status, intent and expiry, and which
    checkout events were stored for it; None when no payment has that session."""
    payment = db.session.scalar(select(Payment).where(Payment.session_id == session_id))
    if payment is None:
        return None
    outcomes = {demo.event_id(session_id, outcome): outcome for outcome in ("completed", "failed")}
    sent = db.session.scalars(select(PaymentEvent.event_id).where(PaymentEvent.event_id.in_(list(outcomes))))
    return demo.DemoSession(
        status=str(payment.status),
        payment_intent_id=payment.payment_intent_id,
        expires_at=payment.expires_at,
        sent=frozenset(outcomes[e] for e in sent),
    )


def pay_by_demo_card(order: Order, card_last4: str = "4242") -> str:
    """Pay ``order`` the way a customer does on the Demo checkout with the card that pays: a
    checkout session, a signed ``checkout.session.completed`` event stored like a webhook
    delivery, and its settlement (which confirms the order). ``card_last4`` picks the test
    card (4242, or 0341 / 3184 whose later off-session fees fail). Demo data and tests use this, so
    they confirm orders along production's own path. Returns what settling did."""
    row = store_demo_payment(order, card_last4)
    return settle(row) if row is not None else "already paid"


def store_demo_payment(order: Order, card_last4: str = "4242") -> PaymentEvent | None:
    """``pay_by_demo_card`` up to its settlement: the checkout session and its stored
    ``checkout.session.completed`` event, whose settling job is queued (None: stored before)."""
    payment = start_payment(order, gateway=demo.DemoGateway())
    obj = demo.session_object(
        payment.session_id,
        payment.order_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        status="complete",
        **demo.completed_fields(payment.amount_minor, payment.order.customer_id, card_last4),
    )
    completed = demo.event_id(payment.session_id, "completed")
    return _store(demo.build_event("checkout.session.completed", obj, event_id=completed))
