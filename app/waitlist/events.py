"""The waitlist's signal (a blinker signal, as Flask's own): notifications sit above the
waitlist, so the waitlist tells nobody itself."""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()
offer_made = signals.signal(
    "offer-made",
    doc="Fires when a reopened time is offered to a customer in line and held for them (``offers.make_offer``), "
    "inside the transaction that holds it. The sender is ``waitlist``; receivers get ``offer`` (the "
    "``WaitlistOffer``) and ``customer`` (the ``User``).",
)
