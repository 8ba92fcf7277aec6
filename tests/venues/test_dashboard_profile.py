"""The profile half of the provider dashboard: home, basics, location, hours, closures, review.

Requests go through ``dashboard_web`` (each request in its own application context), so what a
test reads afterwards is what the request committed, not what it left in a shared session.
"""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.accounts.models import Role
from app.audit.models import AuditEntry
from app.platform.extensions import db
from app.venues.hours import Range
from app.venues.models import Closure, OpeningHours, Service, Venue, VenueImage, VenueSlug, VenueStatus
from app.venues.service import add_closure, create_venue, get_categories, get_venue_for_owner, set_day_hours

GET_PAGES = [
    "/provider",
    "/provider/venue/basics",
    "/provider/venue/location",
    "/provider/venue/hours",
    "/provider/venue/hours/row?weekday=0",
    "/provider/venue/review",
]
POST_ACTIONS = [
    "/provider/venue/basics",
    "/provider/venue/location",
    "/provider/venue/hours",
    "/provider/venue/hours/copy-monday",
    "/provider/venue/hours/close-sundays",
    "/provider/venue/closures",
    "/provider/venue/closures/1/delete",
    "/provider/venue/submit",
    "/provider/venue/withdraw",
]
SCRIPT = "<script>alert(1)</script>"
DESCRIPTION = "A calm spa by the canal, with two treatment rooms and a sauna."


# -- helpers ----------------------------------------------------------------------------


def venue_of(user) -> Venue | None:
    """The user's venue as the database holds it now."""
    db.session.expire_all()
    return get_venue_for_owner(user.id)


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def words_of(response) -> str:
    """The page as a person reads it: no tags, single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def basics_form(**changes) -> dict:
    data = {
        "intent": "update",
        "name": "Willow Spa",
        "description": DESCRIPTION,
        "category_id": str(get_categories()[0].id),
        "tags": "massage, sauna",
        "phone": "+44 20 7946 0000",
        "email": "hello@example.com",
        "website": "willow.example.com",
    }
    return {**data, **changes}


def location_form(**changes) -> dict:
    data = {
        "address_line": "2 Canal Street",
        "city": "Manchester",
        "postcode": "m1 3ha",
        "country": "gb",
        "latitude": "53.4770",
        "longitude": "-2.2360",
        "timezone": "Europe/London",
        "timezone_other": "",
    }
    return {**data, **changes}


def week_form(days: dict[int, list[tuple[str, str]]], closed: tuple[int, ...] = ()) -> dict:
    data: dict = {}
    for weekday in range(7):
        ranges = days.get(weekday, [])
        data[f"day-{weekday}-opens"] = [opens for opens, _ in ranges] or [""]
        data[f"day-{weekday}-closes"] = [closes for _, closes in ranges] or [""]
        if weekday in closed:
            data[f"day-{weekday}-closed"] = "y"
    return data


def hours_of(venue: Venue) -> dict[int, list[tuple[int, int]]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(OpeningHours).where(OpeningHours.venue_id == venue.id).order_by("weekday", "opens_minute")
    )
    result: dict[int, list[tuple[int, int]]] = {}
    for h in rows:
        result.setdefault(h.weekday, []).append((h.opens_minute, h.closes_minute))
    return result


def make_complete(venue: Venue) -> None:
    """Everything a submission needs, written straight to the tables."""
    venue.category_id = get_categories()[0].id
    venue.description = DESCRIPTION
    venue.opening_hours.append(OpeningHours(weekday=0, opens_minute=540, closes_minute=1080))
    venue.services.append(Service(name="Deep tissue massage", duration_minutes=60, price_minor=6500))
    venue.images.append(
        VenueImage(alt_text="The treatment room", variants={"thumb": {"key": "x.webp", "width": 1, "height": 1}})
    )
    db.session.flush()


def sign_in_target(response) -> str:
    parts = urlsplit(response.headers["Location"])
    assert parts.path == "/account/sign-in"
    return parse_qs(parts.query)["next"][0]


# -- who may open what ----------------------------------------------------------------------


@pytest.mark.parametrize("path", GET_PAGES)
def test_anonymous_visitor_is_sent_to_sign_in(dashboard_web, path):
    response = dashboard_web.get(path)

    assert response.status_code == 302
    assert sign_in_target(response) == path


@pytest.mark.parametrize("path", POST_ACTIONS)
def test_anonymous_post_is_sent_to_sign_in_and_changes_nothing(dashboard_web, path):
    response = dashboard_web.post(path, {})

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/sign-in"


@pytest.mark.parametrize("role", ["customer", "admin"])
@pytest.mark.parametrize("path", GET_PAGES)
def test_customers_and_admins_may_not_open_dashboard_pages(request, dashboard_web, role, path):
    dashboard_web.sign_in_as(request.getfixturevalue(role))

    assert dashboard_web.get(path).status_code == 403


@pytest.mark.parametrize("role", ["customer", "admin"])
@pytest.mark.parametrize("path", POST_ACTIONS)
def test_customers_and_admins_may_not_change_a_venue(request, dashboard_web, role, path):
    dashboard_web.sign_in_as(request.getfixturevalue(role))

    assert dashboard_web.post(path, {}).status_code == 403


@pytest.mark.parametrize("path", GET_PAGES)
def test_provider_with_a_venue_opens_every_page(dashboard_web, provider_with_venue, path):
    dashboard_web.sign_in_as(provider_with_venue)

    assert dashboard_web.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/provider", "/provider/venue/location", "/provider/venue/hours"])
def test_provider_without_a_venue_starts_with_the_basics(dashboard_web, provider, path):
    dashboard_web.sign_in_as(provider)

    response = dashboard_web.get(path)

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/venue/basics"


def test_first_step_welcomes_the_new_venue_owner(dashboard_web, provider):
    dashboard_web.sign_in_as(provider)

    page = text_of(dashboard_web.get("/provider/venue/basics"))

    assert "Hello, Priya" in page
    assert "Venue owner" in page
    assert 'value="create"' in page


# -- home ---------------------------------------------------------------------------------


def test_home_shows_status_checklist_steps_and_the_submit_button(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    page = text_of(dashboard_web.get("/provider"))

    assert "Venue owner" in page
    assert "Draft" in page
    assert "a description of at least 20 characters" in page
    assert "at least one photo" in page
    assert "an address and a map location" not in page
    for path in ("basics", "location", "hours", "services", "team", "faqs", "images", "review"):
        assert f'href="/provider/venue/{path}"' in page
    assert 'action="/provider/venue/submit"' in page
    assert "Changed since approval" not in page


def test_home_of_a_live_venue_notes_what_changed_since_approval(dashboard_web, provider_with_venue):
    venue = venue_of(provider_with_venue)
    venue.status = VenueStatus.APPROVED
    venue.changed_fields = ["basics", "hours"]
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    page = words_of(dashboard_web.get("/provider"))

    assert "Live" in page
    assert "Changed since approval: Basics, Opening hours." in page
    assert 'action="/provider/venue/submit"' not in page


def test_home_offers_withdraw_while_waiting_for_review(dashboard_web, provider_with_venue):
    venue = venue_of(provider_with_venue)
    venue.status = VenueStatus.PENDING_REVIEW
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    page = text_of(dashboard_web.get("/provider"))

    assert "Waiting for review" in page
    assert 'action="/provider/venue/withdraw"' in page
    assert 'action="/provider/venue/submit"' not in page


# -- basics -------------------------------------------------------------------------------


def test_first_save_of_the_basics_creates_the_venue_and_goes_on_to_location(dashboard_web, provider):
    dashboard_web.sign_in_as(provider)

    response = dashboard_web.post("/provider/venue/basics", basics_form(intent="create"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/venue/location"
    venue = venue_of(provider)
    assert venue.name == "Willow Spa"
    assert venue.slug == "willow-spa"
    assert venue.category_id == get_categories()[0].id
    assert venue.tags == ["massage", "sauna"]
    assert venue.website == "https://willow.example.com"
    assert venue.onboarding_step == "location"
    assert venue.status == VenueStatus.DRAFT


def test_a_second_venue_is_refused_with_a_clear_message(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/basics", basics_form(intent="create", name="Second Spa"))

    assert response.status_code == 409
    assert "You already have a venue. Each account runs one venue" in text_of(response)
    count = db.session.scalar(select(func.count()).select_from(Venue).where(Venue.owner_id == provider_with_venue.id))
    assert count == 1
    assert venue_of(provider_with_venue).name == "Willow Spa"


def test_the_database_refuses_a_second_venue_row_for_one_owner(ctx, provider_with_venue):
    nested = db.session.begin_nested()
    db.session.add(Venue(owner_id=provider_with_venue.id, name="Sneaky", slug="sneaky", tags=[], changed_fields=[]))

    with pytest.raises(IntegrityError, match="owner_id"):
        db.session.flush()
    nested.rollback()


def test_a_provider_only_ever_edits_their_own_venue(dashboard_web, ctx, provider_with_venue, make_user):
    other = make_user(role=Role.PROVIDER, name="Bea Other")
    theirs = create_venue(other, name="Birch Rooms", category_id=None)
    db.session.flush()
    dashboard_web.sign_in_as(other)

    response = dashboard_web.post("/provider/venue/basics", basics_form(name="Birch Rooms Renamed"))

    assert response.status_code == 302
    assert venue_of(other).name == "Birch Rooms Renamed"
    assert venue_of(other).id == theirs.id
    assert venue_of(provider_with_venue).name == "Willow Spa"
    assert venue_of(provider_with_venue).description == ""


def test_a_provider_cannot_remove_another_venues_closure(dashboard_web, ctx, provider_with_venue, make_user):
    closure = add_closure(
        venue_of(provider_with_venue), starts_on=date(2030, 1, 1), ends_on=date(2030, 1, 2), reason=""
    )
    other = make_user(role=Role.PROVIDER)
    create_venue(other, name="Birch Rooms", category_id=None)
    db.session.flush()
    dashboard_web.sign_in_as(other)

    response = dashboard_web.post(f"/provider/venue/closures/{closure.id}/delete", {})

    assert response.status_code == 404
    assert "No such closure at your venue." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Closure, closure.id) is not None


def test_renaming_changes_the_slug_and_keeps_the_old_one(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/basics", basics_form(name="Willow Spa & Sauna"))

    assert response.status_code == 302
    venue = venue_of(provider_with_venue)
    assert venue.slug == "willow-spa-sauna"
    slugs = set(db.session.scalars(select(VenueSlug.slug).where(VenueSlug.venue_id == venue.id)))
    assert slugs == {"willow-spa", "willow-spa-sauna"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Enter the venue's name."),
        ({"name": "   "}, "Enter the venue's name."),
        ({"category_id": "999999"}, "Choose a category from the list."),
        ({"category_id": "spa"}, "Choose a category from the list."),
        ({"tags": "ok, <b>no</b>"}, "is not a tag we can use"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
    ],
)
def test_bad_basics_are_refused_and_change_nothing(dashboard_web, provider_with_venue, changes, message):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/basics", basics_form(**changes))

    assert response.status_code == 422
    assert message in text_of(response)
    venue = venue_of(provider_with_venue)
    assert (venue.name, venue.description, venue.category_id, venue.tags) == ("Willow Spa", "", None, [])


def test_the_basics_page_shows_what_is_saved(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    dashboard_web.post("/provider/venue/basics", basics_form())

    page = text_of(dashboard_web.get("/provider/venue/basics"))

    assert 'value="Willow Spa"' in page
    assert 'value="massage, sauna"' in page
    assert f'<option selected value="{get_categories()[0].id}">' in page
    assert 'value="update"' in page


def test_after_onboarding_a_save_stays_on_the_same_page(dashboard_web, provider_with_venue):
    venue = venue_of(provider_with_venue)
    venue.onboarding_step = "review"
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/basics", basics_form())

    assert response.headers["Location"] == "/provider/venue/basics"
    assert "Your venue's basics are saved." in text_of(dashboard_web.get("/provider/venue/basics"))


# -- location -----------------------------------------------------------------------------


def test_location_is_saved_and_the_wizard_goes_on_to_hours(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/location", location_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/venue/hours"
    venue = venue_of(provider_with_venue)
    assert (venue.city, venue.postcode, venue.country) == ("Manchester", "M1 3HA", "GB")
    assert (venue.latitude, venue.longitude) == (53.477, -2.236)
    assert venue.onboarding_step == "hours"


def test_a_typed_time_zone_wins_over_the_list(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    dashboard_web.post("/provider/venue/location", location_form(timezone="", timezone_other="Europe/Vienna"))

    assert venue_of(provider_with_venue).timezone == "Europe/Vienna"
    page = text_of(dashboard_web.get("/provider/venue/location"))
    assert 'value="Europe/Vienna"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"latitude": "91"}, "Latitude must be between -90 and 90."),
        ({"longitude": "-181"}, "Longitude must be between -180 and 180."),
        ({"latitude": "north"}, "Enter a number like 51.5072"),
        ({"latitude": ""}, "Enter the latitude, or drag the pin."),
        ({"timezone": "Mars/Olympus"}, "“Mars/Olympus” is not a time zone we know"),
        ({"timezone_other": "Mars/Olympus"}, "“Mars/Olympus” is not a time zone we know"),
        ({"country": "GBR"}, "Use the two-letter country code, like GB or FR."),
        ({"city": ""}, "Enter the town or city."),
    ],
)
def test_bad_location_is_refused_and_changes_nothing(dashboard_web, provider_with_venue, changes, message):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/location", location_form(**changes))

    assert response.status_code == 422
    assert message in text_of(response)
    venue = venue_of(provider_with_venue)
    assert (venue.city, venue.latitude, venue.longitude, venue.timezone, venue.country) == (
        "London",
        51.5205,
        -0.0726,
        "Europe/London",
        "GB",
    )


def test_the_map_loads_leaflet_only_on_the_location_page_and_explains_missing_tiles(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    location = text_of(dashboard_web.get("/provider/venue/location"))
    basics = text_of(dashboard_web.get("/provider/venue/basics"))

    assert "vendor/leaflet/leaflet.js" in location and "js/map-picker.js" in location
    assert "Map tiles are not configured; drag the pin or type coordinates" in location
    assert 'data-tile-url=""' in location
    assert "leaflet" not in basics
    assert " style=" not in location


def test_a_configured_tile_server_is_allowed_by_the_content_security_policy(database_url, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_ROOT": str(tmp_path),
            "MAP_TILE_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        },
    )

    # A page, not a static file: with static/dist built, WhiteNoise answers those before Talisman.
    csp = app.test_client().get("/").headers["Content-Security-Policy"]

    img_src = next(part for part in csp.split(";") if part.strip().startswith("img-src"))
    assert "https://*.tiles.example.org" in img_src


# -- opening hours ------------------------------------------------------------------------


def test_a_week_of_hours_is_saved_and_the_wizard_goes_on_to_services(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    days = {0: [("09:00", "13:00"), ("14:00", "18:00")], 5: [("10:00", "24:00")]}

    response = dashboard_web.post("/provider/venue/hours", week_form(days))

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider/venue/services"
    venue = venue_of(provider_with_venue)
    assert hours_of(venue) == {0: [(540, 780), (840, 1080)], 5: [(600, 1440)]}
    assert venue.onboarding_step == "services"


def test_overlapping_hours_are_refused_next_to_that_day_and_change_nothing(dashboard_web, ctx, provider_with_venue):
    venue = venue_of(provider_with_venue)
    set_day_hours(venue, 0, [Range(600, 1020)])
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post(
        "/provider/venue/hours", week_form({0: [("09:00", "13:00"), ("12:00", "18:00")], 1: [("09:00", "17:00")]})
    )

    assert response.status_code == 422
    page = text_of(response)
    assert '<div id="day-0-error" class="invalid-feedback d-block mb-2">09:00–13:00 and 12:00–18:00 overlap.' in page
    assert hours_of(venue) == {0: [(600, 1020)]}


def test_a_range_past_midnight_is_refused_with_advice_and_24_00_is_accepted(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    refused = dashboard_web.post("/provider/venue/hours", week_form({4: [("20:00", "02:00")]}))
    accepted = dashboard_web.post(
        "/provider/venue/hours", week_form({4: [("20:00", "24:00")], 5: [("00:00", "02:00")]})
    )

    assert refused.status_code == 422
    assert "For hours past midnight, add the rest to the next day." in text_of(refused)
    assert accepted.status_code == 302
    assert hours_of(venue_of(provider_with_venue)) == {4: [(1200, 1440)], 5: [(0, 120)]}


@pytest.mark.parametrize(
    ("row", "message"),
    [(("9am", "17:00"), "“9am” is not a time; use HH:MM"), (("09:00", ""), "Enter both an opening and a closing time")],
)
def test_unreadable_times_are_refused(dashboard_web, provider_with_venue, row, message):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/hours", week_form({2: [row]}))

    assert response.status_code == 422
    assert message in text_of(response)
    assert hours_of(venue_of(provider_with_venue)) == {}


def test_the_closed_box_wins_over_times_on_that_day(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    dashboard_web.post(
        "/provider/venue/hours", week_form({0: [("09:00", "17:00")], 1: [("09:00", "17:00")]}, closed=(1,))
    )

    assert hours_of(venue_of(provider_with_venue)) == {0: [(540, 1020)]}


def test_add_another_range_works_without_javascript_and_saves_nothing(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    data = week_form({0: [("09:00", "13:00")]})

    response = dashboard_web.post("/provider/venue/hours", {**data, "add_range": "0"})

    assert response.status_code == 200
    page = text_of(response)
    assert page.count('name="day-0-opens"') == 2
    assert 'value="09:00"' in page
    assert "not saved until you press" in page
    assert hours_of(venue_of(provider_with_venue)) == {}


def test_remove_range_works_without_javascript(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    data = week_form({0: [("09:00", "13:00"), ("14:00", "18:00")]})

    page = text_of(dashboard_web.post("/provider/venue/hours", {**data, "remove_range": "0:0"}))

    assert page.count('name="day-0-opens"') == 1
    assert 'value="14:00"' in page and 'value="13:00"' not in page


def test_htmx_asks_for_one_empty_row(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.get("/provider/venue/hours/row?weekday=3", headers={"HX-Request": "true"})

    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment
    assert 'name="day-3-opens"' in fragment and 'aria-label="Thursday opens"' in fragment
    assert dashboard_web.get("/provider/venue/hours/row?weekday=7").status_code == 404


def test_copy_monday_to_all_weekdays(dashboard_web, ctx, provider_with_venue):
    venue = venue_of(provider_with_venue)
    set_day_hours(venue, 0, [Range(540, 780), Range(840, 1080)])
    set_day_hours(venue, 2, [Range(600, 660)])
    set_day_hours(venue, 5, [Range(600, 960)])
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/hours/copy-monday", {})

    assert response.headers["Location"] == "/provider/venue/hours"
    monday = [(540, 780), (840, 1080)]
    assert hours_of(venue) == {0: monday, 1: monday, 2: monday, 3: monday, 4: monday, 5: [(600, 960)]}


def test_closed_on_sundays_clears_sunday(dashboard_web, ctx, provider_with_venue):
    venue = venue_of(provider_with_venue)
    set_day_hours(venue, 5, [Range(600, 960)])
    set_day_hours(venue, 6, [Range(600, 960)])
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    dashboard_web.post("/provider/venue/hours/close-sundays", {})

    assert hours_of(venue) == {5: [(600, 960)]}


def test_open_now_is_shown_in_the_venue_time_zone(dashboard_web, ctx, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    assert "Closed now" in text_of(dashboard_web.get("/provider/venue/hours"))

    venue = venue_of(provider_with_venue)
    for weekday in range(7):
        set_day_hours(venue, weekday, [Range(0, 1440)])
    db.session.flush()

    page = text_of(dashboard_web.get("/provider/venue/hours"))
    assert "Open now" in page and "Closed now" not in page
    assert "in Europe/London" in page


def test_past_midnight_hint_is_under_the_hours_form(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    page = text_of(dashboard_web.get("/provider/venue/hours"))

    assert "Open past midnight? A range ends by 24:00 at the latest: enter the rest on the next day" in page


# -- closures -----------------------------------------------------------------------------


def test_a_closure_is_added_and_removed(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    added = dashboard_web.post(
        "/provider/venue/closures", {"starts_on": "2030-12-24", "ends_on": "2030-12-27", "reason": "Christmas"}
    )

    assert added.status_code == 302
    venue = venue_of(provider_with_venue)
    [closure] = venue.closures
    assert (closure.starts_on, closure.ends_on, closure.reason) == (date(2030, 12, 24), date(2030, 12, 27), "Christmas")
    assert "Tue 24 Dec 2030 – Fri 27 Dec 2030" in text_of(dashboard_web.get("/provider/venue/hours"))

    removed = dashboard_web.post(f"/provider/venue/closures/{closure.id}/delete", {})

    assert removed.status_code == 302
    assert venue_of(provider_with_venue).closures == []


def test_a_closure_ending_before_it_starts_is_refused(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post(
        "/provider/venue/closures", {"starts_on": "2030-12-27", "ends_on": "2030-12-24", "reason": "Oops"}
    )

    assert response.status_code == 422
    assert "The last day of a closure can't be before its first day." in text_of(response)
    assert venue_of(provider_with_venue).closures == []


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "message"),
    [
        ("0001-01-01", "0001-01-02", "A closure can start at most a year ago."),
        ("9999-12-30", "9999-12-31", "A closure can end at most five years from today."),
    ],
)
def test_a_closure_dated_years_away_is_refused(dashboard_web, provider_with_venue, starts_on, ends_on, message):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post(
        "/provider/venue/closures", {"starts_on": starts_on, "ends_on": ends_on, "reason": "Typo in the year"}
    )

    assert response.status_code == 422
    assert message in text_of(response)
    assert venue_of(provider_with_venue).closures == []


def test_a_closure_without_dates_is_refused(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/closures", {"starts_on": "", "ends_on": "soon"})

    assert response.status_code == 422
    assert "Enter the first day of the closure." in text_of(response)
    assert venue_of(provider_with_venue).closures == []


# -- what owners type is shown as text ------------------------------------------------------


def test_script_in_name_description_and_closure_reason_is_shown_as_text(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)
    dashboard_web.post("/provider/venue/basics", basics_form(name=SCRIPT, description=SCRIPT + " " + DESCRIPTION))
    dashboard_web.post(
        "/provider/venue/closures", {"starts_on": "2030-01-01", "ends_on": "2030-01-01", "reason": SCRIPT}
    )
    assert venue_of(provider_with_venue).name == SCRIPT

    for path in ("/provider", "/provider/venue/basics", "/provider/venue/hours", "/provider/venue/review"):
        page = dashboard_web.get(path).get_data(as_text=True)
        assert SCRIPT not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


# -- review, submit, withdraw ---------------------------------------------------------------


def test_review_lists_what_is_missing(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    page = text_of(dashboard_web.get("/provider/venue/review"))

    assert "Before you can submit, add:" in page
    assert "opening hours" in page and "at least one active service" in page
    assert "1 Willow Walk, London, E1 6AN, GB" in page


def test_submitting_an_incomplete_venue_is_refused_with_the_missing_items(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/submit", {})

    assert response.status_code == 422
    assert (
        "Before submitting, add a description of at least 20 characters, a category, opening hours, "
        "at least one active service, at least one photo." in text_of(response)
    )
    assert venue_of(provider_with_venue).status == VenueStatus.DRAFT


def test_submitting_a_complete_venue_sends_it_for_review_and_audits_it(dashboard_web, ctx, provider_with_venue):
    venue = venue_of(provider_with_venue)
    make_complete(venue)
    dashboard_web.sign_in_as(provider_with_venue)
    assert "Everything needed is in place" in text_of(dashboard_web.get("/provider/venue/review"))

    response = dashboard_web.post("/provider/venue/submit", {})

    assert response.status_code == 302
    assert response.headers["Location"] == "/provider"
    venue = venue_of(provider_with_venue)
    assert venue.status == VenueStatus.PENDING_REVIEW
    assert venue.submitted_at is not None
    [entry] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "venue.submit", AuditEntry.subject_id == venue.id)
    )
    assert (entry.actor_id, entry.from_state, entry.to_state) == (provider_with_venue.id, "draft", "pending_review")
    assert "Your venue is submitted." in text_of(dashboard_web.get("/provider"))


def test_withdrawing_returns_the_venue_to_draft(dashboard_web, ctx, provider_with_venue):
    venue = venue_of(provider_with_venue)
    make_complete(venue)
    venue.status = VenueStatus.PENDING_REVIEW
    db.session.flush()
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/withdraw", {})

    assert response.status_code == 302
    assert venue_of(provider_with_venue).status == VenueStatus.DRAFT


def test_withdrawing_a_draft_is_refused(dashboard_web, provider_with_venue):
    dashboard_web.sign_in_as(provider_with_venue)

    response = dashboard_web.post("/provider/venue/withdraw", {})

    assert response.status_code == 409
    assert "A listing that is “Draft” can't be withdrawn." in text_of(response)
