"""``/api/v1/admin``: the listings queue and its decisions, and review moderation, through the
same services as the admin pages (app/venues/approval.py, app/reviews/service.py)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort
from marshmallow import RAISE
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.access import role_required
from app.accounts.models import Role
from app.api import schemas
from app.api.auth import require
from app.api.conventions import keyset
from app.api.presenting import review_row
from app.platform.extensions import db
from app.platform.records import attributes
from app.reviews.models import Review
from app.reviews.service import set_visibility
from app.venues.approval import transition
from app.venues.models import Venue
from app.web.blueprints import api_admin as bp

DECISIONS = ("approve", "reject", "suspend", "reinstate")


def listing_row(venue: Venue) -> dict:
    return {
        **attributes(venue, "id", "slug", "name", "city", "status", "status_reason", "submitted_at"),
        "owner_email": venue.owner.email if venue.owner else "",
    }


@bp.get("/listings")
@bp.arguments(schemas.ListingArgs, location="query", as_kwargs=True, unknown=RAISE)
@bp.response(200, schemas.ListingPage)
@require("admin")
@role_required(Role.ADMIN)
def listings(status: str, limit: int, cursor: str | None = None):
    """Listings in one status (default: waiting for review), oldest first."""
    query = select(Venue).where(Venue.status == status).options(selectinload(Venue.owner))
    rows, following = keyset(query, Venue.id, limit=limit, cursor=cursor)
    return {"listings": [listing_row(v) for v in rows], "next_cursor": following}


@bp.post("/listings/<int:venue_id>/<any(approve, reject, suspend, reinstate):action>")
@bp.arguments(schemas.DecisionIn)
@bp.response(200, schemas.Listing)
@require("admin")
@role_required(Role.ADMIN)
def decide(data, venue_id: int, action: str):
    """Approve, reject (with a reason), suspend (with a reason) or reinstate a listing."""
    query = select(Venue).where(Venue.id == venue_id).with_for_update().execution_options(populate_existing=True)
    venue = db.session.scalars(query).one_or_none()
    if venue is None:
        abort(404, message=_("No listing has that number."))
    transition(venue, action, actor=current_user._get_current_object(), reason=data["reason"].strip())
    return listing_row(venue)


@bp.post("/reviews/<int:review_id>/visibility")
@bp.arguments(schemas.ModerationIn)
@bp.response(200, schemas.ModeratedReview)
@require("admin")
@role_required(Role.ADMIN)
def moderate(data, review_id: int):
    """Hide a review (with a reason) or publish it again."""
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404, message=_("No review has that number."))
    set_visibility(review, hidden=data["hidden"], actor=current_user._get_current_object(), reason=data["reason"])
    return {
        **review_row(review),
        "status": review.status,
        "venue_id": review.venue_id,
        "hidden_reason": review.hidden_reason,
    }
