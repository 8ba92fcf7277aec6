"""The customer's booking messages are in their data export (docs/privacy.md): their own and
the venue's replies in their threads, nobody else's thread, and a venue message an admin hid
without its text."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from app.messages import service as messages
from app.privacy.exports import build_archive
from tests.booking.helpers import book, future_slot, make_bookable_venue


def exported(user) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(build_archive(user)))
    assert "messages.json" in archive.read("README.txt").decode()
    return json.loads(archive.read("messages.json"))


def test_the_export_holds_the_customers_threads_and_only_theirs(ctx, provider, customer, make_user, admin):
    venue, service = make_bookable_venue(provider)
    mine = book(customer, service, future_slot(days=3, hour=10))
    other = make_user(name="Olga Other")
    theirs = book(other, service, future_slot(days=3, hour=12))
    now = datetime.now(UTC)
    messages.post_message(mine, customer, "Is there parking nearby?", now=now)
    reply = messages.post_message(mine, provider, "Yes, behind the building.", now=now)
    rude = messages.post_message(mine, provider, "Something rude", now=now)
    messages.report_message(rude, customer, "Not kind", now=now)
    messages.moderate(rude, action="hide", actor=admin, now=now)
    messages.post_message(theirs, other, "Olga's private question", now=now)

    rows = exported(customer)

    assert [(r["from"], r["body"]) for r in rows] == [
        ("you", "Is there parking nearby?"),
        ("venue", "Yes, behind the building."),
        ("venue", None),  # hidden by an admin: listed, its text left out
    ]
    assert {r["booking_reference"] for r in rows} == {mine.reference}
    assert rows[1]["venue"] == venue.name and reply.body not in json.dumps(rows[2])
    assert rows[2]["hidden_by_admin"] is True and rows[2]["your_report_reason"] == "Not kind"
    assert provider.name not in json.dumps(rows)  # the venue speaks, not the person behind it
    assert "Olga" not in json.dumps(rows)


def test_an_account_without_messages_gets_an_empty_list(ctx, customer):
    assert exported(customer) == []
