"""A waitlist offer, told to its customer (catalogue.waitlist_offer): the in-app notice always,
the email and the text on the channels they chose for waitlist offers. Listens to
``offer_made`` (app/waitlist/events.py), in the transaction that holds the offered time."""

from __future__ import annotations

from app.accounts.models import User
from app.notifications import catalogue
from app.waitlist.events import offer_made
from app.waitlist.models import WaitlistOffer


@offer_made.connect
def tell_the_customer(sender: str, *, offer: WaitlistOffer, customer: User) -> None:
    catalogue.waitlist_offer.send(customer, offer=offer)
