"""The waitlist's signal (a blinker signal, as Flask's own).

``offer_made`` fires when a reopened time was offered to a customer in line and held for them
(``offers.make_offer``), inside the transaction that holds it; receivers get ``offer`` (the
``WaitlistOffer``) and ``customer`` (the ``User``). The customer's notice, email and text
listen to it (app/notifications/waitlist_offers.py): notifications sit above the waitlist, so
the waitlist tells nobody itself.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
offer_made = signals.signal("offer-made", doc="A reopened time was offered to a customer on the waitlist.")
