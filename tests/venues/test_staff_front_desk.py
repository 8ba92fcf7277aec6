"""Staff and the front desk's pages: a practitioner's client book holds only the clients they
have a booking with, and a booking's messages open to the venue's staff (a practitioner on their
own bookings only). docs/staff-roles.md has the table; tests/web/test_staff_route_roles.py walks every route."""

from __future__ import annotations

import pytest

from app.accounts.models import Role
from app.clients import service as clients
from app.platform.extensions import db
from tests.conftest import csrf_token
from tests.venues.staff_world import build_world


@pytest.fixture
def world(ctx, make_user, customer):
    world = build_world(make_user, customer)
    other_customer = make_user(role=Role.CUSTOMER, name="Ophelia Other")
    mine = clients.client_for_user(world.venue.id, customer)
    theirs = clients.client_for_user(world.venue.id, other_customer)
    world.own_booking.client_id = mine.id  # the practitioner's booking
    world.others_booking.client_id = theirs.id  # another team member's booking
    db.session.flush()
    world.ids["mine"], world.ids["theirs"] = str(mine.id), str(theirs.id)
    return world


def test_a_practitioner_opens_their_own_client_but_not_another_practitioners(web, world):
    web.sign_in_as(world.people["practitioner"])
    own = web.client.get(f"/provider/clients/{world.ids['mine']}")
    assert own.status_code == 200
    assert "Ophelia Other" not in own.get_data(as_text=True)
    assert web.client.get(f"/provider/clients/{world.ids['theirs']}").status_code == 404


def test_a_practitioners_client_list_holds_only_their_clients(web, world):
    web.sign_in_as(world.people["practitioner"])
    page = web.client.get("/provider/clients").get_data(as_text=True)
    assert f"/provider/clients/{world.ids['mine']}" in page
    assert f"/provider/clients/{world.ids['theirs']}" not in page
    assert "Ophelia Other" not in page


@pytest.mark.parametrize("role", ["owner", "manager", "receptionist"])
def test_the_rest_of_the_venue_sees_every_client(web, world, role):
    web.sign_in_as(world.people[role])
    page = web.client.get("/provider/clients").get_data(as_text=True)
    assert f"/provider/clients/{world.ids['mine']}" in page
    assert f"/provider/clients/{world.ids['theirs']}" in page
    assert web.client.get(f"/provider/clients/{world.ids['theirs']}").status_code == 200


def test_a_practitioner_reads_notes_but_has_no_form_to_change_them(web, world):
    web.sign_in_as(world.people["practitioner"])
    page = web.client.get(f"/provider/clients/{world.ids['mine']}").get_data(as_text=True)
    assert "data-client-notes" in page
    assert "/notes" not in page and "/block" not in page
    token = csrf_token(web.client, "/no-such-page")
    answer = web.client.post(f"/provider/clients/{world.ids['mine']}/notes", data={"csrf_token": token, "notes": "x"})
    assert answer.status_code == 403


def test_a_receptionist_writes_to_a_customer_about_any_booking(web, world):
    web.sign_in_as(world.people["receptionist"])
    token = csrf_token(web.client, "/no-such-page")
    for booking in (world.own_booking, world.others_booking):
        answer = web.client.post(
            f"/provider/bookings/{booking.id}/messages", data={"csrf_token": token, "body": "Your room is ready."}
        )
        assert answer.status_code in (200, 302, 303), answer.status_code


def test_a_practitioner_writes_only_about_their_own_bookings(web, world):
    web.sign_in_as(world.people["practitioner"])
    token = csrf_token(web.client, "/no-such-page")
    own = web.client.post(
        f"/provider/bookings/{world.own_booking.id}/messages", data={"csrf_token": token, "body": "See you soon."}
    )
    assert own.status_code in (200, 302, 303), own.status_code
    other = web.client.post(
        f"/provider/bookings/{world.others_booking.id}/messages", data={"csrf_token": token, "body": "Hello."}
    )
    assert other.status_code == 404
