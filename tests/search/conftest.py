"""Fixtures of the PostgreSQL backend's own tests (test_contract.py overrides both with
versions parametrized over every backend)."""

from __future__ import annotations

import pytest

from search.postgres import PostgresBackend
from tests.search.corpus import build_corpus


@pytest.fixture
def backend() -> PostgresBackend:
    return PostgresBackend()


@pytest.fixture
def corpus(ctx, make_user, backend):
    corpus = build_corpus(make_user)
    backend.index(corpus.ids)
    return corpus
