"""The front desk through the API: walk-in bookings, time blocks and the client book, under the
same services and staff roles as the pages (app/clients/views/, app/booking/views/calendar.py);
another venue's rows are a 404 and bad input a 422 that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.booking.models import Booking, TimeBlock
from app.clients import service as clients
from app.clients.models import VenueClient
from app.platform.extensions import db
from tests.api.conftest import bearer
from tests.booking.helpers import book, future_slot


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _service_id(world) -> int:
    return int(world.ids["service_id"])


# -- walk-ins ----------------------------------------------------------------------------------------


def test_the_receptionist_books_a_walk_in_once_per_idempotency_key(client, world, tokens):
    start = future_slot(days=6, hour=11)
    body = {
        "service_id": _service_id(world),
        "starts_at": start.isoformat(),
        "new_client": {"name": "Wanda Walkin", "phone": "+44 20 7946 0000"},
    }
    headers = {**bearer(tokens["receptionist"]), "Idempotency-Key": "walk-in-1"}
    made = client.post("/api/v1/venue/bookings", json=body, headers=headers)
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert row["channel"] == "desk" and row["status"] == "confirmed" and row["customer"] is None
    again = client.post("/api/v1/venue/bookings", json=body, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["reference"] == row["reference"]
    booking = db.session.scalar(select(Booking).where(Booking.reference == row["reference"]))
    walk_in = db.session.get(VenueClient, booking.client_id)
    assert walk_in.venue_id == world.venue.id and walk_in.name == "Wanda Walkin"
    assert _count(VenueClient) == 2  # the world's customer and the walk-in, once

    # an existing client of the book, by id; the same time again is taken (capacity 1): 409
    taken = client.post(
        "/api/v1/venue/bookings",
        json={"service_id": _service_id(world), "starts_at": start.isoformat(), "client_id": walk_in.id},
        headers=bearer(tokens["owner"]),
    )
    assert taken.status_code == 409 and taken.mimetype == "application/problem+json"


def test_walk_ins_are_refused_to_practitioners_and_other_venues(client, world, tokens):
    walk_in = clients.add_client(world.venue.id, name="Kept Client")
    db.session.commit()
    before = _count(Booking)
    body = {
        "service_id": _service_id(world),
        "starts_at": future_slot(days=6, hour=13).isoformat(),
        "client_id": walk_in.id,
    }
    assert client.post("/api/v1/venue/bookings", json=body, headers=bearer(tokens["practitioner"])).status_code == 403
    other = client.post("/api/v1/venue/bookings", json=body, headers=bearer(tokens["other_owner"]))
    assert other.status_code == 404  # neither this service nor this client is theirs
    assert _count(Booking) == before


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": None},  # neither a client nor a new one
        {"client_id": None, "new_client": {"name": "Ann", "email": "not-an-email"}},
        {"starts_at": "2020-01-01T10:00:00+00:00"},  # passed
        {"starts_at": "2030-01-01T10:00:00"},  # no zone
        {"payment": "cheque"},
        {"service_id": 0},
        {"surprise": 1},
    ],
)
def test_bad_walk_ins_are_422_and_change_nothing(client, world, tokens, change):
    walk_in = clients.add_client(world.venue.id, name="Kept Client")
    db.session.commit()
    body = {
        "service_id": _service_id(world),
        "starts_at": future_slot(days=6, hour=14).isoformat(),
        "client_id": walk_in.id,
        **change,
    }
    before = (_count(Booking), _count(VenueClient))
    answer = client.post("/api/v1/venue/bookings", json=body, headers=bearer(tokens["receptionist"]))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json", answer.get_json()
    assert (_count(Booking), _count(VenueClient)) == before


# -- time blocks -------------------------------------------------------------------------------------


def test_the_front_desk_blocks_time_and_removes_it(client, world, tokens):
    start = future_slot(days=8, hour=9)
    body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "reason": "Training"}
    made = client.post(
        "/api/v1/venue/blocks", json=body, headers={**bearer(tokens["receptionist"]), "Idempotency-Key": "b1"}
    )
    assert made.status_code == 201, made.get_json()
    block_id = made.get_json()["id"]
    day = start.date().isoformat()
    for who in ("owner", "practitioner"):
        listed = client.get(f"/api/v1/venue/blocks?start={day}&end={day}", headers=bearer(tokens[who])).get_json()
        assert block_id in [b["id"] for b in listed["blocks"]]
    weekly = client.post(
        "/api/v1/venue/blocks",
        json={
            **body,
            "repeat_weekdays": [start.weekday()],
            "repeat_until": (start + timedelta(days=14)).date().isoformat(),
        },
        headers=bearer(tokens["manager"]),
    )
    assert weekly.status_code == 201 and weekly.get_json()["repeat_weekdays"] == [start.weekday()]

    assert client.post("/api/v1/venue/blocks", json=body, headers=bearer(tokens["practitioner"])).status_code == 403
    gone = client.delete(f"/api/v1/venue/blocks/{block_id}", headers=bearer(tokens["other_owner"]))
    assert gone.status_code == 404 and db.session.get(TimeBlock, block_id) is not None
    assert client.delete(f"/api/v1/venue/blocks/{block_id}", headers=bearer(tokens["practitioner"])).status_code == 403
    assert client.delete(f"/api/v1/venue/blocks/{block_id}", headers=bearer(tokens["receptionist"])).status_code == 204
    db.session.expire_all()
    assert db.session.get(TimeBlock, block_id) is None


@pytest.mark.parametrize(
    "change",
    [
        {"ends_at_hours": -1},  # ends before it starts
        {"ends_at_hours": 30},  # longer than a day
        {"reason": "x" * 201},
        {"repeat_weekdays": [7]},
        {"repeat_weekdays": [1]},  # a repeat without its end
        {"team_member_id": 987654},  # not of this venue
    ],
)
def test_bad_blocks_are_refused_and_change_nothing(client, world, tokens, change):
    start = future_slot(days=8, hour=9)
    hours = change.pop("ends_at_hours", 1)
    body = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=hours)).isoformat(), **change}
    before = _count(TimeBlock)
    answer = client.post("/api/v1/venue/blocks", json=body, headers=bearer(tokens["receptionist"]))
    assert answer.status_code in (404, 422) and answer.mimetype == "application/problem+json", answer.get_json()
    assert answer.status_code == (404 if "team_member_id" in change else 422)
    assert _count(TimeBlock) == before
    today = datetime.now(UTC).date()
    too_long = client.get(
        f"/api/v1/venue/blocks?start={today}&end={today + timedelta(days=90)}", headers=bearer(tokens["owner"])
    )
    assert too_long.status_code == 422


# -- the client book ---------------------------------------------------------------------------------


def test_the_client_book_pages_by_cursor_and_searches(client, world, tokens, customer):
    for n in range(clients.PAGE_SIZE + 1):
        clients.add_client(world.venue.id, name=f"Zed {n:02d}", email=f"zed{n}@example.com")
    db.session.commit()
    first = client.get("/api/v1/venue/clients", headers=bearer(tokens["receptionist"]))
    page = first.get_json()
    assert first.status_code == 200 and page["total"] == clients.PAGE_SIZE + 2  # and the world's customer
    assert len(page["clients"]) == clients.PAGE_SIZE and page["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(
        "/api/v1/venue/clients", query_string={"cursor": page["next_cursor"]}, headers=bearer(tokens["receptionist"])
    ).get_json()
    assert len(second["clients"]) == 2 and second["next_cursor"] is None
    names = [c["name"] for c in page["clients"] + second["clients"]]
    assert len(set(names)) == clients.PAGE_SIZE + 2

    found = client.get("/api/v1/venue/clients?q=ZED7@", headers=bearer(tokens["owner"])).get_json()
    assert [c["name"] for c in found["clients"]] == ["Zed 07"]
    by_name = client.get(
        "/api/v1/venue/clients", query_string={"q": customer.name}, headers=bearer(tokens["manager"])
    ).get_json()
    assert [c["name"] for c in by_name["clients"]] == [customer.name]
    assert by_name["clients"][0]["next_visit"]  # the world's bookings are ahead

    bad = client.get("/api/v1/venue/clients?cursor=nonsense", headers=bearer(tokens["owner"]))
    assert bad.status_code == 422 and bad.mimetype == "application/problem+json"
    assert list(bad.get_json()["errors"]["query"]) == ["cursor"]
    assert client.get(f"/api/v1/venue/clients?q={'a' * 101}", headers=bearer(tokens["owner"])).status_code == 422
    assert client.get("/api/v1/venue/clients?page=2", headers=bearer(tokens["owner"])).status_code == 422


def test_a_practitioner_sees_only_their_own_clients(client, world, tokens, customer, make_user):
    stranger = make_user(name="Someone Else")
    second_member = world.venue.team[1]
    service = world.venue.services[0]
    book(stranger, service, future_slot(days=9, hour=10), team_member_id=second_member.id)
    db.session.commit()
    theirs = db.session.scalar(select(VenueClient).where(VenueClient.user_id == stranger.id))
    mine = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))

    listed = client.get("/api/v1/venue/clients", headers=bearer(tokens["practitioner"])).get_json()
    assert [c["id"] for c in listed["clients"]] == [mine.id]
    card = client.get(f"/api/v1/venue/clients/{mine.id}", headers=bearer(tokens["practitioner"]))
    assert card.status_code == 200 and card.get_json()["name"] == customer.name
    assert client.get(f"/api/v1/venue/clients/{theirs.id}", headers=bearer(tokens["practitioner"])).status_code == 404

    everyone = client.get("/api/v1/venue/clients", headers=bearer(tokens["receptionist"])).get_json()
    assert {c["id"] for c in everyone["clients"]} == {mine.id, theirs.id}


def test_a_client_card_and_another_venues(client, world, tokens, customer):
    mine = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))
    mine.notes, mine.tags = "Prefers mornings", ["regular"]
    db.session.commit()
    card = client.get(f"/api/v1/venue/clients/{mine.id}", headers=bearer(tokens["receptionist"]))
    body = card.get_json()
    assert card.status_code == 200 and body["notes"] == "Prefers mornings" and body["tags"] == ["regular"]
    assert {b["reference"] for b in body["bookings"]} == {world.own_booking.reference, world.others_booking.reference}
    assert client.get(f"/api/v1/venue/clients/{mine.id}", headers=bearer(tokens["other_owner"])).status_code == 404
    assert client.get("/api/v1/venue/clients/99999999999", headers=bearer(tokens["owner"])).status_code == 404
    assert client.get(f"/api/v1/venue/clients/{mine.id}").status_code == 401


def test_the_client_books_cursor_is_a_keyset_a_client_added_meanwhile_shifts_nothing(client, world, tokens, customer):
    for n in range(clients.PAGE_SIZE + 3):
        clients.add_client(world.venue.id, name=f"Mia {n:02d}")
    db.session.commit()
    headers = bearer(tokens["owner"])
    first = client.get("/api/v1/venue/clients", headers=headers).get_json()
    shown = [c["name"] for c in first["clients"]]
    clients.add_client(world.venue.id, name="Aaron Early")  # sorts before everything shown
    db.session.commit()
    second = client.get("/api/v1/venue/clients", query_string={"cursor": first["next_cursor"]}, headers=headers)
    rest = [c["name"] for c in second.get_json()["clients"]]
    everyone = sorted([f"Mia {n:02d}" for n in range(clients.PAGE_SIZE + 3)] + [customer.name])
    assert not set(shown) & set(rest)  # an offset would have shown the page's last name again
    assert sorted(shown + rest, key=str.lower) == sorted(everyone, key=str.lower)
    assert second.get_json()["total"] == clients.PAGE_SIZE + 5 and second.get_json()["next_cursor"] is None
