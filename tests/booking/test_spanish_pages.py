"""The customer's booking pages speak Spanish to a Spanish browser (or the "es" choice), and
English still to everyone else: the booking page, the cart, My bookings and the receipt."""

from __future__ import annotations

from html import unescape

import pytest

from app.booking import cart
from app.platform import i18n
from tests.booking.helpers import book, book_path, future_slot, make_bookable_venue

SPANISH = {"Accept-Language": "es-ES,es;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def bookable(ctx, provider):
    return make_bookable_venue(provider)


def page(web, path: str, headers: dict) -> str:
    """The page's own content (inside <main>: the navbar and footer are other areas' text)."""
    response = web.get(path, headers=headers)
    assert response.status_code == 200
    body = unescape(response.get_data(as_text=True))
    return body.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def test_the_booking_page_of_a_day_is_in_spanish_with_its_plurals(web, bookable):
    venue, service = bookable
    day = future_slot(days=3).date().isoformat()

    spanish = page(web, book_path(venue, service, day=day), SPANISH)
    english = page(web, book_path(venue, service, day=day), ENGLISH)

    assert "Reservar Deep tissue massage" in spanish and "Horas en Europe/London" in spanish
    assert "Queda 1 plaza" in spanish  # ngettext, singular, from the plural entry
    assert "Times shown in" not in spanish and "1 place left" not in spanish
    assert "Book Deep tissue massage" in english and "Times shown in Europe/London" in english
    assert "1 place left" in english and "Horas en" not in english


def test_the_cart_is_in_spanish_when_the_visitor_chose_spanish(web, bookable, customer):
    _, service = bookable
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=3),
        quantity=1,
        team_member_id=None,
    )
    web.sign_in_as(customer)
    web.client.set_cookie(i18n.COOKIE, "es")

    spanish = page(web, "/cart", ENGLISH)  # the choice wins over the browser

    assert "Tu cesta" in spanish and "1 servicio" in spanish and "Consultar saldo" in spanish
    assert "Your cart" not in spanish and "1 item" not in spanish and "Check balance" not in spanish


def test_my_bookings_and_the_receipt_are_in_spanish(web, bookable, customer):
    _, service = bookable
    booking = book(customer, service, future_slot(days=3))
    web.sign_in_as(customer)

    bookings = page(web, "/bookings", SPANISH)
    receipt = page(web, f"/payments/receipts/{booking.order_id}", SPANISH)

    assert "Mis reservas" in bookings and "Próximas" in bookings and booking.reference in bookings
    assert "My bookings" not in bookings and "Upcoming" not in bookings
    assert "Número de recibo" in receipt and "Precio unitario" in receipt
    assert "Receipt number" not in receipt and "Unit price" not in receipt
