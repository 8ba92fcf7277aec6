"""A service's menu as a warm worker remembers it (app/venues/menus.py): a repeat booking page or
cart page sends none of the statements that load the venue and service, and a change to any of
them (the venue, its hours, team, a service, its options, add-ons or questions) shows on the
next request, because each bumps "public"."""

from __future__ import annotations

import gc
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from app.accounts.models import Role
from app.platform import cache_versions
from app.platform.extensions import db
from app.venues import intake
from app.venues.hours import Range
from app.venues.lists import add_team_member
from app.venues.models import VenueStatus
from app.venues.options import OptionInput, set_options
from app.venues.service import set_day_hours
from tests.booking.helpers import book_path, future_slot, iso, put_in_cart
from tests.statements import statements_sent

MENU_TABLES = (
    "venues",
    "venue_slugs",
    "opening_hours",
    "closures",
    "team_members",
    "team_member_services",
    "services",
    "service_options",
    "service_addons",
    "service_questions",
)


def tables_read(sent: list[str]) -> set[str]:
    return {table for statement in sent for table in re.findall(r"\bFROM (\w+)", statement)}


@pytest.fixture
def customer(web, make_user, as_in_production):
    person = make_user(role=Role.CUSTOMER, name="Cara Customer")
    web.sign_in_as(person)
    return person


def test_a_warm_worker_shows_a_booking_page_without_loading_its_venue_again(web, customer, venue_and_service):
    venue, service = venue_and_service
    set_options(service, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8500)])
    for name in ("Ana", "Ben"):
        add_team_member(venue, name=name, title="", bio="", service_ids=[service.id])
    db.session.commit()
    start = future_slot(days=3, hour=10)
    pages = (
        book_path(venue, service),
        book_path(venue, service, day=start.date().isoformat()),
        book_path(venue, service, day=start.date().isoformat(), start=iso(start)),
    )
    for path in pages:
        assert web.get(path).status_code == 200  # a cold worker loads them
    for path in pages:
        with statements_sent() as sent:
            page = web.get(path)
        assert page.status_code == 200
        assert "90 min" in page.text
        assert not tables_read(sent) & set(MENU_TABLES), (path, tables_read(sent))


def test_a_new_option_name_shows_on_the_next_page(web, customer, venue_and_service):
    venue, service = venue_and_service
    set_options(service, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8500)])
    db.session.commit()
    assert "90 min" in web.get(book_path(venue, service)).text
    short, long = service.options
    set_options(service, [OptionInput("60 min", 60, 6000, id=short.id), OptionInput("Long soak", 90, 8500, id=long.id)])
    db.session.commit()

    page = web.get(book_path(venue, service)).text
    assert "Long soak" in page
    assert "90 min" not in page


def test_a_new_question_shows_on_the_next_times_form(web, customer, venue_and_service):
    venue, service = venue_and_service
    start = future_slot(days=3, hour=10)
    path = book_path(venue, service, day=start.date().isoformat(), start=iso(start))
    assert "Any allergies?" not in web.get(path).text
    intake.add_question(service, text="Any allergies?", kind="text", options="", required=True)
    db.session.commit()

    assert "Any allergies?" in web.get(path).text


def test_changed_hours_show_on_the_next_days_times(web, customer, venue_and_service):
    venue, service = venue_and_service
    day = future_slot(days=3, hour=10).date()
    path = book_path(venue, service, day=day.isoformat())
    assert "10:00" in web.get(path).text
    set_day_hours(venue, day.weekday(), [Range(14 * 60, 18 * 60)])  # afternoons only from now on
    db.session.commit()

    page = web.get(path).text
    assert "10:00" not in page
    assert "14:00" in page


def test_a_venue_taken_off_the_listing_is_a_404_at_once(web, customer, venue_and_service):
    venue, service = venue_and_service
    assert web.get(book_path(venue, service)).status_code == 200
    venue.status = VenueStatus.SUSPENDED
    db.session.commit()

    assert web.get(book_path(venue, service)).status_code == 404


def test_another_workers_change_shows_once_its_version_is_read_again(app, web, customer, venue_and_service):
    """What this worker did not change itself shows within CACHE_VERSION_TTL: the memo of the
    version expires, the remembered venue no longer matches, and the page reads it afresh."""
    venue, service = venue_and_service
    assert "Deep tissue massage" in web.get(book_path(venue, service)).text
    # Another worker's change: its bump is not this process's, so this worker's memo is not told.
    db.session.execute(text("UPDATE services SET name = 'Hot stones' WHERE id = :id"), {"id": service.id})
    db.session.execute(cache_versions.BUMP_SQL, {"namespace": cache_versions.PUBLIC})
    db.session.commit()
    assert "Deep tissue massage" in web.get(book_path(venue, service)).text  # this worker's memo still holds

    memo = app.extensions["cache_versions"]
    expires, version = memo[cache_versions.PUBLIC]
    memo[cache_versions.PUBLIC] = (expires - timedelta(hours=1).total_seconds(), version)  # the TTL passes
    assert "Hot stones" in web.get(book_path(venue, service)).text


def test_a_warm_worker_shows_the_cart_without_loading_its_services_again(web, customer, venue_and_service):
    venue, service = venue_and_service
    set_options(service, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8500)])
    add_team_member(venue, name="Ana", title="", bio="", service_ids=[service.id])
    db.session.commit()
    put_in_cart(customer, service, option_id=service.options[1].id)
    db.session.commit()
    assert "90 min" in web.get("/cart").text  # a cold worker loads them
    # The session keeps unchanged rows only while something refers to them: collect garbage all
    # the time, so that rows the cart does not hold on to are gone before it reads them.
    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    try:
        with statements_sent() as sent:
            page = web.get("/cart?again=1")
    finally:
        gc.set_threshold(*thresholds)
    assert page.status_code == 200
    assert "90 min" in page.text and "£85.00" in page.text
    assert not tables_read(sent) & set(MENU_TABLES), "\n".join(s[:150] for s in sent)


def test_the_cart_shows_a_service_its_booking_page_just_loaded_without_loading_it_again(
    web, customer, venue_and_service
):
    venue, service = venue_and_service
    set_options(service, [OptionInput("60 min", 60, 6000), OptionInput("90 min", 90, 8500)])
    add_team_member(venue, name="Ana", title="", bio="", service_ids=[service.id])
    db.session.commit()
    start = future_slot(days=3, hour=10)
    assert web.get(book_path(venue, service, day=start.date().isoformat(), start=iso(start))).status_code == 200
    put_in_cart(customer, service, option_id=service.options[1].id)
    db.session.commit()
    with statements_sent() as sent:
        page = web.get("/cart")  # this worker's first cart page, after that booking page
    assert page.status_code == 200
    assert "90 min" in page.text and "£85.00" in page.text and "Linden Rooms" in page.text
    assert not tables_read(sent) & set(MENU_TABLES), "\n".join(s[:150] for s in sent)


def test_a_new_price_shows_on_the_next_cart_page(web, customer, venue_and_service):
    _venue, service = venue_and_service
    put_in_cart(customer, service)
    db.session.commit()
    assert "£60.00" in web.get("/cart").text
    service.price_minor = 7200
    db.session.commit()

    assert "£72.00" in web.get("/cart?again=1").text
