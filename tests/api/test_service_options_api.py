"""Options on a service through the API (/api/v1/venue/services, app/api/views/venue_edit.py):
written as an ``options`` list, shown on every service object (``options`` and
``from_price_minor``, the public service rows too); bad options are a 422 naming ``options``
that changes nothing; another service's option id or another venue's service is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.platform.extensions import db
from app.venues.models import Service, ServiceOption, Venue
from app.venues.options import OptionInput, set_options
from tests.api.conftest import bearer
from tests.api.test_venue_edit import API, SERVICE, count, problem_field

LENGTHS = [
    {"name": "60 min", "duration_minutes": 60, "price_minor": 4500},
    {"name": "90 min", "duration_minutes": 90, "price_minor": 6500},
]


def options_of(service_id: int) -> list[tuple[str, int, int]]:
    db.session.expire_all()
    return [(o.name, o.duration_minutes, o.price_minor) for o in db.session.get(Service, service_id).options]


def test_a_service_is_added_and_edited_with_options(client, world, tokens):
    made = client.post(f"{API}/services", json={**SERVICE, "options": LENGTHS}, headers=bearer(tokens["manager"]))
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert [(o["name"], o["duration_minutes"], o["price_minor"]) for o in row["options"]] == [
        ("60 min", 60, 4500),
        ("90 min", 90, 6500),
    ]
    assert (row["duration_minutes"], row["price"]["amount"], row["from_price_minor"]) == (60, 4500, 4500)
    first, second = (o["id"] for o in row["options"])

    kept = [
        {**LENGTHS[1], "id": second, "price_minor": 7000},
        {"name": "30 min", "duration_minutes": 30, "price_minor": 2500},
    ]
    edited = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "options": kept}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert [o["name"] for o in body["options"]] == ["90 min", "30 min"] and body["options"][0]["id"] == second
    assert (body["duration_minutes"], body["from_price_minor"]) == (30, 2500)
    assert db.session.get(ServiceOption, first) is None  # left out: removed

    # Left out, the options stay and the service's own length and price follow them again.
    again = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "price_minor": 9900}, headers=bearer(tokens["owner"])
    )
    assert again.status_code == 200 and len(again.get_json()["options"]) == 2
    assert again.get_json()["price"]["amount"] == 2500
    cleared = client.put(
        f"{API}/services/{row['id']}", json={**SERVICE, "options": []}, headers=bearer(tokens["owner"])
    )
    assert cleared.get_json()["options"] == [] and cleared.get_json()["price"]["amount"] == SERVICE["price_minor"]


def test_every_service_object_carries_options_and_from_price(client, world, tokens):
    venue = db.session.get(Venue, world.venue.id)
    service = db.session.get(Service, int(world.ids["service_id"]))
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    own = client.get(f"{API}/services", headers=bearer(tokens["owner"])).get_json()
    mine = next(s for s in own if s["id"] == service.id)
    assert [o["name"] for o in mine["options"]] == ["60 min", "90 min"] and mine["from_price_minor"] == 4500
    assert all("options" in s and "from_price_minor" in s for s in own)
    listed = client.get(f"/api/v1/venues/{venue.slug}/services")
    assert listed.status_code == 200
    public = next(s for s in listed.get_json() if s["id"] == service.id)  # the public rows
    assert public["options"] == mine["options"] and public["from_price_minor"] == 4500
    detail = client.get(f"/api/v1/venues/{venue.slug}").get_json()
    assert next(s for s in detail["services"] if s["id"] == service.id)["options"] == mine["options"]


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ([LENGTHS[0]], "options"),  # one option
        ([LENGTHS[0], {**LENGTHS[1], "name": "60 MIN"}], "options"),  # two of one name
        ([LENGTHS[0], {**LENGTHS[1], "duration_minutes": 800}], "options"),
        ([LENGTHS[0], {**LENGTHS[1], "price_minor": -5}], "options"),
        ([LENGTHS[0], {**LENGTHS[1], "name": ""}], "options"),
        ([LENGTHS[0], {**LENGTHS[1], "colour": "red"}], "options"),
        ([{**LENGTHS[0], "name": f"{n} min", "duration_minutes": 5 * n} for n in range(1, 12)], "options"),
        ("60 min", "options"),
    ],
)
def test_bad_options_are_a_422_naming_options_and_change_nothing(client, world, tokens, options, field):
    service_id = int(world.ids["service_id"])
    before = count(Service)
    made = client.post(f"{API}/services", json={**SERVICE, "options": options}, headers=bearer(tokens["owner"]))
    assert made.status_code == 422 and problem_field(made, field), made.get_json()
    edited = client.put(
        f"{API}/services/{service_id}", json={**SERVICE, "options": options}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 422 and problem_field(edited, field)
    db.session.expire_all()
    assert count(Service) == before and db.session.get(Service, service_id).name == "Deep tissue massage"
    assert options_of(service_id) == []


def test_another_services_option_and_another_venues_service_are_refused(client, world, tokens):
    service_id = int(world.ids["service_id"])
    other_venue = db.session.scalar(select(Venue).where(Venue.name == "Other Rooms"))
    theirs = other_venue.services[0]
    set_options(theirs, [OptionInput("Short", 30, 3000), OptionInput("Long", 60, 5000)])
    db.session.commit()
    foreign = theirs.options[0].id
    body = {**SERVICE, "options": [{**LENGTHS[0], "id": foreign}, LENGTHS[1]]}
    refused = client.put(f"{API}/services/{service_id}", json=body, headers=bearer(tokens["owner"]))
    assert refused.status_code == 422 and problem_field(refused, "options")
    assert "not one of this service" in refused.get_json()["errors"]["json"]["options"][0]
    assert options_of(service_id) == [] and options_of(theirs.id) == [("Short", 30, 3000), ("Long", 60, 5000)]
    other = client.put(
        f"{API}/services/{theirs.id}", json={**SERVICE, "options": LENGTHS}, headers=bearer(tokens["owner"])
    )
    assert other.status_code == 404 and options_of(theirs.id) == [("Short", 30, 3000), ("Long", 60, 5000)]


def test_the_document_describes_options(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "options" in schemas["Service"]["properties"] and "from_price_minor" in schemas["Service"]["properties"]
    assert "options" in schemas["ServiceIn"]["properties"]
