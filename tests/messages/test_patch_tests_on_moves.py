"""A move keeps the patch-test rule (app/booking/patch_tests.check_move): a treatment can't move
to a time less than N hours after its patch test, nor a patch test to a time too late for a
treatment that relies on it; refused with a clear message (422 on the page), nothing changed."""

from __future__ import annotations

import pytest

from app.booking.errors import CartItemInvalid
from app.checkout import reschedule
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot
from tests.checkout.test_reschedule import local, refreshed
from tests.messages.test_intake_and_patch_tests import (
    tint,  # noqa: F401  (the fixture)
    venue_and_service,  # noqa: F401
)


@pytest.fixture
def booked(customer, tint):  # noqa: F811
    venue, patch, treatment = tint
    patch_booking = book(customer, patch, future_slot(days=2, hour=10))
    treatment_booking = book(customer, treatment, future_slot(days=5, hour=10))
    db.session.commit()  # the refused moves roll back to here
    return venue, patch_booking, treatment_booking


def test_a_treatment_cant_move_too_close_to_its_patch_test(booked, customer, provider):
    _venue, _patch_booking, treatment_booking = booked
    before = treatment_booking.starts_at
    too_soon = future_slot(days=3, hour=10)  # 24 hours after the patch test; 48 needed
    for who, as_venue in ((customer, False), (provider, True)):
        with pytest.raises(CartItemInvalid, match=r"needs a patch test .* at least 48 hours before"):
            reschedule.move_booking(treatment_booking, too_soon, None, by=who, as_venue=as_venue)
        db.session.rollback()
        assert refreshed(treatment_booking).starts_at == before
    moved = reschedule.move_booking(refreshed(treatment_booking), future_slot(days=4, hour=11), None, by=customer)
    assert moved is not None  # 49 hours after the patch test: allowed


def test_a_patch_test_cant_move_too_late_for_its_treatment(booked, customer):
    _venue, patch_booking, _treatment_booking = booked
    with pytest.raises(CartItemInvalid, match="relies on this patch test at least 48 hours before"):
        reschedule.move_booking(patch_booking, future_slot(days=4, hour=10), None, by=customer)
    db.session.rollback()
    assert refreshed(patch_booking).starts_at == future_slot(days=2, hour=10)
    reschedule.move_booking(refreshed(patch_booking), future_slot(days=1, hour=10), None, by=customer)  # earlier: fine


def test_the_venues_move_page_says_why_with_a_422(web, booked, provider):
    _venue, _patch_booking, treatment_booking = booked
    db.session.commit()
    web.sign_in_as(provider)
    day, time = local(future_slot(days=3, hour=10))
    response = web.post(
        f"/provider/bookings/{treatment_booking.id}/move", {"new_date": day, "new_time": time, "return": "booking"}
    )
    assert response.status_code == 422 and "needs a patch test" in response.text
    assert refreshed(treatment_booking).starts_at == future_slot(days=5, hour=10)
