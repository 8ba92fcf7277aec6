"""A client profile a desk can use (issue 45, item 4): the desk corrects a client's details (the
audit log names who), a birthday, upcoming apart from past, an activity feed of bookings, visits
and messages, and actions that fit the client (no block for a walk-in without an account)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.booking.models import BookingStatus
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.clients.models import VenueClient
from app.messages.models import BookingMessage, Side
from app.platform.errors import InvalidTransition, ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past

TODAY = date(2026, 11, 27)


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider, capacity=4)


def contact(**changes) -> dict[str, str]:
    return {"name": "Ann Smith", "email": "ann@example.com", "phone": "+44 7700 900123", "birthday": "", **changes}


def test_the_desk_corrects_a_walk_ins_details_and_the_audit_names_who(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smiht", phone="07700 900 000")
    db.session.commit()
    web.sign_in_as(provider)
    saved = web.post(f"/provider/clients/{client.id}/contact", contact(birthday="1990-03-14"))
    assert saved.status_code == 302
    db.session.expire_all()
    fixed = db.session.get(VenueClient, client.id)
    assert (fixed.name, fixed.email, fixed.phone, fixed.birthday) == (
        "Ann Smith",
        "ann@example.com",
        "+44 7700 900123",
        date(1990, 3, 14),
    )
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "client.contact")).all()
    assert entry.actor_id == provider.id and entry.subject_id == client.id
    assert sorted(entry.data["fields"]) == ["birthday", "email", "name", "phone"]
    assert "ann@example.com" not in str(entry.data)  # which fields, not their values
    page = web.get(f"/provider/clients/{client.id}").get_data(as_text=True)
    assert "14 March 1990" in page and "+44 7700 900123" in page


def test_saving_the_same_details_changes_nothing_and_logs_nothing(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith", email="ann@example.com", phone="+44 7700 900123")
    db.session.commit()
    web.sign_in_as(provider)
    assert web.post(f"/provider/clients/{client.id}/contact", contact()).status_code == 302
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "client.contact")) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "Enter the client&#39;s name."),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"phone": "call me"}, "Enter a valid phone number"),
        ({"birthday": "14/03/1990"}, "Enter the birthday as a date"),
        ({"birthday": "2999-01-01"}, "Enter a birthday in the past"),
        ({"birthday": "1800-01-01"}, "Enter a birthday in the past"),
    ],
)
def test_bad_details_are_a_422_that_keeps_what_was_typed_and_changes_nothing(
    web, provider, venue_and_service, changes, message
):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith", phone="07700 900 000")
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/contact", contact(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    assert "open data-contact-editor" in page  # the form stays open with what was typed
    db.session.expire_all()
    kept = db.session.get(VenueClient, client.id)
    assert (kept.name, kept.email, kept.phone, kept.birthday) == ("Ann Smith", None, "07700 900 000", None)


def test_another_venues_client_cannot_be_edited(web, provider, make_user, venue_and_service):
    other_venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Other Rooms")
    theirs = clients.add_client(other_venue.id, name="Not Yours")
    db.session.commit()
    web.sign_in_as(provider)
    assert web.post(f"/provider/clients/{theirs.id}/contact", contact()).status_code == 404
    db.session.refresh(theirs)
    assert theirs.name == "Not Yours"


def test_a_post_without_csrf_is_refused(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/contact", contact(name="Changed"), csrf=False)
    assert response.status_code == 400
    db.session.refresh(client)
    assert client.name == "Ann Smith"


def test_a_walk_in_is_offered_no_block_and_a_block_is_refused(web, provider, venue_and_service):
    venue, _service = venue_and_service
    walk_in = clients.add_client(venue.id, name="Walk In")
    db.session.commit()
    web.sign_in_as(provider)
    page = web.get(f"/provider/clients/{walk_in.id}").get_data(as_text=True)
    assert "Block online bookings" not in page
    refused = web.post(f"/provider/clients/{walk_in.id}/block", {"reason": "Rude"})
    assert refused.status_code == 409 and "has no account" in refused.get_data(as_text=True)
    db.session.refresh(walk_in)
    assert walk_in.blocked_at is None
    with pytest.raises(InvalidTransition):
        clients.block(walk_in, reason="Rude", now=datetime.now(UTC))


def test_a_client_with_an_account_is_offered_the_block(web, provider, venue_and_service, customer):
    _venue, service = venue_and_service
    book(customer, service, future_slot(days=3))
    client = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))
    db.session.commit()
    web.sign_in_as(provider)
    assert "Block online bookings" in web.get(f"/provider/clients/{client.id}").get_data(as_text=True)


def test_upcoming_apart_from_past_and_a_feed_of_bookings_visits_and_messages(
    web, provider, venue_and_service, customer
):
    _venue, service = venue_and_service
    past = book(customer, service, future_slot(days=2, hour=10))
    move_to_past(past, hours=30)
    past.status = BookingStatus.COMPLETED
    ahead = book(customer, service, future_slot(days=5, hour=11))
    db.session.add(
        BookingMessage(booking_id=ahead.id, sender_user_id=customer.id, sender_side=Side.CUSTOMER, body="Can I park?")
    )
    client = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))
    db.session.commit()
    web.sign_in_as(provider)
    page = web.get(f"/provider/clients/{client.id}").get_data(as_text=True)
    upcoming = page[page.index('id="client-upcoming"') : page.index('id="history-title"')]
    history = page[page.index('id="client-history"') : page.index('id="activity-title"')]
    assert f"/provider/bookings/{ahead.id}" in upcoming and f"/provider/bookings/{past.id}" not in upcoming
    assert f"/provider/bookings/{past.id}" in history and f"/provider/bookings/{ahead.id}" not in history
    feed = page[page.index('id="client-activity"') :]
    assert "Message from the client: Can I park?" in feed
    assert "Visited: " in feed and feed.count("Booked ") == 2


def test_update_contact_refuses_an_erased_client(venue_and_service, provider):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Gone")
    client.anonymised_at = datetime.now(UTC)
    with pytest.raises(ValidationFailed):
        clients.update_contact(client, **contact(), actor=provider, today=TODAY)


def test_a_birthday_today_is_marked(web, provider, venue_and_service):
    venue, _service = venue_and_service
    today = datetime.now(UTC).date()
    client = clients.add_client(venue.id, name="Ann Smith")
    client.birthday = today.replace(year=today.year - 30) if (today.month, today.day) != (2, 29) else date(1996, 2, 29)
    db.session.commit()
    web.sign_in_as(provider)
    assert "Today!" in web.get(f"/provider/clients/{client.id}").get_data(as_text=True)


def test_the_desk_walk_in_shows_what_is_due_at_the_venue(web, provider, venue_and_service):
    venue, service = venue_and_service
    client = clients.add_client(venue.id, name="Walk In")
    book_at_desk(
        venue,
        client,
        service_id=service.id,
        starts_at=future_slot(days=2) + timedelta(hours=1),
        team_member_id=None,
        staff=provider,
        now=datetime.now(UTC),
    )
    db.session.commit()
    web.sign_in_as(provider)
    page = web.get(f"/provider/clients/{client.id}").get_data(as_text=True)
    upcoming = page[page.index('id="client-upcoming"') : page.index('id="history-title"')]
    assert "at the venue" in upcoming and "at the desk" in upcoming
