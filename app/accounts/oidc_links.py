"""Accounts and their Google or Apple identities: sign in, sign up, link, unlink.

The linking policy (docs/sign-in-with-google-and-apple.md): an identity already linked signs in to
its account. Otherwise the provider's email decides, and only when the provider says it
verified that address: a new address makes a customer account without a password; an
address that belongs to an account is linked only if that account's email is verified too,
otherwise we refuse and the person signs in with their password and links from settings.
An account always keeps one way to sign in. Commands raise domain errors (signing in returns
its refusal, to be recorded) and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import Role, User, new_session_token
from app.accounts.oidc import PROVIDER_LABELS, Provider, ProviderIdentity
from app.accounts.oidc_models import ProviderLink
from app.accounts.service import get_user, get_user_by_email
from app.platform.email import send_email
from app.platform.errors import DomainError, LimitReached, NotAllowed, NotFound, ValidationFailed
from app.platform.extensions import db
from app.platform.sqlutil import savepoint_or_refuse


class SignInRefused(NotAllowed):
    """The provider's identity can't be used for this account (policy, not a broken flow)."""


class LinkConflict(LimitReached):
    """The identity is linked elsewhere, or the account already has one of this provider."""


class LastSignInMethod(LimitReached):
    """Removing this would leave the account with no way to sign in."""


class LinkNotFound(NotFound):
    pass


class AccountSuspended(NotAllowed):
    """The identity's account is suspended: it signs in no way at all."""


@dataclass(frozen=True)
class SignInOutcome:
    """The account an identity signs in to and how, or the ``refusal`` to show."""

    user: User | None = None
    how: str | None = None  # "returning", "linked" (by verified email) or "created"
    link: ProviderLink | None = None
    refusal: DomainError | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


def label(provider: str) -> str:
    return PROVIDER_LABELS.get(provider, provider.title())


def find_links(user: User) -> list[ProviderLink]:
    return list(
        db.session.scalars(select(ProviderLink).where(ProviderLink.user_id == user.id).order_by(ProviderLink.id))
    )


def get_link_by_subject(provider: str, subject: str) -> ProviderLink | None:
    return db.session.scalar(
        select(ProviderLink).where(ProviderLink.provider == provider, ProviderLink.subject == subject)
    )


def sign_in_with(identity: ProviderIdentity) -> SignInOutcome:
    """The account this identity signs in to: its link's, one found by verified email, or a new one.

    A refusal is returned, not raised, and nothing of the attempt is kept (a savepoint): the
    caller records it, and that record is kept with its answer."""
    try:
        with db.session.begin_nested():
            outcome = _account_for(identity)
            if not outcome.user.is_active:
                raise AccountSuspended(_("This account is suspended. Contact us if you think this is a mistake."))
            return outcome
    except DomainError as refusal:
        return SignInOutcome(refusal=refusal)


def _account_for(identity: ProviderIdentity) -> SignInOutcome:
    name = label(identity.provider)
    link = get_link_by_subject(identity.provider, identity.subject)
    if link is not None:
        user = get_user(link.user_id)
        link.last_used_at = user.last_sign_in_at = utcnow()
        return SignInOutcome(user, "returning", link)
    if identity.email is None:
        raise SignInRefused(
            f"{name} didn't share your email address, so we can't sign you in with it. "
            "Allow sharing your email, or sign up with a password."
        )
    if not identity.email_verified:
        raise SignInRefused(
            f"{name} hasn't verified the email address {identity.email}, so we can't use it to sign you in. "
            f"Verify it with {name} first, or sign in with your password and link {name} from your account settings."
        )
    user = get_user_by_email(identity.email)
    if user is None:
        user = User(
            email=identity.email,
            name=identity.name or identity.email.split("@")[0][:120] or "CozyWish member",
            role=Role.CUSTOMER,
            password_hash=None,
            email_verified_at=utcnow(),  # the provider verified it
            last_sign_in_at=utcnow(),
        )
        with savepoint_or_refuse(LinkConflict(_("Someone signed up with that email at the same moment. Try again."))):
            db.session.add(user)
        return SignInOutcome(user, "created", _add_link(user, identity, used=True))
    if not user.is_verified:
        raise SignInRefused(
            f"An account with {identity.email} already exists, but its email address was never confirmed, "
            f"so we won't connect it to {name} automatically. Sign in with your password, then link {name} "
            "from your account settings (Profile → Sign-in methods)."
        )
    if _link_of(user, identity.provider) is not None:
        raise LinkConflict(
            _(
                "Your account is linked to a different %(name)s account. Sign in with that one, or with your password.",
                name=name,
            )
        )
    user.last_sign_in_at = utcnow()
    return SignInOutcome(user, "linked", _add_link(user, identity, used=True))


def link_provider(user: User, identity: ProviderIdentity) -> ProviderLink:
    """Link ``identity`` to the signed-in ``user`` (they proved both); refuse if it belongs elsewhere."""
    name = label(identity.provider)
    existing = get_link_by_subject(identity.provider, identity.subject)
    if existing is not None and existing.user_id == user.id:
        raise LinkConflict(_("That %(name)s account is already linked to yours.", name=name))
    if existing is not None:
        raise LinkConflict(
            _(
                "That %(name)s account already signs in to another %(app_name)s account. Sign in with it there and "
                "remove it first, or use a different one.",
                name=name,
                app_name=_app_name(),
            )
        )
    if _link_of(user, identity.provider) is not None:
        raise LinkConflict(
            _("Your account already has a %(name)s account linked. Remove it first to link another.", name=name)
        )
    return _add_link(user, identity, used=False)


def unlink_provider(user: User, link_id: int) -> ProviderLink:
    """Remove one of ``user``'s links, unless it is their last way to sign in."""
    locked = db.session.get(User, user.id, with_for_update=True)  # two removals at once can't both pass
    link = db.session.scalar(select(ProviderLink).where(ProviderLink.id == link_id, ProviderLink.user_id == user.id))
    if link is None:
        raise LinkNotFound(_("That sign-in method isn't linked to your account."))
    others = db.session.scalar(
        select(func.count())
        .select_from(ProviderLink)
        .where(ProviderLink.user_id == user.id, ProviderLink.id != link.id)
    )
    if not locked.has_password and others == 0:
        raise LastSignInMethod(
            f"{label(link.provider)} is the only way you can sign in, so it can't be removed. "
            "Set a password or link another account first."
        )
    db.session.delete(link)
    db.session.flush()
    _tell_changed(user, link, linked=False)
    return link


def remove_password(user: User, *, current_password: str) -> None:
    """Stop ``user`` signing in with a password, if a linked provider remains their way in."""
    locked = db.session.get(User, user.id, with_for_update=True, populate_existing=True)
    if not locked.has_password:
        raise LinkConflict(_("Your account has no password to remove."))
    if not locked.check_password(current_password):
        raise ValidationFailed(_("Your current password is not right."))
    if not find_links(locked):
        raise LastSignInMethod(
            "Your password is the only way you can sign in, so it can't be removed. Link Google or Apple first."
        )
    locked.password_hash = None
    locked.session_token = new_session_token()  # like a password change: other devices sign out
    send_email(
        user.email,
        _l("Your password was removed"),
        "sign_in_method_changed",
        user=user,
        provider="Your password",
        linked=False,
        provider_email=None,
    )


@dataclass(frozen=True)
class SignInMethods:
    """What the settings page shows: the password, each link (removable or not), what can be added."""

    has_password: bool
    password_removable: bool
    links: list[dict]
    can_link: list[Provider]


def describe_sign_in_methods(user: User, configured: list[Provider]) -> SignInMethods:
    links = find_links(user)
    removable = user.has_password or len(links) > 1
    linked = {link.provider for link in links}
    return SignInMethods(
        has_password=user.has_password,
        password_removable=user.has_password and bool(links),
        links=[
            {
                "id": link.id,
                "provider": link.provider,
                "label": label(link.provider),
                "email": link.email,
                "created_at": link.created_at,
                "last_used_at": link.last_used_at,
                "removable": removable,
            }
            for link in links
        ],
        can_link=[provider for provider in configured if provider.name not in linked],
    )


def _link_of(user: User, provider: str) -> ProviderLink | None:
    return db.session.scalar(
        select(ProviderLink).where(ProviderLink.user_id == user.id, ProviderLink.provider == provider)
    )


def _add_link(user: User, identity: ProviderIdentity, *, used: bool) -> ProviderLink:
    link = ProviderLink(
        user_id=user.id,
        provider=identity.provider,
        subject=identity.subject,
        email=identity.email,
        last_used_at=utcnow() if used else None,
    )
    with savepoint_or_refuse(
        LinkConflict(
            _("That %(label)s account was just linked to an account. Sign in again.", label=label(identity.provider))
        )
    ):
        db.session.add(link)
    _tell_changed(user, link, linked=True)
    return link


def _tell_changed(user: User, link: ProviderLink, *, linked: bool) -> None:
    """Email ``user`` that a way to sign in was added to or removed from their account."""
    name = label(link.provider)
    send_email(
        user.email,
        _l("%(label)s sign-in was added", label=name) if linked else _l("%(label)s sign-in was removed", label=name),
        "sign_in_method_changed",
        user=user,
        provider=name,
        linked=linked,
        provider_email=link.email,
    )


def _app_name() -> str:
    from flask import current_app

    return current_app.config["APP_NAME"]
