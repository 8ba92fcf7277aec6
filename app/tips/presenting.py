"""What the customer's booking page and the tip page show of tips: decided values only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.accounts.models import User
from app.booking.models import Booking, OrderStatus
from app.platform import timefmt
from app.platform.money import format_money
from app.tips import service


def tip_panel(booking: Booking, customer: User | None, now: datetime) -> dict[str, Any] | None:
    """The booking page's tip section, or None where tips don't apply (not the customer's own,
    or not a visit that happened: a future, held, no-show or cancelled booking)."""
    verdict = service.eligibility(booking, customer, now, tips=[])  # the visit alone: no statement
    if not verdict.shown:
        return None
    tips = service.get_tips(booking.id)
    verdict = service.eligibility(booking, customer, now, tips=tips)
    zone = timefmt.venue_zone(booking.venue)
    paid = service.paid_among(tips)
    waiting = service.waiting_among(tips, now) if paid is None else None
    return {
        "recipient": service.recipient_name(booking),
        "allowed": verdict.allowed,
        "reason": verdict.reason,
        "until": timefmt.moment_label(verdict.until, zone) if verdict.until else None,
        "presets": service.presets(booking),
        "min": format_money(service.min_minor(), booking.currency),
        "max": format_money(service.max_minor(booking), booking.currency),
        "paid": {
            "amount": format_money(paid.amount_minor, paid.currency),
            "when": timefmt.moment_label(paid.paid_at, zone) if paid.paid_at else None,
            "refunded": format_money(paid.order.refunded_minor, paid.currency) if paid.order.refunded_minor else None,
            "fully_refunded": paid.order.status == OrderStatus.REFUNDED,
        }
        if paid is not None
        else None,
        "waiting": {"amount": format_money(waiting.amount_minor, waiting.currency)} if waiting is not None else None,
    }
