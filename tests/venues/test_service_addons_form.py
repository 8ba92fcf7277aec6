"""Add-ons on a service in the dashboard's service form (app/venues/views/catalog.py,
app/venues/catalog_forms.py): rows of name, price and extra minutes, saved with the service in one
request; a post without the table keeps them; a refusal is a 422 shown beside the table that
changes nothing; the list row shows them ("+ Hot stones £15.00 · 15 min"); the venue page lists
them under the service ("Add-ons: Hot stones +£15.00, 15 min")."""

from __future__ import annotations

import re

import pytest

from app.accounts.models import Role
from app.platform.extensions import db
from app.venues.addons import AddonInput, set_addons
from app.venues.models import Service, ServiceAddon, Venue
from app.venues.service import create_venue
from tests.venues.test_dashboard_catalog import BASE, HTMX, count, fresh, new_service, service_data, text


def with_addons(*rows: tuple[str, str, str], removed: tuple[int, ...] = (), ids: dict[int, int] | None = None, **over):
    data = {**service_data(**over), "addons_sent": "1"}
    for index, (name, price, minutes) in enumerate(rows):
        data.update({f"addon-{index}-name": name, f"addon-{index}-price": price, f"addon-{index}-minutes": minutes})
    for index in removed:
        data[f"addon-{index}-remove"] = "1"
    for index, addon_id in (ids or {}).items():
        data[f"addon-{index}-id"] = str(addon_id)
    return data


def addons_of(service_id: int) -> list[tuple[str, int, int]]:
    return [(a.name, a.price_minor, a.extra_minutes) for a in fresh(Service, service_id).addons]


@pytest.fixture
def web(dashboard_web):
    return dashboard_web


@pytest.fixture
def venue(ctx, provider, web) -> Venue:
    venue = create_venue(provider, name="Willow Spa", category_id=None)
    db.session.commit()
    web.sign_in_as(provider)
    return venue


def test_adding_a_service_with_add_ons_saves_them_in_order_and_the_row_shows_them(web, venue):
    data = with_addons(("Hot stones", "15", "15"), ("Scalp massage", "10.00", ""))
    response = web.post(f"{BASE}/services", data)
    assert response.status_code == 302, text(response)
    service = fresh(Venue, venue.id).services[0]
    assert addons_of(service.id) == [("Hot stones", 1500, 15), ("Scalp massage", 1000, 0)]
    page = text(web.get(f"{BASE}/services"))
    assert re.search(r"data-addons>\+ Hot stones £15\.00 · 15 min, \+ Scalp massage £10\.00<", page)


def test_the_form_has_labelled_add_on_rows_and_says_what_add_ons_do(web, venue):
    page = text(web.get(f"{BASE}/services"))
    assert 'name="addons_sent"' in page
    for field in ("name", "price", "minutes"):
        assert f'for="addon-0-{field}"' in page and f'id="addon-0-{field}"' in page
        assert f'for="addon-1-{field}"' in page  # two empty rows: add-ons can be added without JavaScript
    assert "extra minutes to its length" in page


def test_editing_shows_the_add_ons_and_saves_changes_keeping_ids(web, venue):
    service = new_service(venue)
    set_addons(service, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    db.session.commit()
    first, second = [a.id for a in service.addons]
    form = text(web.get(f"{BASE}/services/{service.id}", headers=HTMX))
    assert f'id="service-{service.id}-addon-1-name"' in form and 'value="Scalp massage"' in form
    assert 'value="15.00"' in form and f'name="addon-0-id" value="{first}"' in form
    data = with_addons(
        ("Scalp massage", "12", "10"), ("Hot stones", "15", "20"), ("Foot ritual", "8", "0"), ids={0: second, 1: first}
    )
    saved = web.post(f"{BASE}/services/{service.id}", data, headers=HTMX)
    assert saved.status_code == 200, text(saved)
    assert "+ Scalp massage £12.00 · 10 min, + Hot stones £15.00 · 20 min, + Foot ritual £8.00" in text(saved)
    assert [a.id for a in fresh(Service, service.id).addons][:2] == [second, first]
    assert addons_of(service.id)[2] == ("Foot ritual", 800, 0)


def test_a_post_without_the_table_keeps_the_add_ons_and_remove_drops_them(web, venue):
    service = new_service(venue)
    set_addons(service, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    db.session.commit()
    ids = {0: service.addons[0].id, 1: service.addons[1].id}
    assert web.post(f"{BASE}/services/{service.id}", service_data(price="50")).status_code == 302
    assert len(addons_of(service.id)) == 2 and fresh(Service, service.id).price_minor == 5000
    data = with_addons(("Hot stones", "15", "15"), ("Scalp massage", "10", "0"), removed=(1,), ids=ids)
    assert web.post(f"{BASE}/services/{service.id}", data).status_code == 302
    assert addons_of(service.id) == [("Hot stones", 1500, 15)]
    assert db.session.get(ServiceAddon, ids[1]) is None
    assert web.post(f"{BASE}/services/{service.id}", with_addons()).status_code == 302  # the table, empty
    assert addons_of(service.id) == []


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("Hot stones", "15", "15"), ("HOT STONES", "10", "0")], "Two add-ons are called"),
        ([("Hot stones", "15", "a quarter")], "extra minutes as a whole number"),
        ([("Hot stones", "15", "300")], "adds between 0 and 240 minutes"),
        ([("Hot stones", "15", "-5")], "adds between 0 and 240 minutes"),
        ([("Hot stones", "-1", "15")], "can't be negative"),
        ([("Hot stones", "", "15")], "Enter the price"),
        ([("", "15", "15")], "give it a name"),
        ([("x" * 61, "15", "15")], "up to 60 characters"),
    ],
)
def test_bad_add_ons_are_refused_beside_the_table_and_change_nothing(web, venue, rows, message):
    existing = new_service(venue, "Hot stone massage", price_minor=6000)
    set_addons(existing, [AddonInput("Aromatherapy oils", 500, 0)])
    db.session.commit()
    added = web.post(f"{BASE}/services", with_addons(*rows))
    assert added.status_code == 422 and message in text(added)
    assert re.search(r"data-addons-error>[^<]*" + re.escape(message), text(added))
    edited = web.post(f"{BASE}/services/{existing.id}", with_addons(*rows, name="Renamed"), headers=HTMX)
    assert edited.status_code == 422 and message in text(edited)
    assert count(Service, venue) == 1
    assert fresh(Service, existing.id).name == "Hot stone massage"
    assert addons_of(existing.id) == [("Aromatherapy oils", 500, 0)]


def test_more_than_ten_add_ons_are_refused(web, venue):
    rows = [(f"Extra {n}", "1", "0") for n in range(11)]
    refused = web.post(f"{BASE}/services", with_addons(*rows))
    assert refused.status_code == 422 and "at most 10 add-ons" in text(refused)
    assert count(Service, venue) == 0


def test_another_services_add_on_id_is_refused(web, venue):
    other = new_service(venue, "Facial")
    set_addons(other, [AddonInput("Eye mask", 800, 10)])
    mine = new_service(venue, "Massage")
    db.session.commit()
    foreign = other.addons[0].id
    refused = web.post(f"{BASE}/services/{mine.id}", with_addons(("Hot stones", "15", "15"), ids={0: foreign}))
    assert refused.status_code == 422 and "not one of this service" in text(refused)
    assert addons_of(mine.id) == [] and addons_of(other.id) == [("Eye mask", 800, 10)]
    new = web.post(f"{BASE}/services", with_addons(("Hot stones", "15", "15"), ids={0: foreign}, name="Other"))
    assert new.status_code == 422 and count(Service, venue) == 2


def test_another_venues_service_cannot_be_given_add_ons(web, venue, make_user):
    stranger = make_user(role=Role.PROVIDER, name="Otto Other")
    theirs = new_service(create_venue(stranger, name="Other Spa", category_id=None))
    db.session.commit()
    response = web.post(f"{BASE}/services/{theirs.id}", with_addons(("Hot stones", "15", "15")))
    assert response.status_code == 404
    assert addons_of(theirs.id) == []


def test_the_venue_page_lists_a_services_add_ons(client, make_venue):
    venue = make_venue()
    massage = venue.services[0]
    set_addons(massage, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    db.session.flush()
    page = text(client.get(f"/venues/{venue.slug}"))
    assert "Add-ons: Hot stones +£15.00, 15 min; Scalp massage +£10.00" in page
    assert page.count("data-service-addons>") == 1  # only under the service that has them
