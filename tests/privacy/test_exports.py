""" "Download my data": the ZIP's contents, the signed link that only its owner can use while
signed in, expiry and deletion of the file, throttling, and bad input."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.privacy import exports
from app.privacy.models import DataExport, ExportStatus
from app.privacy.retention import apply_retention
from app.venues.images import add_image
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.privacy.conftest import count, drain_jobs, files_under, fresh, image_bytes

EXPORT = "/account/privacy/export"
LINK_RE = re.compile(r"https?://\S+/account/privacy/exports/\S+")


def ask(web) -> DataExport:
    response = web.post(EXPORT, {})
    assert response.status_code == 302, response.text
    return db.session.scalar(select(DataExport).order_by(DataExport.id.desc()))


def emailed_link(outbox, to: str) -> str:
    [message] = [m for m in outbox if to in m.to and "ready to download" in m.subject]
    url = LINK_RE.search(message.body).group(0)
    return urlsplit(url).path


@pytest.fixture
def ready(ctx, web, customer, provider, outbox):
    """The customer's export, built by its job, and the link they were emailed."""
    _, service = make_bookable_venue(provider)
    book(customer, service, future_slot(days=3))
    customer.phone = "+44 20 7946 0018"
    db.session.commit()
    web.sign_in_as(customer)
    export = ask(web)
    assert export.status == ExportStatus.PENDING
    drain_jobs()
    return fresh(DataExport, export.id), emailed_link(outbox, customer.email)


def test_the_owner_downloads_a_zip_of_their_data_through_the_emailed_link(web, customer, ready, uploads):
    export, link = ready
    assert export.status == ExportStatus.READY and export.storage_key.startswith("private/exports/")
    assert export.storage_key in files_under(uploads)
    assert export.expires_at - export.ready_at == timedelta(days=7)

    response = web.get(link)

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"profile.json", "sessions.json", "orders.json", "bookings.json", "payments.json", "reviews.json"} <= names
    assert {"cart.json", "consents.json", "audit_log.json", "venue.json", "README.txt"} <= names
    profile = json.loads(archive.read("profile.json"))
    assert (profile["email"], profile["name"], profile["phone"]) == (customer.email, customer.name, customer.phone)
    assert "password_hash" not in profile and "session_token" not in profile and "totp_secret" not in profile
    assert len(json.loads(archive.read("bookings.json"))) == 1
    assert json.loads(archive.read("sessions.json"))[0]["user_agent"] == "pytest"
    assert "key_hash" not in json.loads(archive.read("sessions.json"))[0]
    assert json.loads(archive.read("venue.json")) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.data_export_downloaded"))


def test_a_providers_export_holds_their_venue_and_its_photos(ctx, web, provider, outbox):
    venue, _ = make_bookable_venue(provider)
    add_image(venue, image_bytes(), alt_text="The calm room")
    db.session.commit()
    web.sign_in_as(provider)
    ask(web)
    drain_jobs()
    archive = zipfile.ZipFile(io.BytesIO(web.get(emailed_link(outbox, provider.email)).data))
    venue_data = json.loads(archive.read("venue.json"))
    assert venue_data["name"] == venue.name and venue_data["services"][0]["name"] == "Deep tissue massage"
    assert "calendar_token" not in venue_data
    photos = [n for n in archive.namelist() if n.startswith("files/venue/")]
    assert len(photos) == 3 and all(archive.read(n)[:4] == b"RIFF" for n in photos)  # WebP files


def test_the_link_needs_a_signed_in_owner(web, new_browser, make_user, ready):
    _, link = ready
    signed_out = new_browser()
    response = signed_out.get(link)
    assert response.status_code == 302 and "/account/sign-in" in response.location

    other = new_browser()
    other.sign_in_as(make_user(name="Mallory Other"))
    response = other.get(link)
    assert response.status_code == 404 and "not valid" in response.text
    assert response.mimetype == "text/html"


def test_a_tampered_or_unknown_link_is_refused(web, customer, ready):
    export, link = ready
    token = link.rsplit("/", 1)[-1]
    forged = exports._serializer().dumps({"uid": customer.id, "export": export.id + 999})
    for bad in (token[:-2] + "xx", "not-a-token", forged, "a" * 600):
        response = web.get(f"/account/privacy/exports/{bad}")
        assert response.status_code == 404


def test_an_expired_export_is_refused_and_the_retention_job_deletes_its_file(ctx, web, ready, uploads):
    export, link = ready
    export.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()

    response = web.get(link)
    assert response.status_code == 404 and "expired" in response.text

    report = apply_retention()
    db.session.commit()
    assert report.exports == 1
    assert fresh(DataExport, export.id).status == ExportStatus.EXPIRED
    assert export.storage_key not in files_under(uploads)


def test_a_link_older_than_its_lifetime_is_refused_even_if_the_file_is_still_there(web, ready, monkeypatch):
    export, link = ready
    export.expires_at = datetime.now(UTC) + timedelta(days=30)  # the file outlived its link somehow
    db.session.commit()
    eight_days_on = int(time.time()) + 8 * 86400
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: eight_days_on)

    response = web.get(link)

    assert response.status_code == 404 and "expired" in response.text


def test_one_export_at_a_time(web, customer):
    web.sign_in_as(customer)
    ask(web)
    response = web.post(EXPORT, {})
    assert response.status_code == 409 and "already being prepared" in response.text
    assert count(DataExport) == 1


def test_at_most_three_exports_a_day(ctx, web, customer):
    web.sign_in_as(customer)
    for _ in range(3):
        ask(web)
        drain_jobs()
    response = web.post(EXPORT, {})
    assert response.status_code == 429 and "3 data exports a day" in response.text
    assert count(DataExport) == 3


def test_asking_without_a_csrf_token_is_refused(web, customer):
    web.sign_in_as(customer)
    assert web.post(EXPORT, {}, csrf=False).status_code == 400
    assert count(DataExport) == 0


def test_signed_out_visitors_cannot_ask(web):
    response = web.post(EXPORT, {})
    assert response.status_code == 302 and "/account/sign-in" in response.location
    assert count(DataExport) == 0
