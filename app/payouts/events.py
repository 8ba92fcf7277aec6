"""In-process events of payouts (blinker signals, as Flask's own).

``payout_paid`` fires when a venue's bank payout is first seen paid (a Connect ``payout.paid``
event, or another payout event that says so), inside the transaction that recorded it
(app/payouts/connect_events.py). The sender is the gateway; receivers get ``venue_id``,
``payout_id``, ``amount_minor``, ``currency`` and ``arrival_at``. The owner's notice listens
(app/notifications/activity.py); it keys on the payout id, so an event seen twice tells once.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
payout_paid = signals.signal("payout-paid", doc="A venue's bank payout was paid.")
