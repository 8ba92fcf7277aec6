"""The customer's "Book a visit" page (issue 44, items 5 and 6): choose the guests and each one's
treatments in order, a day the whole visit fits, a start with its plan; the visit goes in the
cart in one go, or nothing does."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.booking.models import CartItem
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.lists import add_team_member
from app.venues.options import OptionInput, set_options
from app.venues.resources import add_resource, set_needs
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
        capacity=fields.pop("capacity", 1),
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
    day = local_day(future_slot(days=3))  # may fall in next month: ask for the month it is in
    text = html(web.get(visit_path(venue, facial.id, massage.id, month=day[:7])))
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


# -- couples and groups (issue 44, item 6) -------------------------------------------------------


@pytest.fixture
def couples_spa(ctx, provider):
    """Calm Rooms: a couples massage (60 or 90 min, hot stones +£15 and 15 min) by Amy or Ben in
    the one double room a couple shares; a 45-minute facial by Amy, Ben or Cat."""
    venue, _plain = make_bookable_venue(provider)
    couples = service(venue, "Couples massage", 60, 6000, capacity=2)
    set_options(couples, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8000)])
    set_addons(couples, [AddonInput("Hot stones", 1500, 15)])
    facial = service(venue, "Facial", 45, 5000, capacity=2)
    double = add_resource(venue, name="Double room", quantity=1)
    set_needs(venue, couples, [(double.id, 1)], shared=[double.id])
    for name, services in (("Amy", [couples, facial]), ("Ben", [couples, facial]), ("Cat", [facial])):
        add_team_member(venue, name=name, title="", bio="", service_ids=[s.id for s in services])
    db.session.flush()
    return venue, couples, facial


def couple_query(couples, facial, **params) -> str:
    """Two guests, each a 90-minute couples massage with hot stones, then a facial."""
    long, stones = couples.options[1], couples.addons[0]
    massage = f"{couples.id}:{long.id}"
    pairs = [
        ("guests", 2),
        ("t", massage),
        ("t", facial.id),
        ("g2t", massage),
        ("g2t", facial.id),
        ("a", f"1:1:{stones.id}"),
        ("a", f"2:1:{stones.id}"),
        *params.items(),
    ]
    return "&".join(f"{k}={v}" for k, v in pairs)


def couple_form(couples, facial, start, names=("Ana", "Ben Okoro")) -> dict:
    """The fields of one start time's form on a couple's page."""
    massage = f"{couples.id}:{couples.options[1].id}+{couples.addons[0].id}"
    return {
        "treatments": [massage, str(facial.id), f"2/{massage}", f"2/{facial.id}"],
        "guest_names": list(names),
        "starts_at": iso(start),
    }


def test_two_guests_get_a_fieldset_each_with_a_name_and_their_own_rows(web, couples_spa):
    venue, *_services = couples_spa
    text = html(web.get(f"/venues/{venue.slug}/visit?guests=2"))
    assert '<label class="form-label" for="guests">Guests</label>' in text
    assert '<option value="2" data-guests="2" selected>2 guests</option>' in text
    assert text.count("<fieldset") == 2 and "Guest 1</legend>" in text and "Guest 2</legend>" in text
    assert 'name="g1n"' in text and 'name="g2n"' in text and 'placeholder="You"' in text
    assert text.count('name="t"') == 1 and text.count('name="g2t"') == 1  # a guest of a group: 1 row to start
    assert '<label class="form-label" for="guest-2-treatment-1">Treatment 1</label>' in text
    assert text.count("Add a treatment") == 2 and 'name="add" value="2"' in text
    assert "Choose a treatment in every row, then show the days the visit fits." in text


def test_a_chosen_service_shows_its_add_ons_as_checkboxes(web, couples_spa):
    venue, couples, facial = couples_spa
    stones = couples.addons[0]
    text = html(web.get(visit_path(venue, f"{couples.id}:{couples.options[1].id}", facial.id)))
    assert f'name="a" value="1:1:{stones.id}" id="addon-1-{stones.id}">' in text
    assert f'<label class="form-check-label" for="addon-1-{stones.id}">Hot stones · +£15.00 · +15 min</label>' in text
    assert 'value="1:2:' not in text  # the facial has none
    ticked = html(web.get(visit_path(venue, f"{couples.id}:{couples.options[1].id}", facial.id, a=f"1:1:{stones.id}")))
    assert f'value="1:1:{stones.id}" id="addon-1-{stones.id}" checked>' in ticked
    assert "£145.00" in ticked  # 80 + 15 + 50


def test_a_couples_page_lists_a_time_with_each_guests_plan(web, couples_spa):
    venue, couples, facial = couples_spa
    start = future_slot(days=3, hour=10)
    query = couple_query(couples, facial, g1n="Ana", day=local_day(start))
    text = html(web.get(f"/venues/{venue.slug}/visit?{query}"))
    assert iso(start) in offered_times(text)
    therapist = r"\((?:Amy|Ben)\)"
    massage = rf"10:00 Couples massage · 90 min \+ Hot stones {therapist} → 11:45 Facial \((?:Amy|Ben|Cat)\)"
    assert re.search(rf"Ana: {massage} → ends 12:30", text)
    assert re.search(rf"Guest 2: {massage} → ends 12:30", text)
    assert '<span class="fw-semibold">£290.00</span>' in text  # the total: 2 × (80 + 15) + 2 × 50
    form = text[text.index(f'data-starts-at="{iso(start)}"') :]
    form = form[: form.index("</form>")]
    stones = f"{couples.id}:{couples.options[1].id}+{couples.addons[0].id}"
    assert re.findall(r'name="treatments" value="([^"]+)"', form) == [
        stones,
        str(facial.id),
        f"2/{stones}",
        f"2/{facial.id}",
    ]
    assert re.findall(r'name="guest_names" value="([^"]*)"', form) == ["Ana", ""]


def test_removing_a_guests_row_keeps_the_add_ons_with_their_treatments(web, couples_spa):
    venue, couples, facial = couples_spa
    stones = couples.addons[0]
    query = f"guests=2&t={facial.id}&g2t={facial.id}&g2t={couples.id}:{couples.options[0].id}&a=2:2:{stones.id}"
    text = html(web.get(f"/venues/{venue.slug}/visit?{query}&remove=2:1"))
    assert text.count('name="g2t"') == 1
    assert f'value="2:1:{stones.id}" id="guest-2-addon-1-{stones.id}" checked>' in text


def test_adding_a_couples_visit_puts_two_sittings_with_guests_and_names_in_the_cart(web, couples_spa, customer):
    venue, couples, facial = couples_spa
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    response = web.post(f"/venues/{venue.slug}/visit", couple_form(couples, facial, start))
    assert response.status_code == 303 and response.location.endswith("/cart")
    items = cart_items()
    assert [(i.service_id, i.quantity, i.guests, i.guest_names, i.starts_at) for i in items] == [
        (couples.id, 2, [1, 2], ["Ana", "Ben Okoro"], start),
        (facial.id, 2, [1, 2], ["Ana", "Ben Okoro"], start + 105 * MIN),
    ]
    assert list(items[0].addon_ids) == [couples.addons[0].id] and items[0].option_id == couples.options[1].id
    assert items[0].visit_key and items[0].visit_key == items[1].visit_key
    assert "Added your visit for 2 guests to your cart." in html(web.get("/cart"))


def test_one_guest_books_a_treatment_with_an_add_on(web, couples_spa, customer):
    venue, couples, facial = couples_spa
    web.sign_in_as(customer)
    start = future_slot(days=3, hour=10)
    massage = f"{couples.id}:{couples.options[1].id}+{couples.addons[0].id}"
    response = web.post(f"/venues/{venue.slug}/visit", visit_form([massage, facial.id], start))
    assert response.status_code == 303
    items = cart_items()
    assert [(i.service_id, list(i.addon_ids), i.starts_at) for i in items] == [
        (couples.id, [couples.addons[0].id], start),
        (facial.id, [], start + 105 * MIN),
    ]


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        (lambda c, f: {"treatments": [f"{g}/{f.id}" for g in range(1, 8)]}, 422, "Book for 1 to 6 guests."),
        (lambda c, f: {"treatments": [str(f.id), f"3/{f.id}"]}, 422, "Book for 1 to 6 guests."),
        (lambda c, f: {"guest_names": ["Ana", "x" * 81]}, 400, "Use at most 80 characters for a name."),
        (lambda c, f: {"guest_names": ["Ana", "Ben", "Cai"]}, 400, "Choose a treatment for every guest."),
        (lambda c, f: {"guest_names": ["a"] * 7}, 400, "Book for 1 to 6 guests."),
        (lambda c, f: {"treatments": [str(f.id), "2/"]}, 400, "That treatment can't be read"),
        (
            lambda c, f: {"treatments": [str(f.id), f"2/{f.id}+{c.addons[0].id}"]},
            422,
            "That add-on is not one of this service's.",
        ),
    ],
)
def test_a_bad_group_is_a_4xx_with_the_message_and_nothing_in_the_cart(
    web, couples_spa, customer, fields, status, words
):
    venue, couples, facial = couples_spa
    web.sign_in_as(customer)
    form = {**couple_form(couples, facial, future_slot(days=3, hour=10)), **fields(couples, facial)}
    response = web.post(f"/venues/{venue.slug}/visit", form)
    assert response.status_code == status
    assert words in html(response)
    assert cart_items() == []


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("guests=7", "Book for 1 to 6 guests."),
        ("guests=two", "Book for 1 to 6 guests."),
        ("guests=2&g2n=" + "x" * 81, "Use at most 80 characters for a name."),
        ("guests=2&a=1:x", "That add-on can't be read: choose one from the list."),
    ],
)
def test_a_group_page_that_cant_be_read_is_a_400_saying_why(web, couples_spa, query, words):
    venue, *_ = couples_spa
    response = web.get(f"/venues/{venue.slug}/visit?{query}")
    assert response.status_code == 400 and words in html(response)


def test_the_group_page_speaks_spanish(web, couples_spa):
    venue, couples, facial = couples_spa
    start = future_slot(days=3, hour=10)
    path = f"/venues/{venue.slug}/visit?" + couple_query(couples, facial, day=local_day(start))
    text = html(web.get(path, headers={"Accept-Language": "es"}))
    assert "Invitados" in text and "Invitado 2</legend>" in text and "Nombre (opcional)" in text
    assert re.search(r"Tú: 10:00 .* → termina a las 12:30", text)
