"""The front desk books visits and couples (issue 44, item 6): several treatments back to back
and/or guests side by side, for one client (guest 1), at a start the slot engine offers for the
whole visit, all confirmed at once in one desk order, each booking with its guest and name and
one shared ``visit_key``. Bad input is a 4xx with a message and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking.errors import SlotUnavailable
from app.booking.models import Booking, BookingResource, BookingStatus, Order
from app.booking.visits import Treatment
from app.clients import service as clients
from app.clients.desk_visits import book_visit_at_desk
from app.clients.models import VenueClient
from app.platform.errors import NotFound
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.lists import add_team_member
from app.venues.models import StaffRole
from app.venues.options import OptionInput, set_options
from app.venues.resources import add_resource, set_needs
from app.venues.service import save_service
from tests.booking.helpers import future_slot, make_bookable_venue
from tests.venues.staff_world import make_staff

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def service(venue, name: str, minutes: int, price_minor: int, capacity: int = 2):
    return save_service(
        venue,
        None,
        name=name,
        description="",
        category_id=None,
        duration_minutes=minutes,
        price_minor=price_minor,
        capacity=capacity,
        buffer_minutes=0,
        is_active=True,
    )


@pytest.fixture
def spa(ctx, provider):
    """Calm Rooms (09:00-18:00): a couples massage (60 or 90 min) by Amy or Ben in the one double
    room a couple shares; a facial (45 min) by Amy, Ben or Cat in one of two treatment rooms."""
    venue, _plain = make_bookable_venue(provider)
    couples = service(venue, "Couples massage", 60, 6000)
    set_options(couples, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8000)])
    set_addons(couples, [AddonInput("Hot stones", 1500, 15)])
    facial = service(venue, "Facial", 45, 5000)
    double = add_resource(venue, name="Double room", quantity=1)
    rooms = add_resource(venue, name="Treatment room", quantity=2)
    set_needs(venue, couples, [(double.id, 1)], shared=[double.id])
    set_needs(venue, facial, [(rooms.id, 1)])
    amy = add_team_member(venue, name="Amy", title="", bio="", service_ids=[couples.id, facial.id])
    ben = add_team_member(venue, name="Ben", title="", bio="", service_ids=[couples.id, facial.id])
    cat = add_team_member(venue, name="Cat", title="", bio="", service_ids=[facial.id])
    db.session.flush()
    return venue, couples, facial, (amy, ben, cat), double


def couple_values(couples, facial) -> list[str]:
    """Each of two guests: a 90-minute couples massage, then a facial (the form's values)."""
    long = couples.options[1]
    return [f"1/{couples.id}:{long.id}", f"1/{facial.id}", f"2/{couples.id}:{long.id}", f"2/{facial.id}"]


def visit_form(treatments: list[str], start: datetime, **changes) -> dict:
    return {
        "treatments": treatments,
        "guest_names": ["Ana", "Ben Okoro"],
        "starts_at": start.isoformat(),
        "date": start.astimezone(LONDON).date().isoformat(),
        "new_name": "Ana Walk-in",
        "payment": "at_venue",
        **changes,
    }


def counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Booking)),
        db.session.scalar(select(func.count()).select_from(Order)),
        db.session.scalar(select(func.count()).select_from(VenueClient)),
    )


def test_the_desk_page_links_to_a_new_visit(web, provider, spa):
    db.session.commit()
    web.sign_in_as(provider)
    page = html(web.get("/provider/desk/new"))
    assert 'id="desk-new-visit"' in page and "/provider/desk/visit?" in page


def test_the_visit_page_offers_starts_with_each_guests_plan(web, provider, spa):
    _venue, couples, facial, _team, _double = spa
    db.session.commit()
    web.sign_in_as(provider)
    day = future_slot(days=3).astimezone(LONDON).date().isoformat()
    query = "&".join(f"treatments={v}" for v in couple_values(couples, facial))
    response = web.get(f"/provider/desk/visit?guests=2&{query}&guest_names=Ana&guest_names=Ben&date={day}")
    assert response.status_code == 200
    page = html(response)
    assert 'name="starts_at"' in page and 'name="csrf_token"' in page
    assert "Guest 1 (Ana): 09:00 Couples massage · 90 min (Amy) → 10:30 Facial" in page
    assert "Guest 2 (Ben): 09:00 Couples massage · 90 min (Ben) → 10:30 Facial" in page


def test_one_treatment_alone_asks_for_another_and_offers_no_time(web, provider, spa):
    _venue, couples, _facial, _team, _double = spa
    db.session.commit()
    web.sign_in_as(provider)
    page = html(web.get(f"/provider/desk/visit?treatments=1/{couples.id}"))
    assert "Choose at least two treatments" in page and 'name="starts_at"' not in page


def test_a_couple_is_booked_at_the_desk_side_by_side(web, provider, spa):
    _venue, couples, facial, (amy, ben, _cat), double = spa
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=3, hour=10)
    response = web.post("/provider/desk/visit", visit_form(couple_values(couples, facial), start))
    assert response.status_code == 302, html(response)
    bookings = db.session.scalars(select(Booking).order_by(Booking.starts_at, Booking.guest)).all()
    assert len(bookings) == 4 and len({b.order_id for b in bookings}) == 1  # one desk order
    assert all(b.channel == "desk" and b.status == BookingStatus.CONFIRMED for b in bookings)
    assert all(b.hold_expires_at is None and b.online_minor == 0 for b in bookings)
    assert len({b.visit_key for b in bookings}) == 1 and bookings[0].visit_key
    massages, facials = bookings[:2], bookings[2:]
    assert [(b.guest, b.guest_name) for b in massages] == [(1, "Ana"), (2, "Ben Okoro")]
    assert [(b.guest, b.guest_name) for b in facials] == [(1, "Ana"), (2, "Ben Okoro")]
    assert {b.team_member_id for b in massages} == {amy.id, ben.id}  # a therapist each
    assert all(b.starts_at == start and b.ends_at == start + 90 * MIN for b in massages)
    assert all(b.starts_at == start + 90 * MIN for b in facials)  # back to back
    # The double room is taken once for both: one unit, a row each, sharing the first's key.
    rows = db.session.scalars(select(BookingResource).where(BookingResource.resource_id == double.id)).all()
    assert {r.unit for r in rows} == {1} and len(rows) == 2 and len({r.shares_booking_id for r in rows}) == 1
    client = db.session.scalar(select(VenueClient))
    assert client.name == "Ana Walk-in" and all(b.client_id == client.id for b in bookings)
    assert sum(b.at_venue_minor for b in bookings) == 2 * 8000 + 2 * 5000
    panel = html(web.get(response.headers["Location"]))
    assert "Booked a visit for Ana Walk-in" in panel and "4 treatments" in panel and "£260.00" in panel


def test_one_guests_two_treatments_back_to_back(spa, provider):
    venue, couples, facial, _team, _double = spa
    client = clients.add_client(venue.id, name="Maya Client")
    start = future_slot(days=3, hour=11)
    plan = [Treatment(facial.id), Treatment(couples.id, couples.options[0].id)]
    first, second = book_visit_at_desk(venue, client, plan, start, staff=provider, now=datetime.now(UTC))
    assert (first.service_id, second.service_id) == (facial.id, couples.id)
    assert first.starts_at == start and second.starts_at == first.ends_at == start + 45 * MIN
    assert second.ends_at == second.starts_at + 60 * MIN
    assert [(b.guest, b.guest_name) for b in (first, second)] == [(1, "Maya Client"), (1, "Maya Client")]
    assert first.visit_key == second.visit_key and first.order_id == second.order_id
    assert all(b.status == BookingStatus.CONFIRMED and b.client_id == client.id for b in (first, second))


@pytest.mark.parametrize(
    ("treatments", "message"),
    [
        (["1/abc"], "That treatment can't be read: choose one from the list."),
        ([], "Choose the visit's treatments."),
        (["1/999999", "1/999998"], "Pick one of your venue's services."),
        (["{couples}"], "A visit is 2 to 4 treatments, one after another."),
    ],
)
def test_a_bad_treatment_is_refused_and_books_nothing(web, provider, spa, treatments, message):
    _venue, couples, _facial, _team, _double = spa
    db.session.commit()
    web.sign_in_as(provider)
    values = [t.format(couples=couples.id) for t in treatments]
    form = visit_form(values, future_slot(days=3, hour=10), guest_names=[])
    response = web.post("/provider/desk/visit", form)
    assert 400 <= response.status_code < 500 and message in html(response)
    assert counts() == (0, 0, 0)


def test_another_services_option_is_refused_and_books_nothing(web, provider, spa):
    _venue, couples, facial, _team, _double = spa
    db.session.commit()
    web.sign_in_as(provider)
    values = [f"1/{facial.id}:{couples.options[0].id}", f"1/{couples.id}"]
    response = web.post("/provider/desk/visit", visit_form(values, future_slot(days=3, hour=10), guest_names=[]))
    assert 400 <= response.status_code < 500
    assert counts() == (0, 0, 0)


def test_a_time_no_longer_free_is_a_409_and_writes_nothing(web, provider, spa):
    venue, couples, facial, _team, _double = spa
    start = future_slot(days=3, hour=10)
    first = clients.add_client(venue.id, name="First Couple")
    plan = [
        Treatment(couples.id, couples.options[1].id, guest=1),
        Treatment(couples.id, couples.options[1].id, guest=2),
    ]
    book_visit_at_desk(venue, first, plan, start, staff=provider, now=datetime.now(UTC))
    db.session.commit()
    before = counts()
    web.sign_in_as(provider)
    response = web.post("/provider/desk/visit", visit_form(couple_values(couples, facial), start))
    assert response.status_code == 409
    assert "That time is no longer free for the whole visit." in html(response)
    assert counts() == before


def test_the_service_refuses_a_time_taken_and_leaves_nothing(spa, provider):
    venue, couples, facial, _team, _double = spa
    start = future_slot(days=3, hour=10)
    client = clients.add_client(venue.id, name="Walk In")
    plan = [Treatment(couples.id, guest=1), Treatment(couples.id, guest=2)]
    book_visit_at_desk(venue, client, plan, start, staff=provider, now=datetime.now(UTC))
    before = counts()
    with pytest.raises(SlotUnavailable):
        book_visit_at_desk(
            venue, client, [*plan, Treatment(facial.id, guest=1)], start, staff=provider, now=datetime.now(UTC)
        )
    assert counts() == before


def test_a_post_without_csrf_books_nothing(web, provider, spa):
    _venue, couples, facial, _team, _double = spa
    db.session.commit()
    web.sign_in_as(provider)
    form = visit_form(couple_values(couples, facial), future_slot(days=3, hour=10))
    response = web.post("/provider/desk/visit", form, csrf=False)
    assert response.status_code == 400
    assert counts() == (0, 0, 0)


def test_a_receptionist_may_book_a_visit_and_a_practitioner_may_not(web, make_user, provider, spa):
    venue, couples, facial, (amy, _ben, _cat), _double = spa
    receptionist = make_staff(make_user, venue, StaffRole.RECEPTIONIST)
    practitioner = make_staff(make_user, venue, StaffRole.PRACTITIONER, member_id=amy.id)
    db.session.commit()
    form = visit_form(couple_values(couples, facial), future_slot(days=3, hour=10))
    web.sign_in_as(practitioner)
    assert web.get("/provider/desk/visit").status_code == 403
    assert web.post("/provider/desk/visit", form).status_code == 403
    assert counts()[0] == 0
    web.sign_in_as(receptionist)
    assert web.get("/provider/desk/visit").status_code == 200
    response = web.post("/provider/desk/visit", form)
    assert response.status_code == 302
    assert counts()[0] == 4


def test_another_venues_service_is_refused(web, make_user, provider, spa):
    venue, couples, _facial, _team, _double = spa
    other_owner = make_user(role=Role.PROVIDER, name="Other Owner")
    _elsewhere, theirs = make_bookable_venue(other_owner, name="Elsewhere Spa")
    db.session.commit()
    web.sign_in_as(provider)
    values = [f"1/{couples.id}", f"1/{theirs.id}"]
    response = web.post("/provider/desk/visit", visit_form(values, future_slot(days=3, hour=10), guest_names=[]))
    assert response.status_code == 422 and "Pick one of your venue's services." in html(response)
    assert counts()[0] == 0
    client = clients.add_client(venue.id, name="Walk In")
    with pytest.raises(NotFound):
        book_visit_at_desk(
            venue,
            client,
            [Treatment(couples.id), Treatment(theirs.id)],
            future_slot(days=3, hour=10),
            staff=provider,
            now=datetime.now(UTC),
        )
    assert counts()[0] == 0
