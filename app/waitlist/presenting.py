"""A customer's open waitlist offers as rows, for "My waitlist" and "My bookings"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from app.timefmt import moment_label, span_label, venue_zone
from app.waitlist import service as waitlist
from app.waitlist.models import WaitlistOffer


def get_offer_rows(customer_id: int, now: datetime) -> list[dict[str, Any]]:
    """The banner's offers (My waitlist and My bookings show it)."""
    return [offer_row(o) for o in waitlist.find_open_offers(customer_id, now=now)]


def offer_row(offer: WaitlistOffer) -> dict[str, Any]:
    zone = venue_zone(offer.service.venue.timezone)
    return {
        "id": offer.id,
        "service": offer.service.name,
        "venue": offer.service.venue.name,
        "when": span_label(offer.starts_at, offer.ends_at, zone),
        "timezone": zone.key,
        "member": offer.team_member.name if offer.team_member else None,
        "expires_at": offer.expires_at,
        "expires_iso": offer.expires_at.astimezone(UTC).isoformat(timespec="seconds"),
        "expires_label": moment_label(offer.expires_at, zone),
        "accept_url": url_for("waitlist.accept", offer_id=offer.id),
        "decline_url": url_for("waitlist.decline", offer_id=offer.id),
    }
