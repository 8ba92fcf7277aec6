"""Booking a service's option (issue 44 item 1): the booking page offers the option's times, the
cart keeps the option, checkout holds it for its length and price, and what the customer gets
names it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking import cart
from app.booking.availability import first_look_at_cart, get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.ics import booking_event
from app.booking.models import Booking, CartItem, OrderStatus
from app.checkout import checkout, reschedule
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues.addons import Choice
from app.venues.options import OptionInput, set_options
from app.venues.service import save_service
from tests.booking.helpers import book_path, cart_form, future_slot, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def massage(ctx, provider):
    """Calm Rooms (open 09:00-18:00, one person at a time) with a massage of 60 min £45 or 90 min £65."""
    venue, service = make_bookable_venue(provider)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    short, long = service.options
    return venue, service, short, long


@pytest.fixture
def other_option(massage):
    """An option of another service of the same venue."""
    venue, *_ = massage
    facial = save_service(
        venue,
        None,
        name="Facial",
        description="",
        category_id=None,
        duration_minutes=30,
        price_minor=3000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    set_options(facial, [OptionInput("Short", 30, 3000), OptionInput("Long", 45, 4000)])
    return facial.options[0]


def local_times(slots) -> list[str]:
    return [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]


def cart_items() -> list[CartItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(CartItem).order_by(CartItem.id)))


# -- the slot engine ---------------------------------------------------------------------------


def test_each_option_is_offered_where_its_length_fits(massage):
    _venue, service, short, long = massage
    day = future_slot(days=3).astimezone(LONDON).date()
    with_short = local_times(get_slots(service, day, choice=Choice(option=short)))
    with_long = local_times(get_slots(service, day, choice=Choice(option=long)))
    assert "17:00" in with_short and "16:30" in with_short
    assert "16:30" in with_long and "17:00" not in with_long and "16:45" not in with_long
    assert local_times(get_slots(service, day)) == with_short  # None: the service's own (the cheapest's) length


# -- the booking page --------------------------------------------------------------------------


def test_the_booking_page_offers_the_options_with_the_cheapest_chosen(web, massage):
    venue, service, short, long = massage
    page = html(web.get(book_path(venue, service)))
    assert "Choose an option" in page
    assert f'data-option-id="{short.id}"' in page and f'data-option-id="{long.id}"' in page
    assert "£45.00" in page and "£65.00" in page
    chosen = page.split(f'data-option-id="{short.id}"')[0].rsplit("<a ", 1)[1]
    assert 'aria-current="true"' in chosen


def test_the_chosen_options_length_gives_the_times(web, massage):
    venue, service, short, long = massage
    day = future_slot(days=3).astimezone(LONDON).date()
    long_page = html(web.get(book_path(venue, service, option=long.id, day=day.isoformat())))
    short_page = html(web.get(book_path(venue, service, option=short.id, day=day.isoformat())))
    assert "16:30" in long_page
    assert "17:00" not in long_page and "17:00" in short_page
    assert "1 h 30 min" in long_page and "£65.00" in long_page
    # Every link on the page keeps the option, and switching option keeps the day looked at.
    assert f"option={long.id}" in long_page and f"day={day.isoformat()}" in long_page
    start = future_slot(days=3, hour=10)
    form = html(web.get(book_path(venue, service, option=long.id, start=start.strftime("%Y-%m-%dT%H:%M:%SZ"))))
    assert f'name="option_id" value="{long.id}"' in form


def test_the_booking_page_refuses_an_option_that_is_not_the_services(web, massage, other_option):
    venue, service, _short, _long = massage
    foreign = web.get(book_path(venue, service, option=other_option.id))
    assert foreign.status_code == 404
    assert "That option is not one of this service's." in html(foreign)
    assert web.get(book_path(venue, service, option="abc")).status_code == 400
    assert web.get(book_path(venue, service, option=999999999)).status_code == 404


def test_a_service_without_options_books_as_before(web, ctx, provider):
    venue, service = make_bookable_venue(provider)
    page = html(web.get(book_path(venue, service)))
    assert "Choose an option" not in page and "£60.00" in page
    assert web.get(book_path(venue, service, option=1)).status_code == 404


# -- the cart ----------------------------------------------------------------------------------


def test_adding_an_option_to_the_cart_keeps_it_and_prices_it(web, massage, customer):
    _venue, service, _short, long = massage
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    response = web.post("/cart/items", cart_form(service, start, option_id=long.id))
    assert response.status_code == 303
    [item] = cart_items()
    assert item.option_id == long.id
    page = html(web.get("/cart"))
    assert "Deep tissue massage" in page and "· 90 min" in page
    assert "£65.00" in page and "£45.00" not in page
    assert "10:00" in page and "11:30" in page  # ends after the option's 90 minutes


def test_the_cart_refuses_a_long_option_where_only_the_short_fits(web, massage, customer):
    _venue, service, short, long = massage
    web.sign_in_as(customer)
    late = future_slot(days=3, hour=17)
    refused = web.post("/cart/items", cart_form(service, late, option_id=long.id))
    assert refused.status_code in (400, 409, 422)
    assert "no longer available" in html(refused)
    assert cart_items() == []
    assert web.post("/cart/items", cart_form(service, late, option_id=short.id)).status_code == 303


@pytest.mark.parametrize("which", ["foreign", "missing", "junk"])
def test_the_cart_refuses_an_option_that_is_not_the_services(web, massage, other_option, customer, which):
    _venue, service, _short, _long = massage
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    option = {"foreign": other_option.id, "missing": "", "junk": "x1"}[which]
    refused = web.post("/cart/items", cart_form(service, start, option_id=option))
    assert 400 <= refused.status_code < 500
    message = {
        "foreign": "That option is not one of this service's.",
        "missing": "Choose one of the service's options.",
        "junk": "Choose one of the service's options.",
    }[which]
    assert message in html(refused)
    assert cart_items() == []


def test_add_item_refuses_an_option_for_a_service_without_options(massage, customer, other_option):
    venue, *_ = massage
    service = save_service(
        venue,
        None,
        name="Sauna",
        description="",
        category_id=None,
        duration_minutes=60,
        price_minor=2000,
        capacity=1,
        buffer_minutes=0,
        is_active=True,
    )
    with pytest.raises(CartItemInvalid, match="no options") as refused:
        cart.add_item(
            cart.CartOwner(user_id=customer.id),
            service_id=service.id,
            starts_at=future_slot(days=3, hour=10),
            quantity=1,
            team_member_id=None,
            option_id=other_option.id,
        )
    assert refused.value.field == "option"
    assert cart_items() == []


# -- checkout and what the customer gets -------------------------------------------------------


def test_checking_out_an_option_holds_its_length_and_price(massage, customer, run_jobs, outbox):
    _venue, service, short, long = massage
    owner = cart.CartOwner(user_id=customer.id)
    start = future_slot(days=3, hour=10)
    cart.add_item(owner, service_id=service.id, starts_at=start, quantity=1, team_member_id=None, option_id=long.id)
    order = checkout.checkout(customer)
    [booking] = order.bookings
    assert booking.ends_at == start + timedelta(minutes=90)
    assert booking.unit_price_minor == 6500 and order.total_minor == 6500
    assert booking.option_id == long.id and booking.option_name == "90 min"
    assert order.cart_snapshot[0]["option_id"] == long.id
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert order.status == OrderStatus.PAID

    # The 90 minutes are taken: the short option can't start at 11:00, can at 11:30.
    day = start.astimezone(LONDON).date()
    times = local_times(get_slots(service, day, choice=Choice(option=short)))
    assert "11:00" not in times and "11:30" in times

    assert "Deep tissue massage (90 min)" in str(booking_event(booking).get("summary"))
    run_jobs()
    [confirmation] = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked:")]
    assert "Deep tissue massage (90 min)" in confirmation.body
    assert "SUMMARY:Deep tissue massage (90 min)" in confirmation.attachments[0][1]


def test_checkout_first_look_counts_the_options_length(massage, customer, make_user):
    _venue, service, short, long = massage
    other = make_user()
    # The other customer wants 90 minutes from 10:00; meanwhile 11:00 is held for 60 minutes.
    cart.add_item(
        cart.CartOwner(user_id=other.id),
        service_id=service.id,
        starts_at=future_slot(days=3, hour=10),
        quantity=1,
        team_member_id=None,
        option_id=long.id,
    )
    cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=future_slot(days=3, hour=11),
        quantity=1,
        team_member_id=None,
        option_id=short.id,
    )
    checkout.checkout(customer)
    [look] = first_look_at_cart(other.id, datetime.now(UTC))
    assert look.taken == "full"
    with pytest.raises(SlotUnavailable, match="just taken"):
        checkout.checkout(other)
    assert db.session.scalars(select(Booking).where(Booking.customer_id == other.id)).all() == []


def test_a_cart_item_without_an_option_is_refused_once_the_service_has_options(ctx, provider, customer):
    _venue, service = make_bookable_venue(provider)
    owner = cart.CartOwner(user_id=customer.id)
    cart.add_item(owner, service_id=service.id, starts_at=future_slot(days=3, hour=10), quantity=1, team_member_id=None)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    [line] = cart.view_cart(owner).lines
    assert line.problem == "Choose one of the service's options."
    with pytest.raises(SlotUnavailable, match="Choose one of the service's options"):
        checkout.checkout(customer)


def test_the_options_choice_speaks_spanish(web, massage):
    venue, service, _short, _long = massage
    page = html(web.get(book_path(venue, service), headers={"Accept-Language": "es"}))
    assert "Elige una opción" in page


# -- moving a booking of an option ---------------------------------------------------------------


def test_a_move_keeps_the_options_length_and_price(web, massage, customer):
    _venue, service, _short, long = massage
    owner = cart.CartOwner(user_id=customer.id)
    start = future_slot(days=3, hour=10)
    cart.add_item(owner, service_id=service.id, starts_at=start, quantity=1, team_member_id=None, option_id=long.id)
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    [booking] = order.bookings
    db.session.commit()

    # The move page offers the 90 minutes' times: 16:30 fits before closing, 17:00 doesn't.
    web.sign_in_as(customer)
    day = future_slot(days=4).astimezone(LONDON).date()
    page = html(web.get(f"/bookings/{booking.reference}/reschedule?day={day.isoformat()}"))
    assert ">16:30<" in page.replace(" ", "") and ">17:00<" not in page.replace(" ", "")

    too_late = future_slot(days=4, hour=17)
    with pytest.raises(SlotUnavailable):
        reschedule.move_booking(booking, too_late, None, by=customer)
    new_start = future_slot(days=4, hour=14)
    result = reschedule.move_booking(booking, new_start, None, by=customer)
    assert result.price_difference_minor == 0  # the same option costs the same: nothing to pay or refund
    assert booking.ends_at == new_start + timedelta(minutes=90)
    assert booking.unit_price_minor == 6500 and booking.option_name == "90 min"
