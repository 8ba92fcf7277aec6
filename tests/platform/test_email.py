"""Email is rendered from templates/emails and always delivered by a job."""

from __future__ import annotations

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from app.platform.email import send_email
from app.platform.jobs import run_pending_jobs


def test_send_email_queues_a_job_and_sends_nothing_yet(ctx, outbox, customer):
    send_email(customer.email, "Your password was changed", "password_changed", user=customer)
    assert outbox == []
    run_pending_jobs()
    assert len(outbox) == 1
    message = outbox[0]
    assert message.subject == "Your password was changed"
    assert "password was just changed" in message.body
    html = message.alternatives[0][0]
    assert "<html" in html and customer.first_name in html


class Collector(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_email_is_delivered_through_a_real_smtp_server(app, ctx, customer, monkeypatch):
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", port)
        app.extensions["mailman"] = None
        from app.platform.extensions import mail

        mail.init_app(app)
        send_email(
            customer.email, "Reset your password", "reset_password", user=customer, reset_url="http://x/r", minutes=60
        )
        assert run_pending_jobs() == ["email.deliver:succeeded"]
        deadline = time.monotonic() + 5
        while not handler.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(handler.messages) == 1
        received = handler.messages[0]
        assert received["To"] == customer.email
        assert received["Subject"] == "Reset your password"
        assert received.is_multipart()
        kinds = {part.get_content_type() for part in received.walk()}
        assert {"text/plain", "text/html"} <= kinds
    finally:
        controller.stop()
        monkeypatch.undo()
        from app.platform.extensions import mail

        mail.init_app(app)
        app.extensions["mailman"].outbox = []


def queued_delivery_args() -> dict:
    from sqlalchemy import text

    from app.platform.extensions import db

    return db.session.execute(
        text("SELECT args FROM procrastinate_jobs WHERE task_name = 'email.deliver' ORDER BY id DESC LIMIT 1")
    ).scalar_one()


def count_deliveries(key: str) -> int:
    from sqlalchemy import text

    from app.platform.extensions import db

    return db.session.scalar(text("SELECT count(*) FROM email_deliveries WHERE key = :key"), {"key": key})


def test_a_retried_email_job_sends_nothing_the_second_time(ctx, outbox, customer):
    from app.platform.email import deliver_email

    send_email(customer.email, "Your password was changed", "password_changed", user=customer)
    args = queued_delivery_args()
    deliver_email.func(**args)
    deliver_email.func(**args)  # the same job again: a retry after its worker died
    assert len(outbox) == 1
    assert count_deliveries(args["key"]) == 1


def test_every_attempt_carries_the_same_message_id_and_each_email_its_own(ctx, outbox, customer):
    from app.platform.email import deliver_email

    send_email(customer.email, "Your password was changed", "password_changed", user=customer)
    first = queued_delivery_args()
    send_email(customer.email, "Your password was changed", "password_changed", user=customer)
    second = queued_delivery_args()
    assert first["key"] != second["key"]  # the same words twice are still two emails
    deliver_email.func(**first)
    deliver_email.func(**second)
    ids = [message.message()["Message-ID"] for message in outbox]
    assert ids == [f"<{first['key']}@example.com>", f"<{second['key']}@example.com>"]


def test_a_failed_send_releases_its_claim_so_the_retry_sends(ctx, outbox, customer, monkeypatch):
    from flask_mailman import EmailMultiAlternatives

    from app.platform.email import deliver_email

    send_email(customer.email, "Your password was changed", "password_changed", user=customer)
    args = queued_delivery_args()
    original = EmailMultiAlternatives.send

    def refused(self, *a, **kw):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refused)
    with pytest.raises(ConnectionError):
        deliver_email.func(**args)
    assert count_deliveries(args["key"]) == 0
    monkeypatch.setattr(EmailMultiAlternatives, "send", original)
    deliver_email.func(**args)
    assert len(outbox) == 1
    assert count_deliveries(args["key"]) == 1
