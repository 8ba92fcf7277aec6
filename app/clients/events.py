"""The client book's signal: a booking made at the front desk (a blinker signal, as Flask's own)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
desk_booked = signals.signal(
    "desk-booked",
    doc="Fires once a booking made at the front desk is confirmed, to be paid at the venue (``desk.book_at_desk``), "
    "inside that transaction; such an order fires no ``order_paid``, since nothing was paid online. The sender is "
    "the channel (``desk``); receivers get ``booking``, ``client`` and ``pay_by_link`` (True when the desk chose to "
    "send a payment link).",
)
