"""Admin: the approval queue, previews exactly as customers will see them, and decisions.

The rules of who may do what to a listing live in app.venues.approval; these views load,
authorize (admins only), call it; the request commits once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.accounts.access import role_required
from app.admin.listing import BadFilter, like_pattern, paginate, parse_page
from app.audit import service as audit
from app.payouts import accounts as payout_accounts
from app.platform import cache_versions
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.approval import STATUS_LABELS, acknowledge_changes, allowed_actions, transition
from app.venues.models import Venue, VenueStatus
from app.venues.service import missing_for_submission
from app.web.blueprints import admin as bp
from app.web.list_filters import chosen_status
from app.web.loaders import admin_row
from app.web.private_cache import private_page
from app.web.rendering import render_page
from app.web.unit_of_work import on_refusal
from app.web.venue_page import build_venue_page

DECISIONS = ("approve", "reject", "suspend", "reinstate")
REASON_MAX_LENGTH = 2000
STATUS_BADGES = {
    VenueStatus.DRAFT: "secondary",
    VenueStatus.PENDING_REVIEW: "info",
    VenueStatus.APPROVED: "success",
    VenueStatus.REJECTED: "warning",
    VenueStatus.SUSPENDED: "danger",
    VenueStatus.CLOSED: "dark",
}
STATUS_FILTERS = {**STATUS_LABELS, "all": _l("Any status")}
DONE_MESSAGES = {
    "approve": _l("“{name}” is live. We emailed the owner."),
    "reject": _l("“{name}” went back to its owner with your reason."),
    "suspend": _l("“{name}” is suspended and hidden from customers. We emailed the owner."),
    "reinstate": _l("“{name}” is live again. We emailed the owner."),
}


# -- the queue ---------------------------------------------------------------------------------


@bp.get("/venues")
@role_required("admin")
@private_page(lambda: [cache_versions.PUBLIC])  # listings are watched rows: any change bumps "public"
def venues():
    changed = _changed_filter(request.args.get("changed", ""))
    default = VenueStatus.APPROVED if changed else VenueStatus.PENDING_REVIEW
    status_filter = chosen_status(STATUS_FILTERS, default, blank_is_default=True)
    status = status_filter.value
    q = request.args.get("q", "").strip()[:100]
    page = parse_page(request.args.get("page"))

    query = select(Venue).options(selectinload(Venue.owner), selectinload(Venue.category))
    if status != "all":
        query = query.where(Venue.status == status)
    if changed:
        query = query.where(func.cardinality(Venue.changed_fields) > 0)
    if q:
        like = like_pattern(q)
        query = query.where(or_(Venue.name.ilike(like), Venue.city.ilike(like)))
    if status == VenueStatus.PENDING_REVIEW:
        query = query.order_by(Venue.submitted_at.asc().nulls_last(), Venue.id)  # oldest submission first
    else:
        query = query.order_by(Venue.updated_at.desc(), Venue.id.desc())
    found = paginate(query, page)
    return render_page(
        "admin/venues/queue.html",
        "results",
        venues=found.rows,
        **status_filter.context(),
        changed=changed,
        q=q,
        **found.paging(),
        counts=get_queue_counts(),
        status_labels=STATUS_LABELS,
        status_badges=STATUS_BADGES,
        # Each listing's payout account: without an enabled one, a live listing takes no bookings.
        payouts=payout_accounts.statuses_of(v.id for v in found.rows),
        payout_labels=payout_accounts.STATUS_LABELS,
        payout_badges=payout_accounts.STATUS_BADGES,
    )


def get_queue_counts() -> dict[str, int]:
    """How many listings wait in each status, and how many live ones were edited since approval."""
    counts = dict(db.session.execute(select(Venue.status, func.count()).group_by(Venue.status)).all())
    counts["changed"] = db.session.scalar(
        select(func.count())
        .select_from(Venue)
        .where(Venue.status == VenueStatus.APPROVED, func.cardinality(Venue.changed_fields) > 0)
    )
    return counts


def _changed_filter(value: str) -> bool:
    if value not in ("", "0", "1"):
        raise BadFilter(_("The “changed” filter is 1 or left out."))
    return value == "1"


# -- the preview -------------------------------------------------------------------------------


@bp.get("/venues/<int:venue_id>")
@role_required("admin")
@admin_row(Venue)
def venue_preview(venue: Venue):
    return _render_preview(venue)


def _render_preview(venue: Venue, *, error: dict[str, str] | None = None):
    page = build_venue_page(venue, now=datetime.now(UTC))
    return render_page(
        "admin/venues/preview.html",
        review=_review_panel(venue),
        error=error or {},
        **page,
    )


def _review_panel(venue: Venue) -> dict[str, Any]:
    actions = allowed_actions(venue, current_user)
    return {
        "status_badge": STATUS_BADGES.get(venue.status, "secondary"),
        "status_reason": venue.status_reason,
        "submitted_at": venue.submitted_at,
        "approved_at": venue.approved_at,
        "updated_at": venue.updated_at,
        "owner": venue.owner,
        "changed_fields": list(venue.changed_fields or []),
        "missing": missing_for_submission(venue),
        "actions": [a for a in DECISIONS if a in actions],
        "history": audit.find_entries(subject_type="venue", subject_id=venue.id, limit=50),
        "is_public": venue.is_public,
        "payouts": _payouts_of(venue),
    }


def _payouts_of(venue: Venue) -> dict[str, Any]:
    """The listing's payout account, and whether customers can book it online (approved or not)."""
    account = payout_accounts.describe(payout_accounts.get_account(venue.id))
    return {
        "status": account.status,
        "label": account.label,
        "badge": payout_accounts.STATUS_BADGES[account.status],
        "bookable": payout_accounts.takes_paid_bookings(venue.id),
    }


# -- decisions ---------------------------------------------------------------------------------


# Two admins deciding at once: the second waits for the first one's lock, then sees its result.
@bp.post("/venues/<int:venue_id>/<any(approve, reject, suspend, reinstate):action>")
@role_required("admin")
@admin_row(Venue, for_update=True)
def decide_venue(venue: Venue, action: str):
    reason = request.form.get("reason", "").strip()
    # Nothing of a refused decision is kept: the preview again, the refusal beside the decision.
    on_refusal(
        lambda refusal: _render_preview(venue, error={"action": action, "message": refusal.message, "reason": reason})
    )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationFailed(
            _("Keep the reason under %(reason_max_length)s characters.", reason_max_length=REASON_MAX_LENGTH)
        )
    transition(venue, action, actor=current_user._get_current_object(), reason=reason)
    flash(DONE_MESSAGES[action].format(name=venue.name), "success")
    return redirect(url_for("admin.venues"))


@bp.post("/venues/<int:venue_id>/changes-reviewed")
@role_required("admin")
@admin_row(Venue, for_update=True)
def venue_changes_reviewed(venue: Venue):
    had_changes = bool(venue.changed_fields)
    acknowledge_changes(venue, actor=current_user._get_current_object())
    if had_changes:
        flash(_("Marked the edits to “%(venue_name)s” as reviewed.", venue_name=venue.name), "success")
    else:
        flash(_("“%(venue_name)s” had no edits waiting for review.", venue_name=venue.name), "info")
    return redirect(url_for("admin.venues", changed=1))
