"""The customer's "Book a visit" page (issue 44, item 5): choose treatments in order, a day the
whole visit fits, a start with its plan; the visit goes in the cart in one go, or nothing does."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking.models import CartItem
from app.platform.extensions import db
from app.venues.lists import add_team_member
from app.venues.options import OptionInput, set_options
from app.venues.service import save_service
from tests.booking.helpers import book, future_slot, iso, make_bookable_venue

LONDON = ZoneInfo("Europe/London")
MIN = timedelta(minutes=1)


def service(venue, name: str, minutes: int, price_minor: int, **fields):
    return save_service(
        venue,
        None,
        name=name,
        description="",
        category_id=None,
        duration_minutes=minutes,
        price_minor=price_minor,
        capacity=1,
        buffer_minutes=fields.pop("buffer_minutes", 0),
        is_active=True,
        **fields,
    )


@pytest.fixture
def spa(ctx, provider):
    """Calm Rooms (09:00-18:00): a 50-minute facial with a 10-minute buffer by Ines, then the
    venue's 60-minute massage by Tom."""
    venue, massage = make_bookable_venue(provider)
    facial = service(venue, "Facial", 50, 5000, buffer_minutes=10)
    ines = add_team_member(venue, name="Ines", title="", bio="", service_ids=[facial.id])
    tom = add_team_member(venue, name="Tom", title="", bio="", service_ids=[massage.id])
    db.session.flush()
    return venue, facial, massage, ines, tom


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def cart_items() -> list[CartItem]:
    db.session.expire_all()
    return list(db.session.scalars(select(CartItem).order_by(CartItem.id)))


def visit_path(venue, *treatments, **params) -> str:
    query = "&".join([*(f"t={t}" for t in treatments), *(f"{k}={v}" for k, v in params.items())])
    return f"/venues/{venue.slug}/visit" + (f"?{query}" if query else "")


def local_day(moment) -> str:
    return moment.astimezone(LONDON).date().isoformat()


def offered_times(page: str) -> list[str]:
    return re.findall(r'data-starts-at="([^"]+)"', page)


def visit_form(treatments, start) -> dict:
    """The fields of one start time's form on the page: the treatments in order and the start."""
    return {"treatments": [str(t) for t in treatments], "starts_at": start if isinstance(start, str) else iso(start)}


# -- the page ----------------------------------------------------------------------------------


def test_the_page_offers_two_rows_of_the_venues_treatments(web, spa):
    venue, facial, massage, _ines, _tom = spa
    page = web.get(visit_path(venue))
    text = html(page)
    assert page.status_code == 200
    assert text.count('name="t"') == 2
    assert '<label class="form-label" for="treatment-1">Treatment 1</label>' in text
    assert f'<option value="{facial.id}">Facial · 50 min — £50.00</option>' in text
    assert f'<option value="{massage.id}">Deep tissue massage · 1 h — £60.00</option>' in text
    assert "Add another treatment" in text and "data-visit-times" not in text


def test_each_option_of_a_service_is_its_own_choice(web, spa):
    venue, _facial, massage, _ines, _tom = spa
    set_options(massage, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 7500)])
    db.session.flush()
    text = html(web.get(visit_path(venue)))
    long = next(o for o in massage.options if o.duration_minutes == 90)
    assert f'<option value="{massage.id}:{long.id}">Deep tissue massage · 90 min — £75.00</option>' in text
    assert f'<option value="{massage.id}">' not in text  # a service with options is booked by one of them


def test_another_treatment_row_is_added_up_to_four(web, spa):
    venue, facial, massage, _ines, _tom = spa
    three = html(web.get(visit_path(venue, facial.id, massage.id, add=1)))
    assert three.count('name="t"') == 3 and "Add another treatment" in three
    four = html(web.get(visit_path(venue, facial.id, massage.id, "", "", add=1)))
    assert four.count('name="t"') == 4 and "Add another treatment" not in four
    back = html(web.get(visit_path(venue, facial.id, massage.id, "", remove=3)))
    assert back.count('name="t"') == 2


def test_the_calendar_links_the_days_the_visit_fits(web, spa):
    venue, facial, massage, _ines, _tom = spa
    day = local_day(future_slot(days=3))
    text = html(web.get(visit_path(venue, facial.id, massage.id)))
    assert f'data-day="{day}"' in text and "Days the whole visit fits are highlighted." in text
    assert re.search(rf'href="[^"]*day={day}[^"]*"', text)
    assert "Total for the visit: " in text and "£110.00" in text


def test_the_page_lists_the_times_for_a_day_with_their_plan(web, spa):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=9)
    text = html(web.get(visit_path(venue, facial.id, massage.id, day=local_day(start))))
    times = offered_times(text)
    assert times[0] == iso(start) and iso(start + 60 * MIN) not in times[:1]
    assert "09:00 Facial (Ines) → 10:00 Deep tissue massage (Tom) → ends 11:00" in text
    assert text.count('name="treatments"') == 2 * len(times)  # each time a form of its own


def test_a_time_where_the_second_treatments_person_is_busy_is_not_listed(web, spa, make_user):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=10)
    book(make_user(), massage, start + 60 * MIN)  # Tom busy 11:00-12:00
    times = offered_times(html(web.get(visit_path(venue, facial.id, massage.id, day=local_day(start)))))
    assert iso(start - 60 * MIN) in times  # 09:00: the massage at 10:00
    assert iso(start) not in times  # 10:00: the massage would meet Tom at 11:00
    assert iso(start + 60 * MIN) in times  # 11:00: massage at 12:00


def test_a_visit_that_makes_no_sense_on_the_page_is_a_4xx_saying_why(web, spa, make_user):
    venue, facial, _massage, _ines, _tom = spa
    _elsewhere, other = make_bookable_venue(make_user(role="provider"), name="Elsewhere")
    page = web.get(visit_path(venue, facial.id, other.id))
    assert page.status_code == 422 and "That service isn't offered by this venue." in html(page)
    assert web.get(visit_path(venue, facial.id, "abc")).status_code == 400
    assert web.get(visit_path(venue, facial.id, facial.id, day="tomorrow")).status_code == 400


def test_an_unlisted_venue_has_no_visit_page(web):
    assert web.get("/venues/no-such-venue/visit").status_code == 404


def test_the_venue_page_links_to_the_visit_page(web, spa):
    venue, *_ = spa
    text = html(web.get(f"/venues/{venue.slug}"))
    assert f'href="/venues/{venue.slug}/visit"' in text and "Book several treatments" in text


# -- adding a visit ----------------------------------------------------------------------------


def test_adding_a_visit_puts_both_treatments_in_the_cart_together(web, spa, customer):
    venue, facial, massage, _ines, _tom = spa
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=9)
    response = web.post(f"/venues/{venue.slug}/visit", visit_form([facial.id, massage.id], start))
    assert response.status_code == 303 and response.location.endswith("/cart")
    items = cart_items()
    assert [(i.user_id, i.service_id, i.starts_at) for i in items] == [
        (customer.id, facial.id, start),
        (customer.id, massage.id, start + 60 * MIN),
    ]
    assert items[0].visit_key and items[0].visit_key == items[1].visit_key
    assert "Added your visit (2 treatments) to your cart." in html(web.get("/cart"))


def test_an_anonymous_visitor_adds_a_visit_to_their_cart(web, spa):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=9)
    response = web.post(f"/venues/{venue.slug}/visit", visit_form([facial.id, massage.id], start))
    assert response.status_code == 303
    items = cart_items()
    assert len(items) == 2 and items[0].cart_token and items[0].cart_token == items[1].cart_token


@pytest.mark.parametrize(
    ("treatments", "start", "status", "words"),
    [
        (lambda f, m, other: [f.id], None, 422, "A visit is 2 to 4 treatments"),
        (lambda f, m, other: [f.id, m.id, f.id, m.id, f.id], None, 422, "A visit is 2 to 4 treatments"),
        (lambda f, m, other: [f.id, 987654321], None, 422, "That service can't be booked."),
        (lambda f, m, other: [f.id, other.id], None, 422, "That service isn't offered by this venue."),
        (lambda f, m, other: [f.id, f"{m.id}:987654"], None, 422, "This service has no options"),
        (lambda f, m, other: [f.id, f"{m.id}:x"], None, 400, "That treatment can't be read"),
        (lambda f, m, other: [f.id, ""], None, 400, "Choose a treatment in every row."),
        (lambda f, m, other: [f.id, m.id], "next tuesday", 400, "That start time can't be read"),
        (lambda f, m, other: [f.id, m.id], "", 400, "Pick a time from the list."),
    ],
)
def test_a_bad_visit_is_a_4xx_with_the_message_and_nothing_in_the_cart(
    web, spa, customer, make_user, treatments, start, status, words
):
    venue, facial, massage, _ines, _tom = spa
    _elsewhere, other = make_bookable_venue(make_user(role="provider"), name="Elsewhere")
    web.sign_in_as(customer)
    when = future_slot(days=3, hour=9) if start is None else start
    response = web.post(f"/venues/{venue.slug}/visit", visit_form(treatments(facial, massage, other), when))
    assert response.status_code == status
    assert words in html(response)
    assert cart_items() == []


def test_a_time_the_visit_no_longer_fits_is_refused_with_the_days_other_times(web, spa, customer, make_user):
    venue, facial, massage, _ines, _tom = spa
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    book(make_user(), massage, start + 60 * MIN)  # Tom taken meanwhile, when the massage would start
    response = web.post(f"/venues/{venue.slug}/visit", visit_form([facial.id, massage.id], start))
    text = html(response)
    assert response.status_code == 422
    assert "That time is no longer free for the whole visit. Choose another." in text
    assert iso(start - 60 * MIN) in offered_times(text) and iso(start) not in offered_times(text)
    assert [i for i in cart_items() if i.user_id == customer.id] == []


def test_a_visit_without_its_csrf_token_is_refused(web, spa, customer):
    venue, facial, massage, _ines, _tom = spa
    web.sign_in_as(customer)
    form = visit_form([facial.id, massage.id], future_slot(days=3, hour=9))
    assert web.post(f"/venues/{venue.slug}/visit", form, csrf=False).status_code == 400
    assert cart_items() == []


@pytest.mark.parametrize("role", ["provider", "admin"])
def test_venue_and_admin_accounts_can_look_but_not_book(web, spa, make_user, role):
    venue, facial, massage, _ines, _tom = spa
    web.sign_in_as(make_user(role=role))
    start = future_slot(days=3, hour=9)
    page = html(web.get(visit_path(venue, facial.id, massage.id, day=local_day(start))))
    assert iso(start) in offered_times(page) and 'name="treatments"' not in page
    assert "Venue and admin accounts can't book." in page
    response = web.post(f"/venues/{venue.slug}/visit", visit_form([facial.id, massage.id], start))
    assert response.status_code == 403
    assert cart_items() == []


def test_htmx_swaps_only_the_calendar_and_times(web, spa):
    venue, facial, massage, _ines, _tom = spa
    start = future_slot(days=3, hour=9)
    headers = {"HX-Request": "true", "HX-Target": "visit-picker"}
    response = web.get(visit_path(venue, facial.id, massage.id, day=local_day(start)), headers=headers)
    text = html(response)
    assert response.status_code == 200 and "HX-Target" in response.headers["Vary"]
    assert iso(start) in offered_times(text) and "<html" not in text and 'name="t"' not in text
