"""A remembered row comes back as a query would have loaded it (app/platform/remembered.py): a
persistent object of the request's session with every column as kept, nothing recorded as changed,
no attribute event run, no statement sent; the session's own copy when it already holds the row."""

from __future__ import annotations

from sqlalchemy import event, inspect, select

from app.booking.models import Booking
from app.platform.extensions import db
from app.platform.remembered import revive, snapshot
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.factories import UserFactory
from tests.statements import statements_sent


def a_booking() -> Booking:
    _venue, service = make_bookable_venue(UserFactory(role="provider"))
    booking = book(UserFactory(role="customer"), service, future_slot())
    db.session.commit()
    return booking


def test_a_revived_row_is_loaded_unchanged_and_costs_no_statement(ctx):
    booking = a_booking()
    price, venue_id = booking.unit_price_minor, booking.venue_id
    kept = snapshot(db.session.get(Booking, booking.id), ("venue",))
    db.session.expunge_all()
    events: list[object] = []

    def heard(_booking, value, *_rest) -> None:
        events.append(value)

    event.listen(Booking.unit_price_minor, "set", heard)
    try:
        with statements_sent() as sent:
            found = revive(kept)
            state = inspect(found)
            assert state.persistent and state.key == inspect(Booking).identity_key_from_primary_key([booking.id])
            assert found.unit_price_minor == price and found.reference == booking.reference
            assert found.venue.id == venue_id  # the related row kept with it, loaded
    finally:
        event.remove(Booking.unit_price_minor, "set", heard)
    assert sent == []
    assert not state.modified and not db.session.dirty and not db.session.new
    assert events == []  # no attribute event ran (the constructor's path set every column through one)
    assert db.session.scalar(select(Booking).where(Booking.id == booking.id)) is found  # the session's own


def test_a_row_the_session_holds_already_is_that_copy(ctx):
    booking = a_booking()
    held = db.session.get(Booking, booking.id)
    assert revive(snapshot(held)) is held
