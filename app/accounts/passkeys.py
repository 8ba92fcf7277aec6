"""Passkeys (WebAuthn, verified by the `webauthn` library): added from the profile, used as the
second step after a password, or alone to sign in without one.

The relying party (RP ID and origin) comes from BASE_URL, never from the request. Every
ceremony starts with a challenge that is stored hashed with its purpose and user, expires
after CHALLENGE_SECONDS and is deleted the first time an answer is checked against it (the
browser's session holds the challenge, so only the session that asked can answer). A
credential's signature counter must grow: a counter that goes back means a cloned
authenticator, which is refused and audited.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app.accounts.models import User
from app.accounts.passkey_models import Passkey, PasskeyChallenge
from app.accounts.service import clear_failed_sign_ins, record_failed_sign_in
from app.accounts.two_factor import throttle_key
from app.platform.email import send_email
from app.platform.errors import DomainError, LimitReached, NotFound, ValidationFailed
from app.platform.extensions import db

CHALLENGE_SECONDS = 300
MAX_PASSKEYS = 10
NAME_MAX = 60
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class PasskeyRefused(DomainError):
    """The browser's answer doesn't prove this passkey (wrong challenge, origin, key, signature...)."""


class ChallengeExpired(PasskeyRefused):
    """No live challenge of this session matches: it expired, was used, or was never asked for."""


class SignCountWentBack(PasskeyRefused):
    """A valid signature with a counter that didn't grow: probably a cloned authenticator."""


class PasskeyNotFound(NotFound):
    pass


@dataclass(frozen=True)
class Ceremony:
    """How a ceremony ended: the ``passkey`` and its ``owner`` when the browser's answer proved
    it, else the ``refusal`` to answer with. Returned, not raised: the challenge is used up either
    way, and a wrong second step counts towards the account's pause; both are kept."""

    owner: User | None = None
    passkey: Passkey | None = None
    refusal: DomainError | None = None


def relying_party() -> tuple[str, str]:
    """(RP ID, origin) from BASE_URL: "example.com", "https://example.com"."""
    parts = urlsplit(current_app.config["BASE_URL"])
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    host = parts.hostname or ""
    origin = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port and parts.port != default_port else "")
    return host, origin


def _checked(verify: Callable[..., Any], credential: Any, challenge: bytes, refusal: str, **options: Any) -> Any:
    """The browser's ``credential`` checked by ``verify`` (py_webauthn's registration or
    authentication check) against ``challenge`` and our relying party; an answer it can't read
    or refuses is PasskeyRefused, saying ``refusal``."""
    rp_id, origin = relying_party()
    try:
        return verify(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin, **options
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        raise PasskeyRefused(refusal) from exc


def _hash(challenge: bytes) -> str:
    return hashlib.sha256(challenge).hexdigest()


# -- challenges -------------------------------------------------------------------------


def issue_challenge(purpose: str, user_id: int | None) -> bytes:
    """A new random challenge for one ceremony; expired ones are swept on the way."""
    now = datetime.now(UTC)
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at < now))
    challenge = secrets.token_bytes(32)
    db.session.add(
        PasskeyChallenge(
            challenge_hash=_hash(challenge),
            purpose=purpose,
            user_id=user_id,
            expires_at=now + timedelta(seconds=CHALLENGE_SECONDS),
        )
    )
    db.session.flush()
    return challenge


def consume_challenge(challenge: bytes | None, purpose: str, user_id: int | None) -> bytes:
    """Use up ``challenge`` (the one this session was given): it counts once, before it expires."""
    if not challenge:
        raise ChallengeExpired(_("Start again: that passkey request wasn't asked for in this browser."))
    row = db.session.execute(
        delete(PasskeyChallenge)
        .where(
            PasskeyChallenge.challenge_hash == _hash(challenge),
            PasskeyChallenge.purpose == purpose,
            PasskeyChallenge.user_id.is_(None) if user_id is None else PasskeyChallenge.user_id == user_id,
        )
        .returning(PasskeyChallenge.expires_at)
    ).first()
    if row is None or row.expires_at <= datetime.now(UTC):
        raise ChallengeExpired(_("That passkey request expired or was already used. Try again."))
    return challenge


# -- the user's passkeys -----------------------------------------------------------------


def find_passkeys(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at, Passkey.id))
    )


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=passkey.credential_id, transports=[AuthenticatorTransport(t) for t in passkey.transports]
        )
        for passkey in passkeys
    ]


def registration_options(user: User, challenge: bytes) -> dict:
    """Options for navigator.credentials.create(): a discoverable credential, user verification required."""
    if user.webauthn_user_handle is None:
        user.webauthn_user_handle = secrets.token_bytes(32)
        db.session.flush()
    rp_id, _origin = relying_party()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["APP_NAME"],
        user_name=user.email,
        user_id=user.webauthn_user_handle,
        user_display_name=user.name,
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(find_passkeys(user)),
        supported_pub_key_algs=ALGORITHMS,
    )
    return json.loads(options_to_json(options))


def clean_name(name: object) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailed(_("Give the passkey a name, like “Work laptop” or “My phone”."))
    if len(text) > NAME_MAX:
        raise ValidationFailed(_("Keep the name to %(name_max)s characters or fewer.", name_max=NAME_MAX))
    return text


def register(user: User, *, name: object, credential: object, challenge: bytes) -> Passkey:
    """Check the authenticator's answer to ``challenge`` and keep the new passkey; emails the user."""
    label = clean_name(name)
    if not isinstance(credential, dict) or user.webauthn_user_handle is None:
        raise PasskeyRefused(_("The browser's answer was incomplete. Try adding the passkey again."))
    count = db.session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id))
    if count >= MAX_PASSKEYS:
        raise LimitReached(
            _(
                "You can keep up to %(max_passkeys)s passkeys. Remove one you no longer use first.",
                max_passkeys=MAX_PASSKEYS,
            )
        )
    verified = _checked(
        verify_registration_response,
        credential,
        challenge,
        _("That passkey couldn't be checked, so it wasn't added. Try again, or use another device."),
        require_user_verification=True,
        supported_pub_key_algs=ALGORITHMS,
    )
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)) is not None:
        raise PasskeyRefused(_("That passkey is already registered."))
    response = credential.get("response")
    transports = response.get("transports") if isinstance(response, dict) else None
    passkey = Passkey(
        user_id=user.id,
        name=label,
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=sorted({t for t in transports if t in _TRANSPORTS}) if isinstance(transports, list) else [],
        user_handle=user.webauthn_user_handle,
        backed_up=verified.credential_backed_up,
    )
    db.session.add(passkey)
    user.two_factor_generation += 1  # a change to two-factor settings forgets remembered devices
    db.session.flush()
    send_email(
        user.email, _l("A passkey was added to your account"), "passkey_changed", user=user, name=label, added=True
    )
    return passkey


def remove(user: User, passkey_id: int) -> Passkey:
    """Delete one of ``user``'s passkeys (404 for anyone else's); emails the user."""
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id).with_for_update()
    )
    if passkey is None:
        raise PasskeyNotFound(_("That passkey doesn't exist."))
    if user.is_admin and not user.has_totp and len(find_passkeys(user)) == 1:
        raise ValidationFailed(
            _("Administrators must keep two-factor sign-in on: add another passkey or an authenticator app first.")
        )
    db.session.delete(passkey)
    user.two_factor_generation += 1
    db.session.flush()
    send_email(
        user.email,
        _l("A passkey was removed from your account"),
        "passkey_changed",
        user=user,
        name=passkey.name,
        added=False,
    )
    return passkey


# -- signing in ---------------------------------------------------------------------------


def authentication_options(challenge: bytes, *, user: User | None) -> dict:
    """Options for navigator.credentials.get(): any discoverable passkey (user verification
    required) when ``user`` is None, else one of ``user``'s passkeys as a second factor."""
    rp_id, _origin = relying_party()
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=CHALLENGE_SECONDS * 1000,
        allow_credentials=_descriptors(find_passkeys(user)) if user is not None else None,
        user_verification=UserVerificationRequirement.REQUIRED
        if user is None
        else UserVerificationRequirement.PREFERRED,
    )
    return json.loads(options_to_json(options))


def _credential_id(credential: object) -> bytes:
    raw = credential.get("rawId") if isinstance(credential, dict) else None
    if not isinstance(raw, str) or not raw or len(raw) > 1400:
        raise PasskeyRefused(_("The browser's answer was incomplete. Try again."))
    try:
        return base64url_to_bytes(raw)
    except ValueError as exc:
        raise PasskeyRefused(_("The browser's answer was incomplete. Try again.")) from exc


def find_credential_owner(credential: object) -> tuple[User, Passkey]:
    """The passkey the browser's answer names and its owner; PasskeyRefused if unknown."""
    passkey = db.session.scalar(
        select(Passkey).where(Passkey.credential_id == _credential_id(credential)).with_for_update()
    )
    owner = db.session.get(User, passkey.user_id) if passkey is not None else None
    if passkey is None or owner is None or not owner.is_active:
        raise PasskeyRefused(_("That passkey isn't registered with this account. Use another, or your password."))
    return owner, passkey


def authenticate(credential: object, *, challenge: bytes, user: User | None) -> tuple[User, Passkey]:
    """Check a passkey's signature over ``challenge``; returns its owner and the passkey.

    ``user`` None is a sign-in without a password: user verification is required and the
    answer's user handle must be the owner's. Otherwise the passkey must be ``user``'s own.
    """
    owner, passkey = find_credential_owner(credential)
    if user is not None and owner.id != user.id:
        raise PasskeyRefused(_("That passkey isn't registered with this account. Use another, or your password."))
    if user is None:
        response = credential.get("response") if isinstance(credential, dict) else None
        handle = response.get("userHandle") if isinstance(response, dict) else None
        if not isinstance(handle, str) or not secrets.compare_digest(
            bytes_to_base64url(passkey.user_handle), handle.rstrip("=")
        ):
            raise PasskeyRefused(_("That passkey doesn't belong to the account it claims. Try another."))
    # The stored counter is checked below, after the signature: only a genuine
    # signature with a counter that went back is evidence of a cloned authenticator.
    verified = _checked(
        verify_authentication_response,
        credential,
        challenge,
        _("That passkey couldn't be checked. Try again, or use another way to sign in."),
        credential_public_key=passkey.public_key,
        credential_current_sign_count=0,
        require_user_verification=user is None,
    )
    if (verified.new_sign_count or passkey.sign_count) and verified.new_sign_count <= passkey.sign_count:
        raise SignCountWentBack(
            "That passkey was refused: its counter went backwards, which can mean it was copied. "
            "Use another way to sign in, and remove it from your profile if it's yours."
        )
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = datetime.now(UTC)
    return owner, passkey


# -- ceremonies: a challenge used up, then the answer checked ------------------------------------


def add(user: User, *, name: object, credential: object, challenge: bytes | None) -> Ceremony:
    """``register`` after using up this session's ``challenge``; a refusal adds nothing."""
    try:
        passkey = register(
            user, name=name, credential=credential, challenge=consume_challenge(challenge, "register", user.id)
        )
    except DomainError as refusal:
        return Ceremony(refusal=refusal)
    return Ceremony(user, passkey)


def sign_in(credential: object, *, challenge: bytes | None) -> Ceremony:
    """A sign-in with a passkey alone: ``authenticate`` after using up this session's ``challenge``."""
    try:
        owner, passkey = authenticate(credential, challenge=consume_challenge(challenge, "sign_in", None), user=None)
    except DomainError as refusal:
        return Ceremony(refusal=refusal)
    return Ceremony(owner, passkey)


def second_step(user: User, credential: object, *, challenge: bytes | None) -> Ceremony:
    """One of ``user``'s passkeys as the second step after their password; a refusal counts towards
    the pause on their second steps (``two_factor.throttle_key``), as a wrong code does."""
    try:
        owner, passkey = authenticate(
            credential, challenge=consume_challenge(challenge, "second_factor", user.id), user=user
        )
    except DomainError as refusal:
        record_failed_sign_in(throttle_key(user))
        return Ceremony(refusal=refusal)
    clear_failed_sign_ins(throttle_key(user))
    return Ceremony(owner, passkey)


def owner_id_of(credential: object) -> int | None:
    """For the audit log: whose passkey a refused answer named, if it named a known one."""
    try:
        owner, _passkey = find_credential_owner(credential)
    except DomainError:
        return None
    return owner.id
