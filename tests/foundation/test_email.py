"""Email is rendered from templates/emails and always delivered by a job."""

from __future__ import annotations

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from app.email import send_email
from app.jobs import run_pending_jobs


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
        from app.extensions import mail

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
        from app.extensions import mail

        mail.init_app(app)
        app.extensions["mailman"].outbox = []
