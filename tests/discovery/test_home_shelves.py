"""The home page's shelves promise only what they show: "Top rated" holds rated venues only,
best first; before any review it becomes a shelf titled by what it does show (lowest prices)."""

from __future__ import annotations

import pytest

from app.platform.extensions import cache, db
from search.backend import get_backend
from tests.discovery.test_search_pages import card_names, page_of
from tests.search.corpus import Corpus, build_corpus


@pytest.fixture
def corpus(ctx, make_user) -> Corpus:
    cache.clear()  # search results and next free times from other tests
    corpus = build_corpus(make_user)
    get_backend().index(corpus.ids)
    return corpus


def rate(corpus: Corpus, ratings: dict[str, tuple[float, int]]) -> None:
    for name, (rating, count) in ratings.items():
        venue = corpus.venues[name]
        venue.rating, venue.review_count = rating, count
    db.session.flush()
    get_backend().index([corpus.id_of(name) for name in ratings])
    cache.clear()


def top_shelf(text: str) -> str:
    return text[text.index('id="top-heading"') : text.index('id="near-heading"')]


def test_top_rated_shows_only_rated_venues_best_first(client, corpus):
    rate(
        corpus,
        {"Amber Massage Studio": (4.2, 5), "Hazel Nail Bar": (4.9, 12), "Cedar Barbers": (3.1, 2)},
    )
    shelf = top_shelf(page_of(client.get("/")))
    assert "Top rated" in shelf
    assert card_names(shelf) == ["Hazel Nail Bar", "Amber Massage Studio", "Cedar Barbers"]
    assert "No reviews yet" not in shelf  # twelve venues are unrated: none of them fills the shelf


def test_without_any_rated_venue_the_shelf_is_titled_by_what_it_shows(client, corpus):
    shelf = top_shelf(page_of(client.get("/")))
    assert "Top rated" not in shelf
    assert "Lowest prices" in shelf and "lowest prices come first" in shelf
    names = card_names(shelf)
    prices = [corpus.specs[corpus.id_of(name)].price_from for name in names]
    assert len(names) == 6 and prices == sorted(prices)
