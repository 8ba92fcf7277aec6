"""Options on a service in the dashboard's service form (app/venues/views/catalog.py,
app/venues/catalog_forms.py): rows of name, minutes and price; 0 or 2 to 10; a refusal is a 422
shown beside the options that changes nothing; the list row shows them; the venue page shows
"from £X" and a Book link per option."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.platform.extensions import db
from app.venues.models import Service, ServiceOption, Venue
from app.venues.options import OptionInput, set_options
from app.venues.service import create_venue
from app.web.venue_page import price_range
from tests.venues.test_dashboard_catalog import BASE, HTMX, count, fresh, new_service, service_data, text


def with_options(*rows: tuple[str, str, str], removed: tuple[int, ...] = (), ids: dict[int, int] | None = None, **over):
    data = {**service_data(**over), "options_sent": "1"}
    for index, (name, minutes, price) in enumerate(rows):
        data.update({f"option-{index}-name": name, f"option-{index}-minutes": minutes, f"option-{index}-price": price})
    for index in removed:
        data[f"option-{index}-remove"] = "1"
    for index, option_id in (ids or {}).items():
        data[f"option-{index}-id"] = str(option_id)
    return data


def options_of(service_id: int) -> list[tuple[str, int, int]]:
    return [(o.name, o.duration_minutes, o.price_minor) for o in fresh(Service, service_id).options]


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


def test_adding_a_service_with_two_options_keeps_the_cheapest_as_its_own(web, venue):
    data = with_options(("60 min", "60", "45.00"), ("90 min", "90", "65"), price="", duration_minutes="30")
    response = web.post(f"{BASE}/services", data)
    assert response.status_code == 302, text(response)
    service = fresh(Venue, venue.id).services[0]
    assert options_of(service.id) == [("60 min", 60, 4500), ("90 min", 90, 6500)]
    assert (service.duration_minutes, service.price_minor) == (60, 4500)
    page = text(web.get(f"{BASE}/services"))
    assert "60 min £45.00 · 90 min £65.00" in page


def test_the_form_has_labelled_option_rows_and_says_what_options_do(web, venue):
    page = text(web.get(f"{BASE}/services"))
    assert 'name="options_sent"' in page
    for field in ("name", "minutes", "price"):
        assert f'for="option-0-{field}"' in page and f'id="option-0-{field}"' in page
        assert f'for="option-1-{field}"' in page  # two empty rows: options can be added without JavaScript
    assert "follow its cheapest option" in page


def test_without_options_the_form_works_as_before(web, venue):
    assert web.post(f"{BASE}/services", with_options(price="40.00")).status_code == 302
    service = fresh(Venue, venue.id).services[0]
    assert service.options == [] and service.price_minor == 4000
    assert web.post(f"{BASE}/services", service_data(name="Facial", price="30")).status_code == 302  # no table sent


def test_editing_shows_the_options_and_saves_changes_keeping_ids(web, venue):
    service = new_service(venue)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    first, second = [o.id for o in service.options]
    form = text(web.get(f"{BASE}/services/{service.id}", headers=HTMX))
    assert f'id="service-{service.id}-option-1-name"' in form and 'value="90 min"' in form and 'value="65.00"' in form
    data = with_options(
        ("60 min", "60", "50.00"), ("90 min", "90", "70.00"), ("120 min", "120", "90"), ids={0: first, 1: second}
    )
    saved = web.post(f"{BASE}/services/{service.id}", data, headers=HTMX)
    assert saved.status_code == 200, text(saved)
    assert "60 min £50.00 · 90 min £70.00 · 120 min £90.00" in text(saved)
    assert [o.id for o in fresh(Service, service.id).options][:2] == [first, second]
    assert fresh(Service, service.id).price_minor == 5000


def test_removing_options_down_to_none_and_a_post_without_the_table_keeps_them(web, venue):
    service = new_service(venue)
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.commit()
    ids = {0: service.options[0].id, 1: service.options[1].id}
    # An older form (no table): the options stay and the service's own price follows them again.
    assert web.post(f"{BASE}/services/{service.id}", service_data(price="99")).status_code == 302
    assert len(options_of(service.id)) == 2 and fresh(Service, service.id).price_minor == 4500
    data = with_options(("60 min", "60", "45"), ("90 min", "90", "65"), removed=(0, 1), ids=ids, price="50")
    assert web.post(f"{BASE}/services/{service.id}", data).status_code == 302
    assert options_of(service.id) == [] and fresh(Service, service.id).price_minor == 5000


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("60 min", "60", "45")], "Add a second option"),
        ([("60 min", "60", "45"), ("60 MIN", "90", "65")], "Two options are called"),
        ([("60 min", "60", "45"), ("90 min", "ninety", "65")], "whole number of minutes"),
        ([("60 min", "60", "45"), ("Long", "800", "65")], "between 5 minutes and 12 hours"),
        ([("60 min", "60", "45"), ("90 min", "90", "-1")], "can't be negative"),
        ([("60 min", "60", "45"), ("", "90", "65")], "give it a name"),
        ([("x" * 61, "60", "45"), ("90 min", "90", "65")], "up to 60 characters"),
    ],
)
def test_bad_options_are_refused_beside_the_options_and_change_nothing(web, venue, rows, message):
    existing = new_service(venue, "Hot stone massage", price_minor=6000)
    db.session.commit()
    added = web.post(f"{BASE}/services", with_options(*rows))
    assert added.status_code == 422 and message in text(added)
    assert re.search(r"data-options-error>[^<]*" + re.escape(message), text(added))
    edited = web.post(f"{BASE}/services/{existing.id}", with_options(*rows, name="Renamed"), headers=HTMX)
    assert edited.status_code == 422 and message in text(edited)
    assert count(Service, venue) == 1
    assert fresh(Service, existing.id).name == "Hot stone massage" and options_of(existing.id) == []


def test_another_services_option_id_is_refused(web, venue):
    other = new_service(venue, "Facial")
    set_options(other, [OptionInput("Short", 30, 3000), OptionInput("Long", 60, 5000)])
    mine = new_service(venue, "Massage")
    db.session.commit()
    foreign = other.options[0].id
    data = with_options(("60 min", "60", "45"), ("90 min", "90", "65"), ids={0: foreign}, name="Massage")
    refused = web.post(f"{BASE}/services/{mine.id}", data)
    assert refused.status_code == 422 and "not one of this service" in text(refused)
    assert options_of(mine.id) == [] and options_of(other.id) == [("Short", 30, 3000), ("Long", 60, 5000)]


def test_another_venues_service_cannot_be_given_options(web, venue, make_user):
    stranger = make_user(role=Role.PROVIDER, name="Otto Other")
    theirs = new_service(create_venue(stranger, name="Other Spa", category_id=None))
    db.session.commit()
    response = web.post(f"{BASE}/services/{theirs.id}", with_options(("60 min", "60", "45"), ("90 min", "90", "65")))
    assert response.status_code == 404
    assert options_of(theirs.id) == []


# -- where the options show: the venue page and the price summary --------------------------------------


def test_the_venue_page_shows_from_and_each_option_with_its_book_link(client, make_venue):
    venue = make_venue()
    massage = venue.services[0]
    set_options(massage, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    db.session.flush()
    page = text(client.get(f"/venues/{venue.slug}"))
    assert "from £45.00" in page
    for option in massage.options:
        assert f"/venues/{venue.slug}/book/{massage.id}?option={option.id}" in page
    assert re.search(r"90 min\s*<span[^>]*>\s*<i[^>]*></i>\s*1 h 30 min", page)
    assert "£65.00" in page


def test_price_summary_spans_the_dearest_option():
    service = Service(price_minor=4500, currency="GBP", duration_minutes=60)
    service.options = [ServiceOption(name="60 min", duration_minutes=60, price_minor=4500)]
    service.options.append(ServiceOption(name="90 min", duration_minutes=90, price_minor=6500))
    assert price_range([service]) == "£45.00 – £65.00"
