"""Who wants which message on which channel: ``channels_for(user, kind)`` is the one answer,
asked by each kind of notice that a preference governs (catalogue.py, through telling.py).

Kinds: booking confirmations, reminders, changes and cancellations, waitlist offers and
marketing; and for providers, their venue's bookings and activity, and tomorrow's agenda (by
email only). Channels: email and SMS. Defaults (no row stored): email on for every kind but
marketing and the agenda, SMS off for every kind. In-app notices (the notification centre,
app/notifications/centre.py) are always on: they are not a channel one can turn off.
Marketing by email follows the recorded marketing consent
(app/privacy/consent.py), so the privacy page and this one never disagree. SMS is only ever
sent to a person who has given a mobile number, whatever the stored choice.

``reviews`` (review requests and answers to one's reviews) is a customer's kind too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import phonenumbers
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from app.accounts.models import User
from app.notifications.models import NotificationPreference, SmsNumber
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.privacy import consent

EMAIL, SMS = "email", "sms"
CHANNELS: tuple[str, ...] = (EMAIL, SMS)
KINDS: dict[str, str] = {
    "booking_confirmations": "Booking confirmations",
    "reminders": "Reminders before an appointment",
    "changes": "Changes and cancellations",
    "waitlist_offers": "Waitlist offers",
    "marketing": "Offers and news",
    "reviews": "Review requests and answers to your reviews",
    "venue_activity": "Your venue's bookings and activity",
    "daily_agenda": "Tomorrow's agenda, each evening",
}
PROVIDER_KINDS = ("venue_activity", "daily_agenda")  # shown to providers only
EMAIL_ONLY = ("daily_agenda",)  # no text message version
DEFAULTS: dict[str, dict[str, bool]] = {
    kind: {EMAIL: kind not in ("marketing", "daily_agenda"), SMS: False} for kind in KINDS
}
DEFAULT_REGION = "GB"  # numbers typed without +44 are read as UK numbers


class NumberInvalid(ValidationFailed):
    """The mobile number is what is wrong (the page marks that field)."""


def get_sms_number(user_id: int) -> str | None:
    return db.session.scalar(select(SmsNumber.number).where(SmsNumber.user_id == user_id))


def get_choices(user: User, kinds: Collection[str] = tuple(KINDS)) -> dict[str, dict[str, bool]]:
    """Each of ``kinds`` (every kind unless named) x channel as the user chose it (defaults where
    they didn't); the marketing consent is read only when marketing is asked for."""
    choices = {kind: dict(DEFAULTS[kind]) for kind in kinds}
    rows = db.session.execute(
        select(NotificationPreference.kind, NotificationPreference.channel, NotificationPreference.enabled).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind.in_(choices)
        )
    )
    for kind, channel, enabled in rows:
        choices[kind][channel] = enabled
    if "marketing" in choices:
        choices["marketing"][EMAIL] = consent.has_marketing_consent(user.id)
    return choices


def kinds_for(user: User) -> dict[str, str]:
    """The kinds of message ``user`` chooses on their preferences page: a venue's kinds for
    providers only."""
    if user.role == "provider":
        return dict(KINDS)
    return {kind: label for kind, label in KINDS.items() if kind not in PROVIDER_KINDS}


def channels_for(user: User, kind: str) -> tuple[str, ...]:
    """The channels ``user`` gets ``kind`` messages on, e.g. ("email", "sms") or ()."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message: {kind}")
    chosen = get_choices(user, (kind,))[kind]
    if chosen[SMS] and (kind in EMAIL_ONLY or get_sms_number(user.id) is None):
        chosen[SMS] = False
    return tuple(channel for channel in CHANNELS if chosen[channel])


def normalize_sms_number(raw: str) -> str:
    """A mobile number in E.164 ("+447911123456"), or ValidationFailed saying what's wrong."""
    raw = (raw or "").strip()
    if len(raw) > 32:
        raise NumberInvalid(_("That number is too long to be a phone number."))
    try:
        parsed = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise NumberInvalid(_("Enter a mobile number, like 07911 123456 or +44 7911 123456.")) from None
    if not phonenumbers.is_valid_number(parsed):
        raise NumberInvalid(_("That isn't a valid phone number. Check the digits and the country code."))
    if phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise NumberInvalid(_("Text messages need a mobile number; that one is a landline or service number."))
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def display_number(number: str | None) -> str:
    if not number:
        return ""
    return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def save_preferences(user: User, choices: Mapping[str, Mapping[str, bool]], *, sms_number: str | None) -> bool:
    """Store every kind x channel choice and the SMS number (None or "" removes it).

    Validates everything before writing anything: SMS on for any kind needs a number. Returns
    whether anything changed. Marketing by email is recorded as consent, with its wording.
    """
    if not set(kinds_for(user)) <= set(choices) <= set(KINDS) or any(set(c) != set(CHANNELS) for c in choices.values()):
        raise ValidationFailed(_("Choose on or off for every kind of message and channel."))
    number = normalize_sms_number(sms_number) if (sms_number or "").strip() else None
    if number is None and any(c[SMS] for c in choices.values()):
        raise NumberInvalid(_("Add your mobile number to get text messages, or turn text messages off."))
    before = (get_choices(user), get_sms_number(user.id))
    for kind, channels in choices.items():
        for channel, enabled in channels.items():
            if kind == "marketing" and channel == EMAIL:
                continue
            statement = insert(NotificationPreference).values(
                user_id=user.id, kind=kind, channel=channel, enabled=bool(enabled)
            )
            db.session.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id", "kind", "channel"],
                    set_={"enabled": statement.excluded.enabled, "updated_at": db.func.now()},
                )
            )
    if bool(choices["marketing"][EMAIL]) != before[0]["marketing"][EMAIL]:
        consent.record_marketing_choice(user.id, granted=bool(choices["marketing"][EMAIL]), source="settings")
    if number is None:
        db.session.execute(delete(SmsNumber).where(SmsNumber.user_id == user.id))
    else:
        statement = insert(SmsNumber).values(user_id=user.id, number=number)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"number": number, "updated_at": db.func.now()}
            )
        )
    return (get_choices(user), get_sms_number(user.id)) != before


def forget_user(user_id: int) -> None:
    """Account erasure: the number and every choice go (app/privacy/deletion.py)."""
    db.session.execute(delete(SmsNumber).where(SmsNumber.user_id == user_id))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
