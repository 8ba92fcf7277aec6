"""Readable, unique, stable venue slugs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.sql.base import ExecutableOption

from app.platform.extensions import db
from app.venues.models import Venue, VenueSlug


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:100] or "venue"


def slug_taken(slug: str, *, venue_id: int | None) -> bool:
    owner = db.session.scalar(select(VenueSlug.venue_id).where(VenueSlug.slug == slug))
    return owner is not None and owner != venue_id


# venues.slug and venue_slugs.slug are String(140); a numbered candidate adds up to "-999".
SLUG_LENGTH = 140
NUMBER_ROOM = 4


def unique_slug(name: str, city: str = "", *, venue_id: int | None = None) -> str:
    """The name's slug; if taken, with the city; then numbered. Never longer than the column."""
    base = slugify(name)
    candidates = [base]
    if city:
        candidates.append(f"{base}-{slugify(city)}"[: SLUG_LENGTH - NUMBER_ROOM].rstrip("-"))
    candidates += [f"{candidates[-1]}-{n}" for n in range(2, 1000)]
    for candidate in candidates:
        if not slug_taken(candidate, venue_id=venue_id):
            return candidate
    raise RuntimeError("no free slug")  # pragma: no cover - a thousand namesakes in one city


def assign_slug(venue: Venue, slug: str) -> None:
    """Make ``slug`` current; earlier slugs stay in venue_slugs and redirect with 301."""
    venue.slug = slug
    if db.session.get(VenueSlug, slug) is None:
        db.session.add(VenueSlug(slug=slug, venue_id=venue.id))


def find_venue_by_any_slug(slug: str, *, options: Sequence[ExecutableOption] = ()) -> Venue | None:
    """The venue that has, or once had, ``slug``: one query, with ``options`` loading what the
    caller shows (a page lists them once rather than lazy-loading each relation)."""
    query = select(Venue).join(VenueSlug, VenueSlug.venue_id == Venue.id).where(VenueSlug.slug == slug)
    return db.session.scalars(query.options(*options)).one_or_none()
