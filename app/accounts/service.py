"""Account commands. They take plain values, raise domain errors, and never commit:
the caller (a request or a CLI command) commits once. A sign-in attempt returns its refusal
instead (``Attempt``): the failure it counted must be kept with the answer that refuses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts import tokens
from app.accounts.hashing import hash_password, verify_password
from app.accounts.models import Role, SignInThrottle, User
from app.accounts.passwords import password_problems
from app.platform.email import send_email
from app.platform.errors import DomainError, TooManyAttempts, ValidationFailed
from app.platform.extensions import db
from app.platform.urls import absolute_url

GENERIC_SIGN_IN_ERROR = "That email and password don't match. Check them and try again."


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def active_admins() -> list[User]:
    """The admins whose accounts are active: who is told of marketplace work to do."""
    return list(db.session.scalars(select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True))))


def check_password_rules(password: str, *, email: str, name: str = "") -> None:
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise ValidationFailed(" ".join(problems))


# -- sign-up and verification -------------------------------------------------------


def sign_up(*, email: str, name: str, password: str, role: str) -> User | None:
    """Create an unverified account and send the verification email.

    If the address is taken, the owner is told by email instead, and None is returned:
    the page shown is the same either way, so sign-up never reveals who has an account.
    """
    if role not in (Role.CUSTOMER, Role.PROVIDER):
        raise ValidationFailed(_("Choose whether you are a customer or a venue owner."))
    email = normalize_email(email)
    name = name.strip()
    check_password_rules(password, email=email, name=name)
    existing = get_user_by_email(email)
    if existing is not None:
        _spend_hashing_time(password)  # as slow as creating an account: no timing hint
        send_email(
            existing.email,
            _l("Someone tried to sign up with your email"),
            "account_exists",
            user=existing,
            sign_in_url=absolute_url("accounts.sign_in"),
            reset_url=absolute_url("accounts.forgot_password"),
        )
        return None
    user = User(email=email, name=name, role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    send_verification_email(user)
    return user


def send_verification_email(user: User) -> None:
    token = tokens.make_token(tokens.VERIFY_EMAIL, {"uid": user.id, "email": user.email})
    send_email(
        user.email,
        _l("Confirm your email address"),
        "verify_email",
        user=user,
        verify_url=absolute_url("accounts.verify_email", token=token),
        hours=int(current_app.config["EMAIL_TOKEN_MAX_AGE"].total_seconds() // 3600),
    )


def verify_email(token: str) -> User:
    data = tokens.read_token(tokens.VERIFY_EMAIL, token, _seconds("EMAIL_TOKEN_MAX_AGE"))
    user = get_user(data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise tokens.InvalidToken("This link is no longer valid. Sign in and ask for a new one.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def resend_verification(email: str) -> None:
    user = get_user_by_email(email)
    if user is not None and not user.is_verified:
        send_verification_email(user)


# -- sign-in and its throttle ----------------------------------------------------------


@dataclass
class ThrottleState:
    locked: bool
    minutes_left: int = 0


def _lock_throttle(email: str) -> SignInThrottle:
    """The throttle row for ``email``, created if missing, locked for this transaction.

    INSERT ... ON CONFLICT DO NOTHING first, so two first failures at once cannot collide.
    """
    from sqlalchemy.dialects.postgresql import insert

    email = normalize_email(email)
    db.session.execute(
        insert(SignInThrottle)
        .values(email=email, failures=0, window_started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return db.session.get(SignInThrottle, email, with_for_update=True, populate_existing=True)


def minutes_paused(email: str) -> int:
    """How many more minutes attempts for ``email`` (or another throttle key) stay paused; 0 if not paused."""
    throttle = db.session.get(SignInThrottle, normalize_email(email))
    now = utcnow()
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return max(1, int((throttle.locked_until - now).total_seconds() // 60) + 1)
    return 0


def record_failed_sign_in(email: str) -> None:
    config = current_app.config
    now = utcnow()
    window = timedelta(minutes=config["SIGNIN_LOCK_MINUTES"])
    throttle = _lock_throttle(email)
    if now - throttle.window_started_at > window:
        throttle.failures = 0
        throttle.window_started_at = now
        throttle.locked_until = None
    throttle.failures += 1
    if throttle.failures >= config["SIGNIN_MAX_FAILURES"]:
        throttle.locked_until = now + window


def clear_failed_sign_ins(email: str) -> None:
    throttle = db.session.get(SignInThrottle, normalize_email(email))
    if throttle is not None:
        db.session.delete(throttle)


@dataclass(frozen=True)
class Attempt:
    """How one step of proving who one is went (a password, a two-factor code): the ``user`` and
    the ``method`` ("app", "recovery") when it passed, else the ``refusal`` to show. Returned, not
    raised: the failure the attempt counted is kept with the answer that refuses it."""

    user: User | None = None
    method: str | None = None
    refusal: DomainError | None = None

    @property
    def paused(self) -> bool:
        """Refused before any check: too many recent failures."""
        return isinstance(self.refusal, TooManyAttempts)


def attempt_sign_in(email: str, password: str) -> Attempt:
    """Check a password sign-in; a refusal's message reveals nothing. A wrong one counts towards
    pausing the address; a paused address is refused before anything is checked."""
    minutes = minutes_paused(email)
    if minutes:
        return Attempt(
            refusal=TooManyAttempts(
                ngettext(
                    "Too many failed sign-in attempts. For your security, signing in with this email is paused "
                    "for %(num)d minute. You can reset your password meanwhile.",
                    "Too many failed sign-in attempts. For your security, signing in with this email is paused "
                    "for %(num)d minutes. You can reset your password meanwhile.",
                    minutes,
                )
            )
        )
    user = get_user_by_email(email)
    if user is None:
        _spend_hashing_time(password)  # answer as slowly as for a real account
    if user is None or not user.check_password(password) or not user.is_active:
        record_failed_sign_in(email)
        return Attempt(refusal=DomainError(GENERIC_SIGN_IN_ERROR))
    clear_failed_sign_ins(email)
    user.last_sign_in_at = utcnow()
    return Attempt(user=user)


# -- password reset -------------------------------------------------------------------


def request_password_reset(email: str) -> None:
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        return
    token = tokens.make_token(
        tokens.RESET_PASSWORD,
        {"uid": user.id, "pw": tokens.password_fingerprint(user.password_hash)},
    )
    send_email(
        user.email,
        _l("Reset your password"),
        "reset_password",
        user=user,
        reset_url=absolute_url("accounts.reset_password", token=token),
        minutes=int(_seconds("RESET_TOKEN_MAX_AGE") // 60),
    )


def get_user_for_reset(token: str) -> User:
    data = tokens.read_token(tokens.RESET_PASSWORD, token, _seconds("RESET_TOKEN_MAX_AGE"))
    user = get_user(data.get("uid"))
    if user is None or tokens.password_fingerprint(user.password_hash) != data.get("pw"):
        raise tokens.InvalidToken("This link has already been used. Ask for a new one if you need it.")
    return user


def reset_password(token: str, new_password: str) -> User:
    user = get_user_for_reset(token)
    check_password_rules(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # they proved they read this inbox
    clear_failed_sign_ins(user.email)
    send_email(user.email, _l("Your password was changed"), "password_changed", user=user)
    return user


# -- settings -------------------------------------------------------------------------


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password):
        raise ValidationFailed(_("Your current password is not right."))
    check_password_rules(new_password, email=user.email, name=user.name)
    user.set_password(new_password)
    send_email(user.email, _l("Your password was changed"), "password_changed", user=user)


def request_email_change(user: User, *, new_email: str, current_password: str) -> None:
    if not user.check_password(current_password):
        raise ValidationFailed(_("Your current password is not right."))
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise ValidationFailed(_("That is already your email address."))
    token = tokens.make_token(tokens.CHANGE_EMAIL, {"uid": user.id, "new": new_email, "old": user.email})
    # Sent even if the address is taken: confirming then fails, and nothing is revealed here.
    send_email(
        new_email,
        _l("Confirm your new email address"),
        "change_email",
        user=user,
        confirm_url=absolute_url("accounts.confirm_email_change", token=token),
        hours=int(_seconds("EMAIL_TOKEN_MAX_AGE") // 3600),
    )
    send_email(
        user.email, _l("Your email address is being changed"), "email_change_notice", user=user, new_email=new_email
    )


def confirm_email_change(token: str) -> User:
    data = tokens.read_token(tokens.CHANGE_EMAIL, token, _seconds("EMAIL_TOKEN_MAX_AGE"))
    user = get_user(data.get("uid"))
    if user is None or user.email != data.get("old"):
        raise tokens.InvalidToken("This link is no longer valid.")
    if get_user_by_email(data["new"]) is not None:
        raise ValidationFailed(_("That email address now belongs to another account."))
    user.email = data["new"]
    user.email_verified_at = utcnow()
    return user


def update_profile(user: User, *, name: str, phone: str | None, date_of_birth: date | None = None) -> None:
    """Save the profile's name, phone and (optional) date of birth: not in the future, nor
    before 1900."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter your name."))
    if date_of_birth is not None and not date(1900, 1, 1) <= date_of_birth <= utcnow().date():
        raise ValidationFailed(_("Enter a real date of birth, like 14 March 1990."), field="date_of_birth")
    user.name = name
    user.phone = (phone or "").strip() or None
    user.date_of_birth = date_of_birth


def create_admin(*, email: str, name: str, password: str) -> User:
    email = normalize_email(email)
    check_password_rules(password, email=email, name=name)
    if get_user_by_email(email) is not None:
        raise ValidationFailed(_("An account with %(email)s already exists.", email=email))
    user = User(email=email, name=name.strip(), role=Role.ADMIN, email_verified_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


_DUMMY_HASH: list[str] = []


def _spend_hashing_time(password: str) -> None:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not-a-real-password-for-timing"))
    verify_password(_DUMMY_HASH[0], password)


def _seconds(key: str) -> int:
    return int(current_app.config[key].total_seconds())
