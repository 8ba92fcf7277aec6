"""The card a checkout saved for a booking policy's later fees (docs/deposits.md).

An order keeps a card when one of its bookings leaves money to pay at the venue and its
policy has a late-cancellation or no-show fee (``deposits.keeps_card``). Stripe: the Checkout
Session saves it (``setup_future_usage="off_session"`` on the payment, or ``mode="setup"``
when nothing is due now); the Demo gateway's hosted page does the same with its test cards.
When the checkout completes, settling stores the gateway's customer and payment method here,
once per order, and the customer sees "Card ending 4242 kept for this booking's policy".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.booking.models import Order
from app.payments.gateway import gateway_named
from app.payments.models import Payment, SavedPaymentMethod
from app.payments.ports import SavedCard
from app.platform.extensions import db


def get_saved_card(order: Order | int) -> SavedPaymentMethod | None:
    order_id = order if isinstance(order, int) else order.id
    return db.session.scalar(select(SavedPaymentMethod).where(SavedPaymentMethod.order_id == order_id))


def remember_card(payment: Payment, data: dict) -> SavedPaymentMethod | None:
    """Store the card the payment's checkout saved (idempotent: one per order)."""
    card = gateway_named(payment.gateway).saved_card(
        setup_intent_id=data.get("setup_intent_id"), payment_intent_id=data.get("payment_intent_id")
    )
    db.session.execute(
        insert(SavedPaymentMethod)
        .values(
            order_id=payment.order_id,
            customer_id=payment.order.customer_id,
            gateway=payment.gateway,
            gateway_customer_id=card.customer_id or data.get("customer_id"),
            payment_method_id=card.payment_method_id,
            card_brand=card.brand[:20],
            card_last4=card.last4[:4],
        )
        .on_conflict_do_nothing(index_elements=["order_id"])
    )
    return get_saved_card(payment.order_id)


def as_card(saved: SavedPaymentMethod) -> SavedCard:
    return SavedCard(
        customer_id=saved.gateway_customer_id,
        payment_method_id=saved.payment_method_id,
        brand=saved.card_brand,
        last4=saved.card_last4,
    )


def card_label(saved: SavedPaymentMethod | None) -> str | None:
    """ "Card ending 4242 kept for this booking's policy" (None without a saved card)."""
    if saved is None:
        return None
    return f"Card ending {saved.card_last4 or '····'} kept for this booking's policy"
