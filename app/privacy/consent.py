"""Marketing-email consent: every decision is a new row with the words shown; the latest wins.

Every marketing email carries an unsubscribe link (``unsubscribe_token``) that works signed out:
whoever holds the email may withdraw its person's consent (never grant it), as with a paper
letter's "write to us". The token names the user and is signed with SECRET_KEY; it stays good
for a year (an old email still works), and withdrawing twice changes nothing."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import User
from app.platform.errors import NotFound
from app.platform.extensions import db
from app.platform.signed_links import read_signed
from app.privacy.models import ConsentPurpose, ConsentRecord

# The wording shown beside the checkbox, by version. A change of wording is a new version:
# old records keep the words their person actually saw (they are copied into each row too).
MARKETING_WORDINGS = {
    "2026-11": (
        # No "email" in it: the sign-up form's "Email" label must stay the only one with that word.
        "Send me occasional offers and news from CozyWish. "
        "You can change your mind at any time in your account settings."
    ),
}
MARKETING_VERSION = "2026-11"
SOURCES = ("sign_up", "settings", "unsubscribe_link")
UNSUBSCRIBE_SALT = "marketing-unsubscribe"
UNSUBSCRIBE_MAX_AGE = 366 * 24 * 3600


class UnsubscribeLinkInvalid(NotFound):
    """An unsubscribe link we did not sign, cut short, or older than a year."""


def marketing_wording() -> str:
    return MARKETING_WORDINGS[MARKETING_VERSION]


def get_latest(user_id: int, purpose: str = ConsentPurpose.MARKETING_EMAIL) -> ConsentRecord | None:
    return db.session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.user_id == user_id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.id.desc())
        .limit(1)
    )


def has_marketing_consent(user_id: int) -> bool:
    """The current state: the latest record, or no consent when there is none."""
    latest = get_latest(user_id)
    return bool(latest and latest.granted)


def record_marketing_choice(user_id: int, *, granted: bool, source: str) -> ConsentRecord | None:
    """Record a decision; None (nothing written) when it repeats the current state, except
    at sign-up, whose first answer is always recorded."""
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    latest = get_latest(user_id)
    if latest is not None and latest.granted == granted:
        return None
    record = ConsentRecord(
        user_id=user_id,
        purpose=ConsentPurpose.MARKETING_EMAIL,
        granted=granted,
        wording_version=MARKETING_VERSION,
        wording=marketing_wording(),
        source=source,
    )
    db.session.add(record)
    db.session.flush()
    return record


def find_records(user_id: int) -> list[ConsentRecord]:
    return list(
        db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user_id).order_by(ConsentRecord.id))
    )


def _unsubscribe_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """The token of a marketing email's unsubscribe link for ``user_id``."""
    return _unsubscribe_serializer().dumps({"u": user_id})


def unsubscribing_user(token: str) -> int:
    """The user an unsubscribe link names; UnsubscribeLinkInvalid for anything else."""
    refused = UnsubscribeLinkInvalid(_("This unsubscribe link is not valid. Change your emails in your settings."))
    data = read_signed(_unsubscribe_serializer(), token, max_age=UNSUBSCRIBE_MAX_AGE, expired=refused, invalid=refused)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or db.session.get(User, data["u"]) is None:
        raise refused  # not ours, or its account is gone
    return data["u"]
