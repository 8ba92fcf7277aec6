"""Admins keep the search synonyms at /admin/synonyms: every change is checked, audited, and
used by the next search; bad input changes nothing; only admins reach the page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.platform.extensions import cache, db
from search.backend import get_backend
from search.synonyms import SearchSynonym, get_synonyms
from search.types import SearchQuery
from tests.search.corpus import build_corpus
from tests.search.relevance_cases import SPECS


@pytest.fixture
def corpus(ctx, make_user):
    cache.clear()
    corpus = build_corpus(make_user, SPECS)
    get_backend().index(corpus.ids)
    return corpus


def pairs() -> set[tuple[str, str]]:
    return {(term, synonym) for term, synonym in db.session.execute(select(SearchSynonym.term, SearchSynonym.synonym))}


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.subject_type == "search_synonym")))


def names(text: str) -> set[str]:
    return {hit.name for hit in get_backend().search(SearchQuery(text=text, per_page=50)).hits}


def test_the_seeded_pairs_are_listed(web, admin):
    web.sign_in_as(admin)
    page = web.get("/admin/synonyms").text
    for term, synonym in (("couples", "for two"), ("manicure", "nails"), ("color", "colour"), ("day spa", "spa day")):
        assert f'value="{term}"' in page and f'value="{synonym}"' in page
    assert len(pairs()) >= 16


def test_an_admin_adds_a_pair_and_search_uses_it_at_once(web, admin, corpus):
    before = names("massage with jacuzzi")
    assert "Thistle Spa & Massage" in before  # relaxed to "massage"
    web.sign_in_as(admin)
    response = web.post("/admin/synonyms", {"term": "  Jacuzzi ", "synonym": "Hot Tub"})
    assert response.status_code == 303
    assert ("hot tub", "jacuzzi") in pairs()
    assert audit_actions() == ["search_synonym.added"]
    assert get_synonyms().of(("jacuzzi",)) == [("hot", "tub")]
    result = get_backend().search(SearchQuery(text="massage with jacuzzi", per_page=50))
    assert [hit.name for hit in result.hits] == ["Thistle Spa & Massage"] and result.relaxed == ()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"term": "", "synonym": "spa"}, "The word: type a word or a short phrase"),
        ({"term": "spa", "synonym": "!!!"}, "What it means: type a word or a short phrase"),
        ({"term": "Spa", "synonym": "spa"}, "can&#39;t be a synonym of itself"),
        ({"term": "one two three four", "synonym": "spa"}, "use at most 3 words"),
        ({"term": "x" * 61, "synonym": "spa"}, "use at most 60 characters"),
        ({"term": "For Two", "synonym": "couples"}, "are already synonyms"),
    ],
    ids=["empty", "no-letters", "itself", "too-many-words", "too-long", "duplicate-reversed"],
)
def test_bad_pairs_are_refused_with_a_message_and_change_nothing(web, admin, form, message):
    web.sign_in_as(admin)
    before = pairs()
    response = web.post("/admin/synonyms", form)
    assert response.status_code == 422
    assert message in response.text
    assert pairs() == before and audit_actions() == []


def test_without_the_csrf_token_nothing_changes(web, admin):
    web.sign_in_as(admin)
    before = pairs()
    assert web.post("/admin/synonyms", {"term": "jacuzzi", "synonym": "hot tub"}, csrf=False).status_code == 400
    row = db.session.scalar(select(SearchSynonym).limit(1))
    assert web.post(f"/admin/synonyms/{row.id}/remove", {}, csrf=False).status_code == 400
    assert pairs() == before


def test_an_admin_changes_a_pair_and_it_is_audited(web, admin):
    row = db.session.scalar(select(SearchSynonym).where(SearchSynonym.term == "couples"))
    web.sign_in_as(admin)
    assert web.post(f"/admin/synonyms/{row.id}", {"term": "couples", "synonym": "for 2"}).status_code == 303
    db.session.refresh(row)
    assert (row.term, row.synonym) == ("couples", "for 2")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "search_synonym.changed"))
    assert (entry.actor_id, entry.from_state, entry.to_state) == (admin.id, "couples ~ for two", "couples ~ for 2")
    refused = web.post(f"/admin/synonyms/{row.id}", {"term": "nails", "synonym": "manicure"})
    assert refused.status_code == 422 and "already synonyms" in refused.text
    db.session.refresh(row)
    assert (row.term, row.synonym) == ("couples", "for 2")


def test_an_admin_removes_a_pair_and_search_stops_using_it(web, admin, corpus):
    assert "Hazel Nail Bar" in names("manicure")  # "nails" ~ "manicure": Hazel is a nail bar
    row = db.session.scalar(select(SearchSynonym).where(SearchSynonym.term == "manicure"))
    web.sign_in_as(admin)
    assert web.post(f"/admin/synonyms/{row.id}/remove", {}).status_code == 303
    assert db.session.scalar(select(func.count()).where(SearchSynonym.id == row.id)) == 0
    assert audit_actions() == ["search_synonym.removed"]
    assert "Hazel Nail Bar" not in names("manicure")


def test_an_unknown_pair_is_a_404(web, admin):
    web.sign_in_as(admin)
    assert web.post("/admin/synonyms/999999", {"term": "a1", "synonym": "b1"}).status_code == 404
    assert web.post("/admin/synonyms/999999/remove", {}).status_code == 404


def test_only_admins_keep_synonyms(web, customer, provider):
    row = db.session.scalar(select(SearchSynonym).limit(1))
    count = db.session.scalar(select(func.count()).select_from(SearchSynonym))
    for user in (customer, provider):
        web.sign_in_as(user)
        assert web.get("/admin/synonyms").status_code == 403
        assert web.post("/admin/synonyms", {"term": "jacuzzi", "synonym": "hot tub"}).status_code == 403
        assert web.post(f"/admin/synonyms/{row.id}/remove", {}).status_code == 403
    web.sign_out()
    signed_out = web.post("/admin/synonyms", {"term": "jacuzzi", "synonym": "hot tub"})
    assert signed_out.status_code in (302, 303) and "/sign-in" in signed_out.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(SearchSynonym)) == count
    assert audit_actions() == []
