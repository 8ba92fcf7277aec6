"""Rooms and equipment (app/venues/resources.py) and their dashboard page (/provider/venue/rooms,
app/venues/views/resources.py), and a service's "Needs" in its form: names unique per venue,
quantity 1-50, at most 20; a quantity below a unit a booking to come holds (or below what a
service needs) and removing a resource a booking to come holds are refused with a message and
change nothing; another venue's resource is a 404; bad input is a 422 that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking.models import Booking, BookingResource, BookingStatus
from app.platform.errors import InvalidTransition, LimitReached, NotFound, ValidationFailed
from app.platform.extensions import db
from app.venues import resources
from app.venues.models import Resource, Service, ServiceResource, Venue
from app.venues.service import create_venue
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.venues.test_dashboard_catalog import BASE, HTMX, fresh, new_service, service_data, text, toasts

ROOMS = f"{BASE}/rooms"


def resource_count(venue: Venue) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Resource).where(Resource.venue_id == venue.id))


def needs_of(service_id: int) -> dict[int, int]:
    db.session.expire_all()
    return dict(
        db.session.execute(
            select(ServiceResource.resource_id, ServiceResource.units).where(ServiceResource.service_id == service_id)
        ).all()
    )


def hold_unit(booking: Booking, resource: Resource, unit: int) -> BookingResource:
    """The unit a booking holds, as reserving writes it (app/booking/reserving.py)."""
    row = BookingResource(
        booking_id=booking.id,
        resource_id=resource.id,
        unit=unit,
        starts_at=booking.starts_at,
        blocks_until=booking.blocks_until,
        live=True,
    )
    db.session.add(row)
    db.session.flush()
    return row


# -- the rules ----------------------------------------------------------------------------------------


@pytest.fixture
def booked(ctx, provider, customer):
    """A bookable venue with a "Treatment room" x 3 and a confirmed booking holding room 3."""
    venue, service = make_bookable_venue(provider, team=1)
    room = resources.add_resource(venue, name="Treatment room", quantity=3)
    booking = book(customer, service, future_slot(days=3, hour=10))
    hold_unit(booking, room, 3)
    return venue, service, room, booking


def test_a_resource_is_added_renamed_and_removed(ctx, provider):
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    room = resources.add_resource(venue, name="  Treatment   room ", quantity=2)
    bed = resources.add_resource(venue, name="Lash bed", quantity=1)
    assert (room.name, room.quantity, room.position, bed.position) == ("Treatment room", 2, 0, 1)
    resources.update_resource(venue, room.id, name="Massage room", quantity=4)
    assert [(r.name, r.quantity) for r in resources.venue_resources(venue.id)] == [("Massage room", 4), ("Lash bed", 1)]
    resources.remove_resource(venue, bed.id)
    assert [r.name for r in resources.venue_resources(venue.id)] == ["Massage room"]


@pytest.mark.parametrize(
    ("name", "quantity", "field"),
    [
        ("", 1, "name"),
        ("x" * 61, 1, "name"),
        ("treatment ROOM", 1, "name"),
        ("Sauna", 0, "quantity"),
        ("Sauna", 51, "quantity"),
    ],
)
def test_bad_resources_are_refused(ctx, provider, name, quantity, field):
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    resources.add_resource(venue, name="Treatment room", quantity=2)
    with pytest.raises(ValidationFailed) as refused:
        resources.add_resource(venue, name=name, quantity=quantity)
    assert refused.value.field == field and refused.value.message
    assert resource_count(venue) == 1


def test_a_venue_lists_at_most_twenty(ctx, provider):
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    for n in range(resources.MAX_RESOURCES):
        resources.add_resource(venue, name=f"Room {n}", quantity=1)
    with pytest.raises(LimitReached, match="at most 20"):
        resources.add_resource(venue, name="One more", quantity=1)


def test_fewer_than_a_booking_to_come_holds_is_refused(booked):
    venue, _service, room, _booking = booked
    with pytest.raises(ValidationFailed, match="number 3") as refused:
        resources.update_resource(venue, room.id, name="Treatment room", quantity=2)
    assert refused.value.field == "quantity"
    with pytest.raises(InvalidTransition, match="can't be removed"):
        resources.remove_resource(venue, room.id)
    assert fresh(Resource, room.id).quantity == 3
    resources.update_resource(venue, room.id, name="Treatment room", quantity=5)  # more is fine
    resources.update_resource(venue, room.id, name="Treatment room", quantity=3)  # as low as the unit held


def test_a_cancelled_past_or_expired_booking_holds_nothing(booked):
    venue, _service, room, booking = booked
    booking.status = BookingStatus.CANCELLED_BY_VENUE  # the trigger sets its rows' live to false
    db.session.flush()
    resources.update_resource(venue, room.id, name="Treatment room", quantity=1)
    booking.status = BookingStatus.HELD
    booking.hold_expires_at = datetime.now(UTC) - timedelta(minutes=1)  # live, but its hold is over
    db.session.flush()
    assert resources.highest_unit_in_use(room.id) == 0
    resources.remove_resource(venue, room.id)


def test_a_quantity_below_what_a_service_needs_is_refused(ctx, provider):
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    service = new_service(venue, "Couples massage")
    beds = resources.add_resource(venue, name="Massage bed", quantity=2)
    resources.set_needs(venue, service, [(beds.id, 2)])
    with pytest.raises(ValidationFailed, match="Couples massage") as refused:
        resources.update_resource(venue, beds.id, name="Massage bed", quantity=1)
    assert refused.value.field == "quantity"


def test_what_a_service_needs_is_set_and_checked(ctx, provider, make_user):
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    service = new_service(venue)
    room = resources.add_resource(venue, name="Treatment room", quantity=2)
    double = resources.add_resource(venue, name="Double room", quantity=1)
    resources.set_needs(venue, service, [(room.id, 1), (double.id, 0)])
    assert needs_of(service.id) == {room.id: 1}
    resources.set_needs(venue, service, [(room.id, 2), (double.id, 1)])
    assert needs_of(service.id) == {room.id: 2, double.id: 1}
    assert resources.describe_needs(fresh(Service, service.id)) == "Treatment room ×2, Double room"

    other = create_venue(make_user(role=Role.PROVIDER), name="Other Spa", category_id=None)
    theirs = resources.add_resource(other, name="Their room", quantity=5)
    for needs, words in [
        ([(double.id, 2)], "1 to 1"),
        ([(theirs.id, 1)], "your own venue"),
        ([(room.id, 1), (room.id, 1)], "once"),
        ([(room.id, -1)], "1 to 2"),
    ]:
        with pytest.raises(ValidationFailed, match=words) as refused:
            resources.set_needs(venue, fresh(Service, service.id), needs)
        assert refused.value.field == "needs"
    assert needs_of(service.id) == {room.id: 2, double.id: 1}  # unchanged
    resources.remove_resource(venue, double.id)  # services stop needing it
    assert needs_of(service.id) == {room.id: 2}
    with pytest.raises(NotFound):
        resources.update_resource(venue, theirs.id, name="Mine now", quantity=1)


def test_a_room_is_labelled_by_its_unit_when_there_are_several():
    assert resources.unit_label("Treatment room", 2, 3) == "Treatment room 2"
    assert resources.unit_label("Double room", 1, 1) == "Double room"


# -- the page ----------------------------------------------------------------------------------------


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


def test_the_page_lists_adds_edits_and_removes(web, venue):
    page = web.get(ROOMS)
    assert page.status_code == 200 and "No rooms or equipment yet" in text(page)
    assert 'href="/provider/venue/rooms"' in text(web.get(f"{BASE}/services"))  # linked from Services
    added = web.post(ROOMS, {"name": "Treatment room", "quantity": "2"}, headers=HTMX)
    assert added.status_code == 200 and toasts(added) == ["Added “Treatment room”."]
    assert "Treatment room" in text(added) and 'data-quantity="2"' in text(added)
    room = db.session.scalar(select(Resource).where(Resource.venue_id == venue.id))

    form = web.get(f"{ROOMS}/{room.id}", headers=HTMX)
    assert form.status_code == 200 and f'id="resource-{room.id}"' in text(form)
    saved = web.post(f"{ROOMS}/{room.id}", {"name": "Massage room", "quantity": "3"}, headers=HTMX)
    assert saved.status_code == 200 and toasts(saved) == ["Saved “Massage room”."]
    assert (fresh(Resource, room.id).name, fresh(Resource, room.id).quantity) == ("Massage room", 3)

    plain = web.post(f"{ROOMS}/{room.id}/delete")  # without JavaScript: a redirect back
    assert plain.status_code == 302 and plain.headers["Location"].endswith(ROOMS)
    assert resource_count(venue) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "quantity": "2"}, "Enter a name"),
        ({"name": "Sauna", "quantity": "0"}, "1 to 50"),
        ({"name": "Sauna", "quantity": "lots"}, "Enter a whole number."),
        ({"name": "Sauna", "quantity": ""}, "Enter how many you have."),
        ({"name": "x" * 61, "quantity": "1"}, "at most 60 characters"),
        ({"name": "TREATMENT room", "quantity": "1"}, "You already have something called"),
    ],
)
def test_bad_input_is_a_422_that_changes_nothing(web, venue, data, message):
    resources.add_resource(venue, name="Treatment room", quantity=2)
    db.session.commit()
    refused = web.post(ROOMS, data, headers=HTMX)
    assert refused.status_code == 422 and message in text(refused)
    assert resource_count(venue) == 1


def test_lowering_below_a_booked_unit_is_refused_on_the_page(web, booked, provider):
    venue, _service, room, _booking = booked
    db.session.commit()
    web.sign_in_as(provider)
    refused = web.post(f"{ROOMS}/{room.id}", {"name": "Treatment room", "quantity": "2"}, headers=HTMX)
    assert refused.status_code == 422 and "Bookings still to come use Treatment room number 3" in text(refused)
    assert f'id="resource-{room.id}"' in text(refused)  # the row's form again, with the message
    assert fresh(Resource, room.id).quantity == 3
    kept = web.post(f"{ROOMS}/{room.id}/delete", headers=HTMX)
    assert kept.status_code == 409 and "can't be removed" in text(kept)
    assert resource_count(venue) == 1


def test_the_limit_is_a_409_with_its_message(web, venue):
    for n in range(resources.MAX_RESOURCES):
        resources.add_resource(venue, name=f"Room {n}", quantity=1)
    db.session.commit()
    assert "the most a venue can list" in text(web.get(ROOMS))
    refused = web.post(ROOMS, {"name": "One more", "quantity": "1"}, headers=HTMX)
    assert refused.status_code == 409 and "at most 20" in text(refused)
    assert resource_count(venue) == 20


def test_without_a_csrf_token_nothing_is_added(web, venue):
    refused = web.post(ROOMS, {"name": "Treatment room", "quantity": "2"}, csrf=False)
    assert refused.status_code in (400, 422)
    assert resource_count(venue) == 0


def test_another_venues_resource_is_not_found(web, venue, make_user):
    other = create_venue(make_user(role=Role.PROVIDER), name="Other Spa", category_id=None)
    theirs = resources.add_resource(other, name="Their room", quantity=2)
    db.session.commit()
    assert web.get(f"{ROOMS}/{theirs.id}").status_code == 404
    assert web.post(f"{ROOMS}/{theirs.id}", {"name": "Mine", "quantity": "1"}).status_code == 404
    assert web.post(f"{ROOMS}/{theirs.id}/delete").status_code == 404
    assert (fresh(Resource, theirs.id).name, fresh(Resource, theirs.id).quantity) == ("Their room", 2)


def test_a_customer_cannot_open_the_page(web, venue, customer):
    web.sign_in_as(customer)
    assert web.get(ROOMS).status_code in (302, 403)


# -- the service form's "Needs" ------------------------------------------------------------------------


def with_needs(needs: dict[int, str], **over) -> dict:
    return {**service_data(**over), "needs_sent": "1", **{f"need-{rid}": units for rid, units in needs.items()}}


def test_the_service_form_sets_what_a_service_needs(web, venue):
    room = resources.add_resource(venue, name="Treatment room", quantity=2)
    double = resources.add_resource(venue, name="Double room", quantity=1)
    db.session.commit()
    page = text(web.get(f"{BASE}/services"))
    assert "Needs (rooms and equipment)" in page and f'name="need-{room.id}"' in page

    added = web.post(f"{BASE}/services", with_needs({room.id: "1", double.id: "0"}), headers=HTMX)
    assert added.status_code == 200, text(added)
    service = db.session.scalar(select(Service).where(Service.venue_id == venue.id))
    assert needs_of(service.id) == {room.id: 1}

    edit = text(web.get(f"{BASE}/services/{service.id}", headers=HTMX))
    assert f'id="service-{service.id}-need-{room.id}"' in edit and 'value="1"' in edit
    saved = web.post(f"{BASE}/services/{service.id}", with_needs({room.id: "0", double.id: "1"}), headers=HTMX)
    assert saved.status_code == 200, text(saved)
    assert needs_of(service.id) == {double.id: 1}
    # A post without the "Needs" fields (an old form, the API's way of leaving them out) keeps them.
    assert web.post(f"{BASE}/services/{service.id}", service_data(), headers=HTMX).status_code == 200
    assert needs_of(service.id) == {double.id: 1}


@pytest.mark.parametrize(
    ("units", "message"), [("2", "0 (not needed) to 1"), ("x", "whole number"), ("-1", "whole number")]
)
def test_bad_needs_are_a_422_that_changes_nothing(web, venue, units, message):
    double = resources.add_resource(venue, name="Double room", quantity=1)
    service = new_service(venue)
    db.session.commit()
    refused = web.post(f"{BASE}/services/{service.id}", with_needs({double.id: units}, name="Renamed"), headers=HTMX)
    assert refused.status_code == 422 and message in text(refused)
    assert needs_of(service.id) == {} and fresh(Service, service.id).name == "Swedish massage"
