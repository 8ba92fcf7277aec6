"""schemathesis over every operation of the API's own OpenAPI document, in process (WSGI),
anonymously and with a token of each scope: no server error and no answer that breaks the
document, for a few generated requests per operation (kept small: this runs in CI).

Each operation is fuzzed with valid and with invalid input (schemathesis' positive and negative
modes), once with generated path parameters (mostly unknown things: 404s) and once with the
listed venue's slug, so the operations' own code runs too."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts import api_tokens
from app.extensions import db

SCOPES = ("read", "write", "venue", "admin")
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]
EXAMPLES = 3  # per operation, mode and path variant; each sent once per identity (5)


@pytest.fixture
def identities(ctx, customer, provider, admin):
    """No token, then a token of each scope (on the account that scope is for)."""
    owners = {"read": customer, "write": customer, "venue": provider, "admin": admin}
    headers = [{}]
    for scope in SCOPES:
        _row, plain = api_tokens.create_token(owners[scope].id, name=f"fuzz {scope}", scopes=[scope])
        headers.append({"Authorization": f"Bearer {plain}"})
    db.session.commit()
    return headers


@pytest.mark.slow
def test_every_operation_with_every_scope(app, client, listed, identities, monkeypatch):
    venue, _service = listed
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)  # hundreds of requests from one token
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    sent = {"count": 0}
    negative: list = []

    def fuzz(strategy) -> None:
        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:
            for headers in identities:
                # identity: the in-process transport reads bodies as sent (no gzip decoding)
                response = case.call(session=client, headers={**headers, "Accept-Encoding": "identity"})
                case.validate_response(response, checks=CHECKS)
                sent["count"] += 1

        try:
            run()
        except Unsatisfiable:
            # Negative mode for an operation that takes no input at all: nothing invalid to send.
            assert strategy in negative

    for operation in operations:
        fixed = {"slug": venue.slug} if "{slug}" in operation.path else None
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies = [operation.as_strategy(generation_mode=mode)]
            if fixed:
                strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            if mode == GenerationMode.NEGATIVE:
                negative.extend(strategies)
            for strategy in strategies:
                fuzz(strategy)
    assert sent["count"] > 300
