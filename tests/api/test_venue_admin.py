"""The venue's and the admin's API: the staff role table of the pages, scopes, and decisions
through the same services (approval transitions, review moderation)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.platform.extensions import db
from app.reviews.models import Review
from app.venues.models import VenueStatus
from tests.api.conftest import bearer
from tests.booking.helpers import book, future_slot, make_bookable_venue, move_to_past


def test_the_owner_reads_their_venue_and_calendar(client, provider, customer, make_token, listed):
    venue, service = listed
    booking = book(customer, service, future_slot(days=2))
    db.session.commit()
    token = make_token(provider, "venue")
    mine = client.get("/api/v1/venue", headers=bearer(token)).get_json()
    assert mine["id"] == venue.id and mine["role"] == "owner" and mine["status"] == "approved"
    assert [s["id"] for s in client.get("/api/v1/venue/services", headers=bearer(token)).get_json()] == [service.id]
    today = datetime.now(UTC).date()
    span = f"start={today}&end={today + timedelta(days=7)}"
    calendar = client.get(f"/api/v1/venue/bookings?{span}", headers=bearer(token)).get_json()
    assert [b["reference"] for b in calendar["bookings"]] == [booking.reference]
    assert calendar["bookings"][0]["customer"] == customer.name
    too_long = client.get(
        f"/api/v1/venue/bookings?start={today}&end={today + timedelta(days=90)}", headers=bearer(token)
    )
    assert too_long.status_code == 422


def test_venue_routes_need_the_scope_and_a_venue_account(client, provider, customer, make_token, listed):
    assert client.get("/api/v1/venue", headers=bearer(make_token(provider, "read"))).status_code == 403
    assert client.get("/api/v1/venue", headers=bearer(make_token(customer, "venue"))).status_code == 403
    assert client.get("/api/v1/venue").status_code == 401


def test_an_admin_approves_and_rejects_listings_with_reasons(client, admin, make_user, make_token, ctx):
    waiting, _service = make_bookable_venue(make_user(role="provider"), name="Waiting Rooms")
    other, _service2 = make_bookable_venue(make_user(role="provider"), name="Other Rooms")
    waiting.status = other.status = VenueStatus.PENDING_REVIEW
    db.session.commit()
    token = make_token(admin, "admin")
    queue = client.get("/api/v1/admin/listings", headers=bearer(token)).get_json()
    assert [row["name"] for row in queue["listings"]] == ["Waiting Rooms", "Other Rooms"]
    no_reason = client.post(f"/api/v1/admin/listings/{other.id}/reject", json={}, headers=bearer(token))
    assert no_reason.status_code == 422 and no_reason.get_json()["type"] == "/api/v1/problems/validation"
    rejected = client.post(
        f"/api/v1/admin/listings/{other.id}/reject", json={"reason": "Add photos"}, headers=bearer(token)
    )
    assert rejected.status_code == 200 and rejected.get_json()["status"] == "rejected"
    approved = client.post(f"/api/v1/admin/listings/{waiting.id}/approve", json={}, headers=bearer(token))
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    twice = client.post(f"/api/v1/admin/listings/{waiting.id}/approve", json={}, headers=bearer(token))
    assert twice.status_code == 409
    assert client.post("/api/v1/admin/listings/99999/approve", json={}, headers=bearer(token)).status_code == 404


def test_admin_routes_refuse_everyone_else(client, customer, provider, make_token):
    for user in (customer, provider):
        token = make_token(user, "admin")  # the scope can't lift the account's role
        assert client.get("/api/v1/admin/listings", headers=bearer(token)).status_code == 403


def test_an_admin_hides_a_review_with_a_reason(client, admin, customer, make_token, listed):
    from app.reviews.service import create_review

    _venue, service = listed
    booking = book(customer, service, future_slot(days=2))
    move_to_past(booking, hours=3)
    booking.status = "completed"
    review = create_review(booking, customer=customer, rating=2, body="Cold room, rushed massage.")
    db.session.commit()
    token = make_token(admin, "admin")
    no_reason = client.post(
        f"/api/v1/admin/reviews/{review.id}/visibility", json={"hidden": True}, headers=bearer(token)
    )
    assert no_reason.status_code == 422
    hidden = client.post(
        f"/api/v1/admin/reviews/{review.id}/visibility",
        json={"hidden": True, "reason": "Abusive"},
        headers=bearer(token),
    )
    assert hidden.status_code == 200 and hidden.get_json()["status"] == "hidden"
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden_reason == "Abusive"


def test_the_front_desk_checks_in_todays_booking(client, provider, customer, make_token, listed):

    _venue, service = listed
    booking = book(customer, service, future_slot(days=2))
    now = datetime.now(UTC)  # the appointment is now: today at the venue, whatever the hour
    booking.starts_at, booking.ends_at = now, now + timedelta(hours=1)
    booking.blocks_until = booking.ends_at
    db.session.commit()
    token = make_token(provider, "venue")
    first = client.post("/api/v1/venue/check-ins", json={"code": booking.reference.lower()}, headers=bearer(token))
    assert first.status_code == 200 and first.get_json()["just_now"] is True
    assert first.get_json()["booking"]["checked_in_at"]
    again = client.post("/api/v1/venue/check-ins", json={"code": booking.reference}, headers=bearer(token))
    assert again.status_code == 200 and again.get_json()["just_now"] is False
    nonsense = client.post("/api/v1/venue/check-ins", json={"code": "hello"}, headers=bearer(token))
    assert nonsense.status_code == 422 and "CW-7K4P-Q2MX" in nonsense.get_json()["detail"]
