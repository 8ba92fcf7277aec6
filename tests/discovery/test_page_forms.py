"""The forms of the search, category and home pages: none inside another. A venue card's heart is
a form of its own, so the results must not sit inside the search form; a browser drops a nested
form's start tag, which left the first card's heart without its form (it opened the venue, and
Enter submitted the search) and gave the others the search form's hx-push-url."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.platform.extensions import cache
from search.backend import get_backend
from tests.search.corpus import Corpus, build_corpus

HX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Forms(HTMLParser):
    """Every <form> (its attributes and the ids of its ancestors), every form nested in another,
    and every control with a ``form`` attribute with the ids of its ancestors."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, dict[str, str]]] = []  # the elements around the current spot
        self.forms: list[dict] = []
        self.nested: list[tuple[str | None, str | None]] = []  # (outer id, inner action)
        self.associated: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        ancestors = [a.get("id") for _, a in self.open if a.get("id")]
        if tag == "form":
            outer = next((a for t, a in reversed(self.open) if t == "form"), None)
            if outer is not None:
                self.nested.append((outer.get("id"), attributes.get("action")))
            self.forms.append({**attributes, "ancestors": ancestors})
        elif "form" in attributes:
            self.associated.append({"tag": tag, **attributes, "ancestors": ancestors})
        if tag not in VOID:
            self.open.append((tag, attributes))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):  # close up to the matching element
            if self.open[i][0] == tag:
                del self.open[i:]
                break


def forms_of(text: str) -> Forms:
    parser = Forms()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture
def corpus(ctx, make_user) -> Corpus:
    cache.clear()
    corpus = build_corpus(make_user)
    get_backend().index(corpus.ids)
    return corpus


PAGES = ["/search", "/search?q=massage", "/search?q=spa&sort=price&per_page=5", "/c/massage", "/"]


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
@pytest.mark.parametrize("url", PAGES)
def test_no_form_is_inside_another_and_every_card_has_its_heart(web, customer, corpus, url, signed_in):
    if signed_in:
        web.sign_in_as(customer)
    response = web.get(url)
    assert response.status_code == 200
    found = forms_of(response.get_data(as_text=True))
    assert found.nested == []
    hearts = [f for f in found.forms if "data-heart" in f]
    assert hearts, "no venue cards on the page"
    for heart in hearts:
        assert heart["hx-push-url"] == "false"  # saving never moves the address bar
        assert "search-form" not in heart["ancestors"]


@pytest.mark.parametrize("url", ["/search?q=massage&near=London", "/c/massage?free_date=2020-01-01"])
def test_the_results_are_outside_the_search_form_and_their_controls_join_it(web, corpus, url):
    response = web.get(url)
    found = forms_of(response.get_data(as_text=True))
    assert found.nested == []
    search_form = next(f for f in found.forms if f.get("id") == "search-form")
    assert search_form["hx-push-url"] == "true" and search_form["hx-target"] == "#search-results"
    joined = {c.get("name") for c in found.associated if c["form"] == "search-form"}
    assert {"free_date", "free_from", "free_to"} <= joined  # shown even when the search was refused
    for control in found.associated:
        if control["form"] == "search-form":
            assert "search-form" not in control["ancestors"]
            assert "search-results" in control["ancestors"]
    if response.status_code == 200:
        assert {"sort", "open_now", "radius"} <= joined


def test_the_results_fragment_has_no_nested_forms_either(web, corpus):
    response = web.get("/search?q=massage&category=massage", headers=HX)
    found = forms_of(response.get_data(as_text=True))
    assert found.nested == []
    assert [f for f in found.forms if "data-heart" in f]
    joined = {c.get("name") for c in found.associated if c["form"] == "search-form"}
    assert joined >= {"sort", "open_now", "free_date"}
