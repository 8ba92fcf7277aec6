"""Emails speak their recipient's language, whoever's request or job sends them."""

from __future__ import annotations

import pytest

from app.booking import cart
from app.checkout import checkout
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from tests.booking.helpers import future_slot, make_bookable_venue


@pytest.fixture
def service(ctx, provider):
    return make_bookable_venue(provider)[1]


def _book(customer, service, run_jobs, outbox):
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(),
        quantity=1,
        team_member_id=None,
    )
    pay_by_demo_card(checkout.checkout(customer))
    run_jobs()
    [confirmation] = [m for m in outbox if m.to == [customer.email] and "cozywish-booking.ics" in str(m.attachments)]
    return confirmation


def test_a_spanish_customers_booking_confirmation_is_in_spanish(service, customer, run_jobs, outbox):
    customer.language = "es"
    db.session.flush()
    confirmation = _book(customer, service, run_jobs, outbox)
    assert confirmation.subject.startswith("Reservado: ")
    body = confirmation.body
    assert "Cancelación gratuita" in body and "Free cancellation" not in body
    assert "Booked:" not in confirmation.subject


def test_a_customer_with_no_saved_language_is_written_to_in_english(service, customer, run_jobs, outbox):
    confirmation = _book(customer, service, run_jobs, outbox)
    assert confirmation.subject.startswith("Booked: ")
    assert "Free cancellation" in confirmation.body


def test_the_sending_requests_language_does_not_leak_into_an_email(app, provider, make_user, run_jobs, outbox):
    """A Spanish-speaking provider's action emails an English customer in English."""
    from flask_babel import lazy_gettext as _l

    from app.platform.email import send_email

    english = make_user()
    with app.test_request_context(headers={"Accept-Language": "es"}):
        send_email(english.email, _l("Your password was changed"), "password_changed", user=english)
        send_email(provider.email, _l("Your password was changed"), "password_changed", user=provider, language="es")
    run_jobs()
    subjects = {m.to[0]: m.subject for m in outbox}
    assert subjects[english.email] == "Your password was changed"
    assert subjects[provider.email] == "Tu contraseña se ha cambiado"
