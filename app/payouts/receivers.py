"""Payouts react to paid orders: each venue's share is scheduled as transfers (a job each),
in the transaction that confirmed the order (``order_paid``, app/booking/events.py). And they
answer the cart (``cart_adding``): a venue without an enabled payout account can't take
online bookings yet. A refund that reached the customer (``refund_made``, app/payments/events.py)
takes back each venue's part of its transfers.

Payouts sit above payments, so payments tell them through signals rather than calling them: a
fee, a top-up or a desk link charged (``charge_taken``) sends the venue its share, and
reconciliation with the gateway (``reconciling``) reconciles the transfers too."""

from __future__ import annotations

from datetime import datetime

from app.booking.events import cart_adding, order_paid
from app.booking.models import Order
from app.payments.events import charge_taken, reconciling, refund_made
from app.payments.models import Payment, Refund
from app.payouts.accounts import unpayable_message
from app.payouts.reconcile import reconcile_transfers
from app.payouts.transfers import (
    schedule_balance_transfers,
    schedule_reversals,
    schedule_transfers,
    schedule_voucher_reversals,
)


@order_paid.connect
def pay_the_venues(how: str, *, order: Order, now: datetime, payment=None) -> None:
    """A card charge funds each venue's charge leg (and a gift voucher's part its balance leg);
    with nothing charged, the voucher money funds balance legs, through the gateway that saved
    the card if one did. An order paid entirely at the venue moves no money through us."""
    if how == "charged" and payment is not None:  # None: confirmed by hand (tests, admin tools)
        schedule_transfers(payment)
    elif how == "secured":
        schedule_balance_transfers(order, gateway=payment.gateway)
    elif how == "covered":
        schedule_balance_transfers(order)


@cart_adding.connect
def refuse_unpayable(_sender: str, *, venue_ids: set[int], user_id: int | None = None) -> str | None:
    """Why these venues can't take a cart item yet (no enabled payout account), or None."""
    return unpayable_message(venue_ids)


@refund_made.connect
def take_back_from_the_venues(to: str, *, order: Order, amount_minor: int, refund: Refund | None) -> None:
    """A card refund reverses the transfers its payment funded; a refund back on the gift
    voucher reverses the venues' balance legs (both exactly once, app/payouts/transfers.py)."""
    if to == "card":
        schedule_reversals(refund)
    else:
        schedule_voucher_reversals(order)


@charge_taken.connect
def pay_the_venue(kind: str, *, payment: Payment) -> None:
    """A fee, a kept top-up or a paid desk link: the venue's share goes as a transfer."""
    schedule_transfers(payment)


@reconciling.connect
def reconcile_the_transfers(_sender: str, *, now: datetime) -> list[str]:
    """Transfers missed, waiting, failed or stale are sent again (app/payouts/reconcile.py)."""
    return reconcile_transfers(now).lines()
