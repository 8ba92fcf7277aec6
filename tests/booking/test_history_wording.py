"""The provider's booking page says in its history what confirming meant for the money (issue 45,
item 7): a desk booking paid at the venue is "Confirmed, £60.00 due at the venue", never "Paid
and confirmed"; a booking paid in full online is "Paid and confirmed"; a deposit says both parts."""

from __future__ import annotations

from sqlalchemy import select

from app.booking.models import Booking, BookingStatus
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.booking.helpers import book, future_slot, make_bookable_venue
from tests.payments.deposit_helpers import checked_out, venue_paid


def history_of(web, booking: Booking) -> str:
    return web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)


def test_a_desk_booking_paid_at_the_venue_says_what_is_due_there(ctx, web, provider):
    _venue, service = make_bookable_venue(provider)
    db.session.commit()
    web.sign_in_as(provider)
    start = future_slot(days=2, hour=10)
    response = web.post(
        "/provider/desk/new",
        {
            "service": service.id,
            "member": "any",
            "date": start.date().isoformat(),
            "starts_at": start.isoformat(),
            "payment": "at_venue",
            "new_name": "Wanda Walkin",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    booking = db.session.scalar(select(Booking).where(Booking.channel == "desk"))
    assert booking.online_minor == 0
    page = history_of(web, booking)
    assert "Confirmed, £60.00 due at the venue" in page
    assert "Paid and confirmed" not in page


def test_a_booking_paid_in_full_online_is_paid_and_confirmed(ctx, web, provider, customer):
    _venue, service = make_bookable_venue(provider)
    booking = book(customer, service, future_slot())
    db.session.commit()
    web.sign_in_as(provider)
    page = history_of(web, booking)
    assert "Paid and confirmed" in page
    assert "due at the venue" not in page


def test_an_online_booking_paid_at_the_venue_is_confirmed_with_the_price_due(ctx, web, provider, customer):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None)
    order = checked_out(customer, service)  # nothing to pay online, no card to keep: confirmed at once
    assert order.bookings[0].status == BookingStatus.CONFIRMED
    db.session.commit()
    web.sign_in_as(provider)
    page = history_of(web, order.bookings[0])
    assert "Confirmed, £60.00 due at the venue" in page
    assert "Paid and confirmed" not in page


def test_a_deposit_says_what_was_paid_and_what_is_due(ctx, web, provider, customer):
    _venue, service = venue_paid(provider, "deposit_percent", percent=25)
    order = checked_out(customer, service)
    assert pay_by_demo_card(order, "4242") == "paid: bookings confirmed"
    db.session.commit()
    web.sign_in_as(provider)
    page = history_of(web, order.bookings[0])
    assert "Paid £15.00 online and confirmed, £45.00 due at the venue" in page
