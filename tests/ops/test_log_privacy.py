"""What the web and worker processes log holds no secret and no personal data (issue 42, item 3).

A real gunicorn node and a real job worker (`flask jobs worker`), both logging at INFO as in
production, on a database of their own. Through HTTP: a customer signs up and confirms their
address, the venue's owner invites a receptionist who accepts, books a walk-in with a phone
number at the desk and sends them a payment link, and the customer resets their password; each
emailed link is followed. Then every line both processes wrote is read: no token, no signed
link, no phone number, no name, no street address and no email body may be in them
(docs/operations.md, "What a log line may hold"). Before the fix the worker logged every job's
arguments: the invitation's token, the whole email bodies, the client's name and number.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from app import create_app
from app.accounts.models import Role
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.factories import PASSWORD, UserFactory
from tests.live_nodes import ROOT, fresh_database, running_nodes

pytestmark = [pytest.mark.slow, pytest.mark.committing]

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
LINK_RE = re.compile(r"https?://[^\s<>\"']+")
NEW_PASSWORD = "A-long-new-passphrase-42"
# Personal data the journey types in; none of it may reach a log line.
PERSONAL = {
    "customer's name": "Zelda Quistorp",
    "client's name": "Yolanda Vexley",
    "receptionist's name": "Rowena Deskworth",
    "street address": "17 Quillfeather Lane",
    "phone number": "7700 900123",
    "phone number (E.164)": "447700900123",
}
# Lines only an email's body holds (templates/emails/).
EMAIL_BODY = ("Or paste this link into your browser", "Reset your password", "Confirm your email")


@pytest.fixture
def world(tmp_path):
    with fresh_database("cozywish_log_privacy") as url:
        app = create_app("testing", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context(), app.test_request_context():
            owner = UserFactory(role=Role.PROVIDER, name="Olive Owner")
            venue, service = make_bookable_venue(owner)
            venue.address_line = PERSONAL["street address"]  # in the booking emails
            db.session.commit()
            found = {"owner": owner.email, "service_id": service.id}
            db.session.remove()
        env = {
            **os.environ,
            "COZYWISH_ENV": "development",
            "DATABASE_URL": url,
            "SECRET_KEY": "log-privacy-secret",
            "LOG_LEVEL": "INFO",
            "LOG_JSON": "1",
            "MAIL_BACKEND": "file",
            "MAIL_FILE_PATH": str(tmp_path / "mail"),
            "SMS_GATEWAY": "console",
            "PAYOUTS_COLLECT_BEFORE_ENABLED": "true",
        }
        env.pop("REDIS_URL", None)
        worker_log = tmp_path / "worker.log"
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker"],
            cwd=ROOT,
            env=env,
            stdout=worker_log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        try:
            with running_nodes([env], tmp_path) as (node,):
                yield app, found, node, tmp_path
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
            with app.app_context():
                db.engine.dispose()


class Browser:
    def __init__(self, node: str) -> None:
        self.node, self.http = node, requests.Session()

    def token(self, path: str) -> str:
        page = self.http.get(self.node + path, timeout=30)
        assert page.status_code == 200, (path, page.status_code)
        return CSRF_RE.search(page.text).group(1)

    def post(self, path: str, data: dict, *, form: str | None = None) -> requests.Response:
        data = {**data, "csrf_token": self.token(form or path)}
        return self.http.post(self.node + path, data=data, allow_redirects=False, timeout=30)

    def sign_in(self, email: str, password: str) -> None:
        response = self.post("/account/sign-in", {"email": email, "password": password})
        assert response.status_code == 302, response.text[:300]


def wait_for_link(mail: Path, to: str, path_part: str, timeout: float = 60.0) -> str:
    """The link containing ``path_part`` in a message to ``to``, once the worker has sent it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in sorted(mail.glob("*")) if mail.exists() else []:
            body = message.read_text(errors="replace").replace("=\n", "")
            if to in body:
                for link in LINK_RE.findall(body):
                    if path_part in link:
                        return link.rstrip(".,)")
        time.sleep(0.3)
    raise AssertionError(f"no email to {to} with a link to {path_part}")


def wait_for_empty_queue(app, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            waiting = db.session.scalar(
                text(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND scheduled_at IS NULL"
                )
            )
            db.session.rollback()
            if not waiting or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        db.session.remove()


def test_no_log_line_holds_a_secret_or_personal_data(world):
    app, found, node, folder = world
    mail = folder / "mail"
    links: dict[str, str] = {}

    # Sign-up, and the emailed confirmation link.
    customer = Browser(node)
    signed_up = customer.post(
        "/account/sign-up",
        {"role": "customer", "name": PERSONAL["customer's name"], "email": "zq@example.com", "password": PASSWORD},
    )
    assert signed_up.status_code == 302, signed_up.text[:500]
    links["confirmation"] = wait_for_link(mail, "zq@example.com", "/verify/")
    assert customer.http.get(links["confirmation"], timeout=30).status_code == 200

    # A staff invitation, accepted through its signed link.
    owner = Browser(node)
    owner.sign_in(found["owner"], PASSWORD)
    invited = owner.post("/provider/staff", {"email": "rd@example.com", "role": "receptionist"})
    assert invited.status_code in (302, 303), invited.text[:500]
    links["invitation"] = wait_for_link(mail, "rd@example.com", "/staff-invitation/")
    invitation_path = links["invitation"].split(node, 1)[-1]
    desk = Browser(node)
    accepted = desk.post(
        invitation_path, {"name": PERSONAL["receptionist's name"], "password": NEW_PASSWORD}, form=invitation_path
    )
    assert accepted.status_code in (302, 303), accepted.text[:500]

    # A walk-in with a phone number booked at the desk, sent a payment link.
    start = future_slot(days=3)
    booked = owner.post(
        "/provider/desk/new",
        {
            "service": found["service_id"],
            "member": "any",
            "date": start.date().isoformat(),
            "starts_at": start.isoformat(),
            "new_name": PERSONAL["client's name"],
            "new_email": "yv@example.com",
            "new_phone": "+44 7700 900123",
            "payment": "link",
        },
        form=f"/provider/desk/new?service={found['service_id']}&date={start.date().isoformat()}",
    )
    assert booked.status_code in (302, 303), booked.text[:500]
    links["payment"] = wait_for_link(mail, "yv@example.com", "/link/")
    assert requests.get(links["payment"], timeout=30).status_code == 200

    # A password reset, followed to the end.
    asked = Browser(node).post("/account/forgot-password", {"email": "zq@example.com"})
    assert asked.status_code in (200, 302, 303)
    links["reset"] = wait_for_link(mail, "zq@example.com", "/reset-password/")
    reset_path = links["reset"].split(node, 1)[-1]
    reset = Browser(node).post(reset_path, {"password": NEW_PASSWORD}, form=reset_path)
    assert reset.status_code in (302, 303), reset.text[:500]

    wait_for_empty_queue(app)
    time.sleep(1.0)  # the worker's last lines
    logs = {path.name: path.read_text(errors="replace") for path in folder.glob("*.log")}
    assert set(logs) == {"node-0.log", "worker.log"}
    everything = "\n".join(logs.values())
    # The logs were written: access lines with the secret parts masked, and job lines.
    assert "/account/staff-invitation/***" in logs["node-0.log"]
    assert "/account/reset-password/***" in logs["node-0.log"]
    assert re.search(r"job email\.deliver\[\d+\]", logs["worker.log"]), logs["worker.log"][-2000:]

    leaks = []
    for name, link in links.items():
        secret = link.rstrip("/").rsplit("/", 1)[-1]
        for needle in (link, secret):
            if needle in everything:
                leaks.append(f"the {name} link's token")
    for what, value in PERSONAL.items():
        for needle in {value, *value.split()} - {"17", "Lane"}:
            if needle in everything:
                leaks.append(f"{what} ({needle})")
    for line in EMAIL_BODY:
        if line in everything:
            leaks.append(f"an email body ({line!r})")
    assert not leaks, "found in the logs: " + ", ".join(leaks)
