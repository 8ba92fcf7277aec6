"""A customer's open waitlist offers as rows, for "My waitlist" and "My bookings"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import url_for

from app.booking import intake
from app.platform.timefmt import moment_label, span_label, venue_zone
from app.waitlist import service as waitlist
from app.waitlist.models import WaitlistOffer


def get_offer_rows(
    customer_id: int, now: datetime, *, answered: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The banner's offers (My waitlist and My bookings show it). ``answered``: the fields of a
    refused "Book it", shown again."""
    return [offer_row(o, answered=answered) for o in waitlist.find_open_offers(customer_id, now=now)]


def offer_questions(offer: WaitlistOffer, answered: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """The service's intake questions to answer with "Book it", or none when the customer's
    earlier answers to the same service are carried (app/booking/intake.answers_for_offer)."""
    service = offer.service
    if not service.questions or intake.earlier_answers(offer.customer_id, service) is not None:
        return []
    answered = answered or {}
    return [
        {
            # each offer's own field ids: two offers on one page never share one
            "field": intake.field_name(q),
            "id": f"offer-{offer.id}-{intake.field_name(q)}",
            "text": q.text,
            "kind": q.kind,
            "options": q.options,
            "required": q.required,
            "value": answered.get(intake.field_name(q), ""),
        }
        for q in service.questions
    ]


def offer_row(offer: WaitlistOffer, *, answered: Mapping[str, str] | None = None) -> dict[str, Any]:
    zone = venue_zone(offer.service.venue.timezone)
    return {
        "questions": offer_questions(offer, answered),
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
