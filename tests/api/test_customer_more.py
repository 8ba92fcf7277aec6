"""The customer's saved venues, notifications and reviews through the API."""

from __future__ import annotations

from sqlalchemy import func, select

from app.notifications import centre
from app.platform.extensions import db
from app.reviews.models import Review
from tests.api.conftest import bearer
from tests.booking.helpers import book, future_slot, move_to_past


def test_saving_and_unsaving_a_venue(client, customer, make_token, listed):
    venue, _service = listed
    token = make_token(customer, "read", "write")
    assert client.get("/api/v1/me/saved", headers=bearer(token)).get_json() == {"venue_ids": []}
    saved = client.put(f"/api/v1/me/saved/{venue.id}", json={"saved": True}, headers=bearer(token))
    assert saved.status_code == 200 and saved.get_json() == {"venue_ids": [venue.id]}
    again = client.put(f"/api/v1/me/saved/{venue.id}", json={"saved": True}, headers=bearer(token))
    assert again.get_json() == {"venue_ids": [venue.id]}
    missing = client.put("/api/v1/me/saved/999999", json={"saved": True}, headers=bearer(token))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    gone = client.put(f"/api/v1/me/saved/{venue.id}", json={"saved": False}, headers=bearer(token))
    assert gone.get_json() == {"venue_ids": []}


def test_notifications_page_and_mark_read(client, customer, make_user, make_token, ctx):
    for n in range(3):
        centre.notify(customer, "booking", f"Notice {n}", link="/bookings")
    db.session.commit()
    token = make_token(customer, "read", "write")
    first = client.get("/api/v1/me/notifications?limit=2", headers=bearer(token))
    page = first.get_json()
    assert [n["title"] for n in page["notices"]] == ["Notice 2", "Notice 1"] and page["unread"] == 3
    assert 'rel="next"' in first.headers["Link"]
    rest = client.get(f"/api/v1/me/notifications?limit=2&cursor={page['next_cursor']}", headers=bearer(token))
    assert [n["title"] for n in rest.get_json()["notices"]] == ["Notice 0"]
    notice_id = page["notices"][0]["id"]
    assert client.post(f"/api/v1/me/notifications/{notice_id}/read", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me/notifications", headers=bearer(token)).get_json()["unread"] == 2
    someone = make_token(make_user(), "read", "write")
    assert client.post(f"/api/v1/me/notifications/{notice_id}/read", headers=bearer(someone)).status_code == 404


def test_reviewing_a_past_booking(client, customer, make_token, listed):
    _venue, service = listed
    booking = book(customer, service, future_slot(days=2))
    token = make_token(customer, "read", "write")
    early = client.post(
        f"/api/v1/me/bookings/{booking.reference}/review",
        json={"rating": 5, "body": "Lovely, calm and on time."},
        headers=bearer(token),
    )
    assert early.status_code in (409, 422) and early.mimetype == "application/problem+json"
    move_to_past(booking, hours=3)
    booking.status = "completed"
    db.session.commit()
    bad = client.post(
        f"/api/v1/me/bookings/{booking.reference}/review", json={"rating": 9, "body": "x"}, headers=bearer(token)
    )
    assert bad.status_code == 422 and "rating" in bad.get_json()["errors"]["json"]
    written = client.post(
        f"/api/v1/me/bookings/{booking.reference}/review",
        json={"rating": 5, "body": "Lovely, calm and on time."},
        headers=bearer(token),
    )
    assert written.status_code == 201 and written.get_json()["rating"] == 5
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1


def test_rescheduling_a_booking(client, customer, make_token, listed):
    _venue, service = listed
    booking = book(customer, service, future_slot(days=3, hour=10))
    db.session.commit()
    token = make_token(customer, "read", "write")
    later = future_slot(days=4, hour=14)
    moved = client.post(
        f"/api/v1/me/bookings/{booking.reference}/reschedule",
        json={"starts_at": later.isoformat()},
        headers=bearer(token),
    )
    assert moved.status_code == 200, moved.get_json()
    assert "T14:00:00" in moved.get_json()["booking"]["starts_at"]
    past = client.post(
        f"/api/v1/me/bookings/{booking.reference}/reschedule",
        json={"starts_at": "2020-01-01T10:00:00+00:00"},
        headers=bearer(token),
    )
    assert past.status_code in (409, 422) and past.mimetype == "application/problem+json"
