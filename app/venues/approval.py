"""The listing's life: draft -> pending_review -> approved | rejected -> (edited) -> pending_review;
approved <-> suspended. Every transition is checked here, audited, and the owner told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User
from app.audit import service as audit
from app.platform.errors import InvalidTransition, ValidationFailed
from app.venues.events import listing_decided, listing_submitted
from app.venues.models import Venue, VenueStatus
from app.venues.service import missing_for_submission

S = VenueStatus


@dataclass(frozen=True)
class Transition:
    action: str
    source: frozenset[str]
    target: str
    by: str  # "owner" or "admin"
    needs_reason: bool = False


TRANSITIONS = {
    t.action: t
    for t in (
        Transition("submit", frozenset({S.DRAFT, S.REJECTED}), S.PENDING_REVIEW, "owner"),
        Transition("withdraw", frozenset({S.PENDING_REVIEW}), S.DRAFT, "owner"),
        Transition("approve", frozenset({S.PENDING_REVIEW}), S.APPROVED, "admin"),
        Transition("reject", frozenset({S.PENDING_REVIEW}), S.REJECTED, "admin", needs_reason=True),
        Transition("suspend", frozenset({S.APPROVED}), S.SUSPENDED, "admin", needs_reason=True),
        Transition("reinstate", frozenset({S.SUSPENDED}), S.APPROVED, "admin"),
    )
}

STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.PENDING_REVIEW: _l("Waiting for review"),
    S.APPROVED: _l("Live"),
    S.REJECTED: _l("Changes needed"),
    S.SUSPENDED: _l("Suspended"),
    S.CLOSED: _l("Closed"),  # by its owner (app/venues/closing.py)
}


def allowed_actions(venue: Venue, user: User) -> list[str]:
    return [t.action for t in TRANSITIONS.values() if venue.status in t.source and _may_act(t, venue, user)]


def _may_act(transition: Transition, venue: Venue, user: User) -> bool:
    if transition.by == "admin":
        return user.role == Role.ADMIN
    return user.id == venue.owner_id


def transition(venue: Venue, action: str, *, actor: User, reason: str = "", notify: bool = True) -> None:
    """Apply ``action`` or raise InvalidTransition/ValidationFailed; audit, and an admin's
    decision fires ``listing_decided``."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise InvalidTransition(_("That is not something a listing can do."))
    if not _may_act(t, venue, actor):
        raise InvalidTransition(_("You can't do that to this listing."))
    if venue.status not in t.source:
        raise InvalidTransition(
            _(
                "A listing that is “%(status)s” can't be %(past)s.",
                status=STATUS_LABELS[venue.status],
                past=_past(action),
            )
        )
    reason = (reason or "").strip()
    if t.needs_reason and not reason:
        raise ValidationFailed(_("Give a reason: the venue owner will read it."), field="reason")
    if action == "submit":
        missing = missing_for_submission(venue)
        if missing:
            raise ValidationFailed(_("Before submitting, add %(missing)s.", missing=", ".join(missing)))
        venue.submitted_at = datetime.now(UTC)
    if action in ("approve", "reinstate"):
        venue.approved_at = datetime.now(UTC)
        venue.changed_fields = []
    source = venue.status
    venue.status = t.target
    venue.status_reason = reason or None
    audit.record(
        f"venue.{action}",
        actor_id=actor.id,
        about=("venue", venue.id),
        from_state=source,
        to_state=t.target,
        reason=reason or None,
    )
    if t.by == "admin" and notify:  # the owner is told (app/notifications/listings.py)
        listing_decided.send(action, venue=venue, reason=reason)
    if action == "submit" and notify:  # the admins are told (app/notifications/activity.py)
        listing_submitted.send(action, venue=venue)


def acknowledge_changes(venue: Venue, *, actor: User) -> None:
    """An admin has looked at the fields edited since approval."""
    if actor.role != Role.ADMIN:
        raise InvalidTransition(_("Only admins review changes."))
    if not venue.changed_fields:
        return
    audit.record(
        "venue.changes_reviewed",
        actor_id=actor.id,
        about=("venue", venue.id),
        from_state=venue.status,
        to_state=venue.status,
        fields=list(venue.changed_fields),
    )
    venue.changed_fields = []


def _past(action: str) -> str:
    return {
        "submit": _("submitted"),
        "withdraw": _("withdrawn"),
        "approve": _("approved"),
        "reject": _("rejected"),
        "suspend": _("suspended"),
        "reinstate": _("reinstated"),
    }[action]
