"""In-process events of payouts (a blinker signal, as Flask's own)."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
payout_paid = signals.signal(
    "payout-paid",
    doc="Fires when a payout event says a venue's bank payout is paid (``connect_events``: ``payout.paid``, or "
    "another payout event that says so), inside the transaction that recorded it; a later event that still says "
    "paid fires it again, so receivers key on the payout id. The sender is the gateway's name; receivers get "
    "``venue_id``, ``payout_id``, ``amount_minor``, ``currency`` and ``arrival_at``.",
)
