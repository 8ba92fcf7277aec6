"""An admin's decision on a listing reaches its owner by email; a live listing whose payouts
aren't set up yet hears what is still needed before customers can book it online."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.payouts.accounts import get_account, status_of, takes_paid_bookings
from app.payouts.models import AccountStatus
from app.platform.email import send_email
from app.platform.urls import absolute_url
from app.venues.events import listing_decided
from app.venues.models import Venue


@listing_decided.connect
def on_decided(action: str, *, venue: Venue, reason: str) -> None:
    tell_owner(venue, action, reason)


def tell_owner(venue: Venue, action: str, reason: str) -> None:
    subjects = {
        "approve": _l("%(venue)s is live on CozyWish", venue=venue.name),
        "reject": _l("%(venue)s needs a few changes", venue=venue.name),
        "suspend": _l("%(venue)s has been suspended", venue=venue.name),
        "reinstate": _l("%(venue)s is live again", venue=venue.name),
    }
    # A live listing whose payouts aren't set up yet: the email says what is still needed for
    # customers to book it online (or for us to pay the owner), with the link to set them up.
    send_email(
        venue.owner.email,
        subjects[action],
        "venue_decision",
        user=venue.owner,
        venue=venue,
        action=action,
        reason=reason,
        venue_url=absolute_url("venues_public.venue_page", slug=venue.slug),
        dashboard_url=absolute_url("venues_dashboard.home"),
        bookable=takes_paid_bookings(venue.id),
        payouts_done=status_of(get_account(venue.id)) == AccountStatus.ENABLED,
        payouts_url=absolute_url("venues_dashboard.payouts"),
    )
