"""In-process events of payments (blinker signals, as Flask's own).

A top-up (``PaymentKind.TOP_UP``: a customer's move to a dearer time) is settled by the use
case that started it, app/checkout/top_ups.py, which sits above payments. Settlement
(app/payments/settlement.py) asks it through these signals, inside the transaction that
settles the gateway's event, so payments imports no use case:

    top_up_paid     the gateway took the top-up (the payment is marked succeeded); receivers get
                    ``payment`` and ``now`` and answer the outcome (a short text for the log)
    top_up_unpaid   its checkout failed or expired; receivers get ``payment``, ``status`` and
                    ``now`` and answer the outcome

Exactly one receiver answers each (the checkout's wiring connects it).

``refund_made`` fires once for every refund that reached the customer, inside the transaction
that recorded it on the order (``refunds.refund_reached``): a card refund the gateway settled
(sender ``card``; ``refund`` is the Refund row) or a part put back on the gift voucher that paid
it (sender ``voucher``; ``refund`` is None). Receivers get ``order``, ``amount_minor`` and
``refund``. The venues' transfers are taken back by payouts (app/payouts/receivers.py).

Payouts sit above payments, so what payments hand them goes through signals too:

    charge_taken    money beyond an order's checkout was taken and is the venue's: a fee
                    charged to the saved card (sender ``fee``), a top-up whose move was made
                    (``top_up``) or a desk booking's payment link (``desk_link``); receivers get
                    ``payment``, in the transaction that marked it succeeded
    reconciling     ``reconcile`` (app/payments/reconcile.py) has settled what the gateway
                    knows; receivers get ``now``, reconcile what they keep beside payments and
                    answer the lines they add to its summary

Payouts transfers the venue's share of a taken charge and reconciles the venues' transfers
(app/payouts/receivers.py).
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

signals = Namespace()
top_up_paid = signals.signal("top-up-paid", doc="A top-up was paid: make the move (or refund it).")
top_up_unpaid = signals.signal("top-up-unpaid", doc="A top-up's checkout failed or expired: release its hold.")
refund_made = signals.signal("refund-made", doc="A refund reached the customer (to a card or a gift voucher).")
charge_taken = signals.signal(
    "charge-taken",
    doc="A fee, a top-up or a desk link was charged and is the venue's (its transfer follows).",
)
reconciling = signals.signal(
    "reconciling",
    doc="Reconciliation ran: receivers reconcile what they keep and answer lines for its summary.",
)
REFUNDED_TO = ("card", "voucher")


def ask(signal: NamedSignal, **kwargs: object) -> str:
    """The one receiver's answer to ``signal`` (the outcome of settling a top-up)."""
    answers = [answer for _receiver, answer in signal.send("settlement", **kwargs)]
    if len(answers) != 1:
        raise RuntimeError(f"{signal.name}: {len(answers)} receivers answered, one should")
    return answers[0]
