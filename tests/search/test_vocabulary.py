"""Typo correction against the index's vocabulary, and the tables the triggers of migration
0007 keep: ``venue_search_words`` (words and how many venues use them) and
``venue_search_suggestions`` (distinct autocomplete terms)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.platform.extensions import db
from search.pg_text import text_match
from search.types import SearchQuery
from search.understanding import Synonyms, edit_distance, swaps


def word_count(word: str) -> int | None:
    return db.session.execute(
        text("SELECT venues FROM venue_search_words WHERE word = :w"), {"w": word}
    ).scalar_one_or_none()


def suggestion_count(term_key: str) -> int | None:
    return db.session.execute(
        text("SELECT venues FROM venue_search_suggestions WHERE term_key = :k"), {"k": term_key}
    ).scalar_one_or_none()


def names(result) -> set[str]:
    return {hit.name for hit in result.hits}


# -- the query as a tsquery -----------------------------------------------------------------------


def test_groups_become_a_valid_tsquery_with_synonym_phrases(backend, corpus):
    synonyms = Synonyms([("couples", "for two"), ("o'brien", "obrien")])
    match = text_match("Couples O'Brien  massage & | !", synonyms)
    assert match.groups == ("( 'couples' | 'for' <-> 'two' )", "( 'o' <-> 'brien' | 'obrien' )", "'massage'")
    parsed = db.session.execute(text("SELECT CAST(CAST(:q AS tsquery) AS text)"), {"q": match.tsquery}).scalar_one()
    assert parsed == "( 'couples' | 'for' <-> 'two' ) & ( 'o' <-> 'brien' | 'obrien' ) & 'massage'"


def test_operators_typed_in_the_box_are_not_operators(backend, corpus):
    assert text_match("!massage | 'lotus'") == text_match("massage lotus")
    assert text_match("& | ! <-> ()") is None


def test_a_swap_of_two_letters_is_one_edit():
    assert edit_distance("facail", "facial") == 1
    assert edit_distance("stnoe", "stone") == 1
    assert edit_distance("massage", "masseuse") == 3
    assert "facial" in swaps("facail")


# -- correcting typos ----------------------------------------------------------------------------------


def test_a_known_word_is_searched_as_it_is(backend, corpus):
    assert backend.corrected_tsquery("lotus") == "'lotus'"


def test_an_unknown_word_is_ored_with_its_closest_words(backend, corpus):
    assert backend.corrected_tsquery("masage") == "( 'masage' | 'massage' )"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("pedicrue", "Café Zoë Nails"),
        ("balyage", "Juniper Hair House"),
        ("lotsu", "Lotus Massage Rooms"),
        ("juniper balyage", "Juniper Hair House"),
        ("facail", "Pearl Skin Studio"),
        ("hot stnoe", "Amber Massage Studio"),
    ],
)
def test_one_edit_typos_find_the_venue(backend, corpus, typed, expected):
    assert expected in names(backend.search(SearchQuery(text=typed, per_page=50)))


def test_nonsense_finds_nothing_rather_than_everything(backend, corpus):
    result = backend.search(SearchQuery(text="zzqxv"))
    assert result.hits == () and result.total == 0


def test_a_corrected_word_is_highlighted(backend, corpus):
    venue = corpus.venues["Lotus Massage Rooms"]
    venue.description = "Quiet rooms for a long massage."
    backend.index([venue.id])
    (hit,) = [h for h in backend.search(SearchQuery(text="masage", per_page=50)).hits if h.venue_id == venue.id]
    assert "<mark>massage</mark>" in hit.highlight


# -- the vocabulary follows the index ---------------------------------------------------------------


def test_indexing_counts_the_venues_using_each_word(backend, corpus):
    massage_venues = db.session.execute(
        text("SELECT count(*) FROM venue_search WHERE search_vector @@ CAST('massage' AS tsquery)")
    ).scalar_one()
    assert massage_venues >= 3
    assert word_count("massage") == massage_venues
    assert word_count("lotus") == 1


def test_renaming_a_venue_moves_its_words(backend, corpus):
    venue = corpus.venues["Lotus Massage Rooms"]
    venue.name = "Orchid Massage Rooms"
    venue.description = "Quiet rooms."  # the corpus's description names the venue too
    backend.index([venue.id])
    assert word_count("lotus") is None  # no venue uses it: gone, so it is never a correction
    assert word_count("orchid") == 1
    assert suggestion_count("lotus massage rooms") is None
    assert suggestion_count("orchid massage rooms") == 1


def test_removing_or_deleting_venues_takes_their_words_out(backend, corpus):
    before = word_count("massage")
    backend.remove([corpus.venues["Lotus Massage Rooms"].id])
    assert word_count("massage") == before - 1
    assert suggestion_count("lotus massage rooms") is None
    db.session.delete(corpus.venues["Cedar Barbers"])  # the cascade fires the triggers too
    db.session.flush()
    assert not db.session.execute(
        text("SELECT 1 FROM venue_search WHERE search_vector @@ CAST('cedar' AS tsquery)")
    ).first()
    assert word_count("cedar") is None
    assert suggestion_count("cedar barbers") is None


def test_a_rating_update_leaves_the_vocabulary_alone(backend, corpus):
    before = db.session.execute(text("SELECT word, venues FROM venue_search_words ORDER BY word")).all()
    db.session.execute(text("UPDATE venue_search SET rating = 4.5, review_count = 3"))
    after = db.session.execute(text("SELECT word, venues FROM venue_search_words ORDER BY word")).all()
    assert after == before


def test_the_vocabulary_matches_a_recount_after_a_full_reindex(backend, corpus):
    venue = corpus.venues["Willow Spa"]
    venue.description = "Steam, sauna and a cold plunge pool."
    backend.index([venue.id])
    backend.reindex_all()
    recount = db.session.execute(
        text(
            "SELECT w, count(*)::int FROM venue_search, unnest(tsvector_to_array(search_vector)) AS w"
            " GROUP BY w ORDER BY w"
        )
    ).all()
    kept = db.session.execute(text("SELECT word, venues FROM venue_search_words ORDER BY word")).all()
    assert [tuple(r) for r in kept] == [tuple(r) for r in recount]
    terms = db.session.execute(
        text("SELECT term_key, count(DISTINCT venue_id)::int FROM venue_search_terms GROUP BY term_key ORDER BY 1")
    ).all()
    suggestions = db.session.execute(text("SELECT term_key, venues FROM venue_search_suggestions ORDER BY 1")).all()
    assert [tuple(r) for r in suggestions] == [tuple(r) for r in terms]


def test_suggestions_rank_terms_used_by_more_venues_first(backend, corpus):
    suggestions = backend.suggest("mas", limit=20)
    assert suggestions[0] == "Massage"  # the category, used by several venues, before one venue's name


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("masage", "Massage"), ("pedicrue", "Classic pedicure"), ("lotus masage", "Lotus Massage Rooms")],
)
def test_suggest_corrects_typos_when_nothing_starts_with_them(backend, corpus, typed, expected):
    assert expected in backend.suggest(typed)


def test_suggest_leaves_a_prefix_alone_when_terms_start_with_it(backend, corpus):
    # "sp" starts terms, so no correction is tried and only those terms come back.
    assert all(s.lower().startswith("sp") or " sp" in s.lower() for s in backend.suggest("sp"))


def test_word_correction_uses_the_vocabulary_trigram_index(backend, corpus):
    from search.pg_text import CORRECT_WORDS_SQL
    from tests.search.test_postgres_backend import index_names, plan_of

    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    plan = plan_of(CORRECT_WORDS_SQL, {"words": ["masage"]})
    assert "ix_venue_search_words_word_trgm" in index_names(plan)
