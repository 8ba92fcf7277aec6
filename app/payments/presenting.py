"""An order's bookings as the payment pages show them (the return page, the receipt, the Demo
gateway's checkout): plain values, times in each venue's own time zone."""

from __future__ import annotations

from typing import Any

from flask import url_for

from app.booking.models import Order
from app.booking.policy import describe_booking_rules
from app.booking.presenting import booked_service, rebook_links
from app.booking.requests import status_label as request_status_label
from app.platform import timefmt
from app.platform.money import format_money


def order_lines(order: Order) -> list[dict[str, Any]]:
    """Each booking of an order as plain values, times in its venue's own time zone."""
    lines = []
    rebooking = rebook_links(order.bookings)
    for b in order.bookings:
        rebook = rebooking[b.id]
        zone = timefmt.venue_zone(b.venue)
        when, ends = timefmt.start_and_end(b.starts_at, b.ends_at, zone)
        lines.append(
            {
                "reference": b.reference,
                "url": url_for("booking.booking_detail", reference=b.reference),
                "service": booked_service(b),  # "Massage (90 min) + Hot stones": as booked
                "venue": b.venue.name,
                "venue_address": ", ".join(p for p in (b.venue.address_line, b.venue.city, b.venue.postcode) if p),
                "when": when,
                "ends": ends,
                "timezone": zone.key,
                "member": b.team_member.name if b.team_member else None,
                "quantity": b.quantity,
                "unit_price": format_money(b.unit_price_minor, b.currency),
                "total": format_money(b.total_minor, b.currency),
                "status": b.status,
                "status_label": request_status_label(b),
                "request_state": b.request_state,
                "policy": describe_booking_rules(b),
                # Its service's booking page, with the same person when they still do it.
                "book_again_url": rebook["url"] if rebook else None,
                "book_with": rebook["member"] if rebook else None,
            }
        )
    return lines
