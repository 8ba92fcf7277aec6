"""A gift voucher at checkout: it pays what it can; an order it pays in full is confirmed at
once through the order lifecycle's ``confirm_paid``, with no gateway charge; its venues are
paid from the platform balance (``schedule_balance_transfers``, docs/payments.md).

Concurrent checkouts spending one voucher queue on its row lock (app/vouchers/ledger.py):
each takes ``min(balance, what the order may use it for)``. A checkout that finds the
voucher empty is refused with a message and keeps its cart; one that finds part of it left
takes that part and pays the rest by card. A treatment gift pays exactly one booking, whole.
"""

from __future__ import annotations

from datetime import datetime

from app.booking import order_lifecycle
from app.booking.amounts import amount_due
from app.booking.models import Order
from app.venues.deposits import keeps_card
from app.vouchers.ledger import Applied, apply_to_order, check_usable, get_by_code
from app.vouchers.treatments import apply_treatment

COVERED_REASON = "Paid in full by gift voucher"


def redeem_at_checkout(order: Order, code: str, *, now: datetime) -> Applied:
    """Spend the code on ``order``: a treatment gift pays its one matching booking whole
    (app/vouchers/treatments.py), an amount voucher what it can (app/vouchers/ledger.py)."""
    voucher = check_usable(get_by_code(code), currency=order.currency, now=now)
    applied = apply_treatment(order, voucher) if voucher.is_treatment else apply_to_order(order, code, now=now)
    # A card the policy needs for later fees is still saved by a checkout (app/payments/saved_cards.py).
    if amount_due(order).due_now_minor == 0 and not keeps_card(order.bookings):
        confirm_covered(order, now=now)
    return applied


def confirm_covered(order: Order, *, now: datetime) -> None:
    """Nothing is left to charge: the order is paid like a card payment (its receipt and the
    venues' shares, from the voucher money, follow ``order_paid``)."""
    order_lifecycle.confirm_paid(order, now=now, reason=COVERED_REASON, how="covered")
