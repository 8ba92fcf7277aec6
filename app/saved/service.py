"""Saved venues, and the venue lists built around a person: similar venues, trending nearby,
book again, recommended.

Saving works signed out (the venue ids live in the session, like the anonymous cart) and the
list joins the account at sign-in. The service takes the account's id or the session's list as
plain values; ``app/web/viewer.py`` reads who is looking and keeps their list per request.
Every list is one indexed query for venue ids, and this package stops at the ids: the cards
are built above it, by discovery (``cards_for`` in app/discovery/cards.py: the search index's
stored documents in one more query and the card builder's fixed set, so a list of 4 and a
list of 40 cost the same statements). Discovery's home page reads these lists, so saved venues
importing the card builder back would make the two lean on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects.postgresql import insert

from app.booking.models import Booking, BookingStatus
from app.platform.errors import LimitReached, NotFound
from app.platform.extensions import db
from app.saved.models import SavedVenue
from app.venues.models import Venue, VenueStatus
from search.geo import DISTANCE_M_SQL, RADIUS_SQL, radius_limits

SESSION_KEY = "saved_venues"
MAX_SAVED = 200  # per account: a wish list, not a directory
MAX_SAVED_SIGNED_OUT = 50  # the session cookie stays small
RECENT_MAX = 12  # recently viewed, kept in the browser
SIMILAR_COUNT = 4
SIMILAR_RADIUS_KM = 50
SHELF_SIZE = 6
TRENDING_DAYS = 7
TRENDING_RADIUS_KM = 25
COUNTED_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED)


class VenueNotListed(NotFound):
    pass


# -- who has saved what -------------------------------------------------------------------------


def clean_session_ids(raw: object) -> list[int]:
    """The venue ids kept in a signed-out session (``SESSION_KEY``), with anything else dropped."""
    if not isinstance(raw, list):
        return []
    return [i for i in raw if isinstance(i, int) and not isinstance(i, bool)][:MAX_SAVED_SIGNED_OUT]


def account_saved_ids(user_id: int) -> list[int]:
    """The account's saved venue ids, newest first. One indexed query."""
    return list(
        db.session.scalars(
            select(SavedVenue.venue_id)
            .where(SavedVenue.user_id == user_id)
            .order_by(SavedVenue.created_at.desc(), SavedVenue.venue_id.desc())
        )
    )


def public_venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None or venue.status != VenueStatus.APPROVED:
        raise VenueNotListed(_("That venue isn't listed on CozyWish."))
    return venue


def set_saved_for_account(user_id: int, venue_id: int, saved: bool) -> bool:
    """Save or unsave a listed venue for an account; returns the new state. Saving
    twice, or removing what isn't saved, changes nothing (a double click is not an error)."""
    public_venue(venue_id)
    if saved:
        # Lock the person's row so two tabs can't both pass the limit check.
        db.session.execute(text("SELECT 1 FROM users WHERE id = :id FOR UPDATE"), {"id": user_id})
        already = db.session.get(SavedVenue, (user_id, venue_id)) is not None
        count = db.session.scalar(select(func.count()).where(SavedVenue.user_id == user_id))
        if not already and count >= MAX_SAVED:
            raise LimitReached(
                _("You can save up to %(max_saved)s venues. Remove one from Saved first.", max_saved=MAX_SAVED)
            )
        db.session.execute(insert(SavedVenue).values(user_id=user_id, venue_id=venue_id).on_conflict_do_nothing())
    else:
        db.session.execute(delete(SavedVenue).where(SavedVenue.user_id == user_id, SavedVenue.venue_id == venue_id))
    return saved


def set_saved_signed_out(saved_ids: list[int], venue_id: int, saved: bool) -> list[int]:
    """Save or unsave a listed venue in a signed-out visitor's list (newest first); returns the
    new list for the caller to keep in the session. The same double-click rule as an account's."""
    public_venue(venue_id)
    ids = [i for i in saved_ids if i != venue_id]
    if saved:
        if len(ids) >= MAX_SAVED_SIGNED_OUT:
            raise LimitReached(
                _(
                    "You can save up to %(max_saved_signed_out)s venues while signed out. Sign in to save more.",
                    max_saved_signed_out=MAX_SAVED_SIGNED_OUT,
                )
            )
        ids.insert(0, venue_id)
    return ids


def merge_into_user(venue_ids: Iterable[int], user_id: int) -> int:
    """Add venues saved while signed out to the account (existing ones stay); returns how many
    were new. Stops at the account's limit rather than failing the sign-in."""
    ids = list(dict.fromkeys(venue_ids))
    if not ids:
        return 0
    have = db.session.scalar(select(func.count()).where(SavedVenue.user_id == user_id)) or 0
    listed = set(db.session.scalars(select(Venue.id).where(Venue.id.in_(ids), Venue.status == VenueStatus.APPROVED)))
    added = 0
    for venue_id in ids:
        if venue_id not in listed or have + added >= MAX_SAVED:
            continue
        result = db.session.execute(
            insert(SavedVenue)
            .values(user_id=user_id, venue_id=venue_id, created_at=func.clock_timestamp())
            .on_conflict_do_nothing()
        )
        added += result.rowcount
    return added


# -- venue ids for each list ---------------------------------------------------------------------


def similar_venue_ids(venue_id: int, *, limit: int = SIMILAR_COUNT, exclude: Iterable[int] = ()) -> list[int]:
    """Listed venues like this one: the same category or at least one service of the same name,
    within 50 km (edge included, on search's earth model) when this one has a map pin; same
    category first, then more shared services, then nearer, then the venue id (a stable order).
    Two indexed queries: this venue's row, then its neighbours (the GiST index on ``earth``,
    or the category index without a pin)."""
    me = db.session.execute(
        text(
            "SELECT category, lat, lng, earth IS NOT NULL AS pinned, service_names"
            " FROM venue_search WHERE venue_id = :id"
        ),
        {"id": venue_id},
    ).first()
    if me is None:
        return []
    # Near and nearer on the search package's one earth model (search/geo.py).
    where = RADIUS_SQL if me.pinned else "vs.category IS NOT DISTINCT FROM :category"
    nearer = f"{DISTANCE_M_SQL}, " if me.pinned else ""
    rows = db.session.execute(
        text(
            f"""
            SELECT vs.venue_id
            FROM venue_search vs
            CROSS JOIN LATERAL (
                SELECT count(*) AS n FROM unnest(vs.service_names) AS s(name) WHERE lower(s.name) = ANY(:services)
            ) shared
            WHERE {where}
              AND vs.venue_id <> :venue_id
              AND vs.venue_id <> ALL(:exclude)
              AND (vs.category IS NOT DISTINCT FROM :category OR shared.n > 0)
            ORDER BY (vs.category IS NOT DISTINCT FROM :category) DESC, shared.n DESC, {nearer}vs.venue_id
            LIMIT :limit
            """
        ),
        {
            "venue_id": venue_id,
            "category": me.category,
            "services": [name.lower() for name in me.service_names],
            "exclude": list(exclude),
            "lat": me.lat,
            "lng": me.lng,
            "limit": limit,
            **radius_limits(SIMILAR_RADIUS_KM),
        },
    )
    return [row[0] for row in rows]


def trending_venue_ids(*, lat: float | None, lng: float | None, now: datetime, limit: int = SHELF_SIZE) -> list[int]:
    """Listed venues with the most bookings made in the last week, within 25 km of the place
    when one is given; ties by venue id."""
    rows = db.session.execute(
        text(
            f"""
            SELECT b.venue_id
            FROM bookings b
            JOIN venue_search vs ON vs.venue_id = b.venue_id
            WHERE b.created_at >= :since
              AND b.status = ANY(:statuses)
              AND (CAST(:lat AS double precision) IS NULL
                   OR {RADIUS_SQL})
            GROUP BY b.venue_id
            ORDER BY count(*) DESC, b.venue_id
            LIMIT :limit
            """
        ),
        {
            "since": now - timedelta(days=TRENDING_DAYS),
            "statuses": [str(s) for s in COUNTED_STATUSES],
            "lat": lat,
            "lng": lng,
            "limit": limit,
            **radius_limits(TRENDING_RADIUS_KM),
        },
    )
    return [row[0] for row in rows]


def book_again_venue_ids(user_id: int, *, now: datetime, limit: int = SHELF_SIZE) -> list[int]:
    """Venues the person has been to, the most recent visit first."""
    rows = db.session.execute(
        select(Booking.venue_id)
        .where(
            Booking.customer_id == user_id,
            Booking.status.in_([str(s) for s in COUNTED_STATUSES]),
            Booking.starts_at < now,
        )
        .group_by(Booking.venue_id)
        .order_by(func.max(Booking.starts_at).desc(), Booking.venue_id)
        .limit(limit)
    )
    return [row[0] for row in rows]
