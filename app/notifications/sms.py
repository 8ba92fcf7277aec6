"""Text messages: one gateway protocol, a Twilio implementation and a console one.

``SMS_GATEWAY`` chooses: ``console`` (the default, and the tests'; it writes the message to
the log) or ``twilio`` (Twilio's REST API through its maintained client, with
``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM``), or a dotted path to a
class with the same ``send_sms`` (as ``MAIL_BACKEND`` takes one).

Whatever the gateway, ``deliver_sms`` records every message in ``sms_messages`` under its
idempotency key, in the same transaction and savepoint as the gateway call: a second run with
that key finds it taken and sends nothing; a failed call takes its claim back. As with email,
one window stays: the process dies after the gateway accepted the message and before the
commit; Twilio's Messages API has no idempotency key of its own, so that message could go out
twice. The console gateway has no such window (its "send" is the record). Admins read the log
at /admin/sms.
"""

from __future__ import annotations

import importlib
import logging
import secrets
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from procrastinate import RetryStrategy
from sqlalchemy import text

from app.platform import metrics
from app.platform.extensions import db
from app.platform.jobs import enqueue, job

log = logging.getLogger(__name__)

SMS_MAX_CHARS = 480  # three concatenated segments: a reminder fits in two


@dataclass(frozen=True)
class SmsResult:
    gateway: str
    provider_message_id: str | None = None


class SmsGatewayError(Exception):
    """The gateway refused or could not be reached; the job retries."""


class SmsGateway(Protocol):
    name: str

    def send_sms(self, to: str, body: str, *, idempotency_key: str) -> SmsResult: ...


class ConsoleSmsGateway:
    """Development and tests: nothing leaves the machine. The message is kept in ``sms_messages``
    (by ``deliver_sms``: number and text, as every gateway's are); the log says only that one
    was sent, by its key (a log line holds no number or text: docs/operations.md)."""

    name = "console"

    def send_sms(self, to: str, body: str, *, idempotency_key: str) -> SmsResult:
        log.info("SMS %s sent by the console gateway (%d characters; see sms_messages)", idempotency_key, len(body))
        return SmsResult(gateway=self.name, provider_message_id=f"console-{idempotency_key}"[:64])


class TwilioSmsGateway:
    """Twilio's Programmable Messaging: POST /2010-04-01/Accounts/<sid>/Messages.json."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *, base_url: str | None = None):
        from twilio.rest import Client

        self.from_number = from_number
        self.client = Client(account_sid, auth_token)
        if base_url:  # a local fake in tests; Twilio's own API otherwise
            self.client.api.base_url = base_url.rstrip("/")

    def send_sms(self, to: str, body: str, *, idempotency_key: str) -> SmsResult:
        from twilio.base.exceptions import TwilioException

        try:
            message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        except TwilioException as exc:
            raise SmsGatewayError(f"Twilio refused the message: {exc}") from exc
        except OSError as exc:  # requests' connection errors are OSErrors
            raise SmsGatewayError(f"Twilio could not be reached: {exc}") from exc
        return SmsResult(gateway=self.name, provider_message_id=message.sid)


def get_sms_gateway() -> SmsGateway:
    config = current_app.config
    choice = (config.get("SMS_GATEWAY") or "console").strip()
    if choice == "console":
        return ConsoleSmsGateway()
    if choice == "twilio":
        return TwilioSmsGateway(
            config["TWILIO_ACCOUNT_SID"],
            config["TWILIO_AUTH_TOKEN"],
            config["TWILIO_FROM"],
            base_url=config.get("TWILIO_API_BASE_URL") or None,
        )
    module, _, name = choice.rpartition(".")
    if not module:
        raise RuntimeError(f"SMS_GATEWAY must be console, twilio or a dotted class path, not {choice!r}")
    return getattr(importlib.import_module(module), name)()


def _claim(key: str, *, user_id: int | None, to: str, body: str, gateway: str) -> bool:
    inserted = db.session.execute(
        text(
            "INSERT INTO sms_messages (idempotency_key, user_id, to_number, body, gateway)"
            " VALUES (:key, :user_id, :to, :body, :gateway) ON CONFLICT DO NOTHING RETURNING id"
        ),
        {"key": key, "user_id": user_id, "to": to, "body": body, "gateway": gateway},
    )
    return inserted.first() is not None


def deliver_sms(to: str, body: str, *, key: str, user_id: int | None) -> bool:
    """Claim ``key`` and send, in one savepoint of the caller's transaction; False if the key
    was already sent. The caller commits (with whatever else the send settles)."""
    gateway = get_sms_gateway()
    body = body[:SMS_MAX_CHARS]
    with db.session.begin_nested():
        if not _claim(key, user_id=user_id, to=to, body=body, gateway=gateway.name):
            log.info("SMS %s was already sent; this run sends nothing", key)
            return False
        result = gateway.send_sms(to, body, idempotency_key=key)
        if result.provider_message_id:
            db.session.execute(
                text("UPDATE sms_messages SET provider_message_id = :sid WHERE idempotency_key = :key"),
                {"sid": result.provider_message_id, "key": key},
            )
    metrics.notification_sent("sms")
    return True


def send_sms_later(to: str, body: str, *, user_id: int | None) -> int:
    """Queue a text message (after the current transaction commits); returns the job id."""
    return enqueue(deliver_sms_job, to=to, body=body, key=secrets.token_hex(16), user_id=user_id)


@job(name="sms.deliver", retry=RetryStrategy(max_attempts=6, exponential_wait=2))
def deliver_sms_job(to: str, body: str, key: str, user_id: int | None = None) -> None:
    deliver_sms(to, body, key=key, user_id=user_id)
    db.session.commit()
