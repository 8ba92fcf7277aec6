"""What the customer's pages show of packages: decided values only (app/packages/views/customer.py,
the venue's public page, My packages). Dates are the venue's, in its own time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.packages import service
from app.packages.models import Package, PackageHolding
from app.platform.extensions import db
from app.platform.money import format_money
from app.platform.timefmt import day_words, venue_zone
from app.venues.models import Venue, VenueStatus

DAY = "d MMM yyyy"  # 27 May 2027


def on_sale(package: Package) -> bool:
    """Whether ``package`` can be bought now (what ``service.start_purchase`` checks, read only)."""
    return package.is_active and package.service.is_active and package.venue.status == VenueStatus.APPROVED


def offer_card(package: Package) -> dict[str, Any]:
    """One package as the venue page and the package page list it: its name, "5 sessions of …",
    its price and what the sessions cost one by one today when that is more."""
    usual = service.usual_price_minor(package)
    return {
        "id": package.id,
        "name": package.name,
        "summary": service.offer_summary(package),
        "price": format_money(package.price_minor, package.currency),
        "usual": format_money(usual, package.currency) if usual > package.price_minor else None,
        "url": url_for("booking.package", package_id=package.id),
    }


def venue_offers(venue_id: int) -> list[dict[str, Any]]:
    """The packages a venue's public page lists: the ones on sale, cheapest first (one statement;
    their services and options are the venue page's, already loaded)."""
    return [offer_card(package) for package in service.offers_of(venue_id)]


def package_page(package: Package, *, payable: bool) -> dict[str, Any]:
    """The package page: the offer, its venue, and whether it can be bought (if not, why).
    ``payable``: whether the venue can be paid (app/payouts, asked by the page)."""
    venue = package.venue
    if not on_sale(package):
        closed = _("This package isn't on sale any more.")
    elif not payable:  # as checkout: nothing is sold that the venue can't be paid for
        closed = _("This venue can't take online payments yet, so its packages can't be bought here for now.")
    else:
        closed = None
    return {
        **offer_card(package),
        "closed": closed,
        "venue": {
            "name": venue.name,
            "url": url_for("venues_public.venue_page", slug=venue.slug) if venue.is_public else None,
        },
        "buy_url": url_for("booking.buy_package", package_id=package.id),
    }


def _day(moment: datetime, venue: Venue) -> str:
    return day_words(moment.astimezone(venue_zone(venue)).date(), DAY)


def held_row(held: service.Held, venue: Venue) -> dict[str, Any]:
    """One bought package on My packages: what is left and until when, or how it ended."""
    holding: PackageHolding = held.holding
    state = held.state
    if state == "refunded":
        status = _("Refunded")
    elif state == "expired":
        status = _("Ended on %(date)s", date=_day(holding.expires_at, venue))
    elif state == "used":
        status = _("All used")
    else:
        status = _(
            "%(left)s of %(count)s left, until %(date)s",
            left=held.left,
            count=holding.sessions,
            date=_day(holding.expires_at, venue),
        )
    option = {"option": holding.option_id} if holding.option_id is not None else {}
    bookable = state == "active" and venue.status == VenueStatus.APPROVED
    return {
        "id": holding.id,
        "name": holding.name,
        "treatment": service.treatment_label(holding.service_name, holding.option_name),
        "venue": holding.venue_name,
        "venue_url": url_for("venues_public.venue_page", slug=venue.slug) if venue.is_public else None,
        "state": state,
        "status": status,
        "price": format_money(holding.price_minor, holding.currency),
        "book_url": url_for("booking.book", slug=venue.slug, service_id=holding.service_id, **option)
        if bookable
        else None,
    }


def held_rows(customer_id: int, *, now: datetime) -> list[dict[str, Any]]:
    """My packages: the customer's paid packages, newest first. Their venues are read in one
    statement, so each row's venue costs nothing more."""
    held = service.held_by(customer_id, now=now)
    venue_ids = {h.holding.venue_id for h in held}
    venues = {v.id: v for v in db.session.scalars(select(Venue).where(Venue.id.in_(venue_ids)))} if venue_ids else {}
    return [held_row(h, venues[h.holding.venue_id]) for h in held]
