"""`flask probe setup`: the probe customer and the probe venue the synthetic probe books at.

The venue is an ordinary approved listing with its own owner, open 09:00-18:00 every day, with
one 30-minute service that people can't be booked into twice at once (capacity 1): the probe's
bookings land there and nowhere else, so no real venue's calendar, figures or payouts move.
Safe to run again: what exists is kept. With PROBE_VENUE_SLUG set on the site the venue stays
out of search, the sitemap and analytics, and with PROBE_EMAIL too the probe's own orders pay
on the Demo gateway even where Stripe takes everyone else's (docs/synthetic-probe.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from app.accounts.models import Role, User
from app.accounts.service import check_password_rules, get_user_by_email, normalize_email
from app.payouts.accounts import connect_enabled_demo_account
from app.platform.errors import DomainError
from app.platform.extensions import db
from app.venues.hours import Range
from app.venues.models import Venue, VenueStatus
from app.venues.service import create_venue, get_venue_for_owner, save_service, set_day_hours
from search.backend import get_backend

VENUE_NAME = "CozyWish Probe"
SERVICE_NAME = "Probe appointment"


@dataclass(frozen=True)
class ProbeWorld:
    customer_email: str
    venue_slug: str
    service_id: int


def _account(email: str, name: str, password: str, role: str) -> User:
    """The account ``email``, made verified with ``role`` if missing; refused if it has another role."""
    user = get_user_by_email(email)
    if user is None:
        check_password_rules(password, email=email, name=name)
        user = User(email=normalize_email(email), name=name, role=role, email_verified_at=datetime.now(UTC))
        user.set_password(password)
        db.session.add(user)
        db.session.flush()
    elif user.role != role:
        raise click.ClickException(f"{email} is already a {user.role} account, not a {role}.")
    return user


def _venue(owner: User) -> Venue:
    venue = get_venue_for_owner(owner.id)
    if venue is not None:
        return venue
    venue = create_venue(owner, name=VENUE_NAME, category_id=None, description="Synthetic monitoring: not bookable.")
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(9 * 60, 18 * 60)])
    save_service(
        venue,
        None,
        name=SERVICE_NAME,
        description="Booked and cancelled by the synthetic probe.",
        category_id=None,
        duration_minutes=30,
        price_minor=100,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    venue.status = VenueStatus.APPROVED
    # Its payouts go to a Demo payout account: the probe's payments move no money anywhere.
    connect_enabled_demo_account(venue)
    db.session.flush()
    return venue


def set_up_probe(*, customer_email: str, owner_email: str, password: str) -> ProbeWorld:
    """The probe's customer, its venue's owner and the venue (approved; indexed, or taken out of
    the index when PROBE_VENUE_SLUG names it)."""
    customer = _account(customer_email, "CozyWish Probe", password, Role.CUSTOMER)
    owner = _account(owner_email, "CozyWish Probe Venue", password, Role.PROVIDER)
    venue = _venue(owner)
    get_backend().index([venue.id])
    service = next(s for s in venue.services if s.is_active)
    return ProbeWorld(customer_email=customer.email, venue_slug=venue.slug, service_id=service.id)


@click.command("setup")
@with_appcontext
@click.option("--email", envvar="PROBE_EMAIL", required=True, help="The probe customer's email.")
@click.option("--owner-email", required=True, help="The probe venue owner's email (an address you read).")
@click.password_option(envvar="PROBE_PASSWORD", help="For both accounts; at least 12 characters.")
def setup_probe(email: str, owner_email: str, password: str) -> None:
    """Create the probe customer and the probe venue (safe to run again); prints PROBE_VENUE_SLUG."""
    try:
        world = set_up_probe(customer_email=email, owner_email=owner_email, password=password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Probe customer {world.customer_email}; PROBE_VENUE_SLUG={world.venue_slug}")
    click.echo("Set PROBE_EMAIL and PROBE_VENUE_SLUG on the site too: they hide the venue and let the probe pay.")
