"""Places by name: the gazetteer, the "where" field's suggestions, "in/near <town>" in the text,
the remembered place, and snippets that start at a sentence."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.platform.extensions import cache, db
from search.backend import get_backend
from search.es_queries import build_search_body
from search.places import (
    HOME_COUNTRY,
    Place,
    _Row,
    find_places,
    label_places,
    places_named_in,
    resolve_place,
)
from search.snippets import sentence_snippet
from search.types import SearchQuery
from tests.search.corpus import Spec, build_corpus

HX = {"HX-Request": "true"}


def page_of(response) -> str:
    return response.get_data(as_text=True)


def card_names(text: str) -> list[str]:
    return [html.unescape(n) for n in re.findall(r'class="stretched-link[^"]*" href="[^"]+">([^<]+)</a>', text)]


def where_field(text: str) -> tuple[str, str]:
    """The "where" field's shown value and its hidden place id."""
    shown = re.search(r'<input id="search-near" name="near"[^>]*value="([^"]*)"', text, re.S)
    place_id = re.search(r'<input type="hidden" name="place" value="([^"]*)"', text)
    assert shown and place_id
    return html.unescape(shown.group(1)), place_id.group(1)


@pytest.fixture
def corpus(ctx, make_user):
    cache.clear()
    corpus = build_corpus(make_user)
    get_backend().index(corpus.ids)
    return corpus


# -- the gazetteer --------------------------------------------------------------------------------


def test_the_migration_loads_the_gazetteer(ctx):
    count = db.session.scalar(select(func.count()).select_from(Place))
    assert count > 30_000
    home = db.session.scalar(select(func.count()).where(Place.country_code == HOME_COUNTRY))
    assert home > 4_000  # towns of 1,000 people or more
    london = resolve_place("London")
    assert london is not None and london.label == "London, England"
    assert abs(london.lat - 51.5) < 0.1 and abs(london.lng + 0.13) < 0.1
    assert london.timezone == "Europe/London"


def test_same_names_get_labels_that_tell_them_apart(ctx):
    richmonds = {p.label for p in find_places("Richmond", limit=50)}
    assert {
        "Richmond, near London, England",
        "Richmond, near Darlington, England",
        "Richmond, Virginia, United States",
    } <= richmonds
    bath = find_places("Bath")[0]
    assert (bath.label, bath.detail) == ("Bath", "England, United Kingdom")  # a name only one place has


def test_labels_add_the_region_then_a_nearby_town():
    rows = [
        _Row(1, "Richmond", "richmond", "GB", "England", "United Kingdom", 51.46, -0.31, 21000, "Europe/London"),
        _Row(2, "Richmond", "richmond", "GB", "England", "United Kingdom", 54.40, -1.73, 8400, "Europe/London"),
        _Row(3, "Richmond", "richmond", "US", "Virginia", "United States", 37.55, -77.46, 226000, "America/New_York"),
        _Row(4, "London", "london", "GB", "England", "United Kingdom", 51.51, -0.13, 8_900_000, "Europe/London"),
        _Row(5, "Darlington", "darlington", "GB", "England", "United Kingdom", 54.52, -1.55, 92000, "Europe/London"),
        _Row(6, "Paris", "paris", "FR", "", "France", 48.85, 2.35, 2_100_000, "Europe/Paris"),
    ]
    label_places(rows)
    assert [r.label for r in rows] == [
        "Richmond, near London, England",
        "Richmond, near Darlington, England",
        "Richmond, Virginia, United States",
        "London",
        "Darlington",
        "Paris, France",
    ]


def test_suggestions_rank_home_then_the_exact_name_then_population(ctx):
    found = find_places("rich")
    assert found[0].label == "Richmond, near London, England"  # home country, then the bigger
    assert found[1].label == "Richmond, near Darlington, England"
    assert all(p.label.lower().startswith("rich") for p in found)
    assert "Rich, Morocco" in [p.label for p in find_places("rich", limit=50)]  # abroad, after home
    assert find_places("leeds")[0].label == "Leeds"  # the exact name before "Leedstown"
    assert find_places("ST. ALBANS")[0].name == "St Albans"  # case and punctuation don't matter


def test_a_misspelt_place_still_finds_it(ctx):
    assert find_places("Manchster")[0].name == "Manchester"


@pytest.mark.parametrize("typed", ["", "   ", "%", "_", "\\", "''; DROP TABLE places; --", "%%%a"])
def test_silly_input_finds_nothing_and_breaks_nothing(ctx, typed):
    before = db.session.scalar(select(func.count()).select_from(Place))
    assert find_places(typed) == [] or all(p.id for p in find_places(typed))
    assert db.session.scalar(select(func.count()).select_from(Place)) == before


def test_a_label_resolves_to_that_place_and_a_bare_name_to_the_biggest_at_home(ctx):
    assert resolve_place("Richmond, near Darlington, England").population < 10_000
    assert resolve_place("richmond").label == "Richmond, near London, England"
    assert resolve_place("Nowhere-on-Sea-Xq") is None


def test_the_text_resolves_only_home_towns_after_in_or_near(ctx):
    assert set(places_named_in("massage in Leeds")) == {"leeds"}
    assert places_named_in("spa near Newcastle upon Tyne")["newcastle upon tyne"].name == "Newcastle upon Tyne"
    assert places_named_in("facial in Paris") == {}  # not a home-country town
    assert places_named_in("Leeds massage") == {}  # no "in"/"near": a word to match


# -- the "where" field's suggestions ----------------------------------------------------------------


def test_suggestions_are_options_with_the_place_id(client):
    response = client.get("/search/places?near=Rich", headers=HX)
    text = page_of(response)
    assert response.status_code == 200
    options = re.findall(r'role="option"[^>]*data-value="([^"]+)" data-place-id="(\d+)"', text, re.S)
    assert options[0][0] == "Richmond, near London, England"
    assert "England, United Kingdom" in text
    assert "<html" not in text


def test_no_suggestions_for_nothing_typed(client):
    response = client.get("/search/places?near=")
    assert response.status_code == 200
    assert 'role="option"' not in page_of(response)


def test_a_too_long_place_is_refused(client):
    response = client.get("/search/places?near=" + "x" * 101)
    assert response.status_code == 400
    assert "at most 100 characters" in page_of(response)


# -- searching by place -----------------------------------------------------------------------------


def test_choosing_a_place_searches_around_it(client, corpus):
    manchester = resolve_place("Manchester")
    text = page_of(client.get(f"/search?place={manchester.id}"))
    assert {"Amber Massage Studio", "Pearl Skin Studio", "Hazel Nail Bar"} <= set(card_names(text))
    assert not {"Lotus Massage Rooms", "Thistle Spa & Massage"} & set(card_names(text))
    assert "Within 25 km of Manchester, England" in text
    assert where_field(text) == ("Manchester, England", str(manchester.id))  # there are US Manchesters


def test_a_typed_place_name_works_without_the_suggestions(client, corpus):
    text = page_of(client.get("/search?near=salford"))
    assert "Within 25 km of Salford" in text
    assert "Amber Massage Studio" in card_names(text)
    assert "Lotus Massage Rooms" not in card_names(text)


def test_in_a_town_in_the_text_uses_the_same_gazetteer(client, corpus):
    text = page_of(client.get("/search?q=massage+in+salford"))
    assert "In and around Salford" in text
    assert card_names(text) == ["Amber Massage Studio"]


def test_a_town_in_the_text_wins_over_the_where_field(client, corpus):
    text = page_of(client.get("/search?q=massage+near+edinburgh&near=Manchester"))
    assert "In and around Edinburgh" in text
    assert "Amber Massage Studio" not in card_names(text)
    assert where_field(text)[0] == ""  # the field no longer claims Manchester


# -- the remembered place -----------------------------------------------------------------------------


def test_signed_out_the_last_place_is_pre_filled_next_time_and_can_be_cleared(client, corpus, web):
    bath = resolve_place("Bath")
    searched = client.get(f"/search?place={bath.id}&q=massage")
    assert f'data-remember-place="{bath.id}"' in page_of(searched)  # the script keeps it in a cookie
    assert "last_place" not in searched.headers.get("Set-Cookie", "")
    assert where_field(page_of(client.get("/search"))) == ("", "")  # no script, no cookie: nothing kept
    client.set_cookie("last_place", str(bath.id))  # what static/js/search.js does
    text = page_of(client.get("/search"))
    assert where_field(text) == ("Bath", str(bath.id))
    assert "Within 25 km" not in text  # shown in the field, not applied until the next search
    assert 'form="forget-place-form"' in text

    refused = client.post("/search/place/forget")  # no CSRF token
    assert refused.status_code == 400
    assert where_field(page_of(client.get("/search")))[0] == "Bath"

    cleared = web.post("/search/place/forget")
    assert cleared.status_code == 303
    assert "last_place=;" in cleared.headers["Set-Cookie"]  # deleted
    assert where_field(page_of(client.get("/search"))) == ("", "")


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 40, "0", "99999999"])
def test_a_bad_or_unknown_last_place_cookie_is_ignored(client, corpus, value):
    client.set_cookie("last_place", value)
    response = client.get("/search")
    assert response.status_code == 200 and where_field(page_of(response)) == ("", "")


def test_signed_in_the_last_place_is_kept_on_the_account(client, corpus, web, make_user):
    user = make_user()
    web.sign_in_as(user)
    leeds = resolve_place("Leeds")
    assert client.get(f"/search?place={leeds.id}").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id).last_place_id == leeds.id

    web.sign_out()
    assert where_field(page_of(client.get("/search"))) == ("", "")  # another person on this browser
    web.sign_in_as(user)
    assert where_field(page_of(client.get("/search"))) == ("Leeds", str(leeds.id))

    response = web.post("/search/place/forget", headers=HX)
    assert response.status_code == 204
    db.session.expire_all()
    assert db.session.get(User, user.id).last_place_id is None


def test_a_refused_place_is_not_remembered(client, corpus):
    assert client.get("/search?near=Xqzzyville").status_code == 400
    assert where_field(page_of(client.get("/search"))) == ("", "")


def test_removing_the_place_chip_does_not_offer_it_again(client, corpus):
    text = page_of(client.get("/search?near=Leeds&q=massage"))
    removal = next(
        html.unescape(m) for m in re.findall(r'href="([^"]+)"[^>]*>Within 25 km of Leeds', text.replace("\n", " "))
    )
    assert "near=&" in removal or removal.endswith("near=")
    assert where_field(page_of(client.get(removal)))[0] == ""


# -- snippets start at a sentence ---------------------------------------------------------------------


def test_a_snippet_starts_at_the_sentence_of_the_first_match():
    marked = "Our rooms face the park. Guests rest in the garden. A hot <mark>stone</mark> massage melts tension."
    assert sentence_snippet(marked) == "A hot <mark>stone</mark> massage melts tension."
    assert sentence_snippet("<mark>Stone</mark> first. Then more.") == "<mark>Stone</mark> first. Then more."
    assert sentence_snippet("No match here. At all.") == "No match here. At all."


def test_a_long_snippet_is_cut_at_a_word_with_its_marks_closed():
    marked = "Intro. " + "<mark>word</mark> " * 60
    snippet = sentence_snippet(marked, max_chars=40)
    assert snippet.startswith("<mark>word</mark>") and snippet.endswith(" …")
    assert snippet.count("<mark>") == snippet.count("</mark>")
    assert len(re.sub(r"</?mark>", "", snippet)) <= 50


def test_entities_count_as_one_letter_and_are_never_split():
    marked = "Tea &amp; cake. Calm &lt;rooms&gt; and a <mark>sauna</mark>."
    assert sentence_snippet(marked) == "Calm &lt;rooms&gt; and a <mark>sauna</mark>."


def test_the_results_page_snippet_starts_at_the_sentence(client, ctx, make_user):
    cache.clear()
    spec = Spec(
        "Quiet Garden Spa",
        "spa",
        "London",
        51.5,
        -0.12,
        (("Relaxing treatment", 5000, True),),
        description=(
            "Our rooms are on the second floor of a Georgian house near the park, with tall windows and "
            "soft light all day long. Guests can relax in the walled garden before and after treatments. "
            "A hot stone ritual melts away tension, and every oil is blended in house."
        ),
    )
    corpus = build_corpus(make_user, (spec,))
    get_backend().index(corpus.ids)
    text = page_of(client.get("/search?q=stone"))
    snippet = re.search(r'<p class="small mb-2 venue-card-highlight">(.*?)</p>', text, re.S).group(1)
    assert snippet.startswith("A hot <mark>stone</mark> ritual")


def test_elasticsearch_highlights_break_at_sentences():
    description = build_search_body(SearchQuery(text="stone"))["highlight"]["fields"]["description"]
    assert description["boundary_scanner"] == "sentence"
    assert description["type"] == "unified"


def test_a_place_name_with_a_nul_byte_is_a_400_not_an_error(client, ctx):
    assert client.get("/search?near=Bath%00").status_code == 400
    assert client.get("/search/places?near=Ba%00th").status_code in (200, 400)
    assert resolve_place("Bath\x00") is None  # never reaches PostgreSQL, which refuses NUL
