"""Editing the venue through the API (services with their category, payment terms and booking
rules, team, weekly hours, closures) and the client card's notes, tags and blocking: the same
services and roles as the dashboard's pages; another venue's rows are a 404; bad input is a 422
(problem+json with the field) that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clients.models import VenueClient
from app.platform.extensions import db
from app.venues.models import Category, Closure, OpeningHours, Service, TeamMember
from tests.api.conftest import bearer

API = "/api/v1/venue"
SERVICE = {"name": "Hot stones", "duration_minutes": 45, "price_minor": 5500}


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def problem_field(response, field: str) -> bool:
    return response.mimetype == "application/problem+json" and field in response.get_json()["errors"]["json"]


# -- services -------------------------------------------------------------------------------------------


def test_managers_add_edit_hide_and_remove_services(client, world, tokens):
    venue = world.venue
    before = count(Service, Service.venue_id == venue.id)
    made = client.post(f"{API}/services", json=SERVICE, headers=bearer(tokens["manager"]))
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert (row["name"], row["duration_minutes"], row["price"], row["is_active"]) == (
        "Hot stones",
        45,
        {"amount": 5500, "currency": "GBP"},
        True,
    )
    hidden = client.put(
        f"{API}/services/{row['id']}",
        json={**SERVICE, "price_minor": 6000, "is_active": False},
        headers=bearer(tokens["owner"]),
    )
    assert hidden.status_code == 200 and hidden.get_json()["is_active"] is False
    assert hidden.get_json()["price"]["amount"] == 6000
    listed = client.get(f"/api/v1/venues/{venue.slug}/services").get_json()
    assert row["id"] not in [s["id"] for s in listed]  # hidden from customers
    assert client.delete(f"{API}/services/{row['id']}", headers=bearer(tokens["owner"])).status_code == 204
    assert count(Service, Service.venue_id == venue.id) == before


def test_a_service_with_bookings_is_not_removed(client, world, tokens):
    service_id = int(world.ids["service_id"])
    refused = client.delete(f"{API}/services/{service_id}", headers=bearer(tokens["owner"]))
    assert refused.status_code == 409 and "has bookings" in refused.get_json()["detail"]
    db.session.expire_all()
    assert db.session.get(Service, service_id) is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**SERVICE, "name": ""}, "name"),
        ({**SERVICE, "duration_minutes": 4}, "duration_minutes"),
        ({**SERVICE, "price_minor": -1}, "price_minor"),
        ({**SERVICE, "capacity": 51}, "capacity"),
        ({**SERVICE, "buffer_minutes": 241}, "buffer_minutes"),
        ({"name": "No length"}, "duration_minutes"),
        ({**SERVICE, "colour": "red"}, "colour"),
    ],
)
def test_bad_services_are_refused_and_change_nothing(client, world, tokens, body, field):
    service_id = int(world.ids["service_id"])
    before = count(Service)
    made = client.post(f"{API}/services", json=body, headers=bearer(tokens["owner"]))
    assert made.status_code == 422 and problem_field(made, field)
    edited = client.put(f"{API}/services/{service_id}", json=body, headers=bearer(tokens["owner"]))
    assert edited.status_code == 422 and problem_field(edited, field)
    db.session.expire_all()
    assert count(Service) == before and db.session.get(Service, service_id).name == "Deep tissue massage"


def test_who_may_edit_services(client, world, tokens):
    service_id = int(world.ids["service_id"])
    for role in ("receptionist", "practitioner"):
        assert client.post(f"{API}/services", json=SERVICE, headers=bearer(tokens[role])).status_code == 403
        assert client.put(f"{API}/services/{service_id}", json=SERVICE, headers=bearer(tokens[role])).status_code == 403
        assert client.delete(f"{API}/services/{service_id}", headers=bearer(tokens[role])).status_code == 403
    other = bearer(tokens["other_owner"])
    assert client.put(f"{API}/services/{service_id}", json=SERVICE, headers=other).status_code == 404
    assert client.put(f"{API}/services/{service_id}", json={}, headers=other).status_code == 404  # 404 first
    assert client.delete(f"{API}/services/{service_id}", headers=other).status_code == 404
    assert client.put(f"{API}/services/99999999999", json=SERVICE, headers=bearer(tokens["owner"])).status_code == 404
    db.session.expire_all()
    assert db.session.get(Service, service_id).name == "Deep tissue massage"


# -- team -----------------------------------------------------------------------------------------------


def test_the_team_holds_at_most_five(client, world, tokens):
    venue = world.venue
    service_id = int(world.ids["service_id"])
    headers = bearer(tokens["owner"])
    assert count(TeamMember, TeamMember.venue_id == venue.id) == 2
    for n in range(3):
        made = client.post(f"{API}/team", json={"name": f"New {n}", "service_ids": [service_id]}, headers=headers)
        assert made.status_code == 201 and made.get_json()["service_ids"] == [service_id]
    sixth = client.post(f"{API}/team", json={"name": "Sixth"}, headers=headers)
    assert sixth.status_code == 409 and "at most 5 team members" in sixth.get_json()["detail"]
    assert count(TeamMember, TeamMember.venue_id == venue.id) == 5

    member_id = int(world.ids["member_id"])
    edited = client.put(f"{API}/team/{member_id}", json={"name": "Renamed", "title": "Lead"}, headers=headers)
    assert edited.status_code == 200 and (edited.get_json()["name"], edited.get_json()["service_ids"]) == (
        "Renamed",
        [],
    )
    foreign = client.put(f"{API}/team/{member_id}", json={"name": "X", "service_ids": [999999]}, headers=headers)
    assert foreign.status_code == 422 and "your own venue" in foreign.get_json()["detail"]
    db.session.expire_all()
    assert db.session.get(TeamMember, member_id).name == "Renamed"
    assert client.post(f"{API}/team", json={"name": ""}, headers=headers).status_code == 422
    assert count(TeamMember, TeamMember.venue_id == venue.id) == 5
    assert (
        client.put(f"{API}/team/{member_id}", json={"name": "Y"}, headers=bearer(tokens["other_owner"])).status_code
        == 404
    )
    assert client.delete(f"{API}/team/{member_id}", headers=bearer(tokens["other_owner"])).status_code == 404
    assert client.post(f"{API}/team", json={"name": "Z"}, headers=bearer(tokens["receptionist"])).status_code == 403
    assert client.delete(f"{API}/team/{member_id}", headers=bearer(tokens["manager"])).status_code == 204
    assert count(TeamMember, TeamMember.venue_id == venue.id) == 4


# -- hours and closures -------------------------------------------------------------------------------------


def test_the_weekly_hours_are_replaced_whole(client, world, tokens):
    venue = world.venue
    week = [{"weekday": d, "opens": "10:00", "closes": "16:00"} for d in range(5)]
    week.append({"weekday": 5, "opens": "09:00", "closes": "12:00"})
    week.append({"weekday": 5, "opens": "13:00", "closes": "24:00"})
    saved = client.put(f"{API}/hours", json={"weekly": week}, headers=bearer(tokens["manager"]))
    assert saved.status_code == 200, saved.get_json()
    weekly = saved.get_json()["weekly"]
    assert len(weekly) == 7 and {w["weekday"] for w in weekly} == {0, 1, 2, 3, 4, 5}  # Sunday closed
    assert [w for w in weekly if w["weekday"] == 5][1] == {"weekday": 5, "opens": "13:00", "closes": "24:00"}
    public = client.get(f"/api/v1/venues/{venue.slug}/hours").get_json()
    assert public["weekly"] == weekly


@pytest.mark.parametrize(
    ("week", "status"),
    [
        ([{"weekday": 0, "opens": "12:00", "closes": "10:00"}], 422),  # backwards
        (
            [{"weekday": 0, "opens": "09:00", "closes": "12:00"}, {"weekday": 0, "opens": "11:00", "closes": "13:00"}],
            422,
        ),
        ([{"weekday": 7, "opens": "09:00", "closes": "12:00"}], 422),
        ([{"weekday": 0, "opens": "25:00", "closes": "26:00"}], 422),
        ([{"weekday": 0, "opens": "9", "closes": "12:00"}], 422),
    ],
)
def test_bad_hours_change_nothing(client, world, tokens, week, status):
    venue_id = world.venue.id
    before = count(OpeningHours, OpeningHours.venue_id == venue_id)
    refused = client.put(f"{API}/hours", json={"weekly": week}, headers=bearer(tokens["owner"]))
    assert refused.status_code == status and refused.mimetype == "application/problem+json"
    db.session.expire_all()
    assert count(OpeningHours, OpeningHours.venue_id == venue_id) == before == 7


def test_closures_are_added_and_removed(client, world, tokens):
    venue_id = world.venue.id
    today = datetime.now(UTC).date()
    body = {"starts_on": (today + timedelta(days=10)).isoformat(), "ends_on": (today + timedelta(days=12)).isoformat()}
    made = client.post(f"{API}/closures", json={**body, "reason": "Works"}, headers=bearer(tokens["owner"]))
    assert made.status_code == 201
    [new] = [c for c in made.get_json()["closures"] if c["reason"] == "Works"]
    backwards = {"starts_on": body["ends_on"], "ends_on": body["starts_on"]}
    for bad, status in ((backwards, 422), ({"starts_on": "soon", "ends_on": body["ends_on"]}, 422), ({}, 422)):
        assert client.post(f"{API}/closures", json=bad, headers=bearer(tokens["owner"])).status_code == status
    assert count(Closure, Closure.venue_id == venue_id) == 2  # the world's and the new one
    assert client.post(f"{API}/closures", json=body, headers=bearer(tokens["receptionist"])).status_code == 403
    other = client.delete(f"{API}/closures/{new['id']}", headers=bearer(tokens["other_owner"]))
    assert other.status_code == 404
    assert client.delete(f"{API}/closures/{new['id']}", headers=bearer(tokens["manager"])).status_code == 204
    assert count(Closure, Closure.venue_id == venue_id) == 1


# -- the client card -------------------------------------------------------------------------------------


def test_the_front_desk_edits_notes_tags_and_blocks(client, world, tokens, customer):
    mine = db.session.scalar(select(VenueClient).where(VenueClient.user_id == customer.id))
    url = f"{API}/clients/{mine.id}"
    saved = client.put(
        f"{url}/notes",
        json={"notes": "  Prefers mornings ", "tags": ["regular", "Regular", " vip "]},
        headers=bearer(tokens["receptionist"]),
    )
    assert saved.status_code == 200, saved.get_json()
    assert (saved.get_json()["notes"], saved.get_json()["tags"]) == ("Prefers mornings", ["regular", "vip"])
    for bad, field in (
        ({"notes": "x" * 4001, "tags": []}, "notes"),
        ({"notes": "", "tags": ["a,b"]}, "tags"),
        ({"notes": "", "tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"notes": ""}, "tags"),
    ):
        refused = client.put(f"{url}/notes", json=bad, headers=bearer(tokens["owner"]))
        assert refused.status_code == 422 and problem_field(refused, field), bad
    too_long = client.put(f"{url}/notes", json={"notes": "", "tags": ["x" * 41]}, headers=bearer(tokens["owner"]))
    assert too_long.status_code == 422
    db.session.expire_all()
    assert db.session.get(VenueClient, mine.id).tags == ["regular", "vip"]

    assert client.put(f"{url}/block", json={"reason": ""}, headers=bearer(tokens["owner"])).status_code == 422
    blocked = client.put(f"{url}/block", json={"reason": "Two no-shows"}, headers=bearer(tokens["manager"]))
    assert blocked.status_code == 200 and blocked.get_json()["blocked"] is True
    unblocked = client.delete(f"{url}/block", headers=bearer(tokens["receptionist"]))
    assert unblocked.status_code == 200 and unblocked.get_json()["blocked"] is False

    practitioner = bearer(tokens["practitioner"])
    assert client.put(f"{url}/notes", json={"notes": "", "tags": []}, headers=practitioner).status_code == 403
    assert client.put(f"{url}/block", json={"reason": "No"}, headers=practitioner).status_code == 403
    other = bearer(tokens["other_owner"])
    assert client.put(f"{url}/notes", json={"notes": "", "tags": []}, headers=other).status_code == 404
    assert client.put(f"{url}/block", json={"reason": "No"}, headers=other).status_code == 404
    assert client.delete(f"{url}/block", headers=other).status_code == 404
    db.session.expire_all()
    row = db.session.get(VenueClient, mine.id)
    assert row.notes == "Prefers mornings" and row.blocked_at is None


# -- a service's category, payment terms and booking rules ---------------------------------------------


def massage_id() -> int:
    return db.session.scalar(select(Category.id).where(Category.slug == "massage"))


def test_category_payment_terms_and_booking_rules_are_set_and_kept(client, world, tokens):
    category_id = massage_id()
    made = client.post(
        f"{API}/services",
        json={**SERVICE, "category_id": category_id, "payment_mode": "deposit_percent", "deposit_percent": 20},
        headers=bearer(tokens["manager"]),
    )
    assert made.status_code == 201, made.get_json()
    row = made.get_json()
    assert (row["category_id"], row["payment_mode"], row["deposit_percent"], row["deposit_fixed"]) == (
        category_id,
        "deposit_percent",
        20,
        None,
    )
    # The form's defaults for what was left out: the default booking rules.
    assert (row["cancel_free_hours"], row["cancel_late_fee_percent"], row["request_to_book"]) == (24, 50, False)
    assert (row["min_notice_minutes"], row["max_advance_days"], row["request_window_hours"]) == (None, None, 24)

    url = f"{API}/services/{row['id']}"
    rules = {
        "request_to_book": True,
        "request_window_hours": 12,
        "cancel_late_fee_percent": None,
        "max_advance_days": 60,
    }
    changed = client.put(url, json={**SERVICE, **rules}, headers=bearer(tokens["owner"]))
    assert changed.status_code == 200, changed.get_json()
    after = changed.get_json()
    assert {key: after[key] for key in rules} == rules
    assert (after["category_id"], after["payment_mode"], after["deposit_percent"]) == (
        category_id,
        "deposit_percent",
        20,
    )
    assert after["cancel_free_hours"] == 24  # a rule left out stays

    fixed = client.put(
        url,
        json={**SERVICE, "payment_mode": "deposit_fixed", "deposit_fixed_minor": 1000},
        headers=bearer(tokens["owner"]),
    )
    assert fixed.status_code == 200, fixed.get_json()
    assert (fixed.get_json()["deposit_fixed"], fixed.get_json()["deposit_percent"]) == (
        {"amount": 1000, "currency": "GBP"},
        None,
    )
    plain = client.put(url, json={**SERVICE, "category_id": None}, headers=bearer(tokens["owner"]))
    assert plain.status_code == 200 and plain.get_json()["category_id"] is None
    assert plain.get_json()["request_to_book"] is True and plain.get_json()["payment_mode"] == "deposit_fixed"
    db.session.expire_all()
    service = db.session.get(Service, row["id"])
    assert (service.request_window_hours, service.deposit_fixed_minor, service.category_id) == (12, 1000, None)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category_id": 99999999}, "category_id"),  # no such category
        ({"payment_mode": "barter"}, "payment_mode"),
        ({"payment_mode": "deposit_percent"}, "deposit_percent"),  # no percentage
        ({"payment_mode": "deposit_percent", "deposit_percent": 100}, "deposit_percent"),
        ({"payment_mode": "deposit_fixed"}, "deposit_fixed_minor"),
        ({"payment_mode": "deposit_fixed", "deposit_fixed_minor": 5500}, "deposit_fixed_minor"),  # not under the price
        ({"no_show_fee_percent": 101}, "no_show_fee_percent"),
        ({"cancel_free_hours": 721}, "cancel_free_hours"),
        ({"cancel_late_fee_percent": -1}, "cancel_late_fee_percent"),
        ({"min_notice_minutes": 43_201}, "min_notice_minutes"),
        ({"max_advance_days": 0}, "max_advance_days"),
        ({"min_notice_minutes": 3 * 24 * 60, "max_advance_days": 2}, "min_notice_minutes"),  # nothing left
        ({"request_window_hours": 0}, "request_window_hours"),
        ({"request_to_book": None}, "request_to_book"),
    ],
)
def test_bad_terms_or_rules_are_refused_and_change_nothing(client, world, tokens, extra, field):
    service_id = int(world.ids["service_id"])
    before = count(Service)
    made = client.post(f"{API}/services", json={**SERVICE, **extra}, headers=bearer(tokens["owner"]))
    assert made.status_code == 422 and problem_field(made, field), made.get_json()
    edited = client.put(
        f"{API}/services/{service_id}", json={**SERVICE, "name": "Renamed", **extra}, headers=bearer(tokens["owner"])
    )
    assert edited.status_code == 422 and problem_field(edited, field), edited.get_json()
    db.session.expire_all()
    service = db.session.get(Service, service_id)
    assert count(Service) == before
    assert (service.name, service.payment_mode, service.category_id, service.cancel_free_hours) == (
        "Deep tissue massage",
        "full",
        None,
        24,
    )
    if field == "category_id":
        assert "category" in made.get_json()["detail"]
