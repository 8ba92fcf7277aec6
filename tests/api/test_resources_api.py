"""Rooms and equipment through the API (/api/v1/venue/resources, app/api/views/venue_edit.py) and
what a service needs (``needs`` on every service object, writable on create and update, left out:
kept): the page's rules, a 422 naming the field that changes nothing, another venue's resource a
404, and the receptionist and practitioner turned away as on the page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.booking.models import BookingResource
from app.platform.extensions import db
from app.venues import resources
from app.venues.models import Resource, Service, Venue
from tests.api.conftest import bearer
from tests.api.test_venue_edit import API, SERVICE, count, problem_field


def room_of(world) -> Resource:
    """The world's "Treatment room" x 2 (tests/venues/staff_world.py)."""
    return db.session.scalar(select(Resource).where(Resource.venue_id == world.venue.id))


def others_room(world) -> Resource:
    other = db.session.scalar(select(Venue).where(Venue.owner_id == world.people["other_owner"].id))
    room = resources.add_resource(other, name="Their room", quantity=3)
    db.session.commit()
    return room


def test_resources_are_listed_added_edited_and_removed(client, world, tokens):
    listed = client.get(f"{API}/resources", headers=bearer(tokens["manager"]))
    assert listed.status_code == 200
    assert [(r["name"], r["quantity"]) for r in listed.get_json()] == [("Treatment room", 2)]

    made = client.post(f"{API}/resources", json={"name": "Double room", "quantity": 1}, headers=bearer(tokens["owner"]))
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert (row["name"], row["quantity"]) == ("Double room", 1) and made.headers["Location"].endswith("/resources")

    edited = client.put(
        f"{API}/resources/{row['id']}", json={"name": "Couples room", "quantity": 2}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 200 and edited.get_json() == {"id": row["id"], "name": "Couples room", "quantity": 2}
    assert client.delete(f"{API}/resources/{row['id']}", headers=bearer(tokens["owner"])).status_code == 204
    assert count(Resource, Resource.venue_id == world.venue.id) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "", "quantity": 1}, "name"),
        ({"name": "x" * 61, "quantity": 1}, "name"),
        ({"name": "Sauna", "quantity": 0}, "quantity"),
        ({"name": "Sauna", "quantity": 51}, "quantity"),
        ({"name": "Sauna"}, "quantity"),
        ({"name": "Sauna", "quantity": 1, "colour": "red"}, "colour"),
        ({"name": "TREATMENT ROOM", "quantity": 1}, "name"),  # the venue has one of that name
    ],
)
def test_bad_resources_are_a_422_naming_the_field(client, world, tokens, body, field):
    refused = client.post(f"{API}/resources", json=body, headers=bearer(tokens["owner"]))
    assert refused.status_code == 422 and problem_field(refused, field), refused.get_json()
    assert count(Resource, Resource.venue_id == world.venue.id) == 1


def test_another_venues_resource_is_a_404_whatever_is_sent(client, world, tokens):
    theirs = others_room(world)
    for method, body in [("put", {"name": "Mine", "quantity": 1}), ("put", {"bad": True}), ("delete", None)]:
        answer = client.open(f"{API}/resources/{theirs.id}", method=method, json=body, headers=bearer(tokens["owner"]))
        assert answer.status_code == 404, (method, body, answer.get_json())
    db.session.expire_all()
    assert (db.session.get(Resource, theirs.id).name, db.session.get(Resource, theirs.id).quantity) == ("Their room", 3)


@pytest.mark.parametrize("role", ["receptionist", "practitioner"])
def test_the_front_desk_and_practitioners_cannot_edit_them(client, world, tokens, role):
    assert client.get(f"{API}/resources", headers=bearer(tokens[role])).status_code == 403
    refused = client.post(f"{API}/resources", json={"name": "Sauna", "quantity": 1}, headers=bearer(tokens[role]))
    assert refused.status_code == 403


def test_a_service_carries_and_takes_its_needs(client, world, tokens):
    room = room_of(world)
    made = client.post(
        f"{API}/services",
        json={**SERVICE, "needs": [{"resource_id": room.id, "units": 2}]},
        headers=bearer(tokens["manager"]),
    )
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert row["needs"] == [{"resource_id": room.id, "name": "Treatment room", "units": 2, "shared": False}]

    kept = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "price_minor": 6000}, headers=bearer(tokens["owner"])
    )
    assert kept.status_code == 200 and kept.get_json()["needs"] == row["needs"]  # left out: kept
    listed = client.get(f"{API}/services", headers=bearer(tokens["owner"])).get_json()
    assert next(s for s in listed if s["id"] == row["id"])["needs"] == row["needs"]
    cleared = client.put(f"{API}/services/{row['id']}", json={**SERVICE, "needs": []}, headers=bearer(tokens["owner"]))
    assert cleared.status_code == 200 and cleared.get_json()["needs"] == []


def test_a_need_shared_by_guests_side_by_side_goes_and_comes_back(client, world, tokens):
    room = room_of(world)
    made = client.post(
        f"{API}/services",
        json={**SERVICE, "needs": [{"resource_id": room.id, "units": 1, "shared": True}]},
        headers=bearer(tokens["owner"]),
    )
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert row["needs"] == [{"resource_id": room.id, "name": "Treatment room", "units": 1, "shared": True}]
    db.session.expire_all()
    assert [(n.resource_id, n.units, n.shared) for n in db.session.get(Service, row["id"]).needs] == [
        (room.id, 1, True)
    ]
    listed = client.get(f"{API}/services", headers=bearer(tokens["owner"])).get_json()
    assert next(s for s in listed if s["id"] == row["id"])["needs"] == row["needs"]

    kept = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "price_minor": 6000}, headers=bearer(tokens["owner"])
    )
    assert kept.status_code == 200 and kept.get_json()["needs"] == row["needs"]  # needs left out: kept
    unshared = client.put(
        f"{API}/services/{row['id']}",
        json={**SERVICE, "needs": [{"resource_id": room.id, "units": 1}]},  # shared left out: false
        headers=bearer(tokens["owner"]),
    )
    assert unshared.status_code == 200, unshared.get_json()
    assert unshared.get_json()["needs"] == [{**row["needs"][0], "shared": False}]
    db.session.expire_all()
    assert [n.shared for n in db.session.get(Service, row["id"]).needs] == [False]


@pytest.mark.parametrize("shared", ["yes", "true", 1, 0, None, []])
def test_a_shared_that_is_not_a_boolean_is_a_422_that_changes_nothing(client, world, tokens, shared):
    room = room_of(world)
    service_id = world.venue.services[0].id
    refused = client.put(
        f"{API}/services/{service_id}",
        json={**SERVICE, "needs": [{"resource_id": room.id, "units": 1, "shared": shared}]},
        headers=bearer(tokens["owner"]),
    )
    assert refused.status_code == 422 and problem_field(refused, "needs"), refused.get_json()
    assert "shared" in str(refused.get_json()["errors"]["json"]["needs"]), refused.get_json()
    db.session.expire_all()
    service = db.session.get(Service, service_id)
    assert service.needs == [] and service.name != SERVICE["name"]


@pytest.mark.parametrize(
    "needs",
    [
        [{"resource_id": "room", "units": 1}],
        [{"units": 1}],
        [{"resource_id": 1, "units": 0}],
        [{"resource_id": 1, "units": 11}],
    ],
)
def test_badly_formed_needs_are_a_422_naming_needs(client, world, tokens, needs):
    service_id = world.venue.services[0].id
    refused = client.put(
        f"{API}/services/{service_id}", json={**SERVICE, "needs": needs}, headers=bearer(tokens["owner"])
    )
    assert refused.status_code == 422 and problem_field(refused, "needs"), refused.get_json()


def test_needs_the_venue_cannot_meet_are_refused_and_change_nothing(client, world, tokens):
    room, theirs = room_of(world), others_room(world)
    service_id = world.venue.services[0].id
    for needs in (
        [{"resource_id": room.id, "units": 3}],  # it has 2
        [{"resource_id": theirs.id, "units": 1}],  # another venue's
        [{"resource_id": room.id, "units": 1}, {"resource_id": room.id, "units": 1}],  # twice
    ):
        refused = client.put(
            f"{API}/services/{service_id}", json={**SERVICE, "needs": needs}, headers=bearer(tokens["owner"])
        )
        assert refused.status_code == 422, refused.get_json()
        assert "needs" in str(refused.get_json()), refused.get_json()
    db.session.expire_all()
    service = db.session.get(Service, service_id)
    assert service.needs == [] and service.name != SERVICE["name"]  # nothing of the PUT was kept


def test_a_resource_a_booking_to_come_holds_keeps_its_units(client, world, tokens):
    room = room_of(world)
    booking = world.own_booking
    db.session.add(
        BookingResource(
            booking_id=booking.id,
            resource_id=room.id,
            unit=2,
            starts_at=booking.starts_at,
            blocks_until=booking.blocks_until,
            live=True,
        )
    )
    db.session.commit()
    lower = client.put(
        f"{API}/resources/{room.id}", json={"name": "Treatment room", "quantity": 1}, headers=bearer(tokens["owner"])
    )
    assert lower.status_code == 422 and "number 2" in str(lower.get_json()) and "quantity" in str(lower.get_json())
    removed = client.delete(f"{API}/resources/{room.id}", headers=bearer(tokens["owner"]))
    assert removed.status_code == 409 and "can't be removed" in str(removed.get_json())
    db.session.expire_all()
    assert db.session.get(Resource, room.id).quantity == 2
