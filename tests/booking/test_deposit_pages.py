"""Where customers and providers see deposits: "Pay now £X, £Y at the venue" on the venue page,
the booking page, the cart, the order page and the provider's booking page."""

from __future__ import annotations

from datetime import timedelta

from app.booking import lifecycle
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.booking.helpers import cart_form, future_slot
from tests.payments.deposit_helpers import checked_out, venue_paid

LABEL = "Pay now £15.00, £45.00 at the venue"


def test_the_venue_booking_and_cart_pages_say_what_is_paid_now(ctx, web, provider, customer):
    venue, service = venue_paid(provider, "deposit_percent", percent=25, no_show=50)
    db.session.commit()
    assert LABEL in web.get(f"/venues/{venue.slug}").get_data(as_text=True)
    page = web.get(f"/venues/{venue.slug}/book/{service.id}").get_data(as_text=True)
    assert LABEL in page
    assert "A missed appointment costs 50% of the price." in page
    web.sign_in_as(customer)
    response = web.post("/cart/items", cart_form(service, future_slot()))
    assert response.status_code == 303
    assert LABEL in web.get("/cart").get_data(as_text=True)


def test_the_order_page_shows_the_part_due_at_the_venue_and_the_saved_card(ctx, web, provider, customer):
    _venue, service = venue_paid(provider, "deposit_percent", percent=25, late_fee=50)
    order = checked_out(customer, service)
    db.session.commit()
    web.sign_in_as(customer)
    page = web.get(f"/orders/{order.id}").get_data(as_text=True)
    assert LABEL in page and "Pay £15.00 securely" in page
    assert pay_by_demo_card(order, "4242") == "paid: bookings confirmed"
    db.session.commit()
    page = web.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "Card ending 4242 kept for this booking&#39;s policy" in page or "Card ending 4242 kept" in page
    assert "Paid online £15.00, £45.00 at the venue" in page


def test_the_provider_sees_the_payment_and_the_fee(ctx, web, provider, customer, run_jobs):
    _venue, service = venue_paid(provider, "at_venue", late_fee=None, no_show=50)
    order = checked_out(customer, service)
    pay_by_demo_card(order, "0341")
    booking = order.bookings[0]
    lifecycle.mark(booking, "no_show", actor=provider, now=booking.starts_at + timedelta(minutes=30))
    db.session.commit()
    run_jobs()
    web.sign_in_as(provider)
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "Paid online £0.00, £60.00 at the venue" in page
    assert "No-show fee £30.00: £30.00 not charged (The card was declined.)" in page


def test_the_order_checkout_and_provider_pages_speak_spanish(ctx, web, client, provider, customer, run_jobs):
    from app.platform import i18n

    _venue, service = venue_paid(provider, "deposit_percent", percent=25, no_show=50)
    order = checked_out(customer, service)
    db.session.commit()
    web.sign_in_as(customer)
    client.set_cookie(i18n.COOKIE, "es")
    page = web.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "A pagar en el centro" in page and "Due at the venue" not in page
    assert "Pagar 15,00\xa0GBP de forma segura" in page
    checkout = web.post(f"/orders/{order.id}/pay", {}, follow_redirects=True)
    text = checkout.get_data(as_text=True)
    assert checkout.status_code == 200, text[:500]
    assert "Pago de demostración." in text and "Total a pagar ahora" in text
    assert "Demo checkout." not in text and "Total to pay now" not in text
    assert pay_by_demo_card(order, "4242") == "paid: bookings confirmed"
    booking = order.bookings[0]
    lifecycle.mark(booking, "no_show", actor=provider, now=booking.starts_at + timedelta(minutes=30))
    db.session.commit()
    run_jobs()
    web.sign_in_as(provider)
    client.set_cookie(i18n.COOKIE, "es")
    page = web.get(f"/provider/bookings/{booking.id}").get_data(as_text=True)
    assert "Cargos" in page and "Referencia" in page and ">Fees<" not in page
