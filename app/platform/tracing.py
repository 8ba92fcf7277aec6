"""OpenTelemetry traces of requests, SQL statements and jobs, when OTEL_EXPORTER_OTLP_ENDPOINT
is set; and the request id, which follows a web request into the jobs it enqueues.

Spans are our own, small, and made with the OpenTelemetry SDK: a request span (started and
ended by the hooks in app/web/telemetry.py), a span per SQL statement (SQLAlchemy's cursor
events) and a span per job (app/platform/jobs.py). No instrumentation package is needed; the OTLP
exporter (``opentelemetry-exporter-otlp-proto-http``) is, to send spans anywhere, and is
imported only when the endpoint is set. Tests hand their own exporter (TRACE_EXPORTER).

The request id (app/ops/logging.py) is kept in ``request_id_var`` for the request's life.
``job_context()`` gives what ``enqueue`` stores in a job's arguments (under ``_trace``): the
request id and the request span's ids; the job wrapper restores the id for the job's own logs
and enqueues, and its span carries it as ``cozywish.request_id`` with a link to the request's
span.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# OpenTelemetry is imported inside the functions that run only when tracing is on: the API and
# SDK take 0.1-0.2 s to import, which every process (web, worker, each `flask` command) would
# otherwise pay for nothing.

log = logging.getLogger(__name__)

TRACE_KEY = "_trace"  # the job argument holding the request's context
REQUEST_ID_ATTRIBUTE = "cozywish.request_id"
SQL_TEXT_LIMIT = 500  # characters of a statement kept on its span (parameters never are)

request_id_var: ContextVar[str | None] = ContextVar("cozywish_request_id", default=None)


def init_app(app: Flask) -> None:
    """Set up a tracer provider for ``app`` when an endpoint (or a test's exporter) is configured."""
    exporter = app.config.get("TRACE_EXPORTER")
    endpoint = app.config.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if exporter is None and not endpoint:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": app.config.get("OTEL_SERVICE_NAME")}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        try:
            # Optional: only a deployment that sends traces installs the exporter.
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError:
            log.warning(
                "OTEL_EXPORTER_OTLP_ENDPOINT is set but opentelemetry-exporter-otlp-proto-http is not "
                "installed: no traces are sent"
            )
            return
        # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and its headers) from the environment.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    app.extensions["tracer_provider"] = provider
    app.extensions["tracer"] = provider.get_tracer("cozywish")


def watch_engine(app: Flask, engine: Engine) -> None:
    """A span per SQL statement on ``engine``, when tracing is on."""
    if "tracer" in app.extensions:
        _trace_sql(engine)


def tracer() -> Any:
    """The app's tracer, or None when tracing is off (the common case: nothing to do)."""
    if not has_app_context():
        return None
    return current_app.extensions.get("tracer")


def _trace_sql(engine: Engine) -> None:
    from opentelemetry.trace import SpanKind, Status, StatusCode

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        found = tracer()
        if found is None:
            return
        span = found.start_span("SQL " + statement.split(None, 1)[0].upper(), kind=SpanKind.CLIENT)
        span.set_attribute("db.system", "postgresql")
        span.set_attribute("db.statement", statement[:SQL_TEXT_LIMIT])
        if request_id := request_id_var.get():
            span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
        conn.info.setdefault("cozywish_spans", []).append(span)

    @event.listens_for(engine, "after_cursor_execute")
    def _finished(conn, *_args: Any) -> None:
        spans = conn.info.get("cozywish_spans")
        if spans:
            spans.pop().end()

    @event.listens_for(engine, "handle_error")
    def _failed(context) -> None:
        conn = context.connection
        spans = conn.info.get("cozywish_spans") if conn is not None else None
        if spans:
            span = spans.pop()
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.end()


def job_context() -> dict[str, str] | None:
    """What a job enqueued now carries of the request that enqueued it (None outside one)."""
    request_id = request_id_var.get()
    if request_id is None:
        return None
    found: dict[str, str] = {"request_id": request_id}
    if tracer() is None:
        return found
    from opentelemetry import trace

    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        found["trace_id"] = format(span_context.trace_id, "032x")
        found["span_id"] = format(span_context.span_id, "016x")
    return found


def _link_to(carried: dict[str, Any]) -> list[Any]:
    from opentelemetry.trace import Link, SpanContext, TraceFlags

    try:
        context = SpanContext(
            trace_id=int(carried["trace_id"], 16),
            span_id=int(carried["span_id"], 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
    except (KeyError, TypeError, ValueError):
        return []
    return [Link(context)] if context.is_valid else []


@contextmanager
def job_span(task_name: str, carried: dict[str, Any] | None) -> Iterator[None]:
    """Run a job's body with the request id it carries restored and, when tracing, in a span."""
    carried = carried if isinstance(carried, dict) else {}
    request_id = carried.get("request_id")
    token = request_id_var.set(request_id if isinstance(request_id, str) else None)
    try:
        found = tracer()
        if found is None:
            yield
            return
        from opentelemetry.trace import SpanKind

        with found.start_as_current_span(
            f"job {task_name}", kind=SpanKind.CONSUMER, links=_link_to(carried), record_exception=True
        ) as span:
            span.set_attribute("cozywish.job.task", task_name)
            if isinstance(request_id, str):
                span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
            yield
    finally:
        request_id_var.reset(token)


def start_request_span(name: str, request_id: str) -> Any:
    """Start the request's span and make it current; returns what ``end_request_span`` needs."""
    found = tracer()
    if found is None:
        return None
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import SpanKind

    span = found.start_span(name, kind=SpanKind.SERVER)
    span.set_attribute(REQUEST_ID_ATTRIBUTE, request_id)
    return span, otel_context.attach(trace.set_span_in_context(span))


def end_request_span(started: Any, *, route: str | None, status: int | None, error: BaseException | None) -> None:
    if not started:
        return
    from opentelemetry import context as otel_context
    from opentelemetry.trace import Status, StatusCode

    span, token = started
    otel_context.detach(token)
    if route:
        span.set_attribute("http.route", route)
    if status is not None:
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.end()
