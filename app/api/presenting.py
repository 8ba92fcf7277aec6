"""Rows as the API shows them: plain dicts the schemas (app/api/schemas.py) dump. A venue's
times are given in the venue's time zone, with its offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.booking.models import Booking, CartItem, Order
from app.platform.extensions import db
from app.platform.records import attributes
from app.platform.timefmt import venue_zone
from app.reviews.models import Review
from app.venues.models import FAQ, Resource, Service, ServiceAddon, ServiceResource, Venue
from app.venues.options import from_price, length_and_price
from search.types import SearchHit


def money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount": int(amount), "currency": currency}


def local(moment: datetime | None, timezone: str) -> datetime | None:
    return moment.astimezone(venue_zone(timezone)) if moment is not None else None


def hit_row(hit: SearchHit) -> dict[str, Any]:
    doc = hit.document
    return {
        "id": hit.venue_id,
        "slug": hit.slug,
        "name": hit.name,
        "category": doc.category if doc else None,
        "city": doc.city if doc else "",
        "latitude": doc.lat if doc else None,
        "longitude": doc.lng if doc else None,
        "distance_km": round(hit.distance_km, 3) if hit.distance_km is not None else None,
        "price_from": money(doc.price_from, doc.currency) if doc else None,
        "rating": float(doc.rating) if doc and doc.rating is not None else None,
        "review_count": doc.review_count if doc else 0,
        "timezone": doc.timezone if doc else "",
    }


# A service's fields the API shows as they are (price and deposit_fixed are money).
SERVICE_FIELDS = (
    "id",
    "name",
    "description",
    "duration_minutes",
    "capacity",
    "payment_mode",
    "request_to_book",
    "is_active",
    "buffer_minutes",
    "category_id",
    "deposit_percent",
    "no_show_fee_percent",
    "cancel_free_hours",
    "cancel_late_fee_percent",
    "min_notice_minutes",
    "max_advance_days",
    "request_window_hours",
)


def service_row(service: Service) -> dict[str, Any]:
    return {
        **attributes(service, *SERVICE_FIELDS),
        "price": money(service.price_minor, service.currency),
        "deposit_fixed": money(service.deposit_fixed_minor, service.currency),
        "options": [attributes(o, "id", "name", "duration_minutes", "price_minor") for o in service.options],
        "from_price_minor": from_price(service)[0],
        "addons": [attributes(a, "id", "name", "price_minor", "extra_minutes") for a in service.addons],
        "processing": (
            {"after_minutes": service.processing_after_minutes, "minutes": service.processing_minutes}
            if service.processing_minutes is not None
            else None
        ),
        "needs": [need_row(n) for n in sorted(service.needs, key=lambda n: (n.resource.position, n.resource_id))],
    }


def service_rows(services: list[Service]) -> list[dict[str, Any]]:
    """``service_row`` of each, what they need and their add-ons read for all of them in one
    statement each."""
    found: dict[int, list[ServiceResource]] = {s.id: [] for s in services}
    addons: dict[int, list[ServiceAddon]] = {s.id: [] for s in services}
    if found:
        query = select(ServiceResource).where(ServiceResource.service_id.in_(found))
        for need in db.session.scalars(query.options(joinedload(ServiceResource.resource))):
            found[need.service_id].append(need)
        extras = select(ServiceAddon).where(ServiceAddon.service_id.in_(addons))
        for addon in db.session.scalars(extras.order_by(ServiceAddon.position, ServiceAddon.id)):
            addons[addon.service_id].append(addon)
        for service in services:
            set_committed_value(service, "needs", found[service.id])
            set_committed_value(service, "addons", addons[service.id])
    return [service_row(s) for s in services]


def need_row(need: ServiceResource) -> dict[str, Any]:
    """What one booking of a service takes of a resource (app/venues/resources.py)."""
    return {"resource_id": need.resource_id, "name": need.resource.name, "units": need.units, "shared": need.shared}


def resource_row(resource: Resource) -> dict[str, Any]:
    return attributes(resource, "id", "name", "quantity")


# A venue's fields the API shows as they are.
VENUE_FIELDS = (
    "id",
    "slug",
    "name",
    "city",
    "latitude",
    "longitude",
    "review_count",
    "timezone",
    "description",
    "address_line",
    "postcode",
    "country",
    "phone",
    "website",
    "currency",
)


def venue_row(venue: Venue) -> dict[str, Any]:
    active = [s for s in venue.services if s.is_active]
    cheapest = min((s.price_minor for s in active), default=None)
    return {
        **attributes(venue, *VENUE_FIELDS),
        "category": venue.category.slug if venue.category else None,
        "distance_km": None,
        "price_from": money(cheapest, venue.currency),
        "rating": float(venue.rating) if venue.rating is not None else None,
        "tags": list(venue.tags or []),
        "services": service_rows(active),
        "team": [{"id": m.id, "name": m.name, "title": m.title} for m in venue.team],
    }


def staff_venue_row(venue: Venue, role: str) -> dict[str, Any]:
    """The venue as its staff see it: whatever its listing status, with their role there."""
    return {
        **venue_row(venue),
        "category_id": venue.category_id,
        "email": venue.email,
        "status": venue.status,
        "role": role,
    }


def faq_row(faq: FAQ) -> dict[str, Any]:
    return attributes(faq, "id", "question", "answer")


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def hours_row(venue: Venue) -> dict[str, Any]:
    return {
        "timezone": venue.timezone,
        "weekly": [
            {"weekday": h.weekday, "opens": hhmm(h.opens_minute), "closes": hhmm(h.closes_minute)}
            for h in sorted(venue.opening_hours, key=lambda h: (h.weekday, h.opens_minute))
        ],
        "closures": [
            {"id": c.id, "starts_on": c.starts_on, "ends_on": c.ends_on, "reason": c.reason} for c in venue.closures
        ],
    }


def review_row(review: Review) -> dict[str, Any]:
    author = review.customer.name.split(" ")[0] if review.customer and review.customer.name else ""
    return {**attributes(review, "id", "rating", "body", "created_at"), "author": author}


def cart_item_row(item: CartItem) -> dict[str, Any]:
    service = item.service
    return {
        **attributes(item, "id", "service_id", "option_id", "quantity", "team_member_id", "expires_at", "visit_key"),
        "addon_ids": list(item.addon_ids or ()),
        "guests": list(item.guests or ()),
        "guest_names": list(item.guest_names or ()),
        "service": service.name,
        "venue": service.venue.name,
        "starts_at": local(item.starts_at, service.venue.timezone),
        # The option's (or the service's) price and the chosen add-ons' (those still the service's).
        "price": money(
            (
                length_and_price(service, item.option)[1]
                + (sum(a.price_minor for a in service.addons if a.id in item.addon_ids) if item.addon_ids else 0)
            )
            * item.quantity,
            service.currency,
        ),
    }


def booking_row(booking: Booking) -> dict[str, Any]:
    zone = booking.venue.timezone
    return {
        **attributes(booking, "reference", "status", "quantity", "order_id", "visit_key", "guest", "guest_name"),
        "venue": booking.venue.name,
        "venue_slug": booking.venue.slug,
        "service": booking.service.name,
        "starts_at": local(booking.starts_at, zone),
        "ends_at": local(booking.ends_at, zone),
        "price": money(booking.unit_price_minor * booking.quantity, booking.currency),
        "refund": money(booking.refund_minor, booking.currency),
    }


def order_row(order: Order) -> dict[str, Any]:
    return {
        **attributes(order, "id", "status", "hold_expires_at", "paid_at", "created_at"),
        "total": money(order.total_minor, order.currency),
        "bookings": [booking_row(b) for b in order.bookings],
    }
