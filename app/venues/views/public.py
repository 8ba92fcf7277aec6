"""Public venue pages and the sitemap: what customers and search engines see of a venue.

The view builds a page of decided, plain values (``build_venue_page``); the template only
lays them out. The admin preview renders the same page with a review panel on top.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.platform import cache_versions
from app.platform.extensions import cache, db
from app.platform.i18n import current_language
from app.platform.urls import absolute_url
from app.venues.models import Service, TeamMember, Venue, VenueStatus
from app.venues.slugs import find_venue_by_any_slug
from app.web.blueprints import public as bp
from app.web.etags import page_etag
from app.web.venue_page import (
    build_venue_page,
)

# Everything build_venue_page reads, loaded with the venue: one query per relation, however
# many services, photos or team members the venue has (team photos are among its images).
VENUE_PAGE_LOADS = (
    joinedload(Venue.category),
    selectinload(Venue.images),
    selectinload(Venue.services).options(
        joinedload(Service.category), selectinload(Service.options), joinedload(Service.addons)
    ),
    selectinload(Venue.opening_hours),
    selectinload(Venue.closures),
    selectinload(Venue.team).selectinload(TeamMember.services),
    selectinload(Venue.faqs),
)

SITEMAP_LIMIT = 50_000  # the sitemap protocol's maximum per file


def shared_page_key(slug: str, now: datetime) -> str | None:
    """Where the app cache keeps a listed venue's page as built for anyone (its plain values, not
    its HTML: the navbar, the token and the saved heart are the viewer's): signed-in visitors,
    whom the page cache doesn't serve, then skip its eight reads and its building. The key holds
    the public version (any change to what the page shows bumps it), the language and the
    minute (the page says whether the venue is open now); None when the page cache is off."""
    if not current_app.config["PAGE_CACHE_ENABLED"]:
        return None
    version = cache_versions.current(cache_versions.PUBLIC)
    return f"venue-page:{version}:{current_language()}:{now:%Y%m%d%H%M}:{slug}"


# -- routes ----------------------------------------------------------------------------------


@bp.get("/venues/<slug>")
def venue_page(slug: str):
    now = datetime.now(UTC)
    key = shared_page_key(slug, now)
    page = cache.get(key) if key else None  # a Redis failure is a miss (app.platform.cache_backend)
    if page is None:
        venue = find_venue_by_any_slug(slug, options=VENUE_PAGE_LOADS)
        if venue is None or not (venue.is_public or may_preview(venue)):
            abort(404)  # a hidden listing is indistinguishable from a missing one
        if slug != venue.slug:
            return redirect(url_for(".venue_page", slug=venue.slug), code=301)
        page = build_venue_page(venue, now=now)
        if key and venue.is_public:
            cache.set(key, page, timeout=current_app.config["PAGE_CACHE_TTL"])
    etag = page_etag(page)  # before rendering: rendering consumes flashed messages
    response = make_response(render_template("venues/public/venue.html", **page))
    response.set_etag(etag, weak=True)
    # The page carries the viewer's navbar and CSRF token: browsers may keep it, shared caches not.
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Cookie")
    return response.make_conditional(request)


@bp.get("/sitemap.xml")
def sitemap():
    rows = db.session.execute(
        select(Venue.slug, Venue.updated_at)
        # Not the synthetic probe's venue (docs/synthetic-probe.md): it is approved, never listed.
        .where(Venue.status == VenueStatus.APPROVED, Venue.slug != (current_app.config.get("PROBE_VENUE_SLUG") or ""))
        .order_by(Venue.id)
        .limit(SITEMAP_LIMIT)
    ).all()
    entries = [
        (
            absolute_url("venues_public.venue_page", slug=slug),
            updated_at.astimezone(UTC).isoformat(timespec="seconds"),
        )
        for slug, updated_at in rows
    ]
    response = make_response(render_template("venues/public/sitemap.xml", entries=entries))
    response.mimetype = "application/xml"
    return response


# -- who may see a listing that is not live ---------------------------------------------------


def may_preview(venue: Venue) -> bool:
    """The owner and admins see a listing whatever its status; everyone else only when approved."""
    if not current_user.is_authenticated:
        return False
    return current_user.id == venue.owner_id or current_user.is_admin
