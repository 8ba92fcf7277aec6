""" "Delete my account": a request with the password, a grace period, then anonymisation.

What is kept and what goes (docs/privacy.md):
- kept, under a pseudonym: the users row (so orders keep their customer), orders, bookings,
  payments, refunds and receipts with their amounts, dates and references; UK law (HMRC,
  Companies Act) needs them for six years;
- removed: name, email, phone, the SMS number, notification choices and the text messages
  sent, password, avatar file, two-factor secret and recovery codes, sessions, cart,
  consent records, data exports, reviews (deleted; the venue's rating is recounted),
  sign-in throttle rows for the address, free text the person wrote on a
  booking, and the personal fields (IP, browser, email) of every audit entry about them;
- a provider's venue: deletion is refused while it has upcoming confirmed bookings; at the
  end of the grace period, any booked meanwhile is cancelled by the venue with a full refund
  (the normal cancellation code), then the venue is closed (suspended, out of search) and
  stripped of its name, contact details, address, description, photos, team and FAQs.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, or_, select, update

from app.accounts.models import RecoveryCode, SignInThrottle, User, UserSession, new_session_token
from app.accounts.oidc_models import ProviderLink
from app.accounts.passkey_models import Passkey, PasskeyChallenge
from app.accounts.sessions import end_all_sessions
from app.audit import service as audit
from app.audit.models import AuditEntry
from app.audit.transitions import record_transition
from app.booking.models import Booking, BookingStatus, CartItem, Order, TimeBlock
from app.checkout.venue_cancellations import cancel_upcoming
from app.clients.service import anonymise_for_user
from app.invoicing.receipt_privacy import forget_in_receipts
from app.memberships.cancelling import end_all_for as end_memberships_for
from app.payments.models import PaymentEvent
from app.platform.email import send_email
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from app.platform.jobs import job
from app.platform.storage import delete_files_after_commit
from app.platform.urls import absolute_url
from app.privacy.events import account_erasing
from app.privacy.models import AccountDeletion, ConsentRecord, DataExport
from app.promos.models import CartPromo
from app.reviews.models import Review, ReviewPhoto
from app.reviews.service import refresh_venue_rating
from app.saved.models import SavedVenue
from app.venues.models import FAQ, TeamMember, Venue, VenueImage, VenueSlug, VenueStatus

# Audit-entry fields that identify a person; the retention job strips the first two after a while.
PERSONAL_AUDIT_FIELDS = ("ip", "user_agent", "email", "new_email")
# Fields of a gateway's event (Stripe's names) that describe the payer rather than the payment.
PERSONAL_PAYMENT_KEYS = frozenset(
    {
        "customer_email",
        "customer_details",
        "billing_details",
        "shipping_details",
        "shipping",
        "receipt_email",
        "name",
        "email",
        "phone",
        "address",
    }
)
DELETED_DOMAIN = "deleted.invalid"  # RFC 2606: never routable, so nothing is ever sent there


def now_utc() -> datetime:
    return datetime.now(UTC)


def get_live_request(user_id: int) -> AccountDeletion | None:
    return db.session.scalar(
        select(AccountDeletion).where(
            AccountDeletion.user_id == user_id,
            AccountDeletion.cancelled_at.is_(None),
            AccountDeletion.completed_at.is_(None),
        )
    )


def upcoming_venue_bookings(user: User, *, now: datetime | None = None) -> int:
    """Confirmed or held bookings still to come at the venue ``user`` owns."""
    now = now or now_utc()
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .join(Venue, Venue.id == Booking.venue_id)
        .where(
            Venue.owner_id == user.id,
            Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.HELD)),
            Booking.starts_at > now,
        )
    )


def request_deletion(user: User, *, password: str, now: datetime | None = None) -> AccountDeletion:
    """Schedule the erasure after the grace period; every session of the account ends now."""
    now = now or now_utc()
    if not user.check_password(password or ""):
        raise ValidationFailed(_("That password is not right."))
    if user.is_admin:
        raise InvalidTransition(_("Administrator accounts are removed by another administrator, not from here."))
    if get_live_request(user.id) is not None:
        raise InvalidTransition(_("Your account is already scheduled for deletion."))
    upcoming = upcoming_venue_bookings(user, now=now)
    if upcoming:
        raise InvalidTransition(
            ngettext(
                "Your venue has %(num)d upcoming booking. Cancel them from your calendar (customers are "
                "refunded in full) or wait until they are over, then ask again.",
                "Your venue has %(num)d upcoming bookings. Cancel them from your calendar (customers are "
                "refunded in full) or wait until they are over, then ask again.",
                upcoming,
            )
        )
    due = now + timedelta(days=current_app.config["ACCOUNT_DELETION_GRACE_DAYS"])
    request = AccountDeletion(user_id=user.id, requested_at=now, due_at=due)
    db.session.add(request)
    user.deletion_due_at = due
    user.session_token = new_session_token()  # the remember cookie dies too
    end_all_sessions(user, reason="deletion requested")
    audit.record("account.deletion_requested", actor_id=user.id, about=("account", user.id))
    send_email(
        user.email,
        _l("Your CozyWish account will be deleted"),
        "account_deletion_scheduled",
        user=user,
        due_at=due,
        days=current_app.config["ACCOUNT_DELETION_GRACE_DAYS"],
        sign_in_url=absolute_url("accounts.sign_in"),
    )
    db.session.flush()
    return request


def cancel_deletion(user: User, *, now: datetime | None = None) -> AccountDeletion:
    """Keep the account: the person signed in during the grace period and changed their mind."""
    request = get_live_request(user.id)
    if request is None:
        raise InvalidTransition(_("Your account is not scheduled for deletion."))
    request.cancelled_at = now or now_utc()
    user.deletion_due_at = None
    audit.record("account.deletion_cancelled", actor_id=user.id, about=("account", user.id))
    send_email(user.email, _l("Your CozyWish account will not be deleted"), "account_deletion_cancelled", user=user)
    return request


# -- the erasure ------------------------------------------------------------------------------


def erase_due_accounts(*, now: datetime | None = None) -> list[int]:
    """Erase every account whose grace period is over; returns their ids."""
    now = now or now_utc()
    due = list(
        db.session.scalars(
            select(AccountDeletion)
            .where(
                AccountDeletion.due_at <= now,
                AccountDeletion.cancelled_at.is_(None),
                AccountDeletion.completed_at.is_(None),
            )
            .order_by(AccountDeletion.id)
            .with_for_update(skip_locked=True)
        )
    )
    erased = []
    for request in due:
        user = db.session.get(User, request.user_id)
        close_venue_of(user, now=now)
        erase_account(user, now=now)
        request.completed_at = now
        erased.append(user.id)
    return erased


def pseudonym(user_id: int) -> str:
    return f"Deleted user {user_id}"


def erase_account(user: User, *, now: datetime | None = None) -> None:
    """Remove everything personal about ``user`` and keep the financial records under a pseudonym."""
    now = now or now_utc()
    identifiers = [v for v in (user.email, user.name, user.phone) if v]
    _scrub_audit_log(user, identifiers)
    _scrub_payment_events(user, identifiers)
    photo_keys = review_photo_keys(user.id)  # the files of their reviews' photos (the rows go with the reviews)
    _remove_account_data(user)
    end_memberships_for(user.id, now=now)  # nothing is charged again to an erased account
    # What the domains above privacy keep of them: the SMS number, notification choices, the
    # text messages sent (their bodies name bookings), the in-app notices, and other people's
    # notices that name them (a venue named after its owner).
    account_erasing.send("privacy", user=user, identifiers=identifiers)
    forget_in_receipts(user.id, identifiers, now=now)  # stored receipts and refund notes: redacted once
    # The venues' client books keep the visits but no longer name the person (docs/privacy.md).
    anonymise_for_user(user.id, now=now)
    keys = [user.avatar_key] if user.avatar_key else []
    keys += photo_keys
    keys += [
        e.storage_key
        for e in db.session.scalars(select(DataExport).where(DataExport.user_id == user.id))
        if e.storage_key
    ]
    db.session.execute(delete(DataExport).where(DataExport.user_id == user.id))
    delete_files_after_commit(keys)
    # The row stays (orders and bookings point at it), with nothing left that names the person.
    user.name = pseudonym(user.id)
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@{DELETED_DOMAIN}"
    user.phone = None
    user.date_of_birth = None
    user.avatar_key = None
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it; also rotates session_token
    user.is_active_account = False
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.two_factor_generation += 1
    user.last_sign_in_at = None
    user.deletion_due_at = None
    audit.record("account.erased", actor_id=None, about=("account", user.id))


def review_photo_keys(user_id: int) -> list[str]:
    photos = db.session.scalars(select(ReviewPhoto).join(Review).where(Review.customer_id == user_id))
    return [size["key"] for photo in photos for size in photo.variants.values() if size.get("key")]


def _remove_account_data(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(CartItem).where(CartItem.user_id == user.id))
    db.session.execute(delete(CartPromo).where(CartPromo.user_id == user.id))  # the cart's promo code
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.user_id == user.id))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email == user.email))
    # Other ways in (passkeys, Google or Apple links, which keep the address they vouched for)
    # and the venues they saved.
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.user_id == user.id))
    db.session.execute(delete(ProviderLink).where(ProviderLink.user_id == user.id))
    db.session.execute(delete(SavedVenue).where(SavedVenue.user_id == user.id))
    user.webauthn_user_handle = None
    # Free text the person typed on their own bookings (a venue's reason to them stays).
    db.session.execute(
        update(Booking)
        .where(Booking.customer_id == user.id, Booking.status == BookingStatus.CANCELLED_BY_CUSTOMER)
        .values(cancel_reason=None)
    )
    venues = set(db.session.scalars(select(Review.venue_id).where(Review.customer_id == user.id)))
    db.session.execute(delete(Review).where(Review.customer_id == user.id))
    db.session.flush()

    for venue_id in sorted(venues):
        refresh_venue_rating(venue_id)


def _scrub_audit_log(user: User, identifiers: list[str]) -> None:
    """Drop the personal fields of every entry about ``user`` (by id, or naming their address),
    and blank any other text in those entries that names them."""
    lowered = [value.lower() for value in identifiers]
    email = user.email.lower()
    about = or_(
        AuditEntry.actor_id == user.id,
        AuditEntry.subject_type.in_(("account", "user")) & (AuditEntry.subject_id == user.id),
        func.lower(AuditEntry.data["email"].astext) == email,
        func.lower(AuditEntry.data["new_email"].astext) == email,
        *(func.strpos(func.lower(func.cast(AuditEntry.data, db.Text)), value) > 0 for value in lowered),
        *(func.strpos(func.lower(func.coalesce(AuditEntry.reason, "")), value) > 0 for value in lowered),
    )
    for entry in db.session.scalars(select(AuditEntry).where(about)):
        data = {key: value for key, value in (entry.data or {}).items() if key not in PERSONAL_AUDIT_FIELDS}
        entry.data = _redact(data, lowered)
        if entry.reason and any(value in entry.reason.lower() for value in lowered):
            entry.reason = "[removed]"


def _scrub_payment_events(user: User, identifiers: list[str]) -> None:
    """Gateway events about the person's orders keep their ids and amounts (the payment record),
    but lose the customer's name, email, phone and billing address the gateway sent with them."""
    lowered = [value.lower() for value in identifiers]
    order_ids = [str(i) for i in db.session.scalars(select(Order.id).where(Order.customer_id == user.id))]
    matches = [func.strpos(func.lower(func.cast(PaymentEvent.payload, db.Text)), value) > 0 for value in lowered]
    if order_ids:
        matches.append(PaymentEvent.payload["parsed"]["order_id"].astext.in_(order_ids))
    for event in db.session.scalars(select(PaymentEvent).where(or_(*matches))):
        event.payload = _redact(_without_keys(event.payload, PERSONAL_PAYMENT_KEYS), lowered)


def _without_keys(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {key: _without_keys(item, keys) for key, item in value.items() if key not in keys}
    if isinstance(value, list):
        return [_without_keys(item, keys) for item in value]
    return value


def _redact(value: Any, lowered: list[str]) -> Any:
    if isinstance(value, str):
        return "[removed]" if any(v in value.lower() for v in lowered) else value
    if isinstance(value, dict):
        return {key: _redact(item, lowered) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item, lowered) for item in value]
    return value


def close_venue_of(user: User, *, now: datetime, identifiers: list[str] | None = None) -> Venue | None:
    """A provider's venue on erasure: upcoming bookings cancelled and refunded, then closed and emptied."""
    venue = db.session.scalar(select(Venue).where(Venue.owner_id == user.id).with_for_update())
    if venue is None:
        return None
    cancel_upcoming(venue.id, actor=user, reason="The venue has closed.", refund_reason="Venue closed", now=now)
    keys = [
        variant["key"]
        for image in venue.images
        for variant in (image.variants or {}).values()
        if isinstance(variant, dict) and variant.get("key")
    ]
    db.session.execute(update(TeamMember).where(TeamMember.venue_id == venue.id).values(photo_id=None))
    db.session.execute(delete(TeamMember).where(TeamMember.venue_id == venue.id))
    db.session.execute(delete(FAQ).where(FAQ.venue_id == venue.id))
    db.session.execute(delete(VenueImage).where(VenueImage.venue_id == venue.id))
    db.session.execute(delete(VenueSlug).where(VenueSlug.venue_id == venue.id))
    db.session.expire(venue, ["images", "team", "faqs"])
    delete_files_after_commit(keys)
    previous = venue.status
    venue.status = VenueStatus.SUSPENDED
    venue.status_reason = "Closed: the owner deleted their account."
    venue.name = f"Closed venue {venue.id}"
    venue.slug = f"closed-venue-{venue.id}"
    db.session.add(VenueSlug(slug=venue.slug, venue_id=venue.id))  # the one slug left
    venue.description = ""
    venue.address_line = ""
    venue.postcode = ""
    venue.phone = ""
    venue.email = ""
    venue.website = ""
    venue.latitude = None
    venue.longitude = None
    venue.tags = []
    venue.calendar_token = None
    for closure in venue.closures:
        closure.reason = ""
    db.session.execute(update(TimeBlock).where(TimeBlock.venue_id == venue.id).values(reason=""))
    # Reasons the owner gave customers for cancelling stay, unless they name the owner.
    for value in identifiers or [v for v in (user.email, user.name, user.phone) if v]:
        db.session.execute(
            update(Booking)
            .where(Booking.venue_id == venue.id, func.strpos(func.lower(Booking.cancel_reason), value.lower()) > 0)
            .values(cancel_reason="[removed]")
        )
    record_transition("venue", venue, "closed_on_erasure", actor=None, source=previous, target=VenueStatus.SUSPENDED)
    return venue


@job(name="privacy.erase_due_accounts")
def erase_due_accounts_job(timestamp: int | None = None) -> None:
    erase_due_accounts()
    db.session.commit()
