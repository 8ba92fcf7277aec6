"""An address too long for us is the app's own 414, problem+json under ``/api/`` and the error
page elsewhere, never gunicorn's HTML 400: gunicorn's request-line limit (4094 bytes by default)
is off in its settings file (app/ops/gunicorn_hooks.py, in the command app/ops/serve.py runs), and
the app refuses a path over 2,000 characters or a query string over 8,000 bytes itself
(app/platform/input_guard.py). In process, then through the real gunicorn command."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from app.ops import gunicorn_hooks
from app.ops.serve import web_command
from app.platform.input_guard import MAX_PATH, MAX_QUERY_STRING
from tests.live_nodes import free_port

ROOT = Path(__file__).resolve().parents[2]
LONG_PATH = "/api/v1/venues/" + "a" * (MAX_PATH + 100)
LONG_QUERY = "/api/v1/venues?" + "&".join(f"tag=t{n}" for n in range(MAX_QUERY_STRING // 4))
# Over gunicorn's old limit, yet within ours: 1,000 characters written as 6,000 bytes.
WITHIN_OURS = "/api/v1/venues/" + "%C3%A9" * 1_000


def test_an_api_address_too_long_is_a_414_problem(client):
    for url in (LONG_PATH, LONG_QUERY):
        response = client.get(url)
        assert response.status_code == 414
        assert response.mimetype == "application/problem+json"
        body = response.get_json()
        assert body["type"] == "/api/v1/problems/uri-too-long" and body["status"] == 414
        assert body["detail"].startswith("This address is too long.")


def test_a_page_address_too_long_is_the_414_error_page(client):
    response = client.get("/venues/" + "a" * (MAX_PATH + 100))
    assert response.status_code == 414 and response.mimetype == "text/html"
    assert "This address is too long" in response.get_data(as_text=True)


def test_the_document_lists_the_414(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    answer = spec["paths"]["/api/v1/venues"]["get"]["responses"]["414"]
    assert list(answer["content"]) == ["application/problem+json"]


def test_gunicorns_own_request_line_limit_is_off():
    assert gunicorn_hooks.limit_request_line == 0
    assert "python:app.ops.gunicorn_hooks" in web_command("127.0.0.1", 8000, dev=False)


@contextlib.contextmanager
def gunicorn(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The app under the command `flask serve` runs (app/ops/serve.py ``web_command``)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "COZYWISH_ENV": "development",
        "DATABASE_URL": database_url,
        "BASE_URL": url,
        "SECRET_KEY": "long-addresses",
        "LOG_JSON": "0",
        "MAIL_BACKEND": "file",
        "MAIL_FILE_PATH": str(tmp_path / "mail"),
        "UPLOAD_ROOT": str(tmp_path / "uploads"),
    }
    for name in ("REDIS_URL", gunicorn_hooks.MULTIPROC_ENV):
        env.pop(name, None)
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        web_command("127.0.0.1", port, dev=False), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
                )
            time.sleep(0.2)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.slow
def test_under_gunicorn_a_long_request_line_is_answered_by_the_app(app, database_url, tmp_path):
    with gunicorn(database_url, tmp_path) as url:
        within = requests.get(url + WITHIN_OURS, timeout=30)
        assert within.status_code == 404  # looked up: gunicorn let the 6 KB line through
        assert within.headers["Content-Type"] == "application/problem+json"
        for address in (LONG_PATH, LONG_QUERY, LONG_QUERY + "&more=" + "x" * 20_000):
            response = requests.get(url + address, timeout=30)
            assert response.status_code == 414, (len(address), response.status_code, response.text[:200])
            assert response.headers["Content-Type"] == "application/problem+json"
            assert response.json()["type"] == "/api/v1/problems/uri-too-long"
        page = requests.get(url + "/venues/" + "a" * 9_000, timeout=30)
        assert page.status_code == 414 and page.headers["Content-Type"].startswith("text/html")
