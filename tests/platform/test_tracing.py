"""Traces of a request, its SQL and the job it enqueued, recorded by the OpenTelemetry SDK's
in-memory exporter: the job runs later, elsewhere, yet carries the request's id and a link to
the request's span."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import text

from app import create_app
from app.platform import tracing
from app.platform.extensions import db
from app.platform.jobs import enqueue, job, run_pending_jobs

REQUEST_ID = "trace-me-0001"
seen_in_job: list[str | None] = []


@job(name="tests.ops.traced")
def traced_probe(label: str) -> None:
    seen_in_job.append(tracing.request_id_var.get())  # what the job's own logs and enqueues see
    db.session.execute(text("SELECT 1"))


@pytest.fixture
def exporter():
    return InMemorySpanExporter()


@pytest.fixture
def traced_app(database_url, exporter, tmp_path):
    app = create_app(
        "testing",
        overrides={
            "SQLALCHEMY_DATABASE_URI": database_url,
            "TRACE_EXPORTER": exporter,
            "UPLOAD_ROOT": str(tmp_path / "uploads"),
            "STATIC_DIST": str(tmp_path / "no-static"),
        },
    )

    @app.post("/observe-test/enqueue")
    def enqueue_probe():
        db.session.execute(text("SELECT 2"))
        enqueue(traced_probe, label="from a request")
        db.session.commit()
        return "queued", 202

    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.committing
@pytest.mark.slow
def test_a_request_and_the_job_it_enqueued_share_the_request_id(traced_app, exporter):
    seen_in_job.clear()
    response = traced_app.test_client().post("/observe-test/enqueue", headers={"X-Request-ID": REQUEST_ID})
    assert response.status_code == 202
    assert response.headers["X-Request-ID"] == REQUEST_ID
    with traced_app.app_context():
        job_row = db.session.execute(
            text("SELECT args FROM procrastinate_jobs WHERE task_name = 'tests.ops.traced'")
        ).scalar_one()
        assert job_row["_trace"]["request_id"] == REQUEST_ID
        assert tracing.request_id_var.get() is None  # the request's id did not outlive it
        assert run_pending_jobs() == ["tests.ops.traced:succeeded"]
        db.session.commit()
    assert seen_in_job == [REQUEST_ID]

    spans = exporter.get_finished_spans()
    request_span = next(s for s in spans if s.kind == SpanKind.SERVER)
    assert request_span.name == "POST /observe-test/enqueue"
    assert request_span.attributes["cozywish.request_id"] == REQUEST_ID
    assert request_span.attributes["http.response.status_code"] == 202

    request_sql = [s for s in spans if s.name.startswith("SQL") and s.context.trace_id == request_span.context.trace_id]
    assert any("SELECT 2" in s.attributes["db.statement"] for s in request_sql)
    assert all(s.parent.span_id == request_span.context.span_id for s in request_sql)

    job_span = next(s for s in spans if s.name == "job tests.ops.traced")
    assert job_span.attributes["cozywish.request_id"] == REQUEST_ID
    assert job_span.context.trace_id != request_span.context.trace_id  # its own trace, linked
    assert [link.context.span_id for link in job_span.links] == [request_span.context.span_id]
    assert [link.context.trace_id for link in job_span.links] == [request_span.context.trace_id]
    job_sql = [s for s in spans if s.parent is not None and s.parent.span_id == job_span.context.span_id]
    assert any(s.attributes["db.statement"] == "SELECT 1" for s in job_sql)
    assert all(s.attributes["cozywish.request_id"] == REQUEST_ID for s in job_sql)


def test_without_an_endpoint_there_is_no_tracer(app):
    assert "tracer" not in app.extensions
    with app.app_context():
        assert tracing.tracer() is None
        assert tracing.job_context() is None  # no request: a job carries nothing


def test_a_job_with_a_malformed_trace_still_runs(app):
    with app.app_context(), tracing.job_span("tests.x", {"request_id": 5, "trace_id": "zz", "span_id": None}):
        assert tracing.request_id_var.get() is None
    with app.app_context(), tracing.job_span("tests.x", "not a dict"):
        assert tracing.request_id_var.get() is None
