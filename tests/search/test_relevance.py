"""Relevance: the queries people type (tests/search/relevance_cases.py) find the venues they expect,
on the PostgreSQL backend, through the same query understanding the search page uses."""

from __future__ import annotations

import pytest

from search.places import places_named_in
from search.postgres import PostgresBackend
from search.types import SearchQuery
from search.understanding import understand
from tests.search.corpus import build_corpus
from tests.search.relevance_cases import CASES, NOW, SEARCHER_IN_LONDON, SPECS, Case


@pytest.fixture
def backend() -> PostgresBackend:
    return PostgresBackend(now=lambda: NOW)


@pytest.fixture
def relevance_corpus(ctx, make_user, backend):
    corpus = build_corpus(make_user, SPECS)
    backend.index(corpus.ids)
    return corpus


def run(backend: PostgresBackend, case: Case):
    # Places resolve through the gazetteer (search/places.py), as on the search page.
    understood = understand(case.query, places=places_named_in(case.query), now=NOW)
    location = SEARCHER_IN_LONDON if case.located else None
    query = understood.apply(SearchQuery(per_page=50), location=location)
    return backend.search(query)


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case.query for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.query for case in CASES])
def test_query_finds_the_expected_venues(backend, relevance_corpus, case: Case):
    result = run(backend, case)
    found = [hit.name for hit in result.hits]
    missing = [name for name in case.includes if name not in found]
    assert not missing, f"{case.query!r} missed {missing}; found {found}"
    unwanted = [name for name in case.excludes if name in found]
    assert not unwanted, f"{case.query!r} found {unwanted}; found {found}"
    if case.first:
        assert found[0] == case.first, f"{case.query!r} put {found[0]} first; found {found}"
    assert bool(result.relaxed) == case.relaxed, f"{case.query!r}: relaxed to {result.relaxed}"
