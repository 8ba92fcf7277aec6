"""In-process events of payments (blinker signals, as Flask's own).

Two packages above payments hear from it through these signals, so payments imports neither:
checkout settles a top-up (``PaymentKind.TOP_UP``: a customer's move to a dearer time), the use
case that started it (app/checkout/top_ups.py), and payouts transfer the venue's share of what
payments take and reconcile their transfers. Each signal's ``doc`` says when it
fires, its sender and what its receivers get.
"""

from __future__ import annotations

from blinker import NamedSignal, Namespace

signals = Namespace()
top_up_paid = signals.signal(
    "top-up-paid",
    doc="Fires when settlement finds a top-up paid and has marked its payment succeeded "
    "(``settlement._top_up_paid``), inside the transaction that settles the gateway's event; exactly one receiver "
    "makes the move (or refunds the top-up) and answers the outcome, a short text for the log. The sender is "
    "``settlement``; receivers get ``payment`` and ``now``.",
)
top_up_unpaid = signals.signal(
    "top-up-unpaid",
    doc="Fires when a top-up's checkout failed or expired (``settlement.mark_unpaid``), inside the transaction that "
    "settles the gateway's event; exactly one receiver releases its hold and answers the outcome. The sender is "
    "``settlement``; receivers get ``payment``, ``status`` and ``now``.",
)
refund_made = signals.signal(
    "refund-made",
    doc="Fires once for every refund that reached the customer (``refunds.refund_reached``), inside the transaction "
    "that recorded it on the order. The sender is where it went (``card``, with the ``Refund`` row as ``refund``, "
    "or ``voucher``, with ``refund`` None); receivers get ``order``, ``amount_minor`` and ``refund``.",
)
charge_taken = signals.signal(
    "charge-taken",
    doc="Fires when money beyond an order's checkout was taken and is the venue's (a fee charged to the saved card, "
    "a top-up whose move was made, a desk booking's payment link), inside the transaction that marked it "
    "succeeded. The sender is the ``PaymentKind`` (``fee``, ``top_up`` or ``desk_link``); receivers get "
    "``payment``.",
)
reconciling = signals.signal(
    "reconciling",
    doc="Fires when ``reconcile`` (app/payments/reconcile.py) has settled what the gateway knows, so receivers "
    "reconcile what they keep beside payments. The sender is ``payments``; receivers get ``now`` and answer the "
    "lines they add to its summary.",
)
REFUNDED_TO = ("card", "voucher")


def ask(signal: NamedSignal, **kwargs: object) -> str:
    """The one receiver's answer to ``signal`` (the outcome of settling a top-up)."""
    answers = [answer for _receiver, answer in signal.send("settlement", **kwargs)]
    if len(answers) != 1:
        raise RuntimeError(f"{signal.name}: {len(answers)} receivers answered, one should")
    return answers[0]
