"""The client book's signal: a booking made at the front desk.

``desk_booked`` fires once a desk booking is confirmed (paid at the venue), inside the
transaction that made it; receivers get ``booking``, ``client`` and ``pay_by_link`` (the desk
chose to send a payment link). The client's confirmation
email or text listens to it (app/notifications/desk.py): a desk order fires no ``order_paid``,
since nothing was paid online.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
desk_booked = signals.signal("desk-booked", doc="A booking was made at the front desk.")
