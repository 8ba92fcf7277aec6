"""The data export holds a person's notification choices, SMS number and texts; erasure
removes them."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import func, select

from app.notifications import preferences
from app.notifications.models import NotificationPreference, SmsMessage, SmsNumber
from app.notifications.sms import deliver_sms
from app.platform.extensions import db
from app.privacy.deletion import erase_account
from app.privacy.exports import build_archive

NUMBER = "+447911123456"


def choose_sms(user) -> None:
    preferences.save_preferences(
        user, preferences.DEFAULTS | {"reminders": {"email": True, "sms": True}}, sms_number=NUMBER
    )
    deliver_sms(NUMBER, "CozyWish reminder: your massage", key="privacy-1", user_id=user.id)
    db.session.flush()


def test_the_export_holds_choices_number_and_texts(ctx, customer, make_user):
    choose_sms(customer)
    other = make_user(role="customer")
    deliver_sms("+447400123456", "Someone else's text", key="privacy-2", user_id=other.id)
    with zipfile.ZipFile(io.BytesIO(build_archive(customer))) as archive:
        data = json.loads(archive.read("notifications.json"))
    assert data["sms_number"] == NUMBER
    assert data["choices"]["reminders"] == {"email": True, "sms": True}
    assert [m["body"] for m in data["sms_messages"]] == ["CozyWish reminder: your massage"]


def test_erasure_removes_the_number_the_choices_and_the_texts(ctx, customer):
    choose_sms(customer)
    erase_account(customer)
    db.session.flush()
    for model in (SmsNumber, NotificationPreference, SmsMessage):
        assert db.session.scalar(select(func.count()).select_from(model).where(model.user_id == customer.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(SmsMessage).where(SmsMessage.to_number == NUMBER)) == 0
