"""Query understanding (issue 15, item 1): intents become filters or a sort shown as removable
chips, stop words are dropped, synonyms expand words, and a search that matches nothing relaxes
to the best partial matches and says so; on the search page and in the pure functions."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.discovery.params import CITIES
from app.platform.extensions import cache
from search.backend import get_backend
from search.types import SearchQuery
from search.understanding import STOP_WORDS, Synonyms, free_window, term_groups, understand
from tests.discovery.test_search_pages import card_names, hrefs, page_of, params
from tests.search.corpus import build_corpus
from tests.search.relevance_cases import SPECS

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def corpus(ctx, make_user):
    cache.clear()
    corpus = build_corpus(make_user, SPECS)
    get_backend().index(corpus.ids)
    return corpus


def chips(text: str) -> dict[str, str]:
    """Chip label -> its removal link."""
    block = text.split('aria-label="Filters in use"', 1)[1].split("</ul>", 1)[0]
    found = re.findall(r'href="([^"]+)"[^>]*>([^<]+)<i class="bi bi-x"', block)
    return {html.unescape(label).strip(): html.unescape(url) for url, label in found}


# -- the pure functions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "keywords", "kinds"),
    [
        ("cheap manicure", "manicure", ["cheap"]),
        ("nails near me", "nails", ["near_me"]),
        ("massage in Manchester", "massage", ["place"]),
        ("spa near edinburgh", "spa", ["place"]),
        ("open now sauna", "sauna", ["open_now"]),
        ("facial today", "facial", ["today"]),
        ("massage tomorrow", "massage", ["tomorrow"]),
        ("spa this weekend", "spa", ["weekend"]),
        ("cheap massage in london open now", "massage", ["cheap", "place", "open_now"]),
        ("spa in a hurry", "spa in a hurry", []),  # "in" before a place it doesn't know is kept
    ],
)
def test_intents_are_taken_out_of_the_text(typed, keywords, kinds):
    understood = understand(typed, places=CITIES, now=WEDNESDAY_NOON)
    assert understood.keywords == keywords
    assert [i.kind for i in understood.intents] == kinds


def test_removing_an_intent_keeps_the_other_words():
    understood = understand("cheap massage in london", places=CITIES)
    cheap, place = understood.intents
    assert understood.without(cheap) == "massage in london"
    assert understood.without(place) == "cheap massage"
    assert understood.keywords_removed() == "cheap in london"


def test_time_words_are_free_time_windows_in_local_time():
    start, end = free_window("today", WEDNESDAY_NOON)
    assert (start, end) == (WEDNESDAY_NOON, datetime(2026, 11, 26, tzinfo=LONDON))
    assert free_window("tomorrow", WEDNESDAY_NOON) == (
        datetime(2026, 11, 26, tzinfo=LONDON),
        datetime(2026, 11, 27, tzinfo=LONDON),
    )
    assert free_window("weekend", WEDNESDAY_NOON) == (
        datetime(2026, 11, 28, tzinfo=LONDON),
        datetime(2026, 11, 30, tzinfo=LONDON),
    )
    sunday_evening = datetime(2026, 11, 29, 18, 0, tzinfo=UTC)
    assert free_window("weekend", sunday_evening) == (sunday_evening, datetime(2026, 11, 30, tzinfo=LONDON))


def test_an_explicit_filter_wins_over_a_word():
    understood = understand("cheap massage in manchester", places=CITIES)
    query = understood.apply(SearchQuery(sort="rating", lat=51.5, lng=-0.1, radius_km=5))
    assert (query.sort, query.lat, query.radius_km, query.text) == ("rating", 51.5, 5, "massage")


def test_stop_words_are_dropped_and_synonyms_become_alternatives():
    synonyms = Synonyms([("couples", "for two"), ("spa day", "day spa")])
    groups = term_groups("the best spa day for two", synonyms)
    assert [g.typed for g in groups] == ["spa day", "for two"]
    assert groups[1].alternatives == (("for", "two"), ("couples",))
    assert [g.typed for g in term_groups("the a of")] == ["the", "a", "of"]  # nothing else: kept
    assert {"the", "for", "with", "a"} <= STOP_WORDS


# -- on the page --------------------------------------------------------------------------------------


def test_cheap_sorts_by_price_and_is_a_removable_chip(client, corpus):
    text = page_of(client.get("/search?q=cheap+manicure"))
    assert card_names(text) == ["Polished Nail Studio", "Café Zoë Nails", "Hazel Nail Bar"]
    found = chips(text)
    assert params(found["Lowest price first"])["q"] == ["manicure"]
    assert params(found["“manicure”"])["q"] == ["cheap"]
    text = page_of(client.get(found["Lowest price first"]))
    assert "Lowest price first" not in chips(text)


def test_a_place_in_the_text_searches_around_it(client, corpus):
    text = page_of(client.get("/search?q=massage+in+Manchester"))
    assert card_names(text) == ["Amber Massage Studio"]
    found = chips(text)
    assert "In and around Manchester" in found
    assert not any(label.startswith("Within") for label in found)
    without = params(found["In and around Manchester"])
    assert without["q"] == ["massage"] and "lat" not in without
    assert "Lotus Massage Rooms" in card_names(page_of(client.get(found["In and around Manchester"])))


def test_near_me_without_a_location_asks_for_one(client, corpus):
    text = page_of(client.get("/search?q=nails+near+me"))
    assert "data-needs-location" in text
    assert set(card_names(text)) == {"Café Zoë Nails", "Polished Nail Studio", "Hazel Nail Bar"}


def test_near_me_with_a_location_sorts_nearest_first(client, corpus):
    text = page_of(client.get("/search?q=nails+near+me&lat=51.5072&lng=-0.1276&radius=10"))
    assert "data-needs-location" not in text
    assert card_names(text) == ["Polished Nail Studio", "Café Zoë Nails"]
    found = chips(text)
    assert "Near you" not in found  # the location's chip says it
    removal = params(found["Within 10 km of your location"])
    assert removal["q"] == ["nails"] and "lat" not in removal


def test_open_now_in_the_text_filters(client, corpus, monkeypatch):
    from search import postgres

    class Noon(datetime):
        @classmethod
        def now(cls, tz=None):
            return WEDNESDAY_NOON.astimezone(tz) if tz else WEDNESDAY_NOON

    monkeypatch.setattr(postgres, "datetime", Noon)
    text = page_of(client.get("/search?q=open+now+sauna"))
    names = card_names(text)
    assert "Willow Spa" in names and "Evening Sauna Club" not in names
    assert params(chips(text)["Open now"])["q"] == ["sauna"]


def test_tomorrow_is_a_free_time_chip(client, corpus):
    text = page_of(client.get("/search?q=massage+tomorrow"))
    assert "Free tomorrow" in chips(text)
    assert params(chips(text)["Free tomorrow"])["q"] == ["massage"]


def test_a_search_with_no_full_match_relaxes_and_says_so(client, corpus):
    text = page_of(client.get("/search?q=massage+with+jacuzzi"))
    assert "No venue matched every word; showing venues matching ‘massage’." in html.unescape(text)
    assert {"Lotus Massage Rooms", "Amber Massage Studio"} <= set(card_names(text))


def test_spa_day_for_two_relaxes_to_the_words_that_match(client, corpus):
    text = html.unescape(page_of(client.get("/search?q=spa+day+for+two")))
    assert "No venue matched every word; showing venues matching ‘spa day’ or ‘for two’." in text
    assert "Willow Spa" in card_names(text)


def test_a_full_match_is_not_relaxed(client, corpus):
    text = page_of(client.get("/search?q=couples+massage"))
    assert "data-relaxed-notice" not in text
    assert set(card_names(text)) == {"Orchid Thai Massage", "Thistle Spa & Massage"}


def test_every_link_of_a_relaxed_page_keeps_the_text(client, corpus):
    text = page_of(client.get("/search?q=massage+with+jacuzzi"))
    search_links = [h for h in hrefs(text) if h.startswith("/search?") and "category=" in h]
    assert search_links and all(params(h)["q"] == ["massage with jacuzzi"] for h in search_links)
