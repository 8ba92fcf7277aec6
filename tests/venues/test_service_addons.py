"""A service's add-ons and what a booking is of its service (app/venues/addons.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.addons import MAX_ADDONS, AddonInput, Choice, chosen_addons, set_addons
from app.venues.models import ServiceAddon
from app.venues.options import OptionInput, set_options


@pytest.fixture
def massage(make_venue):
    service = make_venue().services[0]
    set_options(service, [OptionInput("60 min", 60, 4500), OptionInput("90 min", 90, 6500)])
    return service


def test_addons_are_kept_in_order_and_saved_again_by_id(massage):
    set_addons(massage, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 0)])
    assert [(a.name, a.price_minor, a.extra_minutes) for a in massage.addons] == [
        ("Hot stones", 1500, 15),
        ("Scalp massage", 1000, 0),
    ]
    stones, scalp = massage.addons
    set_addons(massage, [AddonInput("Hot stones", 1800, 20, id=stones.id)])
    assert [(a.id, a.price_minor, a.extra_minutes) for a in massage.addons] == [(stones.id, 1800, 20)]
    assert db.session.get(ServiceAddon, scalp.id) is None


def test_a_choice_adds_the_addons_to_the_options_length_and_price(massage):
    set_addons(massage, [AddonInput("Hot stones", 1500, 15), AddonInput("Scalp massage", 1000, 10)])
    longer = massage.options[1]
    both = chosen_addons(massage, [a.id for a in reversed(massage.addons)])
    assert [a.name for a in both] == ["Hot stones", "Scalp massage"]  # the service's order
    choice = Choice(option=longer, addons=both)
    assert (choice.minutes(massage), choice.price_minor(massage)) == (115, 9000)
    assert (Choice().minutes(massage), Choice().price_minor(massage)) == (60, 4500)  # the service itself


@pytest.mark.parametrize(
    ("addons", "words"),
    [
        ([AddonInput("", 100)], "name of up to 60"),
        ([AddonInput("x" * 61, 100)], "name of up to 60"),
        ([AddonInput("Stones", 100), AddonInput("STONES", 200)], "Two add-ons are called"),
        ([AddonInput("Stones", -1)], "negative price"),
        ([AddonInput("Stones", 100, 241)], "between 0 and 240 minutes"),
        ([AddonInput("Stones", 100, -5)], "between 0 and 240 minutes"),
        ([AddonInput(f"Extra {n}", 100) for n in range(MAX_ADDONS + 1)], "at most 10 add-ons"),
    ],
)
def test_a_bad_list_is_refused_and_changes_nothing(massage, addons, words):
    set_addons(massage, [AddonInput("Hot stones", 1500, 15)])
    with pytest.raises(ValidationFailed) as refused:
        set_addons(massage, addons)
    assert words in refused.value.message and refused.value.field == "addons"
    assert [a.name for a in massage.addons] == ["Hot stones"]


def test_another_services_addon_is_refused(massage, make_venue, make_user):
    other = make_venue(make_user(role="provider"), name="Other Spa").services[0]
    set_addons(other, [AddonInput("Foot soak", 500, 10)])
    foreign = other.addons[0].id
    with pytest.raises(ValidationFailed, match="not one of this service"):
        set_addons(massage, [AddonInput("Foot soak", 500, 10, id=foreign)])
    with pytest.raises(ValidationFailed, match="not one of this service"):
        chosen_addons(massage, [foreign])
    set_addons(massage, [AddonInput("Hot stones", 1500, 15)])
    stones = massage.addons[0].id
    with pytest.raises(ValidationFailed, match="once"):
        chosen_addons(massage, [stones, stones])


@pytest.mark.parametrize(("column", "value"), [("price_minor", -1), ("extra_minutes", 241), ("name", "")])
def test_the_database_refuses_a_bad_addon_row(massage, column, value):
    values = {"service_id": massage.id, "name": "Stones", "price_minor": 100, "extra_minutes": 0} | {column: value}
    with db.session.begin_nested():
        db.session.add(ServiceAddon(**values))
        with pytest.raises(IntegrityError):
            db.session.flush()
