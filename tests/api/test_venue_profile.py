"""The venue's profile (``PATCH /api/v1/venue``) and FAQs (``/api/v1/venue/faqs``) through the API:
the basics and location pages' services and roles (the owner and managers), only the fields sent
change, a bad value is a 422 naming the field that changes nothing, at most five FAQs (a sixth
is a 409), another venue's FAQ is a 404."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.platform.extensions import db
from app.venues.models import FAQ, Category, Venue
from tests.api.conftest import bearer

API = "/api/v1/venue"
LOCATION = {
    "address_line": "1 Willow Walk",
    "city": "London",
    "postcode": "e1 6an",
    "country": "gb",
    "latitude": 51.5205,
    "longitude": -0.0726,
    "timezone": "Europe/London",
}


def faq_count(venue_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(FAQ).where(FAQ.venue_id == venue_id))


def profile(venue: Venue) -> dict:
    db.session.expire_all()
    fresh = db.session.get(Venue, venue.id)
    keys = ("name", "description", "category_id", "tags", "phone", "email", "website", *LOCATION)
    return {key: getattr(fresh, key) for key in keys}


def problem_field(response, field: str) -> bool:
    return response.mimetype == "application/problem+json" and field in response.get_json()["errors"]["json"]


# -- the profile -------------------------------------------------------------------------------------------


def test_the_profile_changes_only_what_is_sent(client, world, tokens):
    venue = world.venue
    massage = db.session.scalar(select(Category).where(Category.slug == "massage"))
    basics = {
        "name": "Calm Rooms Spa",
        "description": "A quiet spa with four treatment rooms.",
        "category_id": massage.id,
        "tags": ["Hot Stones", "couples", "couples"],
        "phone": "+44 20 7946 0000",
        "email": "Hello@Calm.example",
        "website": "calm.example",
    }
    saved = client.patch(API, json=basics, headers=bearer(tokens["manager"]))
    assert saved.status_code == 200, saved.get_json()
    body = saved.get_json()
    assert (body["name"], body["category"], body["category_id"], body["tags"]) == (
        "Calm Rooms Spa",
        "massage",
        massage.id,
        ["hot stones", "couples"],
    )
    assert (body["email"], body["website"], body["role"]) == ("hello@calm.example", "https://calm.example", "manager")
    assert profile(venue)["address_line"] == ""  # the location page's fields were not sent

    located = client.patch(API, json=LOCATION, headers=bearer(tokens["owner"]))
    assert located.status_code == 200, located.get_json()
    assert (located.get_json()["postcode"], located.get_json()["country"]) == ("E1 6AN", "GB")
    one = client.patch(API, json={"city": "Bristol"}, headers=bearer(tokens["owner"]))
    assert one.status_code == 200
    after = profile(venue)
    assert (after["city"], after["address_line"], after["latitude"], after["name"]) == (
        "Bristol",
        "1 Willow Walk",
        51.5205,
        "Calm Rooms Spa",
    )
    assert client.patch(API, json={}, headers=bearer(tokens["owner"])).status_code == 200
    assert profile(venue) == after
    public = client.get(f"/api/v1/venues/{one.get_json()['slug']}").get_json()
    assert public["name"] == "Calm Rooms Spa" and public["city"] == "Bristol"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),  # the service's own rule
        ({"name": "x" * 121}, "name"),
        ({"category_id": 99999999}, "category_id"),
        ({"tags": ["no <tags>"]}, "tags"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"phone": "call me"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"website": "nowhere"}, "website"),
        ({**LOCATION, "latitude": 91}, "latitude"),
        ({**LOCATION, "longitude": -181}, "longitude"),
        ({**LOCATION, "timezone": "Mars/Olympus"}, "timezone"),
        ({**LOCATION, "country": "G1"}, "country"),
        ({**LOCATION, "address_line": " "}, "address_line"),
        ({"city": "Leeds"}, "address_line"),  # a location needs a street (the page's rule, now the service's)
        ({"city": "Leeds", "address_line": "2 Park Row"}, "latitude"),  # and a map pin
        ({**LOCATION, "name": "Fine", "timezone": "Nowhere/Else"}, "timezone"),  # nor is the good name
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_value_is_a_422_naming_the_field_and_changes_nothing(client, world, tokens, body, field):
    before = profile(world.venue)
    refused = client.patch(API, json=body, headers=bearer(tokens["owner"]))
    assert refused.status_code == 422 and problem_field(refused, field), refused.get_json()
    assert profile(world.venue) == before


def test_only_the_owner_and_managers_edit_the_profile(client, world, tokens):
    before = profile(world.venue)
    for role in ("receptionist", "practitioner"):
        assert client.patch(API, json={"name": "Mine now"}, headers=bearer(tokens[role])).status_code == 403
    assert client.patch(API, json={"name": "Mine now"}).status_code == 401  # no token, no session: nobody
    assert profile(world.venue) == before
    # Another venue's owner edits their own venue, never this one.
    theirs = client.patch(API, json={"name": "Other Rooms Two"}, headers=bearer(tokens["other_owner"]))
    assert theirs.status_code == 200 and theirs.get_json()["id"] != world.venue.id
    assert profile(world.venue) == before


# -- FAQs ----------------------------------------------------------------------------------------------


def test_faqs_are_listed_added_edited_and_removed_at_most_five(client, world, tokens):
    venue_id = world.venue.id
    headers = bearer(tokens["manager"])
    listed = client.get(f"{API}/faqs", headers=headers)
    assert listed.status_code == 200 and [f["question"] for f in listed.get_json()] == ["Parking?"]
    for n in range(4):
        made = client.post(f"{API}/faqs", json={"question": f" Q{n}? ", "answer": "Yes."}, headers=headers)
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["question"] == f"Q{n}?" and made.headers["Location"].endswith("/api/v1/venue/faqs")
    sixth = client.post(f"{API}/faqs", json={"question": "Sixth?", "answer": "No."}, headers=bearer(tokens["owner"]))
    assert sixth.status_code == 409 and "at most 5 questions" in sixth.get_json()["detail"]
    assert faq_count(venue_id) == 5

    faq_id = int(world.ids["faq_id"])
    edited = client.put(f"{API}/faqs/{faq_id}", json={"question": "Parking?", "answer": "Two spaces."}, headers=headers)
    assert edited.status_code == 200 and edited.get_json() == {
        "id": faq_id,
        "question": "Parking?",
        "answer": "Two spaces.",
    }
    assert client.delete(f"{API}/faqs/{faq_id}", headers=bearer(tokens["owner"])).status_code == 204
    assert faq_count(venue_id) == 4
    assert client.delete(f"{API}/faqs/{faq_id}", headers=bearer(tokens["owner"])).status_code == 404


def test_an_idempotency_key_adds_one_faq(client, world, tokens):
    headers = {**bearer(tokens["owner"]), "Idempotency-Key": "faq-1"}
    first = client.post(f"{API}/faqs", json={"question": "Towels?", "answer": "Provided."}, headers=headers)
    again = client.post(f"{API}/faqs", json={"question": "Towels?", "answer": "Provided."}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()
    assert faq_count(world.venue.id) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"question": "", "answer": "Yes."}, "question"),
        ({"question": "Q?", "answer": "  "}, "answer"),  # the service's own rule
        ({"question": "x" * 301, "answer": "Yes."}, "question"),
        ({"question": "Q?"}, "answer"),
        ({"question": "Q?", "answer": "Yes.", "position": 1}, "position"),
    ],
)
def test_bad_faqs_are_refused_and_change_nothing(client, world, tokens, body, field):
    faq_id = int(world.ids["faq_id"])
    headers = bearer(tokens["owner"])
    made = client.post(f"{API}/faqs", json=body, headers=headers)
    assert made.status_code == 422 and problem_field(made, field), made.get_json()
    edited = client.put(f"{API}/faqs/{faq_id}", json=body, headers=headers)
    assert edited.status_code == 422 and problem_field(edited, field), edited.get_json()
    db.session.expire_all()
    assert faq_count(world.venue.id) == 1 and db.session.get(FAQ, faq_id).answer == "Yes, behind."


def test_who_may_edit_faqs(client, world, tokens):
    faq_id = int(world.ids["faq_id"])
    body = {"question": "Mine?", "answer": "Yes."}
    for role in ("receptionist", "practitioner"):
        headers = bearer(tokens[role])
        assert client.get(f"{API}/faqs", headers=headers).status_code == 403
        assert client.post(f"{API}/faqs", json=body, headers=headers).status_code == 403
        assert client.put(f"{API}/faqs/{faq_id}", json=body, headers=headers).status_code == 403
        assert client.delete(f"{API}/faqs/{faq_id}", headers=headers).status_code == 403
    other = bearer(tokens["other_owner"])
    assert client.put(f"{API}/faqs/{faq_id}", json=body, headers=other).status_code == 404
    assert client.put(f"{API}/faqs/{faq_id}", json={}, headers=other).status_code == 404  # 404 before the body
    assert client.delete(f"{API}/faqs/{faq_id}", headers=other).status_code == 404
    assert client.get(f"{API}/faqs", headers=other).get_json() == []  # their own venue's: none
    assert client.put(f"{API}/faqs/99999999999", json=body, headers=bearer(tokens["owner"])).status_code == 404
    db.session.expire_all()
    assert faq_count(world.venue.id) == 1 and db.session.get(FAQ, faq_id).question == "Parking?"
