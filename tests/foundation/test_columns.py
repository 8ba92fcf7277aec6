"""The column rules tables share (app/platform/columns.py)."""

from __future__ import annotations

import enum

from sqlalchemy import inspect

from app.platform.columns import one_of
from app.venues.models import Venue, VenueImage


class Colour(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark_blue"


def test_one_of_lists_an_enums_values_in_their_order_and_names_the_check_after_the_column():
    check = one_of("colour", Colour)
    assert str(check.sqltext) == "colour IN ('red', 'dark_blue')"
    assert check.name == "colour_known"


def test_one_of_takes_plain_words_too():
    assert str(one_of("kind", ("venue",)).sqltext) == "kind IN ('venue')"


def test_the_surrogate_key_stays_the_first_column():
    assert [c.key for c in inspect(Venue).column_attrs][:2] == ["id", "owner_id"]
    assert Venue.__table__.c.id.primary_key


def test_an_image_gives_the_size_asked_for_or_any_it_has():
    image = VenueImage(variants={"thumb": {"key": "t.webp"}, "hero": {"key": "h.webp"}})
    assert image.variant("hero") == {"key": "h.webp"}
    assert image.variant("card") == {"key": "t.webp"}
    assert VenueImage(variants={}).variant("card") == {}
