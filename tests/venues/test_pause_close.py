"""Pausing and closing a venue (app/venues/closing.py, app/venues/views/closing.py): a paused
venue stays listed but refuses new bookings and says so; a closed one leaves search and the
sitemap, its future bookings kept or cancelled and refunded; the owner's alone; audited."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.accounts import api_tokens
from app.audit.models import AuditEntry
from app.booking import cart
from app.booking.models import BookingStatus
from app.checkout import checkout
from app.clients.desk import check_desk_booking
from app.clients.models import VenueClient
from app.notifications import confirmations
from app.payments.models import Refund
from app.platform.errors import DomainError
from app.platform.extensions import cache, db
from app.venues import closing
from app.venues.models import Venue, VenueStatus
from search.backend import get_backend
from tests.booking.helpers import book, cart_form, future_slot, iso, make_bookable_venue
from tests.venues.staff_world import build_world

CLOSING = "/provider/venue/pause-or-close"


@pytest.fixture(autouse=True)
def _confirmations_without_customer_pages(app, monkeypatch):
    """The confirmation email links to "My bookings"; skip it while that page isn't registered."""
    if "booking.my_bookings" not in app.view_functions:
        monkeypatch.setattr(confirmations, "send_confirmation", lambda order: None)


@pytest.fixture
def salon(ctx, provider):
    venue, service = make_bookable_venue(provider, name="Zephyrine Rooms")
    venue.city, venue.description = "London", "Quiet massage rooms by the canal."
    db.session.flush()
    return venue, service


@pytest.fixture
def booking(salon, customer):
    return book(customer, salon[1], future_slot(days=3, hour=10))


def fresh(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def audit_actions(venue) -> list[str]:
    query = select(AuditEntry.action).where(AuditEntry.subject_type == "venue", AuditEntry.subject_id == venue.id)
    return [a for a in db.session.scalars(query.order_by(AuditEntry.id)) if a.startswith("venue.")]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


# -- pausing ------------------------------------------------------------------------------------


def test_pausing_refuses_new_bookings_keeps_existing_ones_and_says_so(web, provider, customer, salon, booking):
    venue, service = salon
    resumes = (datetime.now(UTC) + timedelta(days=20)).date()
    web.sign_in_as(provider)
    response = web.post("/provider/venue/pause", {"until": resumes.isoformat(), "message": "New floors going in."})
    assert response.status_code == 302
    venue = fresh(venue)
    assert venue.paused_at is not None and venue.resumes_on == resumes
    assert fresh(booking).status == BookingStatus.CONFIRMED
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "venue.pause")).one()
    assert entry.actor_id == provider.id and entry.data["until"] == resumes.isoformat()

    page = text(web.get(f"/venues/{venue.slug}"))
    assert "Zephyrine Rooms is not taking new bookings until" in page and "New floors going in." in page
    assert "Book now" not in page
    assert "Zephyrine Rooms is not taking new bookings until" in text(
        web.get(f"/venues/{venue.slug}/book/{service.id}")
    )

    owner_page = text(web.get(CLOSING))
    assert "Take bookings again now" in owner_page and "New floors going in." in owner_page

    web.sign_in_as(customer)
    refused = web.post("/cart/items", cart_form(service, future_slot(days=4, hour=11)))
    assert refused.status_code == 422
    assert "not taking new bookings until" in text(refused)
    assert cart.get_items(cart.CartOwner(user_id=customer.id)) == []


def test_a_cart_already_holding_a_paused_venues_time_cannot_be_checked_out(customer, salon):
    venue, service = salon
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=5),
        quantity=1,
        team_member_id=None,
    )
    closing.pause(venue, actor=venue.owner, until=None, message="")
    with pytest.raises(DomainError, match="not taking new bookings for now"):
        checkout.checkout(customer)


def test_the_api_refuses_a_paused_venue_with_a_problem(client, customer, salon):
    venue, service = salon
    closing.pause(venue, actor=venue.owner, until=None, message="")
    _row, token = api_tokens.create_token(customer.id, name="test", scopes=["read", "write"])
    db.session.commit()
    body = {"service_id": service.id, "starts_at": iso(future_slot(days=4))}
    response = client.post("/api/v1/me/cart/items", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "not taking new bookings" in response.get_json()["detail"]


def test_reopening_after_a_pause_takes_bookings_again(web, provider, customer, salon):
    venue, service = salon
    web.sign_in_as(provider)
    assert web.post("/provider/venue/pause", {"until": "", "message": ""}).status_code == 302
    assert fresh(venue).paused_at is not None and fresh(venue).resumes_on is None
    assert web.post("/provider/venue/resume").status_code == 302
    assert fresh(venue).paused_at is None
    assert web.post("/provider/venue/resume").status_code == 409  # not paused any more
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service, future_slot(days=4, hour=11))).status_code in (200, 302, 303)
    assert len(cart.get_items(cart.CartOwner(user_id=customer.id))) == 1
    assert audit_actions(venue) == ["venue.pause", "venue.resume"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"until": "not-a-date"}, "Not a valid date value"),
        ({"until": "2020-01-01"}, "Choose a day after today"),
        ({"until": "", "message": "x" * 301}, "Use at most 300 characters."),
    ],
)
def test_a_bad_pause_is_refused_with_a_message_and_changes_nothing(web, provider, salon, data, message):
    venue, _service = salon
    web.sign_in_as(provider)
    response = web.post("/provider/venue/pause", data)
    assert response.status_code == 422
    assert message in text(response)
    assert fresh(venue).paused_at is None and audit_actions(venue) == []


# -- closing ------------------------------------------------------------------------------------


def test_closing_with_cancellation_refunds_emails_and_hides_the_venue(
    web, provider, customer, salon, booking, run_jobs, outbox, client
):
    venue, _service = salon
    get_backend(for_indexing=True).index([venue.id])
    db.session.commit()
    cache.clear()
    assert "Zephyrine Rooms" in text(client.get("/search?q=zephyrine"))
    assert f"/venues/{venue.slug}</loc>" in text(client.get("/sitemap.xml"))

    web.sign_in_as(provider)
    response = web.post("/provider/venue/close", {"future_bookings": "cancel", "reason": "We are moving away."})
    assert response.status_code == 302
    booking = fresh(booking)
    assert booking.status == BookingStatus.CANCELLED_BY_VENUE
    assert booking.refund_minor == booking.paid_minor == 6000 and booking.cancel_reason == "We are moving away."
    assert (
        sum(r.amount_minor for r in db.session.scalars(select(Refund).where(Refund.booking_id == booking.id))) == 6000
    )
    venue = fresh(venue)
    assert venue.status == VenueStatus.CLOSED and venue.closed_at is not None
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "venue.close")).one()
    assert entry.data["future_bookings"] == "cancel" and entry.data["cancelled"] == 1

    web.sign_out()  # the owner may still preview their page; the public may not
    run_jobs()
    mails = [m for m in outbox if m.subject.startswith("Cancelled") and m.to[0] == customer.email]
    assert len(mails) == 1 and "We are moving away." in mails[0].body
    cache.clear()
    assert "Zephyrine Rooms" not in text(client.get("/search?q=zephyrine"))
    assert f"/venues/{venue.slug}</loc>" not in text(client.get("/sitemap.xml"))
    assert client.get(f"/venues/{venue.slug}").status_code == 404


def test_closing_and_honouring_keeps_the_bookings(web, provider, salon, booking):
    venue, _service = salon
    web.sign_in_as(provider)
    assert web.post("/provider/venue/close", {"future_bookings": "honour", "reason": ""}).status_code == 302
    assert fresh(venue).status == VenueStatus.CLOSED
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert db.session.scalars(select(Refund)).all() == []
    assert "Your venue is closed" in text(web.get(CLOSING))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "Bye"}, "Choose what happens to the bookings already made"),
        ({"future_bookings": "shrug", "reason": "Bye"}, "Choose what happens to the bookings already made"),
        ({"future_bookings": "cancel", "reason": "  "}, "Tell your customers why"),
    ],
)
def test_a_bad_close_is_refused_and_nothing_changes(web, provider, salon, booking, data, message):
    venue, _service = salon
    web.sign_in_as(provider)
    response = web.post("/provider/venue/close", data)
    assert response.status_code == 422
    assert message in text(response)
    assert fresh(venue).status == VenueStatus.APPROVED
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert audit_actions(venue) == []


def test_the_front_desk_books_while_paused_but_not_once_closed(salon):
    venue, _service = salon
    client = VenueClient(venue_id=venue.id, name="Pat Phone")
    later = datetime.now(UTC) + timedelta(days=2)
    closing.pause(venue, actor=venue.owner, until=None, message="")
    check_desk_booking(venue, client, later, now=datetime.now(UTC), pay_by_link=False)  # no refusal
    closing.close(venue, actor=venue.owner, future_bookings="honour")
    with pytest.raises(DomainError, match="Your venue is closed"):
        check_desk_booking(venue, client, later, now=datetime.now(UTC), pay_by_link=False)


def test_a_closed_venue_reopens_into_review(web, provider, make_venue):
    venue = make_venue(provider, status="closed")
    web.sign_in_as(provider)
    assert web.post("/provider/venue/pause", {"until": ""}).status_code == 409
    assert web.post("/provider/venue/reopen").status_code == 302
    venue = fresh(venue)
    assert venue.status == VenueStatus.PENDING_REVIEW and venue.closed_at is None
    assert audit_actions(venue) == ["venue.reopen"]
    assert web.post("/provider/venue/reopen").status_code == 409


# -- who may ---------------------------------------------------------------------------------------


ROUTES = [
    ("get", CLOSING, None),
    ("post", "/provider/venue/pause", {"until": ""}),
    ("post", "/provider/venue/resume", {}),
    ("post", "/provider/venue/close", {"future_bookings": "cancel", "reason": "x"}),
    ("post", "/provider/venue/reopen", {}),
]


def test_only_the_owner_may_pause_or_close(web, ctx, make_user, customer):
    world = build_world(make_user, customer)
    db.session.commit()
    for role in ("manager", "receptionist", "practitioner"):
        web.sign_in_as(world.people[role])
        for method, path, data in ROUTES:
            response = web.get(path) if method == "get" else web.post(path, data)
            assert response.status_code == 403, (role, path)
    assert fresh(world.venue).status == VenueStatus.APPROVED and fresh(world.venue).paused_at is None

    # Another venue's owner acts on their own venue only: ours is untouched.
    web.sign_in_as(world.people["other_owner"])
    assert web.post("/provider/venue/pause", {"until": ""}).status_code == 302
    assert fresh(world.venue).paused_at is None
    theirs = select(Venue.paused_at).where(Venue.owner_id == world.people["other_owner"].id)
    assert db.session.scalar(theirs) is not None


def test_posts_without_a_csrf_token_are_refused(web, provider, salon, booking):
    venue, _service = salon
    web.sign_in_as(provider)
    for path, data in (
        ("/provider/venue/pause", {"until": ""}),
        ("/provider/venue/close", {"future_bookings": "cancel", "reason": "Bye"}),
        ("/provider/venue/resume", {}),
        ("/provider/venue/reopen", {}),
    ):
        assert web.post(path, data, csrf=False).status_code == 400, path
    venue = fresh(venue)
    assert venue.status == VenueStatus.APPROVED and venue.paused_at is None
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_the_dashboard_links_the_owner_to_the_page(web, provider, salon):
    web.sign_in_as(provider)
    assert "Pause or close your venue" in text(web.get("/provider"))
    page = text(web.get(CLOSING))
    assert "1 booking is still to come." not in page and "No bookings are still to come." in page
