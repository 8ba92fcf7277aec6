"""Staff logins of a venue: the owner invites a manager, receptionist or practitioner by email,
they accept with a password of their own, and the owner can re-send, change their role or
remove them (their sessions end at once). What each role may open is the web guard's business
(``app/web/guards.venue_required``, docs/staff-roles.md); this module keeps the rows.

Commands take plain values, raise domain errors and never commit: the route commits once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, func, select
from sqlalchemy.orm import joinedload

from app.accounts import tokens
from app.accounts.models import Role, User
from app.accounts.service import check_password_rules, get_user_by_email, normalize_email
from app.accounts.sessions import end_all_sessions
from app.audit import service as audit
from app.platform import cache_versions
from app.platform.cache_versions import user_namespace
from app.platform.email import send_email
from app.platform.errors import Conflict, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.urls import absolute_url
from app.venues.models import StaffRole, TeamMember, Venue, VenueStaff

INVITATION = "staff-invitation"
INVITATION_DAYS = 7
ROLES = tuple(StaffRole)
ROLE_LABELS = {
    StaffRole.MANAGER: _l("Manager"),
    StaffRole.RECEPTIONIST: _l("Receptionist"),
    StaffRole.PRACTITIONER: _l("Practitioner"),
}
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- reading ---------------------------------------------------------------------------------


def find_membership(user_id: int, *, with_venue: bool = False) -> VenueStaff | None:
    """The live, accepted staff row of this user (a person is staff of one venue), or None;
    ``with_venue``: its venue read in the same statement."""
    query = select(VenueStaff).where(
        VenueStaff.user_id == user_id, VenueStaff.removed_at.is_(None), VenueStaff.accepted_at.is_not(None)
    )
    return db.session.scalar(query.options(joinedload(VenueStaff.venue)) if with_venue else query)


def live_role(user_id: int) -> Row[tuple[int, str, int | None]] | None:
    """The venue, role and team member (``venue_id``, ``role``, ``team_member_id``) of this
    user's live, accepted staff row, or None: the few columns a staff login's every request
    reads afresh (app/web/guards.py), not the whole row."""
    return db.session.execute(
        select(VenueStaff.venue_id, VenueStaff.role, VenueStaff.team_member_id).where(
            VenueStaff.user_id == user_id, VenueStaff.removed_at.is_(None), VenueStaff.accepted_at.is_not(None)
        )
    ).first()


def list_staff(venue: Venue) -> list[VenueStaff]:
    """The venue's staff who are not removed: accepted first, then pending invitations."""
    return list(
        db.session.scalars(
            select(VenueStaff)
            .where(VenueStaff.venue_id == venue.id, VenueStaff.removed_at.is_(None))
            .order_by(VenueStaff.accepted_at.is_(None), VenueStaff.invited_at, VenueStaff.id)
        )
    )


def get_staff(venue: Venue, staff_id: int) -> VenueStaff:
    """One of the venue's live staff rows; another venue's (or a removed one) is not found."""
    row = db.session.scalar(
        select(VenueStaff).where(
            VenueStaff.id == staff_id, VenueStaff.venue_id == venue.id, VenueStaff.removed_at.is_(None)
        )
    )
    if row is None:
        raise NotFound(_("That staff member isn't in your venue."))
    return row


# -- commands --------------------------------------------------------------------------------


def _check_role(venue: Venue, role: str, team_member_id: int | None) -> int | None:
    if role not in ROLES:
        raise ValidationFailed(_("Choose a role: manager, receptionist or practitioner."))
    if role != StaffRole.PRACTITIONER:
        return None
    member = db.session.get(TeamMember, team_member_id) if team_member_id else None
    if member is None or member.venue_id != venue.id:
        raise ValidationFailed(_("A practitioner is one of your team members: choose which."))
    return member.id


def invite(venue: Venue, *, email: str, role: str, team_member_id: int | None, invited_by: int) -> VenueStaff:
    """Invite ``email`` to the venue with ``role`` and email them the link."""
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise ValidationFailed(_("Enter a valid email address."))
    member_id = _check_role(venue, role, team_member_id)
    if email == normalize_email(venue.owner.email):
        raise ValidationFailed(_("That is your own address: you already have every permission."))
    taken = db.session.scalar(
        select(VenueStaff.id).where(
            VenueStaff.venue_id == venue.id, func.lower(VenueStaff.email) == email, VenueStaff.removed_at.is_(None)
        )
    )
    if taken is not None:
        raise Conflict(
            _("%(email)s is already on your staff list: re-send or change their invitation there.", email=email)
        )
    row = VenueStaff(
        venue_id=venue.id, email=email, role=role, team_member_id=member_id, invited_by=invited_by, invited_at=utcnow()
    )
    db.session.add(row)
    db.session.flush()
    audit.record("staff.invited", actor_id=invited_by, about=("venue", venue.id), email=email, role=role)
    send_invitation(row)
    return row


def invitation_token(row: VenueStaff) -> str:
    # invited_at is in the link: re-sending moves it, so only the newest link works.
    return tokens.make_token(INVITATION, {"sid": row.id, "at": row.invited_at.timestamp()})


def send_invitation(row: VenueStaff) -> None:
    send_email(
        row.email,
        _l("You're invited to work at %(venue)s", venue=row.venue.name),
        "staff_invitation",
        venue=row.venue,
        role=ROLE_LABELS[StaffRole(row.role)],
        accept_url=absolute_url("accounts.accept_staff_invitation", token=invitation_token(row)),
        days=INVITATION_DAYS,
    )


def resend(venue: Venue, staff_id: int, *, actor_id: int) -> VenueStaff:
    """A new link for a pending invitation (the old one stops working), valid another 7 days."""
    row = get_staff(venue, staff_id)
    if row.accepted_at is not None:
        raise Conflict(_("%(email)s has already accepted: there is nothing to re-send.", email=row.email))
    row.invited_at = utcnow()
    audit.record("staff.reinvited", actor_id=actor_id, about=("venue", venue.id), email=row.email)
    send_invitation(row)
    return row


def change_role(venue: Venue, staff_id: int, *, role: str, team_member_id: int | None, actor_id: int) -> VenueStaff:
    row = get_staff(venue, staff_id)
    member_id = _check_role(venue, role, team_member_id)
    before = row.role
    row.role, row.team_member_id = role, member_id
    audit.record(
        "staff.role_changed",
        actor_id=actor_id,
        about=("venue", venue.id),
        from_state=before,
        to_state=role,
        email=row.email,
    )
    if row.user_id is not None:
        cache_versions.bump(user_namespace(row.user_id))  # cached pages were built for the old role
    return row


def remove(venue: Venue, staff_id: int, *, actor_id: int) -> VenueStaff:
    """Take the person off the venue: every session of theirs ends now, and the account, which
    exists only to work here, can no longer sign in (re-inviting the address revives it)."""
    row = get_staff(venue, staff_id)
    row.removed_at = utcnow()
    if row.user is not None:
        end_all_sessions(row.user, reason="removed from venue")
        row.user.is_active_account = False
    audit.record("staff.removed", actor_id=actor_id, about=("venue", venue.id), email=row.email)
    return row


# -- accepting -------------------------------------------------------------------------------


def read_invitation(token: str) -> VenueStaff:
    """The pending invitation a link names; a tampered, expired, used or replaced link raises
    ``tokens.InvalidToken`` with a message for the person holding it."""
    try:
        data = tokens.read_token(INVITATION, token, INVITATION_DAYS * 24 * 3600)
    except tokens.InvalidToken as error:
        if "expired" in error.message:
            raise tokens.InvalidToken(
                _("This invitation has expired. Ask the venue's owner to send you a new one.")
            ) from None
        raise tokens.InvalidToken(
            _("This invitation link isn't valid. Check that you copied all of it, or ask for a new one.")
        ) from None
    row = db.session.get(VenueStaff, data.get("sid")) if isinstance(data.get("sid"), int) else None
    if row is None or row.removed_at is not None:
        raise tokens.InvalidToken(_("This invitation was withdrawn by the venue."))
    if row.accepted_at is not None:
        raise tokens.InvalidToken(_("This invitation has already been used. Sign in with the password you chose."))
    if abs(row.invited_at.timestamp() - float(data.get("at") or 0)) > 0.001:
        raise tokens.InvalidToken(_("A newer invitation replaced this link: use the latest email."))
    return row


def account_in_the_way(row: VenueStaff) -> User | None:
    """An account that already has the invited address and can't become this staff login: a
    customer, owner or admin account, or staff of a venue. (An old staff account that was
    removed from its venue is revived instead.)"""
    user = get_user_by_email(row.email)
    if user is None:
        return None
    if user.role == Role.STAFF and find_membership(user.id) is None:
        return None
    return user


def accept(token: str, *, name: str, password: str) -> User:
    """Accept the invitation: make (or revive) the staff account with its own password."""
    row = read_invitation(token)
    if account_in_the_way(row) is not None:
        raise Conflict(
            _(
                "This email address already has a CozyWish account, which can't also be a staff login. "
                "Ask the venue's owner to invite another address."
            )
        )
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise ValidationFailed(_("Enter your name (up to 120 characters)."))
    check_password_rules(password, email=row.email, name=name)
    user = get_user_by_email(row.email)
    if user is None:
        user = User(email=row.email, name=name, role=Role.STAFF)
        db.session.add(user)
    user.name, user.is_active_account = name, True
    user.email_verified_at = user.email_verified_at or utcnow()  # the link proved the address
    user.set_password(password)
    db.session.flush()
    row.user_id, row.accepted_at = user.id, utcnow()
    audit.record("staff.joined", actor_id=user.id, about=("venue", row.venue_id), email=row.email, role=row.role)
    return user


def invitation_expires(row: VenueStaff) -> datetime:
    return row.invited_at + timedelta(days=INVITATION_DAYS)
