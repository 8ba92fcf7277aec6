"""Venue rules held by the database and the service layer, below any route."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.platform.errors import ValidationFailed
from app.platform.extensions import db
from app.venues.hours import Range, find_overlaps, is_open_at, parse_minute
from app.venues.models import OpeningHours, Venue, VenueSlug, VenueStatus
from app.venues.service import clean_tags, create_venue, note_change, set_day_hours, update_basics, update_location
from app.venues.slugs import find_venue_by_any_slug, slugify


@pytest.fixture
def venue(ctx, provider):
    return create_venue(provider, name="Willow Spa", category_id=None)


def test_overlapping_hours_are_refused_by_the_database_itself(venue):
    db.session.add(OpeningHours(venue_id=venue.id, weekday=0, opens_minute=540, closes_minute=780))
    db.session.flush()
    nested = db.session.begin_nested()
    db.session.add(OpeningHours(venue_id=venue.id, weekday=0, opens_minute=720, closes_minute=1080))
    with pytest.raises(IntegrityError, match="ex_opening_hours_no_overlap"):
        db.session.flush()
    nested.rollback()


def test_touching_ranges_and_other_days_do_not_overlap(venue):
    set_day_hours(venue, 0, [Range(540, 780), Range(780, 1080)])
    set_day_hours(venue, 1, [Range(600, 1440)])
    rows = db.session.scalar(select(func.count()).select_from(OpeningHours).where(OpeningHours.venue_id == venue.id))
    assert rows == 3


def test_service_refuses_overlap_with_a_message_and_keeps_the_old_hours(venue):
    set_day_hours(venue, 2, [Range(540, 1020)])
    with pytest.raises(ValidationFailed, match="overlap"):
        set_day_hours(venue, 2, [Range(540, 780), Range(720, 1080)])
    db.session.expire_all()
    kept = [(h.opens_minute, h.closes_minute) for h in venue.opening_hours if h.weekday == 2]
    assert kept == [(540, 1020)]


def test_a_range_past_midnight_is_refused_with_advice(venue):
    with pytest.raises(ValidationFailed, match="next day"):
        set_day_hours(venue, 4, [Range(1200, 120)])


def test_closing_at_midnight_is_written_as_24_00():
    assert parse_minute("24:00", allow_midnight_end=True) == 1440
    with pytest.raises(ValueError, match="not a time of day"):
        parse_minute("24:00")
    with pytest.raises(ValueError, match="HH:MM"):
        parse_minute("9am")


def test_find_overlaps():
    assert find_overlaps([Range(540, 600), Range(600, 660)]) == []
    assert find_overlaps([Range(600, 700), Range(540, 601)]) == [(Range(540, 601), Range(600, 700))]


def test_open_now_is_judged_in_the_venue_time_zone():
    hours = {0: [Range(9 * 60, 17 * 60)]}  # Mondays 09:00-17:00 local
    monday_10_new_york = datetime(2026, 7, 6, 14, 0, tzinfo=UTC)  # 10:00 EDT
    monday_18_new_york = datetime(2026, 7, 6, 22, 0, tzinfo=UTC)  # 18:00 EDT
    assert is_open_at(hours, [], monday_10_new_york, "America/New_York")
    assert not is_open_at(hours, [], monday_18_new_york, "America/New_York")
    monday_1830_london = datetime(2026, 7, 6, 17, 30, tzinfo=UTC)  # 18:30 BST, 13:30 EDT
    assert not is_open_at(hours, [], monday_1830_london, "Europe/London")
    assert is_open_at(hours, [], monday_1830_london, "America/New_York")
    closed_that_day = [(date(2026, 7, 6), date(2026, 7, 6))]
    assert not is_open_at(hours, closed_that_day, monday_10_new_york, "America/New_York")


def test_open_now_on_the_day_clocks_go_back():
    hours = {6: [Range(0, 120)]}  # Sunday 00:00-02:00 local
    # 2026-10-25 01:30 BST is 00:30 UTC; after the change, 01:30 GMT is 01:30 UTC: both are open.
    assert is_open_at(hours, [], datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/London")
    assert is_open_at(hours, [], datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "Europe/London")
    assert not is_open_at(hours, [], datetime(2026, 10, 25, 2, 30, tzinfo=UTC), "Europe/London")


def test_slugs_are_readable_and_old_ones_still_find_the_venue(venue):
    assert venue.slug == "willow-spa"
    update_basics(
        venue, name="Willow Spa & Baths", description="", category_id=None, tags="", phone="", email="", website=""
    )
    assert venue.slug == "willow-spa-baths"
    assert find_venue_by_any_slug("willow-spa") is venue
    assert db.session.get(VenueSlug, "willow-spa").venue_id == venue.id


def test_a_second_venue_with_the_same_name_gets_its_own_slug(venue, make_user):
    other = create_venue(make_user(role="provider"), name="Willow Spa", category_id=None)
    assert other.slug != venue.slug
    assert other.slug.startswith("willow-spa")


def test_a_long_name_in_a_long_named_town_still_gets_a_slug_that_fits(venue, make_user):
    long_name = "The Very Long Named Sanctuary of Restorative Massage and Holistic Wellbeing Therapies for Everyone"
    town = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch and the Surrounding Villages by the Sea"
    made = []
    for _ in range(3):  # the name's slug, then with the town, then numbered
        other = create_venue(make_user(role="provider"), name=long_name, category_id=None)
        update_location(
            other,
            address_line="1 High Street",
            city=town,
            postcode="LL61 5UJ",
            country="GB",
            latitude=53.2,
            longitude=-4.2,
            timezone="Europe/London",
        )
        update_basics(
            other, name=long_name + " Spa", description="", category_id=None, tags="", phone="", email="", website=""
        )
        db.session.flush()
        made.append(other.slug)

    assert len(set(made)) == 3
    assert all(len(slug) <= 140 and not slug.endswith("-") for slug in made)
    assert made[1].startswith(slugify(long_name + " Spa")) and "llanfair" in made[1]
    assert made[2].endswith("-2")


def test_slugify_handles_accents_and_symbols():
    assert slugify("Café Zoë — Nails & Brows!") == "cafe-zoe-nails-brows"
    assert slugify("!!!") == "venue"


def test_tags_are_cleaned_and_limited():
    assert clean_tags(" Vegan Products, walk-ins,, vegan products ") == ["vegan products", "walk-ins"]
    with pytest.raises(ValidationFailed, match="at most 10"):
        clean_tags(",".join(f"tag{i}" for i in range(11)))
    with pytest.raises(ValidationFailed, match="not a tag"):
        clean_tags("<script>")


def test_editing_an_approved_venue_keeps_it_live_and_flags_the_change(venue):
    venue.status = VenueStatus.APPROVED
    note_change(venue, "services")
    note_change(venue, "services")
    note_change(venue, "hours")
    assert venue.status == VenueStatus.APPROVED
    assert venue.changed_fields == ["services", "hours"]


def test_edits_before_approval_are_not_flagged(venue):
    note_change(venue, "services")
    assert venue.changed_fields == []


def test_coordinates_outside_the_globe_are_refused_by_the_database(venue):
    nested = db.session.begin_nested()
    venue.latitude = 91
    with pytest.raises(IntegrityError, match="latitude_range"):
        db.session.flush()
    nested.rollback()


def test_one_venue_per_provider_is_a_database_constraint(venue, provider):
    nested = db.session.begin_nested()
    db.session.add(Venue(owner_id=provider.id, name="Second", slug="second", tags=[], changed_fields=[]))
    with pytest.raises(IntegrityError, match="uq_venues_owner_id"):
        db.session.flush()
    nested.rollback()


def test_a_rolled_back_photo_delete_keeps_the_files(venue, app):
    import io

    from PIL import Image

    from app.venues.images import add_image, delete_image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "purple").save(buffer, "PNG")
    image = add_image(venue, buffer.getvalue(), alt_text="A purple room")
    keys = [v["key"] for v in image.variants.values()]
    storage = app.extensions["storage"]
    nested = db.session.begin_nested()
    delete_image(venue, image.id)
    nested.rollback()
    db.session.commit()
    assert all(storage.exists(key) for key in keys)
