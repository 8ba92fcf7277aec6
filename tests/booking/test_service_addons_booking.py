"""Booking a service with add-ons (issue 44 item 2): the booking page offers the times of the
whole length (the option's and the add-ons' minutes), the cart keeps the add-ons and prices
them, checkout holds the whole length at the whole price and keeps each add-on as booked, and
what the customer gets names them; a move keeps them. Without add-ons everything is as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking import cart, cart_returns
from app.booking.availability import first_look_at_cart, get_slots
from app.booking.errors import CartItemInvalid, SlotUnavailable
from app.booking.ics import booking_event
from app.booking.models import Booking, BookingAddon, CartItem, OrderStatus
from app.checkout import checkout, reschedule
from app.payments.demo_webhook import pay_by_demo_card
from app.platform.extensions import db
from app.venues.addons import AddonInput, Choice, set_addons
from app.venues.options import OptionInput, set_options
from app.venues.service import save_service
from tests.booking.helpers import book_path, cart_form, future_slot, iso, make_bookable_venue

LONDON = ZoneInfo("Europe/London")


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def massage(ctx, provider):
    """Calm Rooms (open 09:00-18:00, one person at a time) with a massage of 60 min £45 or 90 min
    £65, and "Hot stones" (+£15, +15 min) as an add-on."""
    venue, service = make_bookable_venue(provider)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    set_addons(service, [AddonInput("Hot stones", 1500, 15)])
    short, long = service.options
    return venue, service, short, long, service.addons[0]


@pytest.fixture
def foreign_addon(massage):
    """An add-on of another service of the same venue."""
    venue = massage[0]
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
    set_addons(facial, [AddonInput("Eye mask", 800, 10)])
    return facial.addons[0]


def local_times(slots) -> list[str]:
    return [s.start.astimezone(LONDON).strftime("%H:%M") for s in slots]


def cart_items() -> list[CartItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(CartItem).order_by(CartItem.id)))


def with_addons(form: dict, *addon_ids) -> dict:
    return {**form, "addon_ids": [str(a) for a in addon_ids]}


def add(customer, service, start, *, option, addons=()):
    return cart.add_item(
        cart.CartOwner(user_id=customer.id),
        service_id=service.id,
        starts_at=start,
        quantity=1,
        team_member_id=None,
        option_id=option.id,
        addon_ids=[a.id for a in addons],
    )


# -- the slot engine ---------------------------------------------------------------------------


def test_the_addons_minutes_count_in_the_times_offered(massage):
    _venue, service, _short, long, stones = massage
    day = future_slot(days=3).astimezone(LONDON).date()
    plain = local_times(get_slots(service, day, choice=Choice(option=long)))
    stoned = local_times(get_slots(service, day, choice=Choice(option=long, addons=(stones,))))
    assert "16:30" in plain
    assert "16:15" in stoned and "16:30" not in stoned  # 105 minutes end at 18:00 at the latest


# -- the booking page --------------------------------------------------------------------------


def test_the_booking_page_offers_the_addons_and_their_whole_length(web, massage):
    venue, service, _short, long, stones = massage
    day = future_slot(days=3).astimezone(LONDON).date()
    plain = html(web.get(book_path(venue, service, option=long.id, day=day.isoformat())))
    assert "Add-ons" in plain and f'data-addon-id="{stones.id}"' in plain and "Hot stones" in plain
    assert f'value="{stones.id}" id="addon-{stones.id}" checked' not in plain
    assert ">16:30<" in plain.replace(" ", "")

    path = f"{book_path(venue, service, option=long.id, day=day.isoformat())}&addons={stones.id}"
    page = html(web.get(path))
    assert f'id="addon-{stones.id}" checked' in page
    assert "1 h 45 min" in page and "£80.00" in page
    squeezed = page.replace(" ", "")
    assert ">16:15<" in squeezed and ">16:30<" not in squeezed
    assert f"addons={stones.id}" in page  # the day's and the month's links keep the add-on
    # The add-ons' form keeps the month, day and option looked at.
    assert 'name="option" value="' + str(long.id) + '"' in page and f'name="day" value="{day.isoformat()}"' in page

    start = future_slot(days=3, hour=10)
    form = html(web.get(f"{book_path(venue, service, option=long.id, start=iso(start))}&addons={stones.id}"))
    assert f'name="addon_ids" value="{stones.id}"' in form
    assert "Deep tissue massage · 90 min + Hot stones" in form


def test_the_booking_page_refuses_an_addon_that_is_not_the_services(web, massage, foreign_addon):
    venue, service, *_ = massage
    foreign = web.get(f"{book_path(venue, service)}?addons={foreign_addon.id}")
    assert foreign.status_code == 404
    assert "That add-on is not one of this service's." in html(foreign)
    assert web.get(f"{book_path(venue, service)}?addons=abc").status_code == 400
    assert web.get(f"{book_path(venue, service)}?addons=999999999").status_code == 404


def test_a_service_without_addons_books_as_before(web, ctx, provider, customer):
    venue, service = make_bookable_venue(provider)
    page = html(web.get(book_path(venue, service)))
    assert "Add-ons" not in page and "£60.00" in page
    web.sign_in_as(customer)
    assert web.post("/cart/items", cart_form(service, future_slot(days=3, hour=10))).status_code == 303
    [item] = cart_items()
    assert item.addon_ids == []
    assert "£60.00" in html(web.get("/cart"))


# -- the cart ----------------------------------------------------------------------------------


def test_adding_addons_to_the_cart_keeps_them_and_prices_them(web, massage, customer):
    _venue, service, _short, long, stones = massage
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    response = web.post("/cart/items", with_addons(cart_form(service, start, option_id=long.id), stones.id))
    assert response.status_code == 303
    [item] = cart_items()
    assert item.option_id == long.id and item.addon_ids == [stones.id]
    page = html(web.get("/cart"))
    assert "Deep tissue massage" in page and "· 90 min" in page and "+ Hot stones" in page
    assert "£80.00" in page and "£65.00" not in page
    assert "10:00" in page and "11:45" in page  # ends after the option's 90 and the add-on's 15 minutes


def test_the_cart_refuses_addons_where_only_the_shorter_length_fits(web, massage, customer):
    _venue, service, _short, long, stones = massage
    web.sign_in_as(customer)
    late = future_slot(days=3, hour=16) + timedelta(minutes=30)
    refused = web.post("/cart/items", with_addons(cart_form(service, late, option_id=long.id), stones.id))
    assert refused.status_code in (400, 409, 422)
    assert "no longer available" in html(refused)
    assert cart_items() == []
    assert web.post("/cart/items", cart_form(service, late, option_id=long.id)).status_code == 303


@pytest.mark.parametrize("which", ["foreign", "twice", "junk"])
def test_the_cart_refuses_an_addon_that_is_not_the_services(web, massage, foreign_addon, customer, which):
    _venue, service, _short, long, stones = massage
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    addon_ids = {"foreign": [foreign_addon.id], "twice": [stones.id, stones.id], "junk": ["x1"]}[which]
    refused = web.post("/cart/items", with_addons(cart_form(service, start, option_id=long.id), *addon_ids))
    assert 400 <= refused.status_code < 500
    message = {
        "foreign": "That add-on is not one of this service's.",
        "twice": "Each add-on can be added once.",
        "junk": "That add-on can't be read: choose one from the list.",
    }[which]
    assert message in html(refused)
    assert cart_items() == []


def test_add_item_refuses_another_services_addon(massage, customer, foreign_addon):
    _venue, service, _short, long, _stones = massage
    with pytest.raises(CartItemInvalid, match="not one of this service's") as refused:
        add(customer, service, future_slot(days=3, hour=10), option=long, addons=[foreign_addon])
    assert refused.value.field == "addons"
    assert cart_items() == []


# -- checkout and what the customer gets -------------------------------------------------------


def test_checking_out_addons_holds_the_whole_length_and_price(massage, customer, run_jobs, outbox):
    _venue, service, short, long, stones = massage
    start = future_slot(days=3, hour=10)
    add(customer, service, start, option=long, addons=[stones])
    order = checkout.checkout(customer)
    [booking] = order.bookings
    assert booking.ends_at == start + timedelta(minutes=105)
    assert booking.unit_price_minor == 8000 and order.total_minor == 8000
    assert booking.option_name == "90 min"
    [row] = db.session.scalars(select(BookingAddon).where(BookingAddon.booking_id == booking.id)).all()
    assert (row.addon_id, row.name, row.price_minor, row.extra_minutes) == (stones.id, "Hot stones", 1500, 15)
    assert order.cart_snapshot[0]["addon_ids"] == [stones.id]
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    assert order.status == OrderStatus.PAID

    # The 105 minutes are taken: the short option can't start at 11:30, can at 11:45.
    day = start.astimezone(LONDON).date()
    times = local_times(get_slots(service, day, choice=Choice(option=short)))
    assert "11:30" not in times and "11:45" in times

    named = "Deep tissue massage (90 min) + Hot stones"
    assert named in str(booking_event(booking).get("summary"))
    run_jobs()
    [confirmation] = [m for m in outbox if m.to == [customer.email] and m.subject.startswith("Booked:")]
    assert named in confirmation.body
    assert f"SUMMARY:{named}" in confirmation.attachments[0][1]
    receipts = [m for m in outbox if m.to == [customer.email] and "eceipt" in m.subject]
    assert all(named in m.body for m in receipts)


def test_the_booking_pages_name_the_addons(web, massage, customer):
    _venue, service, _short, long, stones = massage
    add(customer, service, future_slot(days=3, hour=10), option=long, addons=[stones])
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    [booking] = order.bookings
    db.session.commit()
    web.sign_in_as(customer)
    assert "Deep tissue massage (90 min) + Hot stones" in html(web.get(f"/bookings/{booking.reference}"))
    assert "Deep tissue massage (90 min) + Hot stones" in html(web.get(f"/orders/{order.id}"))


def test_checkout_first_look_counts_the_addons_minutes(massage, customer, make_user):
    _venue, service, short, long, stones = massage
    other = make_user()
    # The other customer wants 90 minutes and hot stones from 10:00 (to 11:45); meanwhile 11:30 is held.
    add(other, service, future_slot(days=3, hour=10), option=long, addons=[stones])
    add(customer, service, future_slot(days=3, hour=11) + timedelta(minutes=30), option=short)
    checkout.checkout(customer)
    [look] = first_look_at_cart(other.id, datetime.now(UTC))
    assert look.taken == "full"
    with pytest.raises(SlotUnavailable, match="just taken"):
        checkout.checkout(other)
    assert db.session.scalars(select(Booking).where(Booking.customer_id == other.id)).all() == []


def test_an_addon_removed_since_is_refused_at_checkout(massage, customer):
    _venue, service, _short, long, stones = massage
    owner = cart.CartOwner(user_id=customer.id)
    add(customer, service, future_slot(days=3, hour=10), option=long, addons=[stones])
    set_addons(service, [])
    [line] = cart.view_cart(owner).lines
    assert line.problem == "That add-on is not one of this service's."
    assert line.unit_price_minor == 6500  # priced without it
    with pytest.raises(SlotUnavailable, match="That add-on is not one of this service's"):
        checkout.checkout(customer)
    assert db.session.scalars(select(Booking).where(Booking.customer_id == customer.id)).all() == []


# -- moving a booking with add-ons ---------------------------------------------------------------


def test_a_move_keeps_the_addons_length_and_price(web, massage, customer):
    _venue, service, _short, long, stones = massage
    add(customer, service, future_slot(days=3, hour=10), option=long, addons=[stones])
    order = checkout.checkout(customer)
    assert pay_by_demo_card(order) == "paid: bookings confirmed"
    [booking] = order.bookings
    db.session.commit()

    # The move page offers the 105 minutes' times: 16:15 fits before closing, 16:30 doesn't.
    web.sign_in_as(customer)
    day = future_slot(days=4).astimezone(LONDON).date()
    page = html(web.get(f"/bookings/{booking.reference}/reschedule?day={day.isoformat()}")).replace(" ", "")
    assert ">16:15<" in page and ">16:30<" not in page

    with pytest.raises(SlotUnavailable):
        reschedule.move_booking(booking, future_slot(days=4, hour=16) + timedelta(minutes=30), None, by=customer)
    new_start = future_slot(days=4, hour=14)
    result = reschedule.move_booking(booking, new_start, None, by=customer)
    assert result.price_difference_minor == 0  # the same option and add-on cost the same
    assert booking.ends_at == new_start + timedelta(minutes=105)
    assert booking.unit_price_minor == 8000 and [a.name for a in booking.addons] == ["Hot stones"]


def test_an_order_given_back_puts_the_addons_back_in_the_cart(massage, customer):
    _venue, service, _short, long, stones = massage
    add(customer, service, future_slot(days=3, hour=10), option=long, addons=[stones])
    order = checkout.checkout(customer)
    assert cart_items() == []
    restored = cart_returns.restore_from_order(order)
    assert restored.added == 1
    [item] = cart_items()
    assert item.option_id == long.id and item.addon_ids == [stones.id]
