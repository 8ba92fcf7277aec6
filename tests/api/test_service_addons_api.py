"""Add-ons on a service through the API (/api/v1/venue/services, app/api/views/venue_edit.py):
written as an ``addons`` list (left out: kept; ``[]``: none), shown on every service object (the
public rows too); bad add-ons are a 422 naming ``addons`` that changes nothing; another
service's add-on id or another venue's service is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.models import Service, ServiceAddon, Venue
from tests.api.conftest import bearer
from tests.api.test_venue_edit import API, SERVICE, count, problem_field

EXTRAS = [
    {"name": "Hot stones", "price_minor": 1500, "extra_minutes": 15},
    {"name": "Scalp massage", "price_minor": 1000},
]


def addons_of(service_id: int) -> list[tuple[str, int, int]]:
    db.session.expire_all()
    return [(a.name, a.price_minor, a.extra_minutes) for a in db.session.get(Service, service_id).addons]


def test_a_service_is_added_and_edited_with_add_ons(client, world, tokens):
    made = client.post(
        f"{API}/services", json={**SERVICE, "name": "Massage", "addons": EXTRAS}, headers=bearer(tokens["manager"])
    )
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert [(a["name"], a["price_minor"], a["extra_minutes"]) for a in row["addons"]] == [
        ("Hot stones", 1500, 15),
        ("Scalp massage", 1000, 0),
    ]
    assert (row["duration_minutes"], row["price"]["amount"]) == (45, 5500)  # add-ons don't change the service's own
    first, second = (a["id"] for a in row["addons"])

    kept = [
        {**EXTRAS[1], "id": second, "price_minor": 1200, "extra_minutes": 10},
        {"name": "Foot ritual", "price_minor": 800},
    ]
    edited = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "addons": kept}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert [a["name"] for a in body["addons"]] == ["Scalp massage", "Foot ritual"] and body["addons"][0]["id"] == second
    assert body["addons"][0]["extra_minutes"] == 10
    assert db.session.get(ServiceAddon, first) is None  # left out: removed

    again = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "price_minor": 9900}, headers=bearer(tokens["owner"])
    )
    assert again.status_code == 200 and len(again.get_json()["addons"]) == 2  # left out: kept
    cleared = client.put(f"{API}/services/{row['id']}", json={**SERVICE, "addons": []}, headers=bearer(tokens["owner"]))
    assert cleared.status_code == 200 and cleared.get_json()["addons"] == []
    assert addons_of(row["id"]) == []


def test_every_service_object_carries_its_add_ons(client, world, tokens):
    venue = db.session.get(Venue, world.venue.id)
    service = db.session.get(Service, int(world.ids["service_id"]))
    set_addons(service, [AddonInput("Hot stones", 1500, 15)])
    db.session.commit()
    own = client.get(f"{API}/services", headers=bearer(tokens["owner"])).get_json()
    mine = next(s for s in own if s["id"] == service.id)
    assert mine["addons"] == [
        {"id": service.addons[0].id, "name": "Hot stones", "price_minor": 1500, "extra_minutes": 15}
    ]
    assert all(s["addons"] == [] for s in own if s["id"] != service.id)
    listed = client.get(f"/api/v1/venues/{venue.slug}/services")
    assert listed.status_code == 200
    public = next(s for s in listed.get_json() if s["id"] == service.id)  # the public rows
    assert public["addons"] == mine["addons"]
    detail = client.get(f"/api/v1/venues/{venue.slug}").get_json()
    assert next(s for s in detail["services"] if s["id"] == service.id)["addons"] == mine["addons"]


@pytest.mark.parametrize(
    "addons",
    [
        [EXTRAS[0], {**EXTRAS[1], "name": "HOT STONES"}],  # two of one name
        [{**EXTRAS[0], "extra_minutes": 300}],
        [{**EXTRAS[0], "extra_minutes": -5}],
        [{**EXTRAS[0], "price_minor": -1}],
        [{**EXTRAS[0], "name": ""}],
        [{**EXTRAS[0], "name": "x" * 61}],
        [{"name": "Hot stones"}],  # no price
        [{**EXTRAS[0], "colour": "red"}],
        [{"name": f"Extra {n}", "price_minor": 100} for n in range(11)],
        "Hot stones",
    ],
)
def test_bad_add_ons_are_a_422_naming_addons_and_change_nothing(client, world, tokens, addons):
    service_id = int(world.ids["service_id"])
    service = db.session.get(Service, service_id)
    set_addons(service, [AddonInput("Aromatherapy oils", 500, 0)])
    db.session.commit()
    before = count(Service)
    made = client.post(f"{API}/services", json={**SERVICE, "addons": addons}, headers=bearer(tokens["owner"]))
    assert made.status_code == 422 and problem_field(made, "addons"), made.get_json()
    edited = client.put(
        f"{API}/services/{service_id}", json={**SERVICE, "addons": addons}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 422 and problem_field(edited, "addons")
    db.session.expire_all()
    assert count(Service) == before and db.session.get(Service, service_id).name == "Deep tissue massage"
    assert addons_of(service_id) == [("Aromatherapy oils", 500, 0)]


def test_another_services_add_on_and_another_venues_service_are_refused(client, world, tokens):
    service_id = int(world.ids["service_id"])
    other_venue = db.session.scalar(select(Venue).where(Venue.name == "Other Rooms"))
    theirs = other_venue.services[0]
    set_addons(theirs, [AddonInput("Eye mask", 800, 10)])
    db.session.commit()
    foreign = theirs.addons[0].id
    body = {**SERVICE, "addons": [{**EXTRAS[0], "id": foreign}]}
    refused = client.put(f"{API}/services/{service_id}", json=body, headers=bearer(tokens["owner"]))
    assert refused.status_code == 422 and problem_field(refused, "addons")
    assert "not one of this service" in refused.get_json()["errors"]["json"]["addons"][0]
    assert addons_of(service_id) == [] and addons_of(theirs.id) == [("Eye mask", 800, 10)]
    other = client.put(
        f"{API}/services/{theirs.id}", json={**SERVICE, "addons": EXTRAS}, headers=bearer(tokens["owner"])
    )
    assert other.status_code == 404 and addons_of(theirs.id) == [("Eye mask", 800, 10)]


def test_the_document_describes_add_ons(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "addons" in schemas["Service"]["properties"] and "addons" in schemas["ServiceIn"]["properties"]
    assert set(schemas["ServiceAddon"]["properties"]) == {"id", "name", "price_minor", "extra_minutes"}
