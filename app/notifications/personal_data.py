"""A person's notification data, for privacy (app/privacy/events.py): their export gets
``notifications.json`` (the channel choices per kind of message, the SMS number, every text
message sent to them and the invitations back they were sent), and the erasure of their account
removes the number, the choices, the texts (their bodies name bookings), the invitations and their
in-app notices, and takes out of anyone else's
notices the text that names them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from app.accounts.models import User
from app.notifications import centre, preferences
from app.notifications.models import ReturnMessage, SmsMessage
from app.platform.extensions import db
from app.privacy.events import account_erasing, export_collecting
from app.privacy.exports import table_rows

FILE_NAME = "notifications.json"


@export_collecting.connect
def add_notifications(sender: str, *, user: User) -> tuple[str, dict[str, Any]]:
    return FILE_NAME, {
        "choices": preferences.get_choices(user),
        "sms_number": preferences.get_sms_number(user.id),
        "sms_messages": table_rows(
            db.session.scalars(select(SmsMessage).where(SmsMessage.user_id == user.id).order_by(SmsMessage.id))
        ),
        "invitations_back": table_rows(
            db.session.scalars(
                select(ReturnMessage).where(ReturnMessage.customer_id == user.id).order_by(ReturnMessage.id)
            )
        ),
    }


@account_erasing.connect
def forget_the_person(sender: str, *, user: User, identifiers: list[str]) -> None:
    preferences.forget_user(user.id)
    centre.forget_user(user.id)
    db.session.execute(delete(SmsMessage).where(SmsMessage.user_id == user.id))
    db.session.execute(delete(ReturnMessage).where(ReturnMessage.customer_id == user.id))
    centre.redact(identifiers)  # other people's notices that name them (a venue named after its owner)
