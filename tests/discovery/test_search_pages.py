"""The search page, category landing pages and the home page, over HTTP, on the seeded corpus."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from app.discovery import _next_free_key, first_free_start, get_next_free, next_free_label
from app.platform.extensions import cache, db
from search.backend import bump_version, get_backend
from tests.search.corpus import Corpus, build_corpus

LONDON = ZoneInfo("Europe/London")
HX = {"HX-Request": "true"}


@pytest.fixture
def corpus(ctx, make_user) -> Corpus:
    cache.clear()  # search results and next free times from other tests
    corpus = build_corpus(make_user)
    get_backend().index(corpus.ids)
    return corpus


def page_of(response) -> str:
    return response.get_data(as_text=True)


def card_names(text: str) -> list[str]:
    """Venue names in the result cards, in order."""
    return [html.unescape(n) for n in re.findall(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', text)]


def hrefs(text: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', text)]


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# -- results -----------------------------------------------------------------------------------


def test_search_shows_cards_with_photo_price_rating_and_next_free_time(client, corpus):
    response = client.get("/search?q=lotus")
    text = page_of(response)
    assert response.status_code == 200
    assert card_names(text) == ["Lotus Massage Rooms"]
    n = list(corpus.specs).index(corpus.id_of("Lotus Massage Rooms"))
    assert f'src="/media/venues/{n}/card.webp" width="800" height="600"' in text
    assert "from £45" in text
    assert "No reviews yet" in text
    assert re.search(r"(Open|Closed) now", text)
    assert re.search(r"Next free: (Today|Tomorrow|Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d:\d\d", text)
    assert 'href="/venues/lotus-massage-rooms"' in text
    assert "1 venue<" in text


def test_a_typo_still_finds_massage_venues(client, corpus):
    names = set(card_names(page_of(client.get("/search?q=masage"))))
    assert {"Lotus Massage Rooms", "Amber Massage Studio", "Thistle Spa & Massage"} <= names


def test_matched_words_are_highlighted(client, corpus):
    text = page_of(client.get("/search?q=friendly"))
    assert "<mark>friendly</mark>" in text


def test_a_city_from_the_list_finds_venues_around_it_with_distances(client, corpus):
    text = page_of(client.get("/search?near=Manchester&sort=distance"))
    names = card_names(text)
    assert set(names) == {"Amber Massage Studio", "Pearl Skin Studio", "Saffron Wellness", "Hazel Nail Bar"}
    assert names[0] in {"Amber Massage Studio", "Hazel Nail Bar"}  # both a few hundred metres from the centre
    assert re.search(r"data-distance>\d+\.\d km<", text)
    assert "Within 25 km of Manchester" in text


def test_coordinates_and_radius_limit_the_results(client, corpus):
    text = page_of(client.get("/search?lat=55.9533&lng=-3.1883&radius=5"))
    assert set(card_names(text)) == {"Marigold Movement Studio", "Linden Brow & Lash", "Thistle Spa & Massage"}


def test_distance_sort_is_offered_only_with_a_location(client, corpus):
    without = page_of(client.get("/search"))
    assert re.search(r'<option value="distance"[^>]* disabled>', without)
    located = page_of(client.get("/search?near=London"))
    assert not re.search(r'<option value="distance"[^>]* disabled>', located)


def test_open_now_and_free_window_filters_are_accepted(client, corpus):
    assert client.get("/search?open_now=1").status_code == 200
    tomorrow = (datetime.now(LONDON) + timedelta(days=1)).date().isoformat()
    busy_hours = page_of(client.get(f"/search?free_date={tomorrow}&free_from=14:00&free_to=17:00&near=London"))
    assert "Lotus Massage Rooms" in card_names(busy_hours)
    assert "Free " in busy_hours and "14:00–17:00" in busy_hours
    night = page_of(client.get(f"/search?free_date={tomorrow}&free_from=02:00&free_to=04:00"))
    assert card_names(night) == []
    assert "No venues match" in night


# -- facets, sorting, pages: links that carry the state -----------------------------------------


def test_category_facet_narrows_the_results_and_keeps_the_text(client, corpus):
    text = page_of(client.get("/search?q=massage"))
    nails_or_massage = [h for h in hrefs(text) if params(h).get("category") == ["massage"]]
    assert nails_or_massage, "a link that adds the category"
    assert params(nails_or_massage[0])["q"] == ["massage"]
    narrowed = page_of(client.get(nails_or_massage[0]))
    assert set(card_names(narrowed)) == {"Lotus Massage Rooms", "Amber Massage Studio"}


def test_facets_show_counts_for_each_value(client, corpus):
    text = page_of(client.get("/search?category=nails"))
    assert set(card_names(text)) == {"Café Zoë Nails", "Hazel Nail Bar"}
    facet = re.search(r'data-facet="category">(.*?)</ul>', text, re.S).group(1)
    # Other categories are counted without the category filter, so they can be switched to.
    assert re.search(r"Massage</span>\s*<span[^>]*>2</span>", facet)
    assert re.search(r'aria-current="true">\s*<span>.*Nails', facet, re.S)


def test_a_price_bucket_filters_on_the_cheapest_service(client, corpus):
    text = page_of(client.get("/search?price=2500-5000"))
    assert set(card_names(text)) == {
        "Lotus Massage Rooms",
        "Café Zoë Nails",
        "Juniper Hair House",
        "Saffron Wellness",
        "Hazel Nail Bar",
        "Linden Brow & Lash",
    }
    assert "£25–£50" in text


def test_a_price_range_in_pounds_filters_too(client, corpus):
    text = page_of(client.get("/search?price_min=30&price_max=50"))
    assert set(card_names(text)) == {
        "Lotus Massage Rooms",
        "Juniper Hair House",
        "Saffron Wellness",
        "Hazel Nail Bar",
        "Linden Brow & Lash",
    }
    assert "£30 to £50" in text


def test_tags_are_toggled_by_their_links(client, corpus):
    text = page_of(client.get("/search?tag=parking"))
    assert set(card_names(text)) == {
        "Lotus Massage Rooms",
        "Willow Spa",
        "Marigold Movement Studio",
        "Thistle Spa & Massage",
    }
    add_walk_ins = next(h for h in hrefs(text) if params(h).get("tag") == ["parking", "walk-ins"])
    assert card_names(page_of(client.get(add_walk_ins))) == ["Lotus Massage Rooms"]


def test_an_htmx_request_gets_only_the_results_block(client, corpus):
    response = client.get("/search?q=massage&category=massage", headers=HX)
    text = page_of(response)
    assert response.status_code == 200
    assert "<html" not in text and 'id="search-form"' not in text
    assert 'id="results-heading"' in text and 'data-facet="category"' in text
    assert set(card_names(text)) == {"Lotus Massage Rooms", "Amber Massage Studio"}
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"] == "/search?q=massage&category=massage"


def test_the_heading_follows_the_category_filter_out_of_band(client, corpus):
    fragment = page_of(client.get("/search?category=nails", headers=HX))
    assert re.search(r'<header id="search-heading"[^>]*hx-swap-oob="true">\s*<h1[^>]*>Nails</h1>', fragment)
    assert "Compare nails venues" in fragment
    plain = page_of(client.get("/search?q=spa", headers=HX))
    assert re.search(r'hx-swap-oob="true">\s*<h1[^>]*>Find a venue</h1>', plain)
    assert "hx-swap-oob" not in page_of(client.get("/search?category=nails"))


def test_the_full_page_is_served_for_an_htmx_history_restore(client, corpus):
    response = client.get("/search?q=massage", headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in page_of(response)
    assert "hx-swap-oob" not in page_of(response)
    assert "HX-Push-Url" not in response.headers


def test_the_pushed_url_is_canonical(client, corpus):
    response = client.get("/search?q=&near=&sort=relevance&open_now=&category=nails&page=1", headers=HX)
    assert response.headers["HX-Push-Url"] == "/search?category=nails"


def test_pagination_links_keep_the_filters(client, corpus):
    first = page_of(client.get("/search?per_page=5&tag=&sort=price"))
    assert len(card_names(first)) == 5
    next_link = re.search(r'href="([^"]+)"[^>]*rel="next"', first).group(1)
    assert params(html.unescape(next_link)) == {"per_page": ["5"], "sort": ["price"], "page": ["2"]}
    third = page_of(client.get("/search?per_page=5&sort=price&page=3"))
    assert len(card_names(third)) == 2  # 12 venues
    assert 'rel="next"' not in third and 'rel="prev"' in third
    past = page_of(client.get("/search?per_page=5&page=9"))
    assert "past the last result" in past


def test_an_empty_result_offers_to_drop_each_filter(client, corpus):
    text = page_of(client.get("/search?q=lotus&category=nails"))
    assert "No venues match" in text
    empty = text[text.index("data-empty-state") :]
    links = {
        html.unescape(label): html.unescape(url)
        for url, label in re.findall(r'href="([^"]+)"[^>]*>Remove ([^<]+)<', empty)
    }
    assert params(links["“lotus”"]) == {"category": ["nails"]}
    assert params(links["Nails"]) == {"q": ["lotus"]}
    assert card_names(page_of(client.get(links["Nails"]))) == ["Lotus Massage Rooms"]


# -- bad parameters: 400 with the reason, never a 500 -------------------------------------------


SOON = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()  # inside the booking horizon
BAD = [
    ("radius=-1&lat=51.5&lng=-0.1", "The radius must be more than 0 km."),
    ("radius=501&lat=51.5&lng=-0.1", "The radius can be at most 500 km."),
    ("radius=nan&lat=51.5&lng=-0.1", "The radius must be a number."),
    ("radius=5", "A radius needs a location"),
    ("lat=91&lng=0", "Latitude must be between -90 and 90."),
    ("lat=north&lng=0", "Latitude must be a number."),
    ("lat=51.5", "Give both latitude and longitude."),
    ("page=0", "The page must be 1 or more."),
    ("page=two", "The page must be a whole number."),
    ("page=99999999999999999999", "The page must be 1000 or less."),
    ("per_page=51", "Show between 1 and 50 results a page."),
    ("per_page=0", "Show between 1 and 50 results a page."),
    ("sort=cheapest", "Sort by one of: relevance, distance, price, rating."),
    ("sort=distance", "Sorting by distance needs a location."),
    ("category=unicorns", "We don't know that category."),
    ("price=1-2", "Choose a price range from the list."),
    ("price_min=-5", "The minimum price can't be negative."),
    ("price_min=cheap", "The minimum price must be an amount in pounds"),
    ("price_min=50&price_max=20", "The maximum price must be at least the minimum price."),
    ("price_max=1e400", "The maximum price can be at most £100,000."),
    ("rating=6", "The minimum rating is between 0 and 5."),
    ("near=Xqzzyville", "We don't know a town or city called “Xqzzyville”."),
    ("near=" + "x" * 101, "A place name has at most 100 characters."),
    ("place=abc", "Choose a place from the suggestions."),
    ("place=99999999999", "Choose a place from the suggestions."),
    ("place=1", "We don't know that place."),
    ("open_now=maybe", "Open now is either on (1) or off (0)."),
    ("view=grid", "Choose the list view or the map view."),
    ("free_from=14:00", "Choose a day for the free time window."),
    ("free_date=2020-01-01", "Choose today or a later day for the free time window."),
    ("free_date=soon", "Give the day of the free time window as YYYY-MM-DD."),
    (f"free_date={SOON}&free_from=2pm", "Give the times of the free time window as HH:MM"),
    (f"free_date={SOON}&free_from=17:00&free_to=14:00", "The free time window must end after it starts."),
    ("free_date=2999-01-01", "Bookings open up to 90 days ahead. Choose an earlier day."),
    ("q=" + "x" * 201, "Search for at most 200 characters."),
    ("tag=" + "x" * 41, "A tag has at most 40 characters."),
    ("&".join(f"tag=t{i}" for i in range(11)), "Choose at most 10 tags."),
]


@pytest.mark.parametrize(("query", "message"), BAD, ids=[q[:40] for q, _ in BAD])
def test_a_bad_parameter_is_a_400_with_its_reason(client, query, message):
    page = client.get(f"/search?{query}")
    assert page.status_code == 400
    assert html.escape(message, quote=True) in page_of(page) or message in html.unescape(page_of(page))
    assert 'id="search-form"' in page_of(page)  # the search box is still there to fix it

    fragment = client.get(f"/search?{query}", headers=HX)
    assert fragment.status_code == 400
    assert "<html" not in page_of(fragment)
    assert message in html.unescape(page_of(fragment))


def test_a_bad_parameter_on_a_category_page_is_a_400_too(client):
    response = client.get("/c/massage?page=0")
    assert response.status_code == 400
    assert "The page must be 1 or more." in page_of(response)


# -- autocomplete -------------------------------------------------------------------------------


def test_suggestions_are_listbox_options(client, corpus):
    response = client.get("/search/suggest?q=mass", headers=HX)
    text = page_of(response)
    assert response.status_code == 200
    options = re.findall(
        r'<li id="search-suggestion-\d+" role="option" aria-selected="false"[^>]*data-value="([^"]+)"', text
    )
    assert "Massage" in options
    assert all("mass" in o.lower() for o in options)


def test_an_empty_prefix_gets_no_suggestions_and_a_long_one_is_refused(client, corpus):
    empty = client.get("/search/suggest?q=+")
    assert empty.status_code == 200 and 'role="option"' not in page_of(empty)
    assert client.get("/search/suggest?q=" + "m" * 101).status_code == 400


# -- landing pages and the home page ------------------------------------------------------------


def test_a_category_page_introduces_and_lists_its_venues(client, corpus):
    response = client.get("/c/massage")
    text = page_of(response)
    assert response.status_code == 200
    assert '<h1 class="h3 mb-1">Massage</h1>' in text
    assert "Compare massage venues" in text
    assert set(card_names(text)) == {"Lotus Massage Rooms", "Amber Massage Studio"}


def test_an_unknown_category_page_is_a_404(client):
    assert client.get("/c/unicorn-grooming").status_code == 404


def test_the_home_page_shows_categories_and_two_shelves(client, corpus):
    text = page_of(client.get("/"))
    assert "Find your moment of calm" in text
    assert 'href="/c/massage"' in text and 'href="/c/nails"' in text
    assert "Lowest prices" in text  # no venue has reviews yet, and the page says so
    assert "lowest prices come first" in text
    near = text[text.index('id="near-heading"') :]
    assert card_names(near)[0] == "Cedar Barbers"  # the closest to central London
    assert "Use my location" in near


# -- the map ------------------------------------------------------------------------------------


def test_the_map_view_has_a_marker_per_result(client, corpus):
    text = page_of(client.get("/search?view=map&category=massage"))
    markers = re.findall(r'<li data-marker data-venue-id="(\d+)" data-lat="([-\d.]+)" data-lng="([-\d.]+)"', text)
    assert {int(m[0]) for m in markers} == {corpus.id_of("Lotus Massage Rooms"), corpus.id_of("Amber Massage Studio")}
    assert "vendor/leaflet/leaflet.js" in text
    assert "Street maps aren't switched on here" in text  # no MAP_TILE_URL in tests
    assert "data-search-area" in text


# -- safety and caching ------------------------------------------------------------------------


def test_a_venue_name_with_markup_is_escaped_in_cards_markers_and_suggestions(client, corpus):
    venue = corpus.venues["Willow Spa"]
    venue.name = '<script>alert("x")</script> Willow'
    venue.description = "Calm <img src=x onerror=alert(1)> rooms for a friendly scrub."
    db.session.flush()
    get_backend().index([venue.id])
    cache.clear()
    for url in ("/search?q=willow", "/search?q=willow&view=map", "/search/suggest?q=%3Cscript"):
        text = page_of(client.get(url))
        assert "<script>alert" not in text, url
        assert "<img src=x" not in text, url
    text = page_of(client.get("/search?q=friendly+scrub"))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Willow" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text and "<mark>" in text


def test_the_search_page_answers_a_repeat_with_304_until_the_index_changes(client, corpus):
    client.get("/search?category=nails")  # the first visit starts a session (its CSRF token is on the page)
    first = client.get("/search?category=nails")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert {"HX-Request", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}
    assert client.get("/search?category=nails", headers={"If-None-Match": etag}).status_code == 304
    fragment = client.get("/search?category=nails", headers=HX)
    assert fragment.headers["ETag"] != etag  # the fragment is another representation
    bump_version()
    assert client.get("/search?category=nails", headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("url", ["/search?q=spa", "/search?view=map&near=London", "/c/spa", "/"])
def test_pages_need_no_inline_script_or_style(client, corpus, url):
    text = page_of(client.get(url))
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text)
    assert " style=" not in text


# -- the next free time -------------------------------------------------------------------------


def test_next_free_time_after_closing_is_tomorrow_morning(ctx, corpus):
    venue = corpus.venues["Lotus Massage Rooms"]
    evening = datetime.combine(datetime.now(LONDON).date() + timedelta(days=2), datetime.min.time(), LONDON)
    evening = evening.replace(hour=20)
    start = first_free_start(venue, evening.astimezone(UTC))
    assert start is not None
    assert start.astimezone(LONDON) == evening.replace(hour=9) + timedelta(days=1)
    assert next_free_label(start, LONDON, evening) == "Next free: Tomorrow 09:00"


def test_next_free_times_are_cached_per_venue(ctx, corpus):
    venue_id = corpus.id_of("Cedar Barbers")
    now = datetime.now(UTC)
    found = get_next_free([venue_id], now)
    assert cache.get(_next_free_key(venue_id)) == {"start": found[venue_id]}
    cache.set(_next_free_key(venue_id), {"start": None}, timeout=60)
    assert get_next_free([venue_id], now) == {venue_id: None}  # served from the cache
