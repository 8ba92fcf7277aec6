"""The client book: who booked becomes a client, the list's figures, the card's notes, tags and
blocking, and that no other venue (and no customer) ever reaches a client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role
from app.booking import cart
from app.booking.models import Booking, BookingIntakeAnswer, BookingStatus, CartItem, Order
from app.checkout import checkout
from app.clients import service as clients
from app.clients.desk import book_at_desk
from app.clients.models import VenueClient
from app.platform.errors import NotAllowed, NotFound, ValidationFailed
from app.platform.extensions import db
from tests.booking.helpers import book, cart_form, future_slot, make_bookable_venue, move_to_past
from tests.conftest import csrf_token


@pytest.fixture
def venue_and_service(ctx, provider):
    return make_bookable_venue(provider, capacity=4)


def _client_of(venue, user) -> VenueClient:
    return db.session.scalar(
        select(VenueClient).where(VenueClient.venue_id == venue.id, VenueClient.user_id == user.id)
    )


# -- who is a client -----------------------------------------------------------------------------


def test_a_paid_online_booking_makes_its_customer_a_client_once(venue_and_service, customer):
    venue, service = venue_and_service
    first = book(customer, service, future_slot(days=2))
    second = book(customer, service, future_slot(days=3))
    client = _client_of(venue, customer)
    assert client is not None and client.name == customer.name and client.email == customer.email
    assert first.client_id == second.client_id == client.id
    assert first.channel == "online"
    assert db.session.scalar(select(func.count()).select_from(VenueClient)) == 1


def test_an_unpaid_hold_makes_no_client(venue_and_service, customer):
    _venue, service = venue_and_service
    book(customer, service, future_slot(days=2), confirm=False)
    assert db.session.scalar(select(func.count()).select_from(VenueClient)) == 0


# -- the figures ---------------------------------------------------------------------------------


def test_the_list_computes_each_clients_figures(venue_and_service, customer, make_user):
    venue, service = venue_and_service
    now = datetime.now(UTC)
    visited = book(customer, service, future_slot(days=2, hour=10))
    move_to_past(visited, hours=30)
    no_show = book(customer, service, future_slot(days=2, hour=11))
    move_to_past(no_show, hours=5)
    no_show.status = BookingStatus.NO_SHOW
    late = book(customer, service, future_slot(days=1, hour=12))
    late.status, late.cancelled_at = BookingStatus.CANCELLED_BY_CUSTOMER, late.starts_at - timedelta(hours=1)
    upcoming = book(customer, service, future_slot(days=4, hour=10))
    other = make_user(role=Role.CUSTOMER, name="Zed Other")
    book(other, service, future_slot(days=5))
    db.session.flush()

    page = clients.list_clients(venue.id, now=now)
    assert [row.name for row in page.rows] == ["Chloe Customer", "Zed Other"]
    row = page.rows[0]
    assert (row.visits, row.no_shows, row.late_cancellations) == (1, 1, 1)
    assert row.spend_minor == 6000
    assert row.last_visit == visited.starts_at
    assert row.next_visit == upcoming.starts_at
    assert page.total == 2 and page.pages == 1


def test_search_matches_name_email_or_phone_and_escapes_wildcards(venue_and_service):
    venue, _service = venue_and_service
    clients.add_client(venue.id, name="Ann Smith", email="ann@example.com", phone="+44 7700 900123")
    clients.add_client(venue.id, name="Bob 100% Jones")
    now = datetime.now(UTC)
    assert [r.name for r in clients.list_clients(venue.id, q="smith", now=now).rows] == ["Ann Smith"]
    assert [r.name for r in clients.list_clients(venue.id, q="ANN@EX", now=now).rows] == ["Ann Smith"]
    assert [r.name for r in clients.list_clients(venue.id, q="900123", now=now).rows] == ["Ann Smith"]
    assert [r.name for r in clients.list_clients(venue.id, q="%", now=now).rows] == ["Bob 100% Jones"]
    assert clients.list_clients(venue.id, q="nobody", now=now).rows == []


def test_the_list_page_searches_pages_and_shows_an_empty_state(web, provider, venue_and_service):
    venue, _service = venue_and_service
    web.sign_in_as(provider)
    empty = web.get("/provider/clients")
    assert empty.status_code == 200 and "No clients yet" in empty.get_data(as_text=True)
    for n in range(clients.PAGE_SIZE + 2):
        clients.add_client(venue.id, name=f"Client {n:02d}")
    db.session.commit()
    first = web.get("/provider/clients").get_data(as_text=True)
    assert "Client 00" in first and f"Client {clients.PAGE_SIZE + 1:02d}" not in first and "Page 1 of 2" in first
    second = web.get("/provider/clients?page=2").get_data(as_text=True)
    assert f"Client {clients.PAGE_SIZE + 1:02d}" in second
    found = web.get("/provider/clients?q=Client%2003").get_data(as_text=True)
    assert "Client 03" in found and "Client 04" not in found


@pytest.mark.parametrize("query", ["page=0", "page=abc", "page=99999999", "q=" + "x" * 101])
def test_a_bad_list_parameter_is_a_400(web, provider, venue_and_service, query):
    web.sign_in_as(provider)
    assert web.get(f"/provider/clients?{query}").status_code == 400


# -- the card ------------------------------------------------------------------------------------


def test_the_card_saves_notes_and_tags(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    db.session.commit()
    web.sign_in_as(provider)
    page = web.get(f"/provider/clients/{client.id}")
    assert page.status_code == 200 and "Ann Smith" in page.get_data(as_text=True)
    assert "Intake answers" in page.get_data(as_text=True)
    saved = web.post(
        f"/provider/clients/{client.id}/notes", {"notes": "Prefers firm pressure.", "tags": "regular, VIP, regular"}
    )
    assert saved.status_code == 302
    db.session.refresh(client)
    assert client.notes == "Prefers firm pressure." and client.tags == ["regular", "VIP"]


@pytest.mark.parametrize(
    ("notes", "tags", "message"),
    [
        ("x" * 4001, "", "Notes are at most"),
        ("", "y" * 41, "A tag is at most"),
        ("", ",".join(f"t{n}" for n in range(11)), "at most 10 tags"),
    ],
)
def test_bad_notes_or_tags_are_a_422_and_change_nothing(web, provider, venue_and_service, notes, tags, message):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    client.notes = "kept"
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/notes", {"notes": notes, "tags": tags})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(client)
    assert client.notes == "kept" and client.tags == []


def test_a_post_without_csrf_is_refused(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/notes", {"notes": "sneaky"}, csrf=False)
    assert response.status_code == 400
    db.session.refresh(client)
    assert client.notes == ""


def test_another_venues_client_is_not_found_anywhere(web, provider, make_user, venue_and_service):
    other_owner = make_user(role=Role.PROVIDER)
    other_venue, _ = make_bookable_venue(other_owner, name="Other Rooms")
    theirs = clients.add_client(other_venue.id, name="Not Yours")
    db.session.commit()
    web.sign_in_as(provider)
    assert web.get(f"/provider/clients/{theirs.id}").status_code == 404
    for action, data in (("notes", {"notes": "x"}), ("block", {"reason": "x"}), ("unblock", {})):
        assert web.post(f"/provider/clients/{theirs.id}/{action}", data).status_code == 404
    assert web.get(f"/provider/desk/new?client_id={theirs.id}").get_data(as_text=True).count("Not Yours") == 0
    db.session.refresh(theirs)
    assert theirs.notes == "" and theirs.blocked_at is None
    assert "Not Yours" not in web.get("/provider/clients").get_data(as_text=True)
    assert "Not Yours" not in web.get("/provider/desk/clients?q=Not").get_data(as_text=True)


def test_a_customer_cannot_open_the_client_book(web, customer, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    db.session.commit()
    web.sign_in_as(customer)
    assert web.get("/provider/clients").status_code in (302, 403, 404)
    assert web.get(f"/provider/clients/{client.id}").status_code in (302, 403, 404)


def test_the_booking_page_links_to_the_client_card(web, provider, venue_and_service, customer):
    _venue, service = venue_and_service
    booking = book(customer, service, future_slot(days=2))
    db.session.commit()
    web.sign_in_as(provider)
    html = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert f"/provider/clients/{booking.client_id}" in html
    calendar = web.get(f"/provider/calendar?date={future_slot(days=2).date().isoformat()}").get_data(as_text=True)
    assert f"/provider/clients/{booking.client_id}" in calendar


# -- blocking ------------------------------------------------------------------------------------


def _blocked(venue, customer) -> VenueClient:
    client = clients.client_for_user(venue.id, customer)
    clients.block(client, reason="Abusive on the phone", now=datetime.now(UTC))
    db.session.flush()
    return client


def test_a_block_needs_a_reason(web, provider, venue_and_service, make_user):
    venue, _service = venue_and_service
    client = clients.client_for_user(venue.id, make_user(name="Ann Smith"))  # blocking needs an account
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/block", {"reason": "  "})
    assert response.status_code == 422
    db.session.refresh(client)
    assert client.blocked_at is None
    assert web.post(f"/provider/clients/{client.id}/block", {"reason": "Rude"}).status_code == 302
    db.session.refresh(client)
    assert client.is_blocked and client.block_reason == "Rude"
    assert web.post(f"/provider/clients/{client.id}/unblock").status_code == 302
    db.session.refresh(client)
    assert not client.is_blocked


def test_a_blocked_client_cannot_add_to_cart(web, venue_and_service, customer):
    venue, service = venue_and_service
    _blocked(venue, customer)
    db.session.commit()
    web.sign_in_as(customer)
    response = web.post("/cart/items", cart_form(service, future_slot(days=2)))
    assert 400 <= response.status_code < 500
    assert "take online bookings from your account" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 0


def test_a_blocked_client_cannot_check_out_what_is_already_in_the_cart(venue_and_service, customer):
    venue, service = venue_and_service
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=2),
        quantity=1,
        team_member_id=None,
    )
    _blocked(venue, customer)
    with pytest.raises(NotAllowed, match="doesn't take online bookings"):
        checkout.checkout(customer)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    assert db.session.scalar(select(func.count()).select_from(CartItem)) == 1


def test_blocking_at_one_venue_leaves_another(venue_and_service, customer, make_user):
    venue, _service = venue_and_service
    _other_venue, other_service = make_bookable_venue(make_user(role=Role.PROVIDER), name="Other Rooms")
    _blocked(venue, customer)
    assert book(customer, other_service, future_slot(days=2)).status == BookingStatus.CONFIRMED


# -- the desk ------------------------------------------------------------------------------------


def test_a_walk_in_booked_at_the_desk_is_confirmed_paid_at_the_venue(venue_and_service, provider, outbox, run_jobs):
    venue, service = venue_and_service
    client = clients.add_client(venue.id, name="Walk In", email="walkin@example.com")
    start = future_slot(days=2)
    booking = book_at_desk(
        venue,
        client,
        service_id=service.id,
        starts_at=start,
        team_member_id=None,
        staff=provider,
        now=datetime.now(UTC),
    )
    db.session.flush()
    assert booking.status == BookingStatus.CONFIRMED and booking.channel == "desk"
    assert booking.customer_id is None and booking.client_id == client.id
    assert booking.online_minor == 0 and booking.at_venue_minor == 6000
    assert booking.order.status == "paid"
    run_jobs()
    assert [m.subject for m in outbox if m.to == ["walkin@example.com"]] == [
        "Booked: Deep tissue massage at Calm Rooms"
    ]


def _walk_in(venue, service, client, staff):
    """``client`` booked at the desk for a time two days ahead."""
    return book_at_desk(
        venue,
        client,
        service_id=service.id,
        starts_at=future_slot(days=2),
        team_member_id=None,
        staff=staff,
        now=datetime.now(UTC),
    )


def test_admins_see_a_walk_in_order_on_the_dashboard_and_its_page(web, admin, venue_and_service, provider):
    """A front-desk order for a walk-in has no customer account: the admin pages name the client."""
    venue, service = venue_and_service
    client = clients.add_client(venue.id, name="Wanda Walkin", email="wanda@example.com")
    booking = _walk_in(venue, service, client, provider)
    db.session.commit()
    web.sign_in_as(admin)
    dashboard = web.get("/admin/")
    assert dashboard.status_code == 200
    assert "Wanda Walkin (walk-in at the front desk)" in dashboard.text
    page = web.get(f"/admin/orders/{booking.order_id}")
    assert page.status_code == 200
    assert "Wanda Walkin (walk-in at the front desk)" in page.text and "wanda@example.com" in page.text


def test_the_desk_refuses_a_taken_time(ctx, provider):
    venue, service = make_bookable_venue(provider, capacity=1)
    start = future_slot(days=2)
    first = clients.add_client(venue.id, name="First")
    second = clients.add_client(venue.id, name="Second")
    now = datetime.now(UTC)
    book_at_desk(venue, first, service_id=service.id, starts_at=start, team_member_id=None, staff=provider, now=now)
    with pytest.raises(Exception, match="just taken"):
        book_at_desk(
            venue, second, service_id=service.id, starts_at=start, team_member_id=None, staff=provider, now=now
        )
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_the_desk_page_books_a_new_client(web, provider, venue_and_service):
    _venue, service = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2)
    form = web.get(f"/provider/desk/new?service={service.id}&date={start.date().isoformat()}").get_data(as_text=True)
    assert start.isoformat() in form  # the engine's time is offered
    response = web.post(
        "/provider/desk/new",
        {
            "service": service.id,
            "member": "any",
            "date": start.date().isoformat(),
            "starts_at": start.isoformat(),
            "new_name": "Walk In",
            "new_phone": "+44 7700 900000",
        },
    )
    assert response.status_code == 302
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert booking is not None and booking.client.name == "Walk In" and booking.client.phone == "+44 7700 900000"
    listing = web.get("/provider/clients").get_data(as_text=True)
    assert "Walk In" in listing


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"new_name": ""}, 422, "add a new one with their name"),
        ({"new_email": "not-an-email"}, 422, "valid email"),
        ({"new_phone": "call me"}, 422, "valid phone"),
        ({"service": "999999"}, 422, "Pick one of your venue"),
        ({"member": "999999"}, 422, "Pick a team member"),
        ({"starts_at": "tomorrow"}, 422, "Pick one of the offered times"),
        ({"client_id": "999999"}, 404, "not in your client book"),
    ],
)
def test_bad_desk_input_is_refused_and_books_nothing(web, provider, venue_and_service, changes, status, message):
    _venue, service = venue_and_service
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2)
    data = {
        "service": service.id,
        "member": "any",
        "date": start.date().isoformat(),
        "starts_at": start.isoformat(),
        "new_name": "Walk In",
    }
    data.update(changes)
    response = web.post("/provider/desk/new", data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
    assert db.session.scalar(select(func.count()).select_from(VenueClient)) == 0


def test_clean_contact_rules():
    with pytest.raises(ValidationFailed):
        clients.clean_contact("", "", "")
    assert clients.clean_contact(" Ann ", "ANN@Example.com", "") == ("Ann", "ann@example.com", None)


def test_get_client_is_inside_the_venue(venue_and_service, make_user):
    venue, _service = venue_and_service
    other_venue, _ = make_bookable_venue(make_user(role=Role.PROVIDER), name="Other Rooms")
    theirs = clients.add_client(other_venue.id, name="Theirs")
    with pytest.raises(NotFound):
        clients.get_client(venue.id, theirs.id)


def test_notes_keep_their_line_breaks(web, provider, venue_and_service):
    venue, _service = venue_and_service
    client = clients.add_client(venue.id, name="Ann Smith")
    db.session.commit()
    web.sign_in_as(provider)
    response = web.post(f"/provider/clients/{client.id}/notes", {"notes": "Line one.\r\nLine two.", "tags": ""})
    assert response.status_code == 302
    db.session.refresh(client)
    assert client.notes == "Line one.\r\nLine two."


def test_a_walk_ins_booking_page_opens_and_has_no_message_thread(web, provider, venue_and_service):
    """A walk-in without an account has nobody to write to: the booking page shows no thread, and
    a crafted post to its thread is not found (the desk calls or emails them instead)."""
    venue, service = venue_and_service
    client = clients.add_client(venue.id, name="Walk In", phone="+44 7700 900222")
    booking = _walk_in(venue, service, client, provider)
    db.session.flush()
    web.sign_in_as(provider)
    page = web.client.get(f"/provider/bookings/{booking.id}")
    assert page.status_code == 200
    assert "Walk In" in page.get_data(as_text=True)
    token = csrf_token(web.client, "/no-such-page")
    answer = web.client.post(f"/provider/bookings/{booking.id}/messages", data={"csrf_token": token, "body": "Hi"})
    assert answer.status_code == 404


def test_the_client_card_shows_their_latest_intake_answers(web, provider, venue_and_service, customer):
    venue, service = venue_and_service
    older = book(customer, service, future_slot(days=2))
    newer = book(customer, service, future_slot(days=3))
    client = clients.client_for_user(venue.id, customer)
    older.client_id = newer.client_id = client.id
    db.session.add_all(
        [
            BookingIntakeAnswer(booking_id=older.id, position=0, question="Any allergies?", answer="Nuts"),
            BookingIntakeAnswer(booking_id=newer.id, position=0, question="Any allergies?", answer="Nuts and latex"),
            BookingIntakeAnswer(booking_id=older.id, position=1, question="Pregnant?", answer="No"),
        ]
    )
    db.session.flush()
    web.sign_in_as(provider)
    card = web.client.get(f"/provider/clients/{client.id}").get_data(as_text=True)
    section = card[card.index('id="client-intake"') :]
    assert "Nuts and latex" in section and "Pregnant?" in section
    assert section.count("Any allergies?") == 1  # each question once, as last answered
