"""A service's options (app/venues/options.py): the rules of the list, the cheapest option driving
the service's own length and price, kept ids, and what the database refuses on its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.models import ServiceOption
from app.venues.options import (
    MAX_OPTIONS,
    OptionInput,
    chosen_option,
    from_price,
    length_and_price,
    set_options,
)


@pytest.fixture
def massage(make_venue):
    venue = make_venue()
    service = venue.services[0]
    return service


def lengths(*rows):
    return [OptionInput(name, minutes, price) for name, minutes, price in rows]


def test_options_set_the_service_to_its_cheapest(massage):
    set_options(massage, lengths(("90 min", 90, 6500), ("60 min", 60, 4500)))
    assert [o.name for o in massage.options] == ["90 min", "60 min"]  # the owner's order
    assert (massage.duration_minutes, massage.price_minor) == (60, 4500)
    assert from_price(massage) == (4500, True)
    stored = db.session.scalars(select(ServiceOption).where(ServiceOption.service_id == massage.id)).all()
    assert sorted(o.price_minor for o in stored) == [4500, 6500]


def test_equal_prices_follow_the_shortest(massage):
    set_options(massage, lengths(("Long hair", 90, 5000), ("Short hair", 45, 5000)))
    assert (massage.duration_minutes, massage.price_minor) == (45, 5000)
    assert from_price(massage) == (5000, False)  # one price: no "from"


def test_saving_again_keeps_named_ids_and_removes_the_rest(massage):
    set_options(massage, lengths(("60 min", 60, 4500), ("90 min", 90, 6500), ("120 min", 120, 8000)))
    by_name = {o.name: o.id for o in massage.options}
    set_options(
        massage,
        [OptionInput("75 min", 75, 5500, id=by_name["60 min"]), OptionInput("90 min", 90, 6000, id=by_name["90 min"])],
    )
    assert [(o.id, o.name) for o in massage.options] == [(by_name["60 min"], "75 min"), (by_name["90 min"], "90 min")]
    assert db.session.get(ServiceOption, by_name["120 min"]) is None
    assert (massage.duration_minutes, massage.price_minor) == (75, 5500)


def test_two_options_may_swap_names_in_one_save(massage):
    set_options(massage, lengths(("A", 60, 4500), ("B", 90, 6500)))
    a, b = massage.options
    set_options(massage, [OptionInput("B", 60, 4500, id=a.id), OptionInput("A", 90, 6500, id=b.id)])
    db.session.commit()  # the name's uniqueness is checked at commit
    assert [(o.id, o.name) for o in massage.options] == [(a.id, "B"), (b.id, "A")]


def test_no_options_is_the_service_itself(massage):
    set_options(massage, lengths(("60 min", 60, 4500), ("90 min", 90, 6500)))
    set_options(massage, [])
    assert massage.options == []
    assert (massage.duration_minutes, massage.price_minor) == (60, 4500)  # kept as last set
    assert from_price(massage) == (4500, False)


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ((("Only", 60, 4500),), "second option"),
        ((("60 min", 60, 4500), ("60 MIN", 90, 6500)), "Two options are called"),
        ((("60 min", 60, 4500), ("", 90, 6500)), "name of up to 60"),
        ((("60 min", 60, 4500), ("x" * 61, 90, 6500)), "name of up to 60"),
        ((("60 min", 4, 4500), ("90 min", 90, 6500)), "between 5 minutes and 12 hours"),
        ((("60 min", 60, 4500), ("90 min", 721, 6500)), "between 5 minutes and 12 hours"),
        ((("60 min", 60, -1), ("90 min", 90, 6500)), "negative price"),
        (tuple((f"{n} min", 10 + n, 100 * n) for n in range(MAX_OPTIONS + 1)), "at most 10 options"),
    ],
)
def test_a_bad_list_is_refused_and_changes_nothing(massage, rows, words):
    before = (massage.duration_minutes, massage.price_minor)
    with pytest.raises(ValidationFailed) as refused:
        set_options(massage, lengths(*rows))
    assert words in refused.value.message
    assert refused.value.field == "options"
    assert massage.options == []
    assert (massage.duration_minutes, massage.price_minor) == before


def test_another_services_option_id_is_refused(massage, make_venue, make_user):
    other = make_venue(make_user(role="provider"), name="Other Spa").services[0]
    set_options(other, lengths(("60 min", 60, 4500), ("90 min", 90, 6500)))
    foreign = other.options[0].id
    with pytest.raises(ValidationFailed):
        set_options(massage, [OptionInput("60 min", 60, 4500, id=foreign), OptionInput("90 min", 90, 6500)])
    assert massage.options == []
    assert db.session.get(ServiceOption, foreign).service_id == other.id


def test_a_deposit_must_stay_below_the_cheapest_option(massage):
    massage.payment_mode = "deposit_fixed"
    massage.deposit_fixed_minor = 3000
    with pytest.raises(ValidationFailed):
        set_options(massage, lengths(("Short", 30, 2500), ("Long", 60, 4500)))
    assert massage.options == []


def test_the_chosen_option(massage, make_venue, make_user):
    assert chosen_option(massage, None) is None
    with pytest.raises(ValidationFailed, match="no options"):
        chosen_option(massage, 1)
    set_options(massage, lengths(("60 min", 60, 4500), ("90 min", 90, 6500)))
    longer = massage.options[1]
    assert chosen_option(massage, longer.id) is longer
    assert length_and_price(massage, longer) == (90, 6500)
    assert length_and_price(massage, None) == (60, 4500)
    with pytest.raises(ValidationFailed, match="Choose one"):
        chosen_option(massage, None)
    other = make_venue(make_user(role="provider"), name="Other Spa").services[0]
    set_options(other, lengths(("60 min", 60, 4500), ("90 min", 90, 6500)))
    with pytest.raises(ValidationFailed, match="not one of this service"):
        chosen_option(massage, other.options[0].id)


@pytest.mark.parametrize(
    ("column", "value"), [("duration_minutes", 4), ("duration_minutes", 721), ("price_minor", -1), ("name", "")]
)
def test_the_database_refuses_a_bad_option_row(massage, column, value):
    values = {"service_id": massage.id, "name": "60 min", "duration_minutes": 60, "price_minor": 4500} | {column: value}
    with db.session.begin_nested():
        db.session.add(ServiceOption(**values))
        with pytest.raises(IntegrityError):
            db.session.flush()
