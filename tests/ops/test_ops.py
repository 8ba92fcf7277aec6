"""Health, readiness, logs and `flask diagnose`."""

from __future__ import annotations

import json
import logging

import pytest

from app import create_app
from app.ops.logging import JobLines, JsonFormatter, mask
from tests.ops.test_production_settings import PRODUCTION_SETTINGS

DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "queue", "cache", "warm_up"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def broken_app(tmp_path):
    return create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": DEAD_DATABASE,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": "redis://127.0.0.1:1/0",
            "UPLOAD_ROOT": str(tmp_path),
        },
    )


@pytest.mark.committing  # writes nothing; needs the real session, not the test transaction's
def test_readyz_is_503_and_names_the_failing_checks(broken_app):
    response = broken_app.test_client().get("/readyz")
    body = response.get_json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert set(body["failing"]) == {"database", "queue", "cache"}
    assert body["checks"]["database"]["ok"] is False


def test_diagnose_passes_on_a_healthy_setup(app):
    result = app.test_cli_runner().invoke(args=["diagnose"])
    assert result.exit_code == 0, result.output
    for name in ("configuration", "database", "migrations", "queue", "cache", "email", "storage"):
        assert name in result.output
    assert "All checks passed." in result.output


@pytest.mark.committing
def test_diagnose_names_each_problem_with_a_hint(broken_app):
    result = broken_app.test_cli_runner().invoke(args=["diagnose"])
    assert result.exit_code == 1
    assert "FAIL" in result.output
    assert "hint: Is PostgreSQL running and DATABASE_URL right?" in result.output
    assert "hint: Run `flask db upgrade`." in result.output
    assert "problem(s) found" in result.output


def test_diagnose_reports_an_unwritable_upload_folder(app, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(app.extensions["storage"], "root", blocker / "uploads")
    result = app.test_cli_runner().invoke(args=["diagnose"])
    assert result.exit_code == 1
    assert "storage" in result.output and "Make UPLOAD_ROOT a writable folder." in result.output


@pytest.mark.parametrize(
    ("raw", "hidden", "kept"),
    [
        ("sign-in failed for chloe.martin@example.com", "chloe.martin", "c***@example.com"),
        ("password=hunter2-very-secret", "hunter2", "password=***"),
        ('{"token": "abc123def"}', "abc123def", "token"),
        ("GET /account/verify/eyJ1aWQiOjF9.aZ.sig 200", "eyJ1aWQiOjF9", "/account/verify/***"),
        ("GET /account/reset-password/tok.en.sig", "tok.en.sig", "/account/reset-password/***"),
        ("texted +44 7700 900123 at 10:00", "7700", "texted *** at 10:00"),
        ("texted 07700 900123", "900123", "texted ***"),
        ("E.164 +447700900123.", "447700900123", "E.164 ***."),
        ("link eyJ2IjoxLCJzIjo3fQ.Z0mnPw.5dbaVbRHT0ssMkqj6PqKTzvrg5s sent", "Z0mnPw", "link *** sent"),
        ("GET /account/staff-invitation/abc.def.ghi", "abc.def", "/account/staff-invitation/***"),
    ],
)
def test_logs_mask_emails_tokens_and_passwords(raw, hidden, kept):
    masked = mask(raw)
    assert hidden not in masked
    assert kept in masked


@pytest.mark.parametrize("kept", ["order 12345 paid", "on 2026-11-26 at 10:30", "venue willow-massage-rooms-2"])
def test_masking_keeps_ids_dates_and_slugs(kept):
    assert mask(kept) == kept


def test_a_job_line_names_the_task_and_id_never_the_arguments():
    """procrastinate writes a job's arguments into its messages; JobLines rewrites them."""
    job = {"id": 7, "task_name": "email.deliver", "task_kwargs": {"to": "x@example.com", "text_body": "Dear Zelda"}}
    record = logging.LogRecord(
        "procrastinate.worker",
        logging.INFO,
        __file__,
        1,
        "Starting job email.deliver[7](text_body='Dear Zelda')",
        (),
        None,
    )
    record.job, record.action = job, "start_job"
    JobLines().filter(record)
    assert record.getMessage() == "job email.deliver[7]: start_job"
    record = logging.LogRecord("procrastinate.jobs", logging.INFO, __file__, 1, "Deferred 1 job", (), None)
    record.jobs = [job]
    JobLines().filter(record)
    assert "Zelda" not in record.getMessage()


def test_log_lines_are_json_with_the_request_id(app):
    formatter = JsonFormatter()
    with app.test_request_context("/account/verify/secret-token"):
        from flask import g

        g.request_id = "req-123"
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s signed in", ("a@example.com",), None)
        line = json.loads(formatter.format(record))
    assert line["request_id"] == "req-123"
    assert line["message"] == "user a***@example.com signed in"
    assert line["path"] == "/account/verify/***"
    assert line["level"] == "INFO"


def test_health_probes_are_not_redirected_to_https(database_url, tmp_path):
    app = create_app(
        "production",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "y" * 40,
            **PRODUCTION_SETTINGS,
            "UPLOAD_ROOT": str(tmp_path),
            "MAIL_BACKEND": "locmem",
        },
    )
    client = app.test_client()
    assert client.get("/healthz", base_url="http://internal").status_code == 200
    assert client.get("/", base_url="http://localhost").status_code == 302


def test_request_id_is_returned_and_a_safe_incoming_one_is_kept(client):
    assert client.get("/healthz", headers={"X-Request-ID": "trace-42"}).headers["X-Request-ID"] == "trace-42"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert generated and generated != "bad id with spaces"


def test_an_access_line_masks_the_path_it_logs(app, client, caplog):
    """The access line is built from the path masked once (app/ops/logging.py): a token in
    the URL reaches neither its message nor its path."""
    formatter = JsonFormatter()
    with caplog.at_level(logging.INFO, logger="cozywish.access"):
        client.get("/account/verify/secret-token-value")
    records = [r for r in caplog.records if r.name == "cozywish.access"]
    assert records
    with app.test_request_context("/account/verify/secret-token-value"):
        line = json.loads(formatter.format(records[-1]))
    assert "secret-token-value" not in json.dumps(line)
    assert line["message"].startswith("GET /account/verify/*** ")
    assert line["path"] == "/account/verify/***"


@pytest.mark.parametrize(
    ("path", "secret"),
    [
        ("/account/staff-invitation/Ab3_kL9x", "Ab3_kL9x"),
        ("/payments/demo/cs_demo_4f9a8b7c", "cs_demo_4f9a8b7c"),
        ("/bookings/CW-7K2P9Q", "CW-7K2P9Q"),
        ("/calendar/feedtoken123.ics", "feedtoken123"),
    ],
)
def test_an_access_line_masks_what_its_route_names_secret(client, caplog, path, secret):
    """Masked from the matched route (SECRET_URL_PARTS), whatever the value looks like."""
    with caplog.at_level(logging.INFO, logger="cozywish.access"):
        client.get(path)
    [record] = [r for r in caplog.records if r.name == "cozywish.access"]
    assert secret not in record.getMessage() and "***" in record.getMessage()
