"""Error reports reach Sentry without personal data: a real HTTP server plays the Sentry
endpoint (the DSN points at it), a request carrying an email, a token, a card number and an IP
fails, and the envelope the SDK sent is read back and searched for each of them."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import sentry_sdk

from app import create_app
from app.platform import error_reports

EMAIL = "jane.doe@example.com"
TOKEN = "tok9f8e7d6c5b4a39281716150"
CARD = "4242 4242 4242 4242"
IP = "203.0.113.45"
BEARER = "sk_live_a1b2c3d4e5f6g7h8"
COOKIE_VALUE = "cookievalue123secret"
PASSWORD = "correct horse battery"

log = logging.getLogger("tests.ops.checkout")


class FakeSentry(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "br":  # the SDK's choice when Brotli is installed (it is: requirements.txt)
            body = brotli.decompress(body)
        assert encoding in {"", "gzip", "deflate", "br"}, f"cannot read {encoding}"
        FakeSentry.received.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def sentry_server():
    FakeSentry.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
    server.shutdown()
    server.server_close()


@pytest.fixture
def reporting_app(database_url, sentry_server, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SENTRY_DSN": sentry_server,
            "RENDER_ERRORS_IN_TESTS": True,  # the app's own 500 page, as in production
            "UPLOAD_ROOT": str(tmp_path / "uploads"),
            "STATIC_DIST": str(tmp_path / "no-static"),
        },
    )

    @app.route("/observe-test/charge")
    def failing_charge():
        from flask import request

        log.warning("charging %s from %s", request.args["email"], request.remote_addr)  # a breadcrumb
        sentry_sdk.set_extra("customer", {"email": request.args["email"], "note": f"card {CARD}"})
        raise RuntimeError(f"charge failed for {request.args['email']} card {CARD} from {IP} token={TOKEN}")

    yield app
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def envelope_items(raw: bytes) -> list[tuple[dict, dict | None]]:
    """(item header, item payload) pairs of a Sentry envelope: JSON lines after its header."""
    lines = raw.split(b"\n")
    items = []
    index = 1
    while index < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        header = json.loads(lines[index])
        payload = lines[index + 1] if index + 1 < len(lines) else b""
        try:
            items.append((header, json.loads(payload)))
        except ValueError:
            items.append((header, None))
        index += 2
    return items


@pytest.mark.slow
def test_a_reported_error_holds_no_personal_data(reporting_app, database_url):
    client = reporting_app.test_client()
    client.set_cookie("cozywish_session", COOKIE_VALUE)
    response = client.get(
        f"/observe-test/charge?email={EMAIL}&token={TOKEN}&card={CARD.replace(' ', '+')}&password={PASSWORD}",
        headers={"Authorization": f"Bearer {BEARER}", "X-Forwarded-For": IP, "User-Agent": "tests"},
        environ_base={"REMOTE_ADDR": IP},
    )
    assert response.status_code == 500
    assert sentry_sdk.get_client().is_active()
    assert sentry_sdk.get_client().should_send_default_pii() is False
    sentry_sdk.flush(timeout=10)

    events = [
        payload
        for raw in FakeSentry.received
        for header, payload in envelope_items(raw)
        if header.get("type") == "event" and payload
    ]
    assert len(events) == 1, f"expected one error event, got {len(FakeSentry.received)} envelopes"
    event = events[0]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "charge failed for" in event["exception"]["values"][-1]["value"]
    assert event["request"]["url"].endswith("/observe-test/charge")
    assert any("charging" in (crumb.get("message") or "") for crumb in event["breadcrumbs"]["values"])

    everything = b"\n".join(FakeSentry.received).decode()
    for secret in (
        EMAIL,
        "jane.doe",
        TOKEN,
        CARD,
        CARD.replace(" ", ""),
        CARD.replace(" ", "+"),
        IP,
        BEARER,
        COOKIE_VALUE,
        PASSWORD,
        PASSWORD.replace(" ", "+"),
    ):
        assert secret not in everything, f"{secret!r} reached Sentry"


def test_the_scrubber_cleans_every_part_of_an_event():
    event = {
        "message": f"refund for {EMAIL} on card 4000-0566-5566-5556",
        "extra": {"password": PASSWORD, "order": 12, "note": f"from {IP} and 2001:db8::8a2e:370:7334"},
        "breadcrumbs": {"values": [{"message": f"GET /account/verify/{TOKEN}", "data": {"ip": IP}}]},
        "request": {
            "url": "https://cozywish.example/reset-password/abc",
            "query_string": f"token={TOKEN}&page=2",
            "headers": {"Authorization": f"Bearer {BEARER}", "Cookie": "a=b", "Accept": "text/html"},
            "cookies": {"cozywish_session": COOKIE_VALUE},
            "data": {"card_number": CARD},
            "env": {"REMOTE_ADDR": IP},
        },
        "user": {"id": 7, "email": EMAIL, "ip_address": IP},
        "contexts": {"trace": {"description": "checkout"}},
    }
    cleaned = error_reports.scrub(event, {})
    text = json.dumps(cleaned)
    for secret in (EMAIL, "4000-0566-5566-5556", PASSWORD, IP, "2001:db8::8a2e:370:7334", TOKEN, BEARER, COOKIE_VALUE):
        assert secret not in text
    assert cleaned["user"] == {"id": 7}
    assert cleaned["extra"]["order"] == 12
    assert cleaned["request"]["headers"] == {"Accept": "text/html"}
    assert cleaned["request"]["query_string"].endswith("&page=2")
    assert cleaned["contexts"]["trace"]["description"] == "checkout"  # words are kept


def test_without_a_dsn_nothing_is_started(app):
    assert error_reports.init_app(app) is False
