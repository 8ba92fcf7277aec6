"""The SMS gateways: Twilio's REST API through its own client, against a local HTTP fake that
checks the exact request; the console gateway; and deliver_sms's once-per-key record."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from app.notifications.models import SmsMessage
from app.notifications.sms import (
    ConsoleSmsGateway,
    SmsGatewayError,
    TwilioSmsGateway,
    deliver_sms,
    get_sms_gateway,
)
from app.platform.extensions import db

SID, TOKEN, FROM = "AC" + "0" * 32, "twilio-test-token", "+447400000001"


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json as Twilio does (201 + JSON)."""

    requests: list[dict] = []
    refuse = False

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        self.requests.append(
            {
                "path": self.path,
                "auth": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "form": {key: values[0] for key, values in form.items()},
            }
        )
        expected_path = f"/2010-04-01/Accounts/{SID}/Messages.json"
        if self.path != expected_path:
            return self._answer(404, {"code": 20404, "message": "not found", "status": 404})
        if self.refuse:
            return self._answer(
                400, {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}
            )
        return self._answer(
            201,
            {
                "sid": "SM" + "a" * 32,
                "account_sid": SID,
                "to": form["To"][0],
                "from": form["From"][0],
                "body": form["Body"][0],
                "status": "queued",
                "num_segments": "1",
            },
        )

    def _answer(self, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio():
    FakeTwilio.requests = []
    FakeTwilio.refuse = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeTwilio
    server.shutdown()
    server.server_close()


def test_twilio_gets_the_exact_request_its_api_expects(fake_twilio):
    url, fake = fake_twilio
    gateway = TwilioSmsGateway(SID, TOKEN, FROM, base_url=url)
    result = gateway.send_sms("+447911123456", "Hello from CozyWish", idempotency_key="k1")
    assert result.gateway == "twilio"
    assert result.provider_message_id == "SM" + "a" * 32
    [request] = fake.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request["content_type"].startswith("application/x-www-form-urlencoded")
    assert request["auth"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request["form"] == {"To": "+447911123456", "From": FROM, "Body": "Hello from CozyWish"}


def test_a_twilio_refusal_is_a_gateway_error(fake_twilio):
    url, fake = fake_twilio
    fake.refuse = True
    with pytest.raises(SmsGatewayError, match="not a valid phone number"):
        TwilioSmsGateway(SID, TOKEN, FROM, base_url=url).send_sms("+15005550001", "x", idempotency_key="k")


def test_twilio_out_of_reach_is_a_gateway_error():
    gateway = TwilioSmsGateway(SID, TOKEN, FROM, base_url="http://127.0.0.1:9")
    with pytest.raises(SmsGatewayError, match="could not be reached"):
        gateway.send_sms("+447911123456", "x", idempotency_key="k")


def test_the_setting_chooses_the_gateway(app, monkeypatch, fake_twilio, ctx):
    url, fake = fake_twilio
    assert isinstance(get_sms_gateway(), ConsoleSmsGateway)  # the default, and the tests'
    for key, value in {
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM": FROM,
        "TWILIO_API_BASE_URL": url,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    assert deliver_sms("+447911123456", "Through Twilio", key="via-twilio", user_id=None)
    [row] = db.session.scalars(select(SmsMessage).where(SmsMessage.idempotency_key == "via-twilio")).all()
    assert (row.gateway, row.provider_message_id) == ("twilio", "SM" + "a" * 32)
    assert len(fake.requests) == 1


def test_the_console_gateway_logs_that_it_sent_but_not_the_number_or_the_text(caplog):
    with caplog.at_level("INFO", logger="app.notifications.sms"):
        result = ConsoleSmsGateway().send_sms("+447911123456", "Hi there", idempotency_key="abc")
    assert result.gateway == "console"
    assert "SMS abc sent by the console gateway" in caplog.text
    assert "7911" not in caplog.text and "Hi there" not in caplog.text


def test_a_key_is_sent_once(ctx):
    assert deliver_sms("+447911123456", "Once", key="same-key", user_id=None) is True
    assert deliver_sms("+447911123456", "Once", key="same-key", user_id=None) is False
    count = db.session.scalar(
        select(func.count()).select_from(SmsMessage).where(SmsMessage.idempotency_key == "same-key")
    )
    assert count == 1


def test_a_failed_send_takes_its_claim_back_so_the_retry_sends(app, monkeypatch, fake_twilio, ctx):
    url, fake = fake_twilio
    for key, value in {
        "SMS_GATEWAY": "twilio",
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM": FROM,
        "TWILIO_API_BASE_URL": url,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    fake.refuse = True
    with pytest.raises(SmsGatewayError):
        deliver_sms("+447911123456", "Retry me", key="retry-key", user_id=None)
    assert db.session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == "retry-key")) is None
    fake.refuse = False
    assert deliver_sms("+447911123456", "Retry me", key="retry-key", user_id=None) is True
    assert len(fake.requests) == 2


def test_a_long_message_is_cut_to_three_segments(ctx):
    deliver_sms("+447911123456", "x" * 1000, key="long", user_id=None)
    assert len(db.session.scalar(select(SmsMessage.body).where(SmsMessage.idempotency_key == "long"))) == 480
