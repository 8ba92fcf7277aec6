"""An admin's decision on a listing reaches its owner by email (catalogue.listing_decided); a
live listing whose payouts aren't set up yet hears what is still needed before customers can
book it online."""

from __future__ import annotations

from app.notifications import catalogue
from app.venues.events import listing_decided
from app.venues.models import Venue


@listing_decided.connect
def on_decided(action: str, *, venue: Venue, reason: str) -> None:
    tell_owner(venue, action, reason)


def tell_owner(venue: Venue, action: str, reason: str) -> None:
    catalogue.listing_decided.send(venue.owner, venue=venue, action=action, reason=reason)
