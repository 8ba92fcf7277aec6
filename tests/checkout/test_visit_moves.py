"""Moving a visit (issue 44, item 5): moving one of its treatments moves every guest's treatments
by as many minutes, each keeping its team member, length and price; only times at which the whole
visit fits are offered or taken; a refusal changes nothing (app/checkout/visit_moves.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.booking import cart
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.forms import format_instant
from app.booking.models import BookingMove, BookingResource, BookingStatus
from app.booking.visits import add_visit
from app.checkout import checkout, move_policy, reschedule, top_ups
from app.checkout.visit_moves import visit_move_starts
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.errors import InvalidTransition
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot
from tests.booking.test_group_visits import book_couple, couples_spa
from tests.booking.test_visits import LONDON, facial_and_massage, local, plan

HOUR = timedelta(hours=1)


@pytest.fixture
def visit_spa(ctx, provider):
    return facial_and_massage(provider)


@pytest.fixture
def couple_spa(ctx, provider):
    return couples_spa(provider)


def book_visit(customer, venue, facial, massage, start):
    add_visit(cart.CartOwner(user_id=customer.id), venue, plan(facial, massage), start)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    return sorted(order.bookings, key=lambda b: b.starts_at)


def times(bookings):
    return [(local(b.starts_at), local(b.ends_at), b.team_member_id) for b in bookings]


def test_moving_a_treatment_moves_the_whole_visit_with_its_people_and_price(visit_spa, customer):
    venue, facial, massage, ines, tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    paid = (first.unit_price_minor, second.unit_price_minor)
    result = reschedule.move_booking(second, second.starts_at + timedelta(days=1, hours=2), None, by=customer)
    assert result.booking is second and result.price_difference_minor == 0 and result.refunded_minor == 0
    assert times([first, second]) == [("11:00", "11:50", ines.id), ("12:00", "13:00", tom.id)]
    assert first.starts_at.astimezone(LONDON).date() == (future_slot(days=5, hour=9)).astimezone(LONDON).date()
    assert (first.unit_price_minor, second.unit_price_minor) == paid
    moves = db.session.scalars(select(BookingMove).order_by(BookingMove.booking_id)).all()
    assert sorted((m.booking_id, m.moved_by) for m in moves) == sorted(
        [(first.id, "customer"), (second.id, "customer")]
    )
    assert {first.calendar_sequence, second.calendar_sequence} == {1}


def test_only_times_at_which_the_whole_visit_fits_are_offered(visit_spa, customer, make_user):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    other_day = future_slot(days=6, hour=9)
    book(make_user(), massage, other_day + 2 * HOUR)  # Tom busy 11:00-12:00 that day
    day = other_day.astimezone(LONDON).date()
    offered = [local(start) for start in visit_move_starts(first, day, now=first.starts_at - timedelta(days=3))]
    assert "09:00" in offered and "12:00" in offered
    assert "10:00" not in offered  # the facial fits, but the massage would meet Tom's 11:00
    # The second treatment's own times: each one hour after its visit's start.
    offered_second = visit_move_starts(second, day, now=first.starts_at - timedelta(days=3))
    assert [local(s) for s in offered_second][:1] == ["10:00"]


def test_a_time_the_whole_visit_does_not_fit_is_refused_and_nothing_moves(visit_spa, customer, make_user):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    before = times([first, second])
    other_day = future_slot(days=6, hour=9)
    book(make_user(), massage, other_day + HOUR)  # Tom busy 10:00-11:00
    with pytest.raises(SlotUnavailable, match="isn't free for the whole visit"):
        reschedule.move_booking(first, other_day, None, by=customer)
    assert times([first, second]) == before
    assert db.session.scalar(select(BookingMove.id)) is None


def test_a_visit_moved_by_less_than_its_length_overlaps_its_own_old_time(visit_spa, customer):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    reschedule.move_booking(first, first.starts_at + timedelta(minutes=30), None, by=venue.owner, as_venue=True)
    assert [t[:2] for t in times([first, second])] == [("09:30", "10:20"), ("10:30", "11:30")]
    reschedule.move_booking(second, second.starts_at - timedelta(minutes=30), None, by=venue.owner, as_venue=True)
    assert [t[:2] for t in times([first, second])] == [("09:00", "09:50"), ("10:00", "11:00")]


def test_the_policy_and_the_owner_are_checked_for_the_whole_visit(visit_spa, customer, make_user):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    with pytest.raises(InvalidTransition, match="your own bookings"):
        reschedule.move_booking(first, first.starts_at + timedelta(days=1), None, by=make_user())
    move_policy.set_policy(venue, until_hours=24, max_moves=0, actor=venue.owner)
    with pytest.raises(InvalidTransition, match="doesn't take changes online"):
        reschedule.move_booking(first, first.starts_at + timedelta(days=1), None, by=customer)
    assert first.status == second.status == BookingStatus.CONFIRMED
    assert db.session.scalar(select(BookingMove.id)) is None


def test_a_couples_visit_moves_together_and_takes_its_shared_room_at_the_new_time(couple_spa, customer):
    venue, couples, facial, _team, double = couple_spa
    start = future_slot(days=4, hour=10)
    _items, order = book_couple(customer, venue, couples, facial, start)
    bookings = sorted(order.bookings, key=lambda b: (b.starts_at, b.guest))
    before = {b.id: (b.starts_at, b.team_member_id, b.guest, b.guest_name) for b in bookings}
    facial_booking = bookings[-1]
    reschedule.move_booking(
        facial_booking, facial_booking.starts_at + timedelta(days=1, minutes=30), None, by=venue.owner, as_venue=True
    )
    shift = timedelta(days=1, minutes=30)
    for b in bookings:
        starts, member, guest, name = before[b.id]
        assert (b.starts_at, b.team_member_id, b.guest, b.guest_name) == (starts + shift, member, guest, name)
    rooms = db.session.execute(
        select(BookingResource.booking_id, BookingResource.unit, BookingResource.starts_at).where(
            BookingResource.resource_id == double.id, BookingResource.live
        )
    ).all()
    assert {r.starts_at for r in rooms} == {start + shift}  # the double room, taken once at the new time
    assert len({r.unit for r in rooms}) == 1


def test_the_time_a_visit_left_is_free_again_and_its_new_time_is_not(visit_spa, customer, make_user):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    old_start = second.starts_at
    reschedule.move_booking(first, first.starts_at + timedelta(days=1), None, by=customer)
    other = make_user()
    book(other, massage, old_start)  # Tom's old hour can be booked by someone else
    with pytest.raises(CartItemInvalid):
        book(make_user(), massage, second.starts_at)


def iso(moment) -> str:
    return format_instant(moment)  # as the page writes a start: UTC, with a Z


def test_the_customers_page_offers_the_visits_times_and_moves_it_whole(web, visit_spa, customer, make_user):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    other_day = future_slot(days=6, hour=9)
    book(make_user(), massage, other_day + 2 * HOUR)  # Tom busy 11:00-12:00 that day
    web.sign_in_as(customer)
    day = other_day.astimezone(LONDON).date().isoformat()
    page = web.get(f"/bookings/{first.reference}/reschedule?day={day}").get_data(as_text=True)
    assert "the visit fits" in page  # the month grid asks about the whole visit
    assert f"start={iso(other_day)}" in page
    assert "10:00</a>" not in page  # the massage would meet Tom's 11:00
    picked = web.get(f"/bookings/{first.reference}/reschedule?start={iso(other_day)}")
    assert "Move my visit" in picked.get_data(as_text=True)
    response = web.post(f"/bookings/{first.reference}/reschedule", {"starts_at": iso(other_day)})
    assert response.status_code == 303
    db.session.expire_all()
    assert [t[:2] for t in times([first, second])] == [("09:00", "09:50"), ("10:00", "11:00")]
    assert first.starts_at == other_day and second.starts_at == other_day + HOUR


def test_the_venue_drags_one_treatment_and_the_whole_visit_follows(web, visit_spa, customer, provider):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    web.sign_in_as(provider)
    new_start = second.starts_at + 2 * HOUR
    day, time = new_start.astimezone(LONDON).date().isoformat(), local(new_start)
    form = {"new_date": day, "new_time": time, "new_member": "", "return": "booking"}
    response = web.post(f"/provider/bookings/{second.id}/move", form)
    assert response.status_code == 303
    db.session.expire_all()
    assert [t[:2] for t in times([first, second])] == [("11:00", "11:50"), ("12:00", "13:00")]


def test_the_customer_hears_of_a_visits_move_once_with_every_treatment(visit_spa, customer, run_jobs, outbox):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    run_jobs()
    outbox.clear()
    reschedule.move_booking(second, second.starts_at + timedelta(days=1), None, by=venue.owner, as_venue=True)
    db.session.commit()
    run_jobs()
    moved = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Moved")]
    assert len(moved) == 1
    body = moved[0].body
    assert "Your whole visit moved with it:" in body
    assert "- 09:00 Facial" in body and "- 10:00 Deep tissue massage" in body
    ics = moved[0].attachments[0][1]
    assert ics.count("BEGIN:VEVENT") == 2
    assert {first.reference, second.reference} <= {
        line.split(":")[1].split("@")[0] for line in ics.splitlines() if line.startswith("UID:")
    }


def test_a_treatment_of_a_visit_is_never_moved_alone_through_a_top_up(visit_spa, customer):
    venue, facial, massage, _ines, _tom = visit_spa
    first, second = book_visit(customer, venue, facial, massage, future_slot(days=4, hour=9))
    before = times([first, second])
    with pytest.raises(InvalidTransition, match="part of a visit"):
        top_ups.start_top_up(
            second, second.starts_at + timedelta(days=1), None, by=customer, expected_minor=100, now=datetime.now(UTC)
        )
    assert times([first, second]) == before
    assert db.session.scalar(select(BookingMove.id)) is None
