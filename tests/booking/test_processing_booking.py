"""Processing time on the booking path (issue 44, item 3): a colour of 30 minutes applying, 30
processing and 15 finishing keeps its stylist only for the working parts. The owner's rule is
checked where the service is saved; a hold keeps its gap as instants; the database refuses two
bookings of one team member whose working parts meet, and accepts one inside another's gap."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.booking.availability import get_slots
from app.booking.errors import CartItemInvalid
from app.booking.holds import hold_booking
from app.booking.models import Booking
from app.checkout import reschedule
from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.options import OptionInput, set_options
from app.venues.processing import Processing
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)


def service_fields(**overrides) -> dict:
    fields = {
        "name": "Full colour",
        "description": "",
        "category_id": None,
        "duration_minutes": 75,
        "price_minor": 9000,
        "capacity": 2,
        "buffer_minutes": 0,
        "is_active": True,
        "processing": Processing(after=30, minutes=30),
    }
    return {**fields, **overrides}


@pytest.fixture
def salon(ctx, provider):
    """A salon open 09:00-18:00 with one stylist who does a colour (75 min, processing 30-60)
    and a blow-dry (the venue's 60-minute service, renamed, made 30)."""
    venue, blow_dry = make_bookable_venue(provider, name="Strand Hair")
    save_service(
        venue, blow_dry, **service_fields(name="Blow-dry", duration_minutes=30, price_minor=3000, processing=None)
    )
    colour = save_service(venue, None, **service_fields())
    stylist = add_team_member(venue, name="Sam", title="Stylist", bio="", service_ids=[blow_dry.id, colour.id])
    db.session.flush()
    return venue, colour, blow_dry, stylist


def local_times(slots) -> list[str]:
    return [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]


# -- the owner's rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("processing", "words"),
    [
        (Processing(after=30, minutes=45), "go on after processing"),  # ends at 75: nothing after
        (Processing(after=0, minutes=30), "starts between"),
        (Processing(after=30, minutes=500), "lasts between"),
    ],
)
def test_a_gap_that_makes_no_sense_is_refused_and_nothing_changes(salon, processing, words):
    venue, colour, _blow_dry, _stylist = salon
    with pytest.raises(ValidationFailed, match=words) as refused:
        save_service(venue, colour, **service_fields(processing=processing, name="Renamed"))
    assert refused.value.field == "processing"
    db.session.refresh(colour)
    assert (colour.name, colour.processing_after_minutes, colour.processing_minutes) == ("Full colour", 30, 30)


def test_an_option_too_short_for_the_gap_is_refused(salon):
    _venue, colour, _blow_dry, _stylist = salon
    with pytest.raises(ValidationFailed, match="over 60 minutes"):
        set_options(colour, [OptionInput("Roots", 60, 6000), OptionInput("Full head", 90, 9000)])
    set_options(colour, [OptionInput("Roots", 65, 6000), OptionInput("Full head", 90, 9000)])
    assert [o.duration_minutes for o in colour.options] == [65, 90]


def test_leaving_processing_out_keeps_it_and_none_removes_it(salon):
    venue, colour, _blow_dry, _stylist = salon
    fields = service_fields()
    del fields["processing"]
    save_service(venue, colour, **fields)
    assert (colour.processing_after_minutes, colour.processing_minutes) == (30, 30)
    save_service(venue, colour, **service_fields(processing=None))
    assert (colour.processing_after_minutes, colour.processing_minutes) == (None, None)


# -- the slots and the hold ---------------------------------------------------------------------


def test_a_colour_booked_keeps_its_gap_and_the_gap_is_offered_for_a_blow_dry(salon, customer, make_user):
    _venue, colour, blow_dry, stylist = salon
    start = future_slot(days=3, hour=10)
    booking = book(customer, colour, start)
    assert (booking.gap_starts_at, booking.gap_ends_at) == (start + 30 * MIN, start + 60 * MIN)
    assert booking.team_member_id == stylist.id

    day = start.astimezone(LONDON).date()
    offered = local_times(get_slots(blow_dry, day))
    assert "10:30" in offered  # the gap
    assert not {"10:00", "10:15", "10:45"} & set(offered)

    other = book(make_user(), blow_dry, start + 30 * MIN)
    assert other.team_member_id == stylist.id  # the same stylist, in the colour's gap
    with pytest.raises(CartItemInvalid, match="no longer available"):
        book(make_user(), blow_dry, start + 45 * MIN)  # would meet the finishing at 11:00


def test_the_database_refuses_working_parts_that_meet_and_allows_the_gap(salon, customer):
    """Below the engine: holds written straight to the table, as a racing checkout would."""
    _venue, colour, blow_dry, stylist = salon
    start = future_slot(days=5, hour=10)
    order = book(customer, colour, start).order

    def hold(at):
        booking = hold_booking(
            blow_dry,
            starts_at=at,
            ends_at=at + 30 * MIN,
            hold_until=at,
            team_member_id=stylist.id,
            order_id=order.id,
            customer_id=customer.id,
        )
        with db.session.begin_nested():  # a refusal rolls back to here, and lets the hold go
            db.session.add(booking)
            db.session.flush()
        return booking

    assert hold(start + 30 * MIN).id  # inside the gap
    with pytest.raises(IntegrityError, match="ex_bookings_team_member_overlap"):
        hold(start + 55 * MIN)  # 10:55-11:25 meets the finishing, 11:00-11:15
    with pytest.raises(IntegrityError, match="ck_bookings_gap_inside"), db.session.begin_nested():
        db.session.execute(
            Booking.__table__.update()
            .where(Booking.service_id == colour.id)
            .values(gap_starts_at=start + 80 * MIN, gap_ends_at=start + 90 * MIN)
        )


def test_a_move_takes_the_gap_to_the_new_time(salon, customer):
    _venue, colour, _blow_dry, _stylist = salon
    booking = book(customer, colour, future_slot(days=3, hour=10))
    new_start = future_slot(days=4, hour=14)
    reschedule.move_booking(booking, new_start, None, by=customer)
    db.session.flush()
    stored = db.session.scalar(select(Booking).where(Booking.id == booking.id))
    assert (stored.gap_starts_at, stored.gap_ends_at) == (new_start + 30 * MIN, new_start + 60 * MIN)


def test_a_service_without_processing_books_as_before(salon, customer):
    _venue, _colour, blow_dry, _stylist = salon
    booking = book(customer, blow_dry, future_slot(days=3, hour=12))
    assert (booking.gap_starts_at, booking.gap_ends_at) == (None, None)


def test_a_colour_around_a_booked_blow_dry_checks_out_with_the_same_stylist(salon, customer, make_user):
    """The blow-dry 10:30-11:00 sits in the gap of a colour from 10:00: checkout's first look and
    the engine both see only the working parts, so the colour is held, by the same stylist."""
    _venue, colour, blow_dry, stylist = salon
    start = future_slot(days=6, hour=10)
    book(make_user(), blow_dry, start + 30 * MIN)
    colour_booking = book(customer, colour, start)
    assert colour_booking.team_member_id == stylist.id
    assert colour_booking.status == "confirmed"
