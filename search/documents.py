"""One document builder for every backend: what the index knows about an approved venue."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.payouts.accounts import payable_venue_ids
from app.platform.extensions import db
from app.venues.models import Venue, VenueStatus
from search.types import VenueDocument


def build_document(venue: Venue, *, bookable: bool = True) -> VenueDocument:
    """The search document of ``venue`` (its services, images and category loaded or loadable);
    ``bookable``: whether it can take paid bookings now (``bookable_ids``)."""
    active = venue.active_services
    prices = [s.price_minor for s in active]
    cover = venue.cover_image
    return VenueDocument(
        id=venue.id,
        slug=venue.slug,
        name=venue.name,
        description=venue.description or "",
        category=venue.category.slug if venue.category else None,
        category_name=venue.category.name if venue.category else None,
        tags=tuple(venue.tags or ()),
        service_names=tuple(s.name for s in active),
        city=venue.city or "",
        lat=venue.latitude,
        lng=venue.longitude,
        price_from=min(prices) if prices else None,
        currency=venue.currency,
        rating=float(venue.rating) if venue.rating is not None else None,  # numeric(3, 2): exact
        review_count=venue.review_count or 0,
        cover_thumb=(cover.variant("card").get("key") if cover else None),
        timezone=venue.timezone,
        updated_at=venue.updated_at,
        bookable=bookable,
    )


def bookable_ids(venues: Iterable[Venue]) -> set[int]:
    """Which of ``venues`` can take paid bookings now (their payout accounts; one query at most)."""
    return payable_venue_ids(v.id for v in venues)


def hidden_slug() -> str:
    """The one approved venue search never shows: the synthetic probe's (PROBE_VENUE_SLUG,
    docs/synthetic-probe.md); "" (no slug) when none is set."""
    return current_app.config.get("PROBE_VENUE_SLUG") or ""


def load_venues(venue_ids: Iterable[int], *, approved_only: bool = True, session: Session | None = None) -> list[Venue]:
    """Venues with everything a document (and the opening-hours filter) needs, in a fixed
    number of queries however many venues are asked for."""
    ids = sorted(set(venue_ids))
    if not ids:
        return []
    statement = (
        select(Venue)
        .where(Venue.id.in_(ids))
        .options(
            selectinload(Venue.category),
            selectinload(Venue.services),
            selectinload(Venue.images),
            selectinload(Venue.opening_hours),
            selectinload(Venue.closures),
        )
        .order_by(Venue.id)
    )
    if approved_only:
        statement = statement.where(Venue.status == VenueStatus.APPROVED, Venue.slug != hidden_slug())
    return list((session or db.session).scalars(statement))


def load_documents(venue_ids: Iterable[int], *, session: Session | None = None) -> list[VenueDocument]:
    """Documents of the approved venues among ``venue_ids``; the others are simply missing."""
    venues = load_venues(venue_ids, session=session)
    bookable = bookable_ids(venues)
    return [build_document(v, bookable=v.id in bookable) for v in venues]


def document_to_json(document: VenueDocument) -> dict[str, Any]:
    data = dataclasses.asdict(document)
    data["tags"] = list(document.tags)
    data["service_names"] = list(document.service_names)
    data["updated_at"] = document.updated_at.isoformat() if document.updated_at else None
    return data


def document_from_json(data: dict[str, Any]) -> VenueDocument:
    fields = {f.name for f in dataclasses.fields(VenueDocument)}
    values = {k: v for k, v in data.items() if k in fields}
    values["tags"] = tuple(values.get("tags") or ())
    values["service_names"] = tuple(values.get("service_names") or ())
    updated = values.get("updated_at")
    values["updated_at"] = datetime.fromisoformat(updated) if updated else None
    return VenueDocument(**values)
