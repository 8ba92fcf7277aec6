"""The customer's side of the client book: their export holds what venues keep of them (not the
venues' private notes), and erasing their account anonymises the client rows but keeps the visits."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from sqlalchemy import select

from app.booking.models import Booking
from app.clients import service as clients
from app.clients.models import VenueClient
from app.platform.extensions import db
from app.privacy.deletion import erase_account
from app.privacy.exports import build_archive
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past


def test_the_export_holds_the_client_records_but_not_the_venues_notes(ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    book(customer, service, future_slot(days=2))
    client = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))
    client.notes = "Secret venue note"
    client.tags = ["vip-secret"]
    db.session.flush()
    archive = zipfile.ZipFile(io.BytesIO(build_archive(customer)))
    records = json.loads(archive.read("venue_client_records.json"))
    assert records == [
        {
            "venue": venue.name,
            "name": customer.name,
            "email": customer.email,
            "phone": None,
            "online_bookings_blocked": False,
            "client_since": client.created_at.isoformat(),
        }
    ]
    assert b"Secret venue note" not in archive.read("venue_client_records.json")


def test_erasure_anonymises_client_rows_but_keeps_the_visit_counts(ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot(days=2))
    move_to_past(booking, hours=30)
    client_id = booking.client_id
    before = clients.list_clients(venue.id, now=datetime.now(UTC)).rows[0]
    assert before.visits == 1 and before.name == customer.name

    erase_account(customer)
    db.session.flush()

    client = db.session.get(VenueClient, client_id)
    assert client.email is None and client.phone is None and client.user_id is None
    assert client.name == "Deleted client" and client.anonymised_at is not None
    after = clients.list_clients(venue.id, now=datetime.now(UTC)).rows[0]
    assert after.visits == 1 and after.spend_minor == before.spend_minor
    assert db.session.get(Booking, booking.id).client_id == client_id
