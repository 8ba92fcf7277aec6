"""schemathesis over every operation of the API's own OpenAPI document, in process (WSGI).

``test_every_operation_with_every_scope``: anonymously and with a token of each scope, no server
error and no answer that breaks the document, for a few generated requests per operation (kept
small: this runs in CI). Each operation is fuzzed with valid and with invalid input
(schemathesis' positive and negative modes), once with generated path parameters (mostly
unknown things: 404s) and once with the listed venue's slug, so the operations' own code runs
too.

``test_every_check_of_schemathesis_finds_nothing``: schemathesis' own engine, as ``st run
--checks all`` runs it (its examples, coverage, fuzzing and stateful phases, every check it
has), over every operation, write operations included, with a customer's token (the venue's
operations with its owner's, moderation with an admin's, and a second customer who must not see
the first one's things), plus two checks of ours: every 422 names its field, and a request valid
by the document is never refused by the request's own schema."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks, not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES
from schemathesis.engine import StopReason, events, from_schema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.wsgi import WSGITransport

from app.accounts import api_tokens
from app.platform.extensions import db
from tests.api.conftest import bearer

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
@pytest.mark.no_cover  # a fuzzer: under coverage's tracer 40% slower; other tests cover what it reaches
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


# -- every check schemathesis has ---------------------------------------------------------------------

ALL_CHECKS_EXAMPLES = 10  # per operation and phase: about a minute on a 2-core machine
# A well-formed request (valid by the document) may still break a rule no JSON schema can state:
# a time that is no longer free, a service that doesn't exist, an empty cart at checkout. The API
# answers those 422 with the field named (docs/api.md), so positive_data_acceptance takes a 422
# too; that no 422 comes from the request's own schema (the document and the validation
# disagreeing, what that check is there to find) is ``valid_data_is_refused_only_by_a_rule``.
VALID_DATA_STATUSES = [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "422"]
SCHEMA_REFUSAL = "Some of what you sent needs another look: see errors."  # app/ops/errors.py
# What `st run --checks all` runs (max_response_time needs a limit of its own).
EVERY_CHECK = {
    *("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance"),
    *("response_schema_conformance", "negative_data_rejection", "positive_data_acceptance", "missing_required_header"),
    *("unsupported_method", "allow_header_conformance", "use_after_free", "ensure_resource_availability"),
    *("ignored_auth", "object_level_authorization"),
}


@schemathesis.check
def a_validation_problem_names_its_field(ctx, response, case):
    """Every 422 says which field (docs/api.md "Conventions")."""
    if response.status_code == 422:
        body = response.json()
        assert isinstance(body.get("errors"), dict) and body["errors"], f"a 422 naming no field: {body}"


@schemathesis.check
def valid_data_is_refused_only_by_a_rule(ctx, response, case):
    """A request valid by the document is never refused by the request schema's own validation."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    assert body["detail"] != SCHEMA_REFUSAL, f"valid by the document, refused by the validation: {body}"
    return None


@pytest.fixture
def probes_without_network_settings(monkeypatch):
    """schemathesis 4.32.5 sends a check's probe (ignored_auth's request without credentials) to
    the in-process app with its network-only settings (``max_redirects``...), which werkzeug's
    client refuses (a TypeError, so the probe never ran): they mean nothing in process."""
    send = WSGITransport.send

    def without(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    monkeypatch.setattr(WSGITransport, "send", without)


@pytest.mark.slow
@pytest.mark.no_cover  # a fuzzer: under coverage's tracer 40% slower; other tests cover what it reaches
def test_every_check_of_schemathesis_finds_nothing(
    app,
    listed,
    customer,
    provider,
    admin,
    make_user,
    make_token,
    monkeypatch,
    tmp_path,
    probes_without_network_settings,
):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", False)  # thousands of requests from one token

    def identity(name: str, user, *scopes: str) -> dict:
        headers = {**bearer(make_token(user, *scopes)), "Accept-Encoding": "identity"}
        return {"name": name, "fixedHeaders": [{"name": k, "value": v} for k, v in headers.items()]}

    # Who calls (Web Fuzzing Commons' auth file): schemathesis tries them in this order on each
    # operation and keeps the first it serves (the venue's operations settle on the owner, the
    # moderation on the admin); object_level_authorization replays what one customer read as the
    # other, who must not get it.
    wfc = tmp_path / "identities.json"
    wfc.write_text(
        json.dumps(
            {
                "auth": [
                    identity("customer", customer, "read", "write"),
                    identity("other customer", make_user(name="Otto Other"), "read", "write"),
                    identity("venue owner", provider, "venue"),
                    identity("admin", admin, "admin"),
                ]
            }
        )
    )
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261126,
            "suppress-health-check": ["all"],
            "workers": 1,  # one thread: the app's session is the test's (rolled back at the end)
            "cache": {"enabled": False},  # no .schemathesis/ of earlier runs' failures to replay
            "auth": {"wfc": {"path": str(wfc), "peers": ["customer", "other customer"]}},
            "generation": {"max-examples": ALL_CHECKS_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {"positive_data_acceptance": {"expected-statuses": VALID_DATA_STATUSES}},
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)
    operations = {result.ok().label for result in schema.get_all_operations()}
    assert len(operations) >= 60
    load_all_checks()
    checks = {check.__name__ for check in REGISTERED_CHECKS.get_all()}
    assert EVERY_CHECK | {"a_validation_problem_names_its_field", "valid_data_is_refused_only_by_a_rule"} <= checks
    failures: list[str] = []
    errors: list[str] = []
    phases: dict[str, set[str]] = {}
    answers: Counter[tuple[str, int]] = Counter()
    finished = None
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phases.setdefault(event.phase.value, set()).add(event.recorder.label)
            for case_id, interaction in event.recorder.interactions.items():
                if interaction.response is not None and case_id in event.recorder.cases:
                    case = event.recorder.cases[case_id].value
                    answers[(f"{case.method} {case.path}", interaction.response.status_code)] += 1
            for nodes in event.recorder.checks.values():
                failures += [
                    f"{node.name} on {event.recorder.label}: {node.failure_info.failure.message}\n"
                    f"{node.failure_info.code_sample}"
                    for node in nodes
                    if node.failure_info is not None
                ]
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished):
            finished = event.stop_reason
    assert errors == []
    assert sorted(set(failures)) == []
    assert finished == StopReason.COMPLETED
    for phase in ("examples", "coverage", "fuzzing"):
        assert phases[phase] >= operations, phase  # every operation, in every phase
    assert phases["stateful"]
    # Each identity did its work: the customer's, the venue owner's and the admin's reads answered.
    for label in ("GET /api/v1/me", "GET /api/v1/venue", "GET /api/v1/admin/listings"):
        assert answers[(label, 200)] > 0, label
